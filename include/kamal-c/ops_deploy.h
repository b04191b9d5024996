/* ops_deploy.h - `deploy`, `redeploy`, `setup`, `rollback`, `prune`,
 * `remove` and `details` (Kamal §1.2, §1.8, §5): the flows that tie build,
 * proxy, app and accessories together. They call the verbs' own functions
 * (kc_build_*, kc_proxy_boot, kc_app_boot, kc_accessory_boot), so every step
 * stays convergent: a host that needs nothing is `unchanged`. */
#ifndef KAMAL_C_OPS_DEPLOY_H
#define KAMAL_C_OPS_DEPLOY_H

#include "ctx.h"

enum kc_deploy_mode { KC_DEPLOY, KC_REDEPLOY, KC_SETUP, KC_ROLLBACK };

enum kc_prune_what { KC_PRUNE_ALL, KC_PRUNE_IMAGES, KC_PRUNE_CONTAINERS };

struct kc_deploy_request {
    enum kc_deploy_mode mode;
    bool skip_push; /* -P: pull where IMG:VERSION is missing, build nothing */
    bool no_cache;
    bool confirmed; /* remove -y */
    const char *version; /* rollback VERSION (NULL: pick one) */
    enum kc_prune_what prune;
    long retain; /* prune containers --retain; -1: retain_containers */
};

/* deploy, redeploy, setup, rollback: see docs/deploy.md. */
int kc_deploy(struct kc_ctx *ctx, const struct kc_deploy_request *req, struct kc_err *err);
/* Converges on the selected hosts: stopped containers of the service past the
 * newest `retain`, then the service's images no container uses (never the
 * latest tag). A host with nothing to prune takes no lock. */
int kc_prune(struct kc_ctx *ctx, const struct kc_deploy_request *req, struct kc_err *err);
int kc_deploy_remove(struct kc_ctx *ctx, const struct kc_deploy_request *req,
                     struct kc_err *err);
int kc_deploy_details(struct kc_ctx *ctx, const struct kc_deploy_request *req,
                      struct kc_err *err);

#endif
