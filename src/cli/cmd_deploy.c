/* cmd_deploy.c - `deploy`, `redeploy`, `setup`, `rollback`, `prune`,
 * `remove`, `details`: options and operands; the work is in
 * ops/deploy*.c and ops/prune.c. */
#include "kamal-c/ops_deploy.h"
#include "verbs.h"

#include <string.h>

#define DEPLOY_FLAGS                                                                               \
    (KC_V_CONFIG | KC_V_HOSTS | KC_V_MUTATES | KC_V_LOCK | KC_V_SECRETS | KC_V_FINISHED)

static int request_from(const struct kc_args *args, enum kc_deploy_mode mode,
                        struct kc_deploy_request *req, struct kc_err *err)
{
    memset(req, 0, sizeof *req);
    req->mode = mode;
    req->skip_push = kc_args_flag(args, "skip-push");
    req->no_cache = kc_args_flag(args, "no-cache");
    req->confirmed = kc_args_flag(args, "confirmed");
    req->version = args->pos.n ? args->pos.v[0] : NULL;
    req->retain = -1;
    const char *retain = kc_args_value(args, "retain");
    if (retain && (!kc_parse_long(retain, &req->retain) || req->retain < 1))
        return kc_err_set(err, KC_EUSAGE, "retain must be at least 1");
    return 0;
}

#define DEPLOY_FN(fn, mode)                                                                        \
    static int fn(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)              \
    {                                                                                              \
        struct kc_deploy_request req;                                                              \
        int rc = request_from(args, mode, &req, err);                                              \
        return rc ? rc : kc_deploy(ctx, &req, err);                                                \
    }

DEPLOY_FN(deploy_exec, KC_DEPLOY)
DEPLOY_FN(redeploy_exec, KC_REDEPLOY)
DEPLOY_FN(setup_exec, KC_SETUP)
DEPLOY_FN(rollback_exec, KC_ROLLBACK)

#define PRUNE_FN(fn, what)                                                                         \
    static int fn(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)              \
    {                                                                                              \
        struct kc_deploy_request req;                                                              \
        int rc = request_from(args, KC_DEPLOY, &req, err);                                         \
        req.prune = what;                                                                          \
        return rc ? rc : kc_prune(ctx, &req, err);                                                 \
    }

PRUNE_FN(prune_all_exec, KC_PRUNE_ALL)
PRUNE_FN(prune_images_exec, KC_PRUNE_IMAGES)
PRUNE_FN(prune_containers_exec, KC_PRUNE_CONTAINERS)

static int remove_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    struct kc_deploy_request req;
    int rc = request_from(args, KC_DEPLOY, &req, err);
    return rc ? rc : kc_deploy_remove(ctx, &req, err);
}

static int details_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    struct kc_deploy_request req;
    int rc = request_from(args, KC_DEPLOY, &req, err);
    return rc ? rc : kc_deploy_details(ctx, &req, err);
}

static const struct kc_opt deploy_opts[] = {
    {"skip-push", 'P', false, NULL, "build and push nothing: hosts without IMAGE:VERSION pull it"},
    {"no-cache", 0, false, NULL, "build without docker's build cache"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_opt retain_opts[] = {
    {"retain", 0, true, "N", "stopped containers to keep per host (default retain_containers, 5)"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_opt remove_opts[] = {
    {"confirmed", 'y', false, NULL, "do not ask for confirmation"},
    {NULL, 0, false, NULL, NULL},
};

const struct kc_verb kc_verb_deploy = {
    .name = "deploy",
    .summary = "Deploy the app: build, push, then boot it on every host through kamal-proxy",
    .max_args = 0,
    .opts = deploy_opts,
    .flags = DEPLOY_FLAGS,
    .exec = deploy_exec,
    .help = "Without -P: build deliver (build, push, pull on the app hosts); with -P the hosts "
            "that lack IMAGE:VERSION pull it. Both outside the deploy lock. When every host "
            "already runs the version (same image, same configuration, live in kamal-proxy) "
            "there is nothing to deploy: no lock, no hooks but pre-connect. Otherwise, under "
            "the lock: pre-deploy, proxy boot, stale containers stopped, app boot, prune all; "
            "then the lock is released and post-deploy runs. A host whose new version fails "
            "its health check keeps serving the old one (exit 1); an unreachable host is "
            "reported and the others deploy (exit 4).",
};

const struct kc_verb kc_verb_redeploy = {
    .name = "redeploy",
    .summary = "Deploy the app without booting the proxy and without pruning",
    .max_args = 0,
    .opts = deploy_opts,
    .flags = DEPLOY_FLAGS,
    .exec = redeploy_exec,
};

const struct kc_verb kc_verb_setup = {
    .name = "setup",
    .summary = "Check Docker on the hosts, boot the accessories and deploy, under the lock",
    .max_args = 0,
    .opts = deploy_opts,
    .flags = DEPLOY_FLAGS | KC_V_LOCK_UPFRONT,
    .exec = setup_exec,
};

const struct kc_verb kc_verb_rollback = {
    .name = "rollback",
    .summary = "Boot a previous version of the app again",
    .usage = "[VERSION]",
    .max_args = 1,
    .flags = DEPLOY_FLAGS,
    .exec = rollback_exec,
    .help = "VERSION must exist as a container on every selected host and role (else exit 1, "
            "naming the hosts). Without VERSION: the newest stopped version present on all of "
            "them, printed first. Rolling back to the running version is unchanged.",
};

static const struct kc_verb prune_all = {
    .name = "all",
    .summary = "Prune old stopped containers, then unused images",
    .opts = retain_opts,
    .flags = DEPLOY_FLAGS,
    .exec = prune_all_exec,
};

static const struct kc_verb prune_images = {
    .name = "images",
    .summary = "Prune the service's images no container uses (never the latest tag)",
    .flags = DEPLOY_FLAGS,
    .exec = prune_images_exec,
};

static const struct kc_verb prune_containers = {
    .name = "containers",
    .summary = "Prune stopped containers of the service past the newest N",
    .opts = retain_opts,
    .flags = DEPLOY_FLAGS,
    .exec = prune_containers_exec,
};

static const struct kc_verb *const prune_subs[] = {&prune_all, &prune_images, &prune_containers,
                                                   NULL};

const struct kc_verb kc_verb_prune = {
    .name = "prune",
    .summary = "Prune old application images and containers",
    .subs = prune_subs,
};

const struct kc_verb kc_verb_remove = {
    .name = "remove",
    .summary = "Remove the app, kamal-proxy and the accessories from the hosts, log them out",
    .max_args = 0,
    .opts = remove_opts,
    .flags = (DEPLOY_FLAGS) & ~KC_V_SECRETS,
    .exec = remove_exec,
};

const struct kc_verb kc_verb_details = {
    .name = "details",
    .summary = "Show details about all containers: proxy, app and accessories",
    .max_args = 0,
    .flags = KC_V_CONFIG | KC_V_HOSTS,
    .exec = details_exec,
};
