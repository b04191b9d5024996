/* deploy_int.h - shared by the deploy orchestration files. */
#ifndef KAMAL_C_OPS_DEPLOY_INT_H
#define KAMAL_C_OPS_DEPLOY_INT_H

#include "kamal-c/ops_deploy.h"

/* rollback's version: version checked on every selected app host and role
 * (a host without the container is KC_EREMOTE naming it), or, when NULL,
 * the newest stopped version present on all of them. *out is the caller's. */
int kc_rollback_pick(struct kc_ctx *ctx, const char *version, char **out, struct kc_err *err);

#endif
