/* ops_proxy.h - the `proxy` verbs over the proxy hosts (Kamal §1.7, §4.7).
 *
 * boot, start and stop converge: one probe per host (no lock), a decision
 * per host, the deploy lock only when some host needs a change, a re-probe
 * under it, then the action. boot never replaces a running proxy whose
 * image or options differ from deploy.yml: that is drift (Kamal never
 * reboots the proxy on boot), applied by `proxy reboot`. */
#ifndef KAMAL_C_OPS_PROXY_H
#define KAMAL_C_OPS_PROXY_H

#include "accessory.h" /* struct kc_logs_opts */
#include "ctx.h"
#include "proxy.h"

struct kc_proxy_request {
    bool fail_on_drift; /* boot */
    bool rolling;       /* reboot */
    bool confirmed;     /* reboot: -y */
    bool force;         /* remove */
    bool keep_shared;   /* remove (inside `remove`): other apps installed keep the proxy,
                           reported as kept, not a failure (Kamal goes on too) */
    struct kc_logs_opts logs;
    const char *boot_config; /* set, get or reset */
    struct kc_proxy_boot_opts boot; /* boot_config set */
};

int kc_proxy_boot(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err);
int kc_proxy_reboot(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err);
int kc_proxy_start(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err);
int kc_proxy_stop(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err);
int kc_proxy_restart(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err);
int kc_proxy_details(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err);
int kc_proxy_logs(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err);
int kc_proxy_remove(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err);
int kc_proxy_boot_config(struct kc_ctx *ctx, const struct kc_proxy_request *req,
                         struct kc_err *err);

/* The selected hosts that run kamal-proxy (selection order). */
void kc_proxy_selected_hosts(struct kc_ctx *ctx, struct kc_strvec *out);

#endif
