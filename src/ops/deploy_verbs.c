/* deploy_verbs.c - `remove` and `details` (Kamal §1.2, §5.2): the app,
 * proxy and accessory verbs in Kamal's order. */
#include "kamal-c/ops.h"
#include "kamal-c/ops_accessory.h"
#include "kamal-c/ops_app.h"
#include "kamal-c/ops_deploy.h"
#include "kamal-c/ops_host.h"
#include "kamal-c/ops_proxy.h"

#include <string.h>

static bool go_on(int rc, struct kc_err *one, int *worst, struct kc_err *err)
{
    if (rc && *worst == 0)
        kc_err_move(err, one);
    kc_err_release(one);
    *worst = kc_code_worst(*worst, rc);
    return rc == 0 || rc == KC_EUNREACHABLE;
}

int kc_deploy_remove(struct kc_ctx *ctx, const struct kc_deploy_request *req,
                     struct kc_err *err)
{
    if (!req->confirmed && !ctx->g.dry_run) {
        int rc = kc_confirm(ctx,
                            "This will remove all containers and images. Are you sure?", err);
        if (rc)
            return rc;
    }
    int worst = 0;
    struct kc_err one = KC_ERR_INIT;
    int rc = kc_lock_take(ctx, NULL, err);
    if (rc)
        return rc;
    struct kc_app_request areq;
    memset(&areq, 0, sizeof areq);
    areq.confirmed = true;
    if (!go_on(kc_app_remove(ctx, &areq, &one), &one, &worst, err))
        return worst;
    struct kc_proxy_request preq;
    memset(&preq, 0, sizeof preq);
    preq.keep_shared = true; /* another app's proxy stays */
    if (!go_on(kc_proxy_remove(ctx, &preq, &one), &one, &worst, err))
        return worst;
    if (ctx->cfg->naccessories) {
        struct kc_acc_request acc;
        memset(&acc, 0, sizeof acc);
        acc.name = "all";
        acc.allow_all = true;
        acc.confirmed = true;
        if (!go_on(kc_accessory_remove(ctx, &acc, &one), &one, &worst, err))
            return worst;
    }
    struct kc_registry_request rreq = {.skip_local = true, .skip_remote = false};
    go_on(kc_registry_logout(ctx, &rreq, &one), &one, &worst, err);
    return worst;
}

int kc_deploy_details(struct kc_ctx *ctx, const struct kc_deploy_request *req,
                      struct kc_err *err)
{
    (void)req;
    int worst = 0;
    struct kc_err one = KC_ERR_INIT;
    struct kc_proxy_request preq;
    memset(&preq, 0, sizeof preq);
    go_on(kc_proxy_details(ctx, &preq, &one), &one, &worst, err);
    struct kc_app_request areq;
    memset(&areq, 0, sizeof areq);
    go_on(kc_app_details(ctx, &areq, &one), &one, &worst, err);
    if (ctx->cfg->naccessories) {
        struct kc_acc_request acc;
        memset(&acc, 0, sizeof acc);
        acc.name = "all";
        acc.allow_all = true;
        go_on(kc_accessory_details(ctx, &acc, &one), &one, &worst, err);
    }
    return worst;
}
