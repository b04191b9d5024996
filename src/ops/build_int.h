/* build_int.h - what the build_*.c files of ops/ share. */
#ifndef KAMAL_C_OPS_BUILD_INT_H
#define KAMAL_C_OPS_BUILD_INT_H

#include "kamal-c/commands_build.h"
#include "kamal-c/local.h"
#include "kamal-c/ops.h"
#include "kamal-c/ops_build.h"
#include "kamal-c/steps.h"

/* One build: decided by kc_bp_setup, filled as it goes. */
struct kc_build_plan {
    char *version;       /* the app version */
    char *tag;           /* IMG:VERSION (dev: IMG:VERSION-dirty) */
    char *latest;        /* IMG:latest[-DEST] (dev: ...-dirty) */
    bool remote;         /* on builder.remote over SSH */
    struct kc_host *rhost;
    char *remote_name;   /* the builder host */
    bool buildx;         /* this machine's docker has buildx */
    char *builder_name;  /* buildx: --builder NAME, or NULL */
    char *build_dir;     /* the build context: the clone, or the working tree's */
    char *dockerfile;    /* --file for a local build */
    char *digest;        /* sha256:... of the pushed image */
    double t_build, t_push;
};

void kc_bp_release(struct kc_build_plan *p);
/* The version, the tags, where the build runs, what it can do (exit 3 for
 * what it cannot). */
int kc_bp_setup(struct kc_ctx *ctx, struct kc_build_plan *p, bool dev, struct kc_err *err);
/* The clean clone (or the working tree) and its Dockerfile. */
int kc_bp_build_dir(struct kc_ctx *ctx, struct kc_build_plan *p, bool dev, struct kc_err *err);
/* Builds (and with push, pushes) on this machine or the remote builder. */
int kc_bp_build(struct kc_ctx *ctx, struct kc_build_plan *p, bool push, bool no_cache,
                struct kc_err *err);

#endif
