/* deploy.c - `deploy`, `redeploy`, `setup` and `rollback` (Kamal §5.1, §5.2).
 *
 * One probe per app host (kc_app_boot_plan) decides whether there is
 * anything to do: when every host and role already runs the version, live in
 * the proxy, with the same configuration, and no stale container runs beside
 * it, there is nothing to deploy: no lock, no hook but pre-connect, exit 0.
 * With -P (and for rollback) that probe comes first, so a no-op is one command
 * per host; without -P it follows `build deliver`. The image step is outside
 * the lock (-P: `build pull`, which pulls only where IMG:VERSION is missing).
 * Otherwise,
 * under the lock: pre-deploy, proxy boot, (setup) accessory boot all, stale
 * containers stopped, app boot (boot.limit groups, each between pre-app-boot
 * and post-app-boot), prune all; the
 * lock released; post-deploy with KAMAL_RUNTIME. Each step is the verb's own
 * convergent function. An unreachable host is reported and the others carry
 * on (exit 4); a host whose new version fails keeps the old one (exit 1). */
#include "deploy_int.h"
#include "kamal-c/ops.h"
#include "kamal-c/ops_accessory.h"
#include "kamal-c/ops_app.h"
#include "kamal-c/ops_build.h"
#include "kamal-c/ops_host.h"
#include "kamal-c/ops_proxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Folds one step's result into the run's; true when the run goes on (an
 * unreachable host does not stop the others). */
static bool fold(int rc, struct kc_err *one, int *worst, struct kc_err *err)
{
    if (rc && *worst == 0)
        kc_err_move(err, one);
    kc_err_release(one);
    *worst = kc_code_worst(*worst, rc);
    return rc == 0 || rc == KC_EUNREACHABLE;
}

/* The steps under the lock, up to prune. */
static int locked_steps(struct kc_ctx *ctx, const struct kc_deploy_request *req, bool stale,
                        int *worst, struct kc_err *err)
{
    struct kc_err one = KC_ERR_INIT;
    enum kc_deploy_mode m = req->mode;
    if (!fold(kc_hook_run(ctx, "pre-deploy", NULL, true, &one), &one, worst, err))
        return *worst;
    if (m == KC_DEPLOY || m == KC_SETUP) {
        struct kc_proxy_request preq;
        memset(&preq, 0, sizeof preq);
        if (!fold(kc_proxy_boot(ctx, &preq, &one), &one, worst, err))
            return *worst;
    }
    if (m == KC_SETUP && ctx->cfg->naccessories) {
        struct kc_acc_request acc;
        memset(&acc, 0, sizeof acc);
        acc.name = "all";
        acc.allow_all = true;
        if (!fold(kc_accessory_boot(ctx, &acc, &one), &one, worst, err))
            return *worst;
    }
    struct kc_app_request areq;
    memset(&areq, 0, sizeof areq);
    areq.stop = true;
    /* the probe found none: no need to look again (a run that started one
     * since would have held the lock) */
    if (m != KC_ROLLBACK && stale &&
        !fold(kc_app_stale_containers(ctx, &areq, &one), &one, worst, err))
        return *worst;
    /* app boot runs pre-app-boot / post-app-boot around each boot group and
     * says which host runs which version when a group fails */
    if (!fold(kc_app_boot(ctx, &areq, &one), &one, worst, err))
        return *worst;
    if (m == KC_DEPLOY || m == KC_SETUP) {
        struct kc_deploy_request preq = *req;
        preq.prune = KC_PRUNE_ALL;
        preq.retain = -1;
        fold(kc_prune(ctx, &preq, &one), &one, worst, err);
    }
    return *worst;
}

/* The image on the hosts, outside the lock (setup: under it). */
static int deliver(struct kc_ctx *ctx, const struct kc_deploy_request *req, bool have_image,
                   int *worst, struct kc_err *err)
{
    struct kc_build_request breq = {req->no_cache};
    struct kc_err one = KC_ERR_INIT;
    int rc;
    if (req->skip_push && have_image) { /* the probe saw it, labelled, on every host */
        kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "Pull app image... every host has it");
        return 0;
    }
    if (req->skip_push) {
        kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "Pull app image...");
        rc = kc_build_pull(ctx, &breq, &one);
    } else {
        kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "Build and push app image...");
        rc = kc_build_deliver(ctx, &breq, &one);
    }
    fold(rc, &one, worst, err);
    return rc == 0 || rc == KC_EUNREACHABLE ? 0 : rc;
}

/* The one probe per host; true (and said) when every host and role already
 * runs the version, live, with the same configuration, and no stale container
 * runs beside it. */
static bool nothing_to_deploy(struct kc_ctx *ctx, struct kc_app_plan *plan)
{
    struct kc_err ignored = KC_ERR_INIT;
    int rc = kc_app_boot_plan(ctx, plan, &ignored);
    kc_err_release(&ignored);
    if (rc || plan->change)
        return false;
    kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "nothing to deploy: every host runs %s",
               ctx->g.version);
    return true;
}

static int run_flow(struct kc_ctx *ctx, const struct kc_deploy_request *req, double t0,
                    struct kc_err *err)
{
    int worst = 0;
    struct kc_err one = KC_ERR_INIT;
    if (req->mode == KC_SETUP) {
        kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "Ensure Docker is installed...");
        if (!fold(kc_server_bootstrap(ctx, &one), &one, &worst, err))
            return worst;
    }
    /* With -P (and for rollback) the plan comes first: a host that runs the
     * version has its image, so a no-op is one probe per host. */
    struct kc_app_plan plan = {true, true, false};
    bool plan_first = req->mode == KC_ROLLBACK || (req->mode != KC_SETUP && req->skip_push);
    if (plan_first && nothing_to_deploy(ctx, &plan))
        return 0;
    if (req->mode != KC_ROLLBACK && deliver(ctx, req, plan.have_image, &worst, err))
        return worst;
    if (req->mode != KC_SETUP && !plan_first && worst == 0 && nothing_to_deploy(ctx, &plan))
        return 0;
    int lrc = kc_lock_take(ctx, NULL, &one);
    if (lrc) {
        kc_err_release(err);
        kc_err_move(err, &one);
        kc_err_release(&one);
        if (lrc == KC_EUNREACHABLE)
            kc_err_prefix(err, "nothing was changed: the deploy lock's host (the primary) is "
                               "unreachable");
        return lrc;
    }
    locked_steps(ctx, req, plan.stale, &worst, err);
    if (req->mode != KC_SETUP && !fold(kc_lock_drop(ctx, &one), &one, &worst, err))
        return worst;
    if (worst != 0 && worst != KC_EUNREACHABLE)
        return worst;
    char runtime[32];
    snprintf(runtime, sizeof runtime, "%.0f", kc_now() - t0);
    struct kc_kvlist extra = KC_KVLIST_INIT;
    kc_kvlist_set(&extra, "KAMAL_RUNTIME", runtime);
    fold(kc_hook_run(ctx, "post-deploy", &extra, true, &one), &one, &worst, err);
    kc_kvlist_release(&extra);
    return worst;
}

int kc_deploy(struct kc_ctx *ctx, const struct kc_deploy_request *req, struct kc_err *err)
{
    double t0 = kc_now();
    char *version = NULL;
    int rc = req->mode == KC_ROLLBACK ? kc_rollback_pick(ctx, req->version, &version, err)
                                      : kc_version_resolve(ctx, &version, err);
    if (rc) {
        free(version);
        return rc;
    }
    const char *saved = ctx->g.version;
    ctx->g.version = version;
    if (req->mode == KC_ROLLBACK)
        kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "Rolling back to %s", version);
    rc = run_flow(ctx, req, t0, err);
    ctx->g.version = saved;
    free(version);
    return rc;
}
