/* cmd_registry.c - `registry login|logout` (-L/--skip-local, -R/--skip-remote):
 * options; the work is in ops/registry.c. */
#include "kamal-c/ops_host.h"
#include "verbs.h"

static void request_from(const struct kc_args *args, struct kc_registry_request *req)
{
    req->skip_local = kc_args_flag(args, "skip-local");
    req->skip_remote = kc_args_flag(args, "skip-remote");
}

static int login_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    struct kc_registry_request req;
    request_from(args, &req);
    return kc_registry_login(ctx, &req, err);
}

static int logout_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    struct kc_registry_request req;
    request_from(args, &req);
    return kc_registry_logout(ctx, &req, err);
}

static const struct kc_opt registry_opts[] = {
    {"skip-local", 'L', false, NULL, "skip the local machine"},
    {"skip-remote", 'R', false, NULL, "skip the servers"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_verb registry_login = {
    .name = "login",
    .summary = "Log in to the registry locally and on the servers",
    .max_args = 0,
    .opts = registry_opts,
    .flags = KC_V_CONFIG | KC_V_HOSTS | KC_V_MUTATES,
    .exec = login_exec,
    .help = "Runs docker login with the password on stdin (never on a command line).",
};

static const struct kc_verb registry_logout = {
    .name = "logout",
    .summary = "Log out of the registry locally and on the servers",
    .max_args = 0,
    .opts = registry_opts,
    .flags = KC_V_CONFIG | KC_V_HOSTS | KC_V_MUTATES,
    .exec = logout_exec,
};

static const struct kc_verb *const registry_subs[] = {&registry_login, &registry_logout, NULL};

const struct kc_verb kc_verb_registry = {
    .name = "registry",
    .summary = "Log in and out of the image registry",
    .subs = registry_subs,
};
