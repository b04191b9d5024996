/* app_verbs.c - app details, containers, images, version, stale_containers,
 * logs, exec and remove: each acts directly on the hosts of the selected
 * proxied roles (remove and stale_containers --stop under the lock). */
#include "app_int.h"
#include "proxy_int.h"
#include "kamal-c/ops.h"
#include "kamal-c/proxy.h"
#include "kamal-c/steps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vjob {
    struct app_set *set;
    const struct kc_app_request *req;
};

typedef int (*role_fn)(struct vjob *job, struct kc_host *h, const struct kc_role *role,
                       struct kc_err *err);

struct vrun {
    struct vjob job;
    role_fn fn;
};

static int each_role(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct vrun *run = ud;
    const struct kc_role **roles = kc_xcalloc(run->job.set->nroles + 1, sizeof *roles);
    size_t n = kc_app_set_roles_on(run->job.set, h->name, roles);
    int worst = 0;
    for (size_t k = 0; k < n; k++) {
        struct kc_err one = KC_ERR_INIT;
        int rc = run->fn(&run->job, h, roles[k], &one);
        if (rc && worst == 0)
            kc_err_move(err, &one);
        worst = kc_code_worst(worst, rc);
        kc_err_release(&one);
    }
    free(roles);
    return worst;
}

/* Selects (all: also the roles without kamal-proxy), locks when asked,
 * runs fn for every (host, role). */
static int on_hosts_of(struct kc_ctx *ctx, const struct kc_app_request *req, bool envs, bool lock,
                       bool all, role_fn fn, struct kc_err *err)
{
    struct app_set set;
    int rc = kc_app_set_select_roles(ctx, envs, all, &set, err);
    if (rc == 0 && set.hosts.n && lock)
        rc = kc_lock_take(ctx, NULL, err);
    if (rc == 0 && set.hosts.n) {
        struct vrun run = {{&set, req}, fn};
        rc = kc_verb_each_host(ctx, &set.hosts, each_role, &run, err);
    }
    kc_app_set_release(&set);
    return rc;
}

static int on_app_hosts(struct kc_ctx *ctx, const struct kc_app_request *req, bool envs, bool lock,
                        role_fn fn, struct kc_err *err)
{
    return on_hosts_of(ctx, req, envs, lock, false, fn, err);
}

static int block_of(struct vjob *job, struct kc_host *h, struct kc_cmd *c, const char *label,
                    struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_remote_run(h, c, KC_PROBE | KC_CHECK, &res, err);
    if (rc == 0)
        kc_out_block(job->set->ctx->out, label, h->name, kc_buf_str(&res.out));
    kc_cmd_release(c);
    kc_exec_result_release(&res);
    return rc;
}

/* ---- details / containers / images / version ---- */

static int details_role(struct vjob *job, struct kc_host *h, const struct kc_role *role,
                        struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_app_details(&c, job->set->ctx->cfg, role);
    return block_of(job, h, &c, "App Host", err);
}

int kc_app_details(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err)
{
    return on_app_hosts(ctx, req, false, false, details_role, err);
}

/* Host-wide verbs run once per host: on its first role. */
static bool first_role(struct vjob *job, struct kc_host *h, const struct kc_role *role)
{
    const struct kc_role **roles = kc_xcalloc(job->set->nroles + 1, sizeof *roles);
    kc_app_set_roles_on(job->set, h->name, roles);
    bool first = roles[0] == role;
    free(roles);
    return first;
}

static int containers_role(struct vjob *job, struct kc_host *h, const struct kc_role *role,
                           struct kc_err *err)
{
    if (!first_role(job, h, role))
        return 0;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_app_containers(&c, job->set->ctx->cfg);
    return block_of(job, h, &c, "App Host", err);
}

int kc_app_containers(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err)
{
    return on_app_hosts(ctx, req, false, false, containers_role, err);
}

static int images_role(struct vjob *job, struct kc_host *h, const struct kc_role *role,
                       struct kc_err *err)
{
    if (!first_role(job, h, role))
        return 0;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_app_images(&c, job->set->ctx->cfg);
    return block_of(job, h, &c, "App Host", err);
}

int kc_app_images(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err)
{
    return on_app_hosts(ctx, req, false, false, images_role, err);
}

/* The running container kamal-proxy routes to, else the newest running one
 * (docker ps lists newest first). *name NULL: none runs. */
static int current_container(struct vjob *job, struct kc_host *h, const struct kc_role *role,
                             char **name, char **id, struct kc_err *err)
{
    *name = *id = NULL;
    struct kc_strvec ids = KC_STRVEC_INIT, names = KC_STRVEC_INIT, st = KC_STRVEC_INIT;
    int rc = kc_app_list(job->set, h, role, &ids, &names, &st, err);
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_proxy_list(&c);
    char *target = NULL;
    if (rc == 0 && kc_remote_run(h, &c, KC_PROBE, &res, err) == 0 && res.status == 0) {
        struct kc_app_probe p;
        memset(&p, 0, sizeof p);
        kc_app_routes_parse(kc_buf_str(&res.out), &p);
        const struct kc_app_route *r = kc_app_route(&p, role->container_prefix);
        if (r)
            target = kc_xstrndup(r->target, strcspn(r->target, ":"));
        kc_app_probe_release(&p);
    }
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        bool run = kc_streq(st.v[i], "running");
        if (run && target && kc_starts_with(ids.v[i], target) && *name == NULL) {
            *name = kc_xstrdup(names.v[i]);
            *id = kc_xstrdup(ids.v[i]);
        }
    }
    for (size_t i = 0; rc == 0 && *name == NULL && i < names.n; i++)
        if (kc_streq(st.v[i], "running")) {
            *name = kc_xstrdup(names.v[i]);
            *id = kc_xstrdup(ids.v[i]);
        }
    free(target);
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    kc_strvec_release(&ids);
    kc_strvec_release(&names);
    kc_strvec_release(&st);
    return rc;
}

static int version_role(struct vjob *job, struct kc_host *h, const struct kc_role *role,
                        struct kc_err *err)
{
    char *name, *id;
    int rc = current_container(job, h, role, &name, &id, err);
    if (rc == 0) {
        const char *v = name ? kc_app_version_of(role, name) : NULL;
        char *line = kc_xasprintf("%s\n", v ? v : "");
        kc_out_block(job->set->ctx->out, "App Host", h->name, line);
        free(line);
    }
    free(name);
    free(id);
    return rc;
}

int kc_app_version_verb(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err)
{
    return on_hosts_of(ctx, req, false, false, true, version_role, err);
}

/* ---- stale_containers [--stop] ---- */

static int stale_role(struct vjob *job, struct kc_host *h, const struct kc_role *role,
                      struct kc_err *err)
{
    struct kc_ctx *ctx = job->set->ctx;
    char *cur, *cur_id;
    int rc = current_container(job, h, role, &cur, &cur_id, err);
    struct kc_strvec ids = KC_STRVEC_INIT, names = KC_STRVEC_INIT, st = KC_STRVEC_INIT;
    struct kc_strvec stale = KC_STRVEC_INIT;
    if (rc == 0)
        rc = kc_app_list(job->set, h, role, &ids, &names, &st, err);
    for (size_t i = 0; rc == 0 && i < names.n; i++)
        if (kc_streq(st.v[i], "running") && !kc_streq(names.v[i], cur))
            kc_strvec_push(&stale, names.v[i]);
    if (rc == 0 && job->req->stop && stale.n) {
        struct kc_cmd c = KC_CMD_INIT;
        kc_cmd_app_stop(&c, role, &stale);
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
    }
    if (rc == 0) {
        char *list = kc_strvec_join(&stale, ", ");
        const char *outcome = !job->req->stop || stale.n == 0 ? (stale.n ? "stale" : "unchanged")
                              : ctx->g.dry_run                ? "would stop"
                                                              : "stopped";
        kc_report(ctx, h->name, role->name, outcome, stale.n ? list : "no stale containers");
        free(list);
    }
    free(cur);
    free(cur_id);
    kc_strvec_release(&stale);
    kc_strvec_release(&ids);
    kc_strvec_release(&names);
    kc_strvec_release(&st);
    return rc;
}

int kc_app_stale_containers(struct kc_ctx *ctx, const struct kc_app_request *req,
                            struct kc_err *err)
{
    return on_hosts_of(ctx, req, false, req->stop, true, stale_role, err);
}

/* ---- logs [-f] ---- */

struct follow_line {
    struct kc_ctx *ctx;
    const char *host;
};

static int follow_cb(void *ud, const char *line, size_t len, bool is_stderr)
{
    (void)is_stderr;
    struct follow_line *fl = ud;
    char *l = kc_xstrndup(line, len);
    kc_out_line(fl->ctx->out, fl->host, l);
    free(l);
    return kc_ctx_cancelled(fl->ctx) ? 1 : 0;
}

static int logs_role(struct vjob *job, struct kc_host *h, const struct kc_role *role,
                     struct kc_err *err)
{
    struct kc_ctx *ctx = job->set->ctx;
    const struct kc_logs_opts *lo = &job->req->logs;
    char *name = NULL, *id = NULL;
    int rc = 0;
    if (job->req->container_id)
        id = kc_xstrdup(job->req->container_id);
    else
        rc = current_container(job, h, role, &name, &id, err);
    if (rc == 0 && id == NULL) {
        kc_out_block(ctx->out, "App Host", h->name, "No running container\n");
        free(name);
        return 0;
    }
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    if (rc == 0)
        rc = kc_cmd_logs_of(&c, id, lo, err);
    if (rc == 0 && lo->follow) {
        struct follow_line fl = {ctx, h->name};
        int status = 0;
        rc = kc_remote_stream(h, &c, true, follow_cb, &fl, &status, err);
        if (rc == 0 && status > 0 && !kc_ctx_cancelled(ctx))
            rc = kc_err_set(err, KC_EREMOTE, "docker logs exited with status %d", status);
        if (rc == KC_EINTERRUPTED)
            rc = 0;
    } else if (rc == 0) {
        rc = kc_remote_run(h, &c, KC_PROBE, &res, err);
        if (rc == 0 && res.status != 0 && !(lo->grep && res.status == 1)) {
            rc = kc_err_set(err, KC_EREMOTE, "%s: docker logs failed", role->name);
            kc_err_set_remote(err, kc_buf_str(&res.out));
        }
        if (rc == 0)
            kc_out_block(ctx->out, "App Host", h->name,
                         res.out.len ? kc_buf_str(&res.out) : "Nothing found\n");
    }
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    free(name);
    free(id);
    return rc;
}

int kc_app_logs(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err)
{
    return on_app_hosts(ctx, req, false, false, logs_role, err);
}

/* ---- exec ---- */

static void random_suffix(char out[7])
{
    unsigned char b[3] = {0};
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(b, 1, 3, f) != 3)
            b[0] = (unsigned char)kc_now();
        fclose(f);
    }
    snprintf(out, 7, "%02x%02x%02x", b[0], b[1], b[2]);
}

static int exec_cmd(struct vjob *job, struct kc_host *h, const struct kc_role *role,
                    struct kc_cmd *c, struct kc_err *err)
{
    struct kc_ctx *ctx = job->set->ctx;
    const struct kc_app_request *req = job->req;
    char suffix[7];
    random_suffix(suffix);
    struct kc_app_exec x = {req->command, job->set->version, suffix,     &req->env,
                            NULL,         req->interactive,  req->detach};
    char *name = NULL, *id = NULL;
    int rc = 0;
    if (req->reuse) {
        rc = current_container(job, h, role, &name, &id, err);
        if (rc == 0 && name == NULL)
            return kc_err_set(err, KC_EREMOTE,
                              "%s: no running container on %s for --reuse; leave it out to run "
                              "the command in a new container",
                              role->name, h->name);
        x.reuse_name = name;
    } else {
        rc = kc_proxy_login(ctx, h, err);
        if (rc == 0) /* a host never deployed to (a pre-deploy migration): network, env */
            rc = kc_step_network(h, err);
        if (rc == 0)
            rc = kc_app_write_env(job->set, h, role, err);
    }
    if (rc == 0)
        kc_cmd_app_exec(c, ctx->cfg, role, h->name, &x);
    free(name);
    free(id);
    return rc;
}

static int exec_role(struct vjob *job, struct kc_host *h, const struct kc_role *role,
                     struct kc_err *err)
{
    struct kc_ctx *ctx = job->set->ctx;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = exec_cmd(job, h, role, &c, err);
    if (rc == 0)
        rc = kc_remote_run(h, &c, KC_MUTATE, &res, err);
    if (rc == 0 && !ctx->g.dry_run) {
        struct kc_buf all = KC_BUF_INIT;
        kc_buf_adds(&all, kc_buf_str(&res.out));
        kc_buf_adds(&all, kc_buf_str(&res.err));
        if (job->req->raw)
            kc_out_data(ctx->out, kc_buf_str(&all), false);
        else
            kc_out_block(ctx->out, "App Host", h->name, kc_buf_str(&all));
        kc_buf_release(&all);
        if (res.status != 0)
            rc = kc_err_set(err, KC_EREMOTE, "'%s' exited with status %d", job->req->command,
                            res.status);
    }
    if (rc == 0 || rc == KC_EREMOTE)
        kc_step_audit(ctx, h, "Executed cmd '%s' on app version %s", job->req->command,
                      job->set->version);
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

int kc_app_exec(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err)
{
    if (req->command == NULL || *req->command == '\0')
        return kc_err_set(err, KC_EUSAGE,
                          "No command provided. You must specify a command to execute.");
    if (req->detach && (req->interactive || req->reuse))
        return kc_err_set(err, KC_EUSAGE, "--detach cannot be combined with -i or --reuse");
    if (req->raw && (req->interactive || req->detach))
        return kc_err_set(err, KC_EUSAGE, "--raw cannot be combined with -i or --detach");
    if (!req->interactive)
        return on_app_hosts(ctx, req, true, false, exec_role, err);
    /* -i: the first host of the first selected role, on a terminal */
    struct app_set set;
    int rc = kc_app_set_select(ctx, true, &set, err);
    if (rc == 0 && set.hosts.n) {
        struct kc_host *h = kc_ctx_host(ctx, set.hosts.v[0]);
        const struct kc_role **roles = kc_xcalloc(set.nroles + 1, sizeof *roles);
        kc_app_set_roles_on(&set, h->name, roles);
        struct vjob job = {&set, req};
        struct kc_cmd c = KC_CMD_INIT;
        rc = exec_cmd(&job, h, roles[0], &c, err);
        int status = 0;
        if (rc == 0 && ctx->g.dry_run) {
            char *d = kc_cmd_render_display(&c);
            kc_out_planned(ctx->out, h->name, d);
            free(d);
        } else if (rc == 0) {
            rc = kc_remote_interactive(h, &c, &status, err);
            if (rc == 0 && status != 0)
                rc = kc_err_set(err, KC_EREMOTE, "'%s' exited with status %d on %s", req->command,
                                status, h->name);
        }
        kc_cmd_release(&c);
        free(roles);
    }
    kc_app_set_release(&set);
    return rc;
}

/* ---- remove ---- */

static int remove_role(struct vjob *job, struct kc_host *h, const struct kc_role *role,
                       struct kc_err *err)
{
    struct kc_ctx *ctx = job->set->ctx;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_err ignored = KC_ERR_INIT;
    kc_cmd_app_proxy_remove(&c, role);
    kc_remote_run(h, &c, KC_MUTATE, NULL, &ignored); /* no route, no proxy: nothing to do */
    kc_cmd_release(&c);
    kc_err_release(&ignored);
    struct kc_strvec stopped = KC_STRVEC_INIT;
    int rc = kc_app_stop_others(job->set, h, role, NULL, &stopped, err);
    kc_strvec_release(&stopped);
    if (rc == 0) {
        kc_cmd_app_prune(&c, ctx->cfg, role);
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
    }
    bool last = true; /* images and directories go with the host's last role */
    const struct kc_role **roles = kc_xcalloc(job->set->nroles + 1, sizeof *roles);
    size_t n = kc_app_set_roles_on(job->set, h->name, roles);
    last = n && roles[n - 1] == role;
    free(roles);
    if (rc == 0 && last) {
        kc_cmd_app_prune_images(&c, ctx->cfg);
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
    }
    if (rc == 0 && last) {
        kc_cmd_app_remove_dirs(&c, ctx->cfg);
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
    }
    if (rc == 0) {
        kc_step_audit(ctx, h, "Removed app (%s)", role->name);
        kc_report(ctx, h->name, role->name, "removed",
                  last ? "containers, images and directories" : "containers");
    }
    return rc;
}

int kc_app_remove(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err)
{
    return on_app_hosts(ctx, req, false, true, remove_role, err);
}
