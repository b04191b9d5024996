/* cmd_build.c - `build push|pull|deliver|details|create|remove|dev`:
 * options; the work is in ops/build_*.c. */
#include "kamal-c/ops_build.h"
#include "verbs.h"

#include <string.h>

/* Builds print docker's output: the secrets files are read first, so any
 * value of theirs is redacted from it. */
#define BUILD_FLAGS (KC_V_CONFIG | KC_V_HOSTS | KC_V_MUTATES | KC_V_SECRETS | KC_V_FINISHED)

static void request_from(const struct kc_args *args, struct kc_build_request *req)
{
    memset(req, 0, sizeof *req);
    req->no_cache = kc_args_flag(args, "no-cache");
}

#define VERB_FN(fn, impl)                                                                          \
    static int fn(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)              \
    {                                                                                              \
        struct kc_build_request req;                                                               \
        request_from(args, &req);                                                                  \
        return impl(ctx, &req, err);                                                               \
    }

VERB_FN(push_exec, kc_build_push)
VERB_FN(pull_exec, kc_build_pull)
VERB_FN(deliver_exec, kc_build_deliver)
VERB_FN(details_exec, kc_build_details)
VERB_FN(create_exec, kc_build_create)
VERB_FN(remove_exec, kc_build_remove)
VERB_FN(dev_exec, kc_build_dev)

static const struct kc_opt build_opts[] = {
    {"no-cache", 0, false, NULL, "build without docker's build cache"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_verb build_push = {
    .name = "push",
    .summary = "Build the app image and push it to the registry",
    .max_args = 0,
    .opts = build_opts,
    .flags = BUILD_FLAGS,
    .exec = push_exec,
    .help = "The version is --version, else $VERSION, else git HEAD's sha. By default the "
            "build uses a clean clone of HEAD under $TMPDIR/kamal-clones (uncommitted changes "
            "are listed and left out); with builder.context the working tree is built and a "
            "dirty tree adds _uncommitted_<hex> to the version. The image is tagged "
            "IMAGE:VERSION and IMAGE:latest[-DEST] and labelled service=SERVICE. Without "
            "docker buildx it runs docker build and docker push; a remote builder "
            "(builder.remote ssh://, local: false) gets the context over SSH.",
};

static const struct kc_verb build_pull = {
    .name = "pull",
    .summary = "Pull the app image on the app hosts",
    .max_args = 0,
    .flags = KC_V_CONFIG | KC_V_HOSTS | KC_V_MUTATES,
    .exec = pull_exec,
    .help = "On every selected app host in parallel: docker login (password on stdin), "
            "docker pull IMAGE:VERSION unless the host has it already (version tags are taken "
            "as immutable), the service label check, the audit line.",
};

static const struct kc_verb build_deliver = {
    .name = "deliver",
    .summary = "Build and push the app image, then pull it on the app hosts",
    .max_args = 0,
    .opts = build_opts,
    .flags = BUILD_FLAGS,
    .exec = deliver_exec,
};

static const struct kc_verb build_details = {
    .name = "details",
    .summary = "Show which builder is used",
    .max_args = 0,
    .flags = KC_V_CONFIG,
    .exec = details_exec,
};

static const struct kc_verb build_create = {
    .name = "create",
    .summary = "Create the buildx builder (nothing to do without buildx)",
    .max_args = 0,
    .flags = KC_V_CONFIG | KC_V_MUTATES,
    .exec = create_exec,
};

static const struct kc_verb build_remove = {
    .name = "remove",
    .summary = "Remove the buildx builder (nothing to do without buildx)",
    .max_args = 0,
    .flags = KC_V_CONFIG | KC_V_MUTATES,
    .exec = remove_exec,
};

static const struct kc_verb build_dev = {
    .name = "dev",
    .summary = "Build the working tree as IMAGE:VERSION-dirty, not pushed",
    .max_args = 0,
    .opts = build_opts,
    .flags = BUILD_FLAGS,
    .exec = dev_exec,
    .help = "Tags IMAGE:VERSION-dirty and IMAGE:latest[-DEST]-dirty in the builder's image "
            "store, and lists the files git has as modified or untracked.",
};

static const struct kc_verb *const build_subs[] = {
    &build_deliver, &build_push,   &build_pull, &build_create,
    &build_remove,  &build_details, &build_dev,  NULL,
};

const struct kc_verb kc_verb_build = {
    .name = "build",
    .summary = "Build the app image, push it, pull it on the hosts",
    .subs = build_subs,
};
