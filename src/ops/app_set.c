/* app_set.c - the roles and hosts an app verb acts on, and the steps every
 * app verb shares (env file, kamal-proxy deploy, stopping old containers). */
#include "app_int.h"
#include "kamal-c/error_pages.h"
#include "kamal-c/ops.h"
#include "kamal-c/steps.h"

#include <stdlib.h>
#include <string.h>

static int role_env(struct kc_ctx *ctx, const struct kc_role *role, const char *host,
                    struct kc_buf *out, struct kc_err *err)
{
    struct kc_env env;
    memset(&env, 0, sizeof env);
    kc_config_env_for(ctx->cfg, role, host, &env);
    struct kc_kvlist values = KC_KVLIST_INIT;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < env.secret.n; i++) {
        char *var, *secret;
        const char *v = NULL;
        kc_env_secret_split(env.secret.v[i], &var, &secret);
        rc = kc_ctx_secret(ctx, secret, &v, err);
        if (rc == 0)
            kc_kvlist_set(&values, secret, v);
        free(var);
        free(secret);
    }
    if (rc == 0)
        rc = kc_app_env_content(ctx->cfg, role, host, &values, out, err);
    kc_kvlist_release(&values);
    kc_env_release(&env);
    return rc;
}

int kc_app_set_select(struct kc_ctx *ctx, bool envs, struct app_set *set, struct kc_err *err)
{
    return kc_app_set_select_roles(ctx, envs, false, set, err);
}

int kc_app_set_select_roles(struct kc_ctx *ctx, bool envs, bool all, struct app_set *set,
                            struct kc_err *err)
{
    memset(set, 0, sizeof *set);
    set->ctx = ctx;
    set->version = kc_app_version(ctx);
    set->roles = kc_xcalloc(ctx->cfg->nroles + 1, sizeof *set->roles);
    for (size_t i = 0; i < ctx->cfg->nroles; i++) {
        const struct kc_role *r = &ctx->cfg->roles[i];
        if (!kc_strvec_contains(&ctx->roles, r->name))
            continue;
        if (!r->runs_proxy && !all) {
            kc_out_msg(ctx->out, KC_LVL_WARN, NULL,
                       "role %s runs no proxy: kamal-c's app verbs handle proxied roles only",
                       r->name);
            continue;
        }
        set->roles[set->nroles++] = r;
    }
    for (size_t i = 0; i < ctx->hosts.n; i++)
        for (size_t k = 0; k < set->nroles; k++)
            if (kc_strvec_contains(&set->roles[k]->hosts, ctx->hosts.v[i])) {
                kc_strvec_push(&set->hosts, ctx->hosts.v[i]);
                break;
            }
    if (set->nroles == 0 && !all)
        kc_out_msg(ctx->out, KC_LVL_WARN, NULL, "no selected role runs the proxy");
    int rc = 0;
    for (size_t i = 0; envs && rc == 0 && i < set->hosts.n; i++)
        for (size_t k = 0; rc == 0 && k < set->nroles; k++) {
            if (!kc_strvec_contains(&set->roles[k]->hosts, set->hosts.v[i]))
                continue;
            struct kc_buf b = KC_BUF_INIT;
            rc = role_env(ctx, set->roles[k], set->hosts.v[i], &b, err);
            char *key = kc_xasprintf("%s@%s", set->roles[k]->name, set->hosts.v[i]);
            kc_kvlist_set(&set->envs, key, kc_buf_str(&b));
            free(key);
            kc_buf_release(&b);
        }
    return rc;
}

void kc_app_set_release(struct app_set *set)
{
    free(set->roles);
    kc_strvec_release(&set->hosts);
    kc_kvlist_release(&set->envs);
    memset(set, 0, sizeof *set);
}

size_t kc_app_set_roles_on(const struct app_set *set, const char *host,
                           const struct kc_role **roles)
{
    size_t n = 0;
    for (size_t k = 0; k < set->nroles; k++)
        if (kc_strvec_contains(&set->roles[k]->hosts, host))
            roles[n++] = set->roles[k];
    return n;
}

const char *kc_app_set_env(const struct app_set *set, const struct kc_role *role, const char *host)
{
    char *key = kc_xasprintf("%s@%s", role->name, host);
    const char *v = kc_kvlist_get(&set->envs, key);
    free(key);
    return v ? v : "\n";
}

int kc_app_write_env(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                     struct kc_err *err)
{
    const char *content = kc_app_set_env(set, role, h->name);
    return kc_step_upload(h, role->env_file, content, strlen(content), 0600, err);
}

int kc_app_deploy(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                  const char *id, const char *name, struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_app_deploy(&c, set->ctx->cfg, role, id);
    kc_cmd_error_pages_flag(&c, set->ctx->cfg, set->version);
    int rc = kc_app_tls_write(set, h, role, err);
    if (rc == 0)
        rc = kc_app_error_pages_upload(set, h, err);
    if (rc == 0)
        rc = kc_remote_run(h, &c, KC_MUTATE, &res, err);
    if (rc == 0 && res.status == 0)
        kc_app_error_pages_clean(set, h);
    if (rc == 0 && res.status != 0) {
        char *d = kc_cmd_render_display(&c);
        struct kc_buf *out = res.err.len ? &res.err : &res.out;
        kc_buf_rtrim(out);
        const char *why = kc_buf_str(out);
        if (strstr(why, "healthy") || strstr(why, "timeout") || !*why)
            rc = kc_err_set(err, KC_EREMOTE,
                            "%s: the new container %s did not become healthy (kamal-proxy deploy: "
                            "%s); it was removed and the old container keeps serving",
                            role->name, name, why);
        else
            rc = kc_err_set(err, KC_EREMOTE,
                            "%s: kamal-proxy refused the new container %s (kamal-proxy deploy: "
                            "%s); it was removed and the old container keeps serving",
                            role->name, name, why);
        if (strstr(why, "conflict"))
            kc_err_set_hint(err, "another app on this host's kamal-proxy routes the same host and "
                                 "path: give each app its own proxy.host");
        kc_err_set_command(err, d);
        free(d);
        kc_step_attach_logs(h, name, err);
    }
    if (rc == 0) {
        char digest[65];
        kc_app_proxy_digest(set->ctx->cfg, role, digest);
        char *f = kc_app_flags_file(set->ctx->cfg, role);
        rc = kc_step_upload(h, f, digest, strlen(digest), 0644, err);
        free(f);
    }
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

int kc_app_list(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                struct kc_strvec *ids, struct kc_strvec *names, struct kc_strvec *states,
                struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_app_list(&c, set->ctx->cfg, role);
    int rc = kc_remote_run(h, &c, KC_PROBE | KC_CHECK, &res, err);
    struct kc_strvec lines = KC_STRVEC_INIT;
    if (rc == 0)
        kc_strvec_split(&lines, kc_buf_str(&res.out), "\n");
    for (size_t i = 0; i < lines.n; i++) {
        struct kc_strvec t = KC_STRVEC_INIT;
        kc_strvec_split(&t, lines.v[i], " ");
        if (t.n == 3) {
            kc_strvec_push(ids, t.v[0]);
            kc_strvec_push(names, t.v[1]);
            kc_strvec_push(states, t.v[2]);
        }
        kc_strvec_release(&t);
    }
    kc_strvec_release(&lines);
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

int kc_app_stop_others(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                       const char *keep, struct kc_strvec *stopped, struct kc_err *err)
{
    struct kc_strvec ids = KC_STRVEC_INIT, names = KC_STRVEC_INIT, states = KC_STRVEC_INIT;
    int rc = kc_app_list(set, h, role, &ids, &names, &states, err);
    for (size_t i = 0; rc == 0 && i < names.n; i++)
        if ((strcmp(states.v[i], "running") == 0 || strcmp(states.v[i], "restarting") == 0) &&
            !kc_streq(names.v[i], keep))
            kc_strvec_push(stopped, names.v[i]);
    if (rc == 0 && stopped->n) {
        struct kc_cmd c = KC_CMD_INIT;
        kc_cmd_app_stop(&c, role, stopped);
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
    }
    kc_strvec_release(&ids);
    kc_strvec_release(&names);
    kc_strvec_release(&states);
    return rc;
}

const char *kc_app_version_of(const struct kc_role *role, const char *name)
{
    size_t n = strlen(role->container_prefix);
    if (strncmp(name, role->container_prefix, n) == 0 && name[n] == '-' && name[n + 1])
        return name + n + 1;
    return NULL;
}
