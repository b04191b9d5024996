/* ops_app.h - the `app` verbs over the hosts of the selected roles (boot,
 * version, stale_containers: all of them; the others: the proxied ones)
 * (Kamal §1.4, §4.8).
 *
 * `app boot` converges: one probe per host (one docker inspect of the wanted
 * containers, the image and kamal-proxy, plus `kamal-proxy list`), a
 * decision per host and role, the deploy lock only when something changes,
 * a re-probe under it, then a zero-downtime switch through kamal-proxy. */
#ifndef KAMAL_C_OPS_APP_H
#define KAMAL_C_OPS_APP_H

#include "accessory.h" /* struct kc_logs_opts */
#include "ctx.h"

struct kc_app_request {
    bool fail_on_drift;
    bool stop;  /* stale_containers --stop */
    struct kc_logs_opts logs;
    const char *container_id; /* logs --container-id */
    const char *command;      /* exec */
    bool interactive, reuse, detach, raw;
    struct kc_kvlist env; /* exec -e KEY:VALUE */
    long drain_timeout;   /* maintenance; -1: drain_timeout */
    const char *message;  /* maintenance */
    bool confirmed;
};

/* The version app verbs boot: --version, else $VERSION, else the
 * configuration's latest tag (latest[-DEST]), as Kamal's `app boot`. */
const char *kc_app_version(const struct kc_ctx *ctx);

int kc_app_boot(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err);
/* What deploy's one probe per host found. */
struct kc_app_plan {
    bool change;    /* false only when every host and role would be `unchanged` and
                       no stale container runs (a host that cannot be probed, or a
                       missing proxy, counts as a change) */
    bool stale;     /* some host runs a container of a role beside the version's */
    bool have_image; /* every host has IMG:VERSION, labelled with the service */
};
/* deploy's check: probes every host of the selected roles and decides as
 * `app boot` would, changing nothing. */
int kc_app_boot_plan(struct kc_ctx *ctx, struct kc_app_plan *plan, struct kc_err *err);
int kc_app_start(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err);
int kc_app_stop(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err);
int kc_app_maintenance(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err);
int kc_app_live(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err);
int kc_app_details(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err);
int kc_app_containers(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err);
int kc_app_images(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err);
int kc_app_version_verb(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err);
int kc_app_stale_containers(struct kc_ctx *ctx, const struct kc_app_request *req,
                            struct kc_err *err);
int kc_app_logs(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err);
int kc_app_exec(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err);
int kc_app_remove(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err);

#endif
