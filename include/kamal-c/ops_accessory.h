/* ops_accessory.h - orchestration of the accessory verbs over hosts.
 *
 * `boot` converges: probe every target host first (one read-only command per
 * host, no lock), decide per host and accessory, take the deploy lock only
 * when something must change, re-probe under the lock, then act on all hosts
 * in parallel. The other verbs act directly. */
#ifndef KAMAL_C_OPS_ACCESSORY_H
#define KAMAL_C_OPS_ACCESSORY_H

#include "accessory.h"
#include "ctx.h"

struct kc_acc_request {
    const char *name; /* NAME, or "all" where the verb accepts it */
    bool allow_all;
    bool fail_on_drift; /* boot: drift exits 6 */
    bool confirmed;     /* remove: -y */
    struct kc_logs_opts logs;
    const char *command; /* exec */
    bool reuse;
    bool interactive;
};

int kc_accessory_boot(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err);
int kc_accessory_reboot(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err);
int kc_accessory_start(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err);
int kc_accessory_stop(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err);
int kc_accessory_restart(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err);
int kc_accessory_details(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err);
int kc_accessory_logs(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err);
int kc_accessory_exec(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err);
int kc_accessory_remove(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err);
int kc_accessory_upload(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err);
int kc_accessory_directories(struct kc_ctx *ctx, const struct kc_acc_request *req,
                             struct kc_err *err);

#endif
