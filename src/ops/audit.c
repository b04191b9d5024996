/* audit.c - `audit`: the tail of each selected host's audit log (the lines
 * are written by kc_step_audit). */
#include "kamal-c/commands.h"
#include "kamal-c/ops.h"
#include "kamal-c/ops_host.h"

static int audit_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct kc_ctx *ctx = ud;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_audit_reveal(&c, ctx->cfg);
    int rc = kc_remote_run(h, &c, KC_PROBE, &res, err);
    if (rc == 0)
        kc_out_block(ctx->out, "Host", h->name,
                     res.status == 0 ? kc_buf_str(&res.out) : "(no audit log yet)\n");
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

int kc_audit_show(struct kc_ctx *ctx, struct kc_err *err)
{
    ctx->out->keep_headers = ctx->hosts.n > 1; /* -q: which host's log is which */
    return kc_verb_each_host(ctx, &ctx->hosts, audit_host, ctx, err);
}
