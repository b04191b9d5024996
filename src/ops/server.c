/* server.c - `server exec` and `server bootstrap` over the selected hosts. */
#include "kamal-c/ops.h"
#include "kamal-c/ops_host.h"
#include "kamal-c/steps.h"

#include <stdlib.h>

/* ---- exec ---- */

struct exec_job {
    struct kc_ctx *ctx;
    const char *command;
};

static int exec_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct exec_job *job = ud;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_user_shell(&c, job->command);
    int rc = kc_remote_run(h, &c, KC_MUTATE, &res, err);
    if (rc == 0 && !kc_fleet_dry_run(h->fleet)) {
        struct kc_buf all = KC_BUF_INIT;
        kc_buf_adds(&all, kc_buf_str(&res.out));
        kc_buf_adds(&all, kc_buf_str(&res.err));
        kc_out_block(job->ctx->out, "Host", h->name, kc_buf_str(&all));
        kc_buf_release(&all);
        if (res.status != 0) {
            rc =
                kc_err_set(err, KC_EREMOTE, "'%s' exited with status %d", job->command, res.status);
        }
    }
    if (rc == 0 || rc == KC_EREMOTE)
        kc_step_audit(job->ctx, h, "Executed cmd '%s' on %s", job->command, h->name);
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

static int exec_interactive(struct kc_ctx *ctx, const char *command, struct kc_err *err)
{
    const char *target = ctx->hosts.n ? ctx->hosts.v[0] : ctx->cfg->primary_host;
    struct kc_host *h = kc_ctx_host(ctx, target);
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_user_shell(&c, command);
    int status = 0;
    int rc;
    if (ctx->g.dry_run) {
        char *d = kc_cmd_render_display(&c);
        kc_out_planned(ctx->out, h->name, d);
        free(d);
        rc = 0;
    } else {
        rc = kc_remote_interactive(h, &c, &status, err);
        if (rc == 0 && status != 0)
            rc = kc_err_set(err, KC_EREMOTE, "'%s' exited with status %d on %s", command, status,
                            h->name);
    }
    kc_cmd_release(&c);
    return rc;
}

int kc_server_exec(struct kc_ctx *ctx, const struct kc_server_exec_request *req, struct kc_err *err)
{
    if (req->interactive)
        return exec_interactive(ctx, req->command, err);
    char *hosts = kc_strvec_join(&ctx->hosts, ", ");
    kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "Running '%s' on %s", req->command, hosts);
    free(hosts);
    struct exec_job job = {ctx, req->command};
    return kc_verb_each_host(ctx, &ctx->hosts, exec_host, &job, err);
}

/* ---- bootstrap ---- */

static int bootstrap_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct kc_ctx *ctx = ud;
    bool installed = false;
    int rc = kc_step_bootstrap(ctx, h, &installed, err);
    if (rc == 0)
        kc_report(ctx, h->name, "docker", installed ? "installed" : "present", NULL);
    else /* every host gets a result line, the failed ones too */
        kc_report(ctx, h->name, "docker", kc_outcome_of(rc),
                  rc == KC_EINTERRUPTED ? NULL : err->msg);
    return rc;
}

int kc_server_bootstrap(struct kc_ctx *ctx, struct kc_err *err)
{
    int rc = kc_verb_each_host(ctx, &ctx->hosts, bootstrap_host, ctx, err);
    if (rc == 0)
        rc = kc_hook_run(ctx, "docker-setup", NULL, false, err);
    return rc;
}
