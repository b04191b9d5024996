/* ops_build.h - `kamal-c build push|pull|deliver|details|create|remove|dev`
 * (Kamal §1.5, §4.6), and the app version every app verb shares.
 *
 * push: the version (kc_version_resolve), a clean clone of HEAD under
 * $TMPDIR/kamal-clones (or the working tree with builder.context), the
 * pre-build hook, then one build tagged IMG:VERSION and IMG:latest[-DEST]
 * and labelled service=SVC, pushed to the registry. Where `docker buildx`
 * exists it builds as Kamal does; where it does not, with `docker build` and
 * `docker push` (what needs buildx is refused, exit 3, naming the key). A
 * remote builder (builder.remote ssh://, local: false) gets the build
 * context as a tar on stdin over the SSH session and builds and pushes there.
 * pull: on every selected app host in parallel: login, pull (skipped when
 * IMG:VERSION is there), the service label check, the audit line. None of
 * these take the deploy lock. */
#ifndef KAMAL_C_OPS_BUILD_H
#define KAMAL_C_OPS_BUILD_H

#include "ctx.h"

struct kc_build_request {
    bool no_cache; /* --no-cache */
};

int kc_build_push(struct kc_ctx *ctx, const struct kc_build_request *req, struct kc_err *err);
int kc_build_pull(struct kc_ctx *ctx, const struct kc_build_request *req, struct kc_err *err);
int kc_build_deliver(struct kc_ctx *ctx, const struct kc_build_request *req, struct kc_err *err);
int kc_build_details(struct kc_ctx *ctx, const struct kc_build_request *req, struct kc_err *err);
int kc_build_create(struct kc_ctx *ctx, const struct kc_build_request *req, struct kc_err *err);
int kc_build_remove(struct kc_ctx *ctx, const struct kc_build_request *req, struct kc_err *err);
int kc_build_dev(struct kc_ctx *ctx, const struct kc_build_request *req, struct kc_err *err);

/* The app version (Kamal's): --version, else $VERSION, else git HEAD's sha,
 * with _uncommitted_<hex> when builder.context builds a dirty tree (git runs
 * in the working directory). No git and no version is KC_ECONFIG. *version
 * is the caller's to free. */
int kc_version_resolve(struct kc_ctx *ctx, char **version, struct kc_err *err);

/* The selected hosts that run an app role (accessory-only hosts left out),
 * in selection order. Caller releases. */
void kc_ctx_app_hosts(const struct kc_ctx *ctx, struct kc_strvec *out);

#endif
