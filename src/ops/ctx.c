/* ctx.c - the run context: host selection (-h/-r/-p), the fleet with the
 * configuration's SSH settings, lazy secrets, the performer. */
#include "kamal-c/ctx.h"
#include "kamal-c/ops.h"
#include "kamal-c/local.h"
#include "kamal-c/ops_secrets.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void kc_ctx_init(struct kc_ctx *ctx, struct kc_out *out, volatile sig_atomic_t *cancel)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->out = out;
    ctx->cancel = cancel;
    ctx->g.lock_wait_timeout = 900;
    pthread_mutex_init(&ctx->lazy_mu, NULL);
}

void kc_ctx_release(struct kc_ctx *ctx)
{
    if (ctx == NULL)
        return;
    kc_fleet_free(ctx->fleet);
    kc_secrets_release(&ctx->secrets);
    kc_strvec_release(&ctx->hosts);
    kc_strvec_release(&ctx->roles);
    free(ctx->performer);
    free(ctx->lock_file);
    kc_strvec_release(&ctx->key_data_values);
    pthread_mutex_destroy(&ctx->lazy_mu);
}

bool kc_ctx_cancelled(const struct kc_ctx *ctx)
{
    return ctx->cancel && *ctx->cancel;
}

/* Splits a --hosts/--roles list at the commas that are outside {..}: the
 * globs take {a,b} alternatives (kc_glob_match), so -h '10.0.0.1{1,2}' is one
 * pattern, not '10.0.0.1{1' and '2}'. Items are trimmed, empty ones dropped;
 * with unbalanced braces every comma splits, as before. */
static void split_filter_list(const char *list, struct kc_strvec *pats)
{
    int depth = 0;
    bool balanced = true;
    for (const char *p = list; *p; p++) {
        if (*p == '{')
            depth++;
        else if (*p == '}' && --depth < 0)
            balanced = false;
    }
    if (!balanced || depth != 0) {
        kc_strvec_split(pats, list, ",");
        return;
    }
    const char *item = list;
    for (const char *p = list;; p++) {
        if (*p == '{')
            depth++;
        else if (*p == '}')
            depth--;
        if (*p == '\0' || (*p == ',' && depth == 0)) {
            const char *a = item, *e = p;
            while (a < e && (*a == ' ' || *a == '\t'))
                a++;
            while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (e > a)
                kc_strvec_push_nodup(pats, kc_xstrndup(a, (size_t)(e - a)));
            if (*p == '\0')
                break;
            item = p + 1;
        }
    }
}

/* Splits a filter list; every pattern must match at least one candidate. */
static int match_filter(const char *opt, const char *list, const struct kc_strvec *candidates,
                        struct kc_strvec *matched, struct kc_err *err)
{
    struct kc_strvec pats = KC_STRVEC_INIT;
    split_filter_list(list, &pats);
    int rc = 0;
    if (pats.n == 0)
        rc = kc_err_set(err, KC_EUSAGE, "--%s: empty list", opt);
    for (size_t i = 0; rc == 0 && i < pats.n; i++) {
        bool any = false;
        for (size_t j = 0; j < candidates->n; j++) {
            if (kc_glob_match(pats.v[i], candidates->v[j])) {
                any = true;
                kc_strvec_push_unique(matched, candidates->v[j]);
            }
        }
        if (!any) {
            rc = kc_err_set(err, KC_EUSAGE, "no %s match '%s'",
                            strcmp(opt, "hosts") ? "roles" : "hosts", pats.v[i]);
            char *all = kc_strvec_join(candidates, ", ");
            kc_err_set_hint(err, "configured %s: %s", opt, *all ? all : "(none)");
            free(all);
        }
    }
    kc_strvec_release(&pats);
    return rc;
}

static void role_names(const struct kc_config *cfg, struct kc_strvec *out)
{
    for (size_t i = 0; i < cfg->nroles; i++)
        kc_strvec_push(out, cfg->roles[i].name);
}

/* Keeps, in cfg->hosts order, the hosts that are in both sets. */
static void intersect_in_order(const struct kc_strvec *order, const struct kc_strvec *a,
                               const struct kc_strvec *b, struct kc_strvec *out)
{
    for (size_t i = 0; i < order->n; i++)
        if ((a == NULL || kc_strvec_contains(a, order->v[i])) &&
            (b == NULL || kc_strvec_contains(b, order->v[i])))
            kc_strvec_push(out, order->v[i]);
}

/* Roles that keep at least one selected host. */
static void select_roles(struct kc_ctx *ctx, const struct kc_strvec *role_filter)
{
    const struct kc_config *cfg = ctx->cfg;
    for (size_t i = 0; i < cfg->nroles; i++) {
        const struct kc_role *r = &cfg->roles[i];
        if (role_filter && !kc_strvec_contains(role_filter, r->name))
            continue;
        for (size_t j = 0; j < r->hosts.n; j++) {
            if (kc_strvec_contains(&ctx->hosts, r->hosts.v[j])) {
                kc_strvec_push(&ctx->roles, r->name);
                break;
            }
        }
    }
}

/* -p: the first --hosts entry, else the primary role's (or first selected
 * role's) first host, else the configuration's primary host. */
static const char *primary_of_selection(const struct kc_ctx *ctx, bool by_hosts)
{
    if (by_hosts && ctx->hosts.n)
        return ctx->hosts.v[0];
    for (size_t i = 0; i < ctx->roles.n; i++) {
        const struct kc_role *r = kc_config_role(ctx->cfg, ctx->roles.v[i]);
        for (size_t j = 0; r && j < r->hosts.n; j++)
            if (kc_strvec_contains(&ctx->hosts, r->hosts.v[j]))
                return r->hosts.v[j];
    }
    return ctx->hosts.n ? ctx->hosts.v[0] : ctx->cfg->primary_host;
}

int kc_ctx_select(struct kc_ctx *ctx, struct kc_err *err)
{
    const struct kc_config *cfg = ctx->cfg;
    struct kc_strvec by_hosts = KC_STRVEC_INIT, roles = KC_STRVEC_INIT, all_roles = KC_STRVEC_INIT;
    struct kc_strvec by_roles = KC_STRVEC_INIT;
    int rc = 0;
    role_names(cfg, &all_roles);
    if (ctx->g.hosts)
        rc = match_filter("hosts", ctx->g.hosts, &cfg->hosts, &by_hosts, err);
    if (rc == 0 && ctx->g.roles) {
        rc = match_filter("roles", ctx->g.roles, &all_roles, &roles, err);
        for (size_t i = 0; rc == 0 && i < roles.n; i++)
            kc_strvec_copy(&by_roles, &kc_config_role(cfg, roles.v[i])->hosts);
    }
    if (rc == 0) {
        intersect_in_order(&cfg->hosts, ctx->g.hosts ? &by_hosts : NULL,
                           ctx->g.roles ? &by_roles : NULL, &ctx->hosts);
        if (ctx->g.hosts && ctx->g.roles && ctx->hosts.n == 0) {
            rc = kc_err_set(err, KC_EUSAGE, "no host matches both --hosts '%s' and --roles '%s'",
                            ctx->g.hosts, ctx->g.roles);
        }
    }
    if (rc == 0) {
        select_roles(ctx, ctx->g.roles ? &roles : NULL);
        if (ctx->g.primary && ctx->hosts.n) {
            /* -h: the first selected host in the order the patterns were written */
            const char *first = NULL;
            for (size_t i = 0; ctx->g.hosts && i < by_hosts.n && first == NULL; i++)
                if (kc_strvec_contains(&ctx->hosts, by_hosts.v[i]))
                    first = by_hosts.v[i];
            char *p = kc_xstrdup(first ? first : primary_of_selection(ctx, false));
            kc_strvec_release(&ctx->hosts);
            kc_strvec_push_nodup(&ctx->hosts, p);
        }
    }
    kc_strvec_release(&by_hosts);
    kc_strvec_release(&roles);
    kc_strvec_release(&all_roles);
    kc_strvec_release(&by_roles);
    return rc;
}

const char *kc_ctx_lock_host(const struct kc_ctx *ctx)
{
    return ctx->cfg->primary_host;
}

static enum kc_ssh_cfg ssh_config_mode(enum kc_ssh_config_mode m)
{
    switch (m) {
    case KC_SSH_CONFIG_FALSE:
        return KC_SSHCFG_NONE;
    case KC_SSH_CONFIG_FILES:
        return KC_SSHCFG_FILES;
    default:
        return KC_SSHCFG_DEFAULT;
    }
}

/* A positive number of seconds from the environment, else 0 (the default). */
static int env_seconds(const char *name)
{
    const char *t = getenv(name);
    long v;
    if (t && kc_parse_long(t, &v) && v > 0 && v < 86400)
        return (int)v;
    return 0;
}

int kc_ctx_fleet(struct kc_ctx *ctx, struct kc_err *err)
{
    if (ctx->fleet)
        return 0;
    const struct kc_config *cfg = ctx->cfg;
    if (cfg->ssh.proxy_command)
        return kc_err_set(err, KC_ECONFIG,
                          "ssh.proxy_command is not supported by kamal-c; use "
                          "ssh.proxy (a jump host) instead");
    for (size_t i = 0; i < cfg->ssh.key_data.n; i++) {
        const char *entry = cfg->ssh.key_data.v[i];
        const char *pem = NULL;
        if (strstr(entry, "-----BEGIN")) {
            /* a key written inline (deprecated in Kamal, still accepted):
             * use it, and never print it */
            kc_out_add_secret(ctx->out, entry);
            kc_out_msg(ctx->out, KC_LVL_WARN, NULL,
                       "ssh.key_data: a private key written inline is deprecated; put it in "
                       ".kamal/secrets and name the secret instead");
            kc_strvec_push(&ctx->key_data_values, entry);
            continue;
        }
        int rc = kc_ctx_secrets(ctx, err); /* a file error names its own place */
        if (rc)
            return rc;
        rc = kc_ctx_secret(ctx, entry, &pem, err);
        if (rc) {
            kc_err_prefix(err, "ssh.key_data");
            return rc;
        }
        kc_strvec_push(&ctx->key_data_values, pem);
    }
    struct kc_fleet_opts fo = {
        .dry_run = ctx->g.dry_run,
        .max_starts = cfg->sshkit.max_concurrent_starts,
        .connect_timeout = 0,
        .cancel = ctx->cancel,
        .transport = ctx->transport,
    };
    fo.connect_timeout = env_seconds("KAMAL_C_CONNECT_TIMEOUT");
    fo.keepalive = env_seconds("KAMAL_C_KEEPALIVE");
    ctx->fleet = kc_fleet_new(ctx->out, &fo);
    return 0;
}

struct kc_host *kc_ctx_host(struct kc_ctx *ctx, const char *name)
{
    const struct kc_ssh *ssh = &ctx->cfg->ssh;
    struct kc_ssh_opts o;
    memset(&o, 0, sizeof o);
    o.host = name;
    o.user = ssh->user;
    o.port = ssh->port_set ? ssh->port : 0;
    o.jump = ssh->proxy;
    o.keys = &ssh->keys;
    o.key_data = &ctx->key_data_values;
    o.keys_only = ssh->keys_only;
    o.config_mode = ssh_config_mode(ssh->config_mode);
    o.config_files = &ssh->config_files;
    return kc_fleet_host(ctx->fleet, name, &o);
}

struct kc_host **kc_ctx_fleet_hosts(struct kc_ctx *ctx, const struct kc_strvec *names)
{
    struct kc_host **hosts = kc_xcalloc(names->n + 1, sizeof *hosts);
    for (size_t i = 0; i < names->n; i++)
        hosts[i] = kc_ctx_host(ctx, names->v[i]);
    return hosts;
}

/* Values parsed before a command are already redacted when -v shows it; its
 * stderr reaches the terminal as is. */
int kc_ctx_run_shell(void *ud, const char *command, struct kc_buf *out, struct kc_err *err)
{
    struct kc_ctx *ctx = ud;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_args(&c, "/bin/sh", "-c", command, NULL);
    struct kc_local_opts opts = {.stderr_to_terminal = true};
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_local_run(ctx, &c, KC_PROBE | KC_SECRET_OUTPUT, &opts, &res, err);
    if (rc)
        err->code = KC_ECONFIG;
    else if (res.signal[0])
        rc = kc_err_set(err, KC_ECONFIG, "killed by signal %s", res.signal);
    else if (res.status != 0)
        rc = kc_err_set(err, KC_ECONFIG, "exited with status %d", res.status);
    else if (res.truncated)
        rc = kc_err_set(err, KC_ECONFIG, "output larger than %d bytes", KC_PROC_CAP_DEFAULT);
    if (rc == 0)
        kc_buf_add(out, res.out.data ? res.out.data : "", res.out.len);
    kc_exec_result_release(&res);
    kc_cmd_release(&c);
    return rc ? KC_ECONFIG : 0;
}

static void redact_value(void *ud, const char *value)
{
    struct kc_ctx *ctx = ud;
    kc_out_add_secret(ctx->out, value);
}

int kc_ctx_secrets(struct kc_ctx *ctx, struct kc_err *err)
{
    pthread_mutex_lock(&ctx->lazy_mu);
    int rc = 0;
    if (!ctx->secrets.loaded) {
        struct kc_dotenv_opts o = {.run = kc_ctx_run_dotenv,
                                   .ud = ctx,
                                   .lookup_process_env = true,
                                   .on_value = redact_value};
        rc = kc_secrets_load(&ctx->secrets, &o, err);
        for (size_t i = 0; rc == 0 && i < ctx->secrets.values.n; i++)
            kc_out_add_secret(ctx->out, ctx->secrets.values.v[i].value);
    }
    pthread_mutex_unlock(&ctx->lazy_mu);
    return rc;
}

int kc_ctx_secret(struct kc_ctx *ctx, const char *name, const char **value, struct kc_err *err)
{
    int rc = kc_ctx_secrets(ctx, err);
    if (rc)
        return rc;
    return kc_secrets_require(&ctx->secrets, name, value, err);
}

int kc_ctx_registry_credentials(struct kc_ctx *ctx, const struct kc_registry *reg,
                                const char **username, const char **password, struct kc_err *err)
{
    int rc = 0;
    *username = *password = NULL;
    if (!reg->local && (reg->username_is_secret || reg->password_is_secret))
        rc = kc_ctx_secrets(ctx, err);
    if (rc == 0)
        rc = kc_registry_credentials(reg, &ctx->secrets, username, password, err);
    if (rc == 0 && *password)
        kc_out_add_secret(ctx->out, *password);
    return rc;
}

const char *kc_ctx_performer(struct kc_ctx *ctx)
{
    pthread_mutex_lock(&ctx->lazy_mu);
    if (ctx->performer == NULL) {
        const char *git[] = {"git", "config", "user.email", NULL};
        const char *who[] = {"whoami", NULL};
        ctx->performer = kc_local_line(ctx, git);
        if (ctx->performer == NULL)
            ctx->performer = kc_local_line(ctx, who);
        if (ctx->performer == NULL)
            ctx->performer = kc_xstrdup("unknown");
    }
    pthread_mutex_unlock(&ctx->lazy_mu);
    return ctx->performer;
}
