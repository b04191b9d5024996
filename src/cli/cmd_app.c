/* cmd_app.c - `app boot|start|stop|details|containers|stale_containers|
 * images|version|logs|exec|remove|maintenance|live`: options and operands;
 * the work is in ops/app_*.c. */
#include "kamal-c/ops_app.h"
#include "verbs.h"

#include <stdlib.h>
#include <string.h>

#define APP_FLAGS (KC_V_CONFIG | KC_V_HOSTS)
/* Mutating verbs take the lock themselves: the convergent ones only when a
 * host needs a change. */
#define APP_MUTATING (APP_FLAGS | KC_V_MUTATES | KC_V_LOCK | KC_V_FINISHED)

static int request_from(const struct kc_args *args, struct kc_app_request *req,
                        struct kc_err *err)
{
    memset(req, 0, sizeof *req);
    req->fail_on_drift = kc_args_flag(args, "fail-on-drift");
    req->stop = kc_args_flag(args, "stop");
    req->logs.since = kc_args_value(args, "since");
    req->logs.lines = kc_args_value(args, "lines");
    req->logs.grep = kc_args_value(args, "grep");
    req->logs.grep_options = kc_args_value(args, "grep-options");
    req->logs.follow = kc_args_flag(args, "follow");
    req->logs.timestamps = !kc_args_flag(args, "skip-timestamps");
    req->container_id = kc_args_value(args, "container-id");
    req->interactive = kc_args_flag(args, "interactive");
    req->reuse = kc_args_flag(args, "reuse");
    req->detach = kc_args_flag(args, "detach");
    req->raw = kc_args_flag(args, "raw");
    req->message = kc_args_value(args, "message");
    req->drain_timeout = -1;
    const char *drain = kc_args_value(args, "drain-timeout");
    if (drain && (!kc_parse_long(drain, &req->drain_timeout) || req->drain_timeout < 0))
        return kc_err_set(err, KC_EUSAGE, "--drain-timeout: '%s' is not a number of seconds",
                          drain);
    const char *env = kc_args_value(args, "env");
    if (env) {
        struct kc_strvec pairs = KC_STRVEC_INIT;
        kc_strvec_split(&pairs, env, " ");
        int rc = 0;
        for (size_t i = 0; rc == 0 && i < pairs.n; i++) {
            char *colon = strchr(pairs.v[i], ':');
            if (colon == NULL || colon == pairs.v[i])
                rc = kc_err_set(err, KC_EUSAGE, "-e/--env: '%s' is not KEY:VALUE", pairs.v[i]);
            else {
                *colon = '\0';
                kc_kvlist_set(&req->env, pairs.v[i], colon + 1);
            }
        }
        kc_strvec_release(&pairs);
        return rc;
    }
    return 0;
}

#define VERB_FN(fn, impl)                                                                          \
    static int fn(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)              \
    {                                                                                              \
        struct kc_app_request req;                                                                 \
        int rc = request_from(args, &req, err);                                                    \
        if (rc == 0)                                                                               \
            rc = impl(ctx, &req, err);                                                             \
        kc_kvlist_release(&req.env);                                                               \
        return rc;                                                                                 \
    }

VERB_FN(boot_exec, kc_app_boot)
VERB_FN(start_exec, kc_app_start)
VERB_FN(stop_exec, kc_app_stop)
VERB_FN(details_exec, kc_app_details)
VERB_FN(containers_exec, kc_app_containers)
VERB_FN(stale_exec, kc_app_stale_containers)
VERB_FN(images_exec, kc_app_images)
VERB_FN(version_exec, kc_app_version_verb)
VERB_FN(remove_exec, kc_app_remove)
VERB_FN(maintenance_exec, kc_app_maintenance)
VERB_FN(live_exec, kc_app_live)

static int logs_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    struct kc_app_request req;
    int rc = request_from(args, &req, err);
    ctx->interrupt_ok = req.logs.follow; /* following ends with Ctrl-C */
    if (rc == 0)
        rc = kc_app_logs(ctx, &req, err);
    kc_kvlist_release(&req.env);
    return rc;
}

static int exec_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    struct kc_app_request req;
    int rc = request_from(args, &req, err);
    char *command = kc_strvec_join(&args->pos, " ");
    req.command = command;
    if (rc == 0)
        rc = kc_app_exec(ctx, &req, err);
    free(command);
    kc_kvlist_release(&req.env);
    return rc;
}

static const struct kc_opt boot_opts[] = {
    {"fail-on-drift", 0, false, NULL, "accepted for symmetry with proxy boot (app boot applies "
                                      "differences itself)"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_opt stale_opts[] = {
    {"stop", 's', false, NULL, "stop the stale containers found"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_opt logs_opts[] = {
    {"since", 's', true, "TIME", "show logs since a timestamp (2013-01-02T13:23:37Z) or 42m"},
    {"lines", 'n', true, "N", "number of lines to show from each host (default 100)"},
    {"grep", 'g', true, "PATTERN", "show only lines matching PATTERN"},
    {"grep-options", 0, true, "OPTIONS", "extra options for grep"},
    {"follow", 'f', false, NULL, "follow the logs on every selected host"},
    {"skip-timestamps", 'T', false, NULL, "leave out timestamps"},
    {"container-id", 0, true, "ID", "the container to show (default: the one serving)"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_opt exec_opts[] = {
    {"interactive", 'i', false, NULL, "run interactively (a terminal) on the first host"},
    {"reuse", 0, false, NULL, "run in the running container instead of a new one"},
    {"detach", 0, false, NULL, "start the new container and return at once"},
    {"env", 'e', true, "'KEY:VALUE ...'", "extra environment for the command"},
    {"raw", 0, false, NULL, "print the output as is, without host headers"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_opt maintenance_opts[] = {
    {"drain-timeout", 0, true, "SECONDS", "how long requests in flight may take (default "
                                          "drain_timeout)"},
    {"message", 0, true, "TEXT", "the message shown to visitors"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_verb app_boot = {
    .name = "boot",
    .summary = "Boot the app on servers (or reboot it); skip what already serves",
    .opts = boot_opts,
    .flags = APP_MUTATING | KC_V_SECRETS,
    .exec = boot_exec,
    .help = "Boots --version (else $VERSION, else the latest[-DEST] tag) on every host of the\n"
            "selected roles, the primary role first. A host where that image already serves,\n"
            "healthy (as kamal-proxy's live target for proxied roles), with the same\n"
            "configuration, is left alone (unchanged, no lock). Otherwise a new container is\n"
            "switched in through kamal-proxy (zero downtime) or, for roles without the\n"
            "proxy, judged by its health check or readiness_delay, and the old one is\n"
            "stopped; a failing new container is removed and the old one keeps serving.\n"
            "boot.limit boots the hosts in groups, pre-app-boot and post-app-boot around\n"
            "each, boot.wait seconds apart; a failing group stops the later ones.",
};

static const struct kc_verb app_start = {
    .name = "start",
    .summary = "Start the app's container and route to it; skip a serving one",
    .flags = APP_MUTATING | KC_V_SECRETS,
    .exec = start_exec,
};

static const struct kc_verb app_stop = {
    .name = "stop",
    .summary = "Remove the app from kamal-proxy and stop its container",
    .flags = APP_MUTATING,
    .exec = stop_exec,
};

static const struct kc_verb app_details = {
    .name = "details",
    .summary = "Show details about the app's containers",
    .flags = APP_FLAGS,
    .exec = details_exec,
};

static const struct kc_verb app_containers = {
    .name = "containers",
    .summary = "Show the app's containers on servers",
    .flags = APP_FLAGS,
    .exec = containers_exec,
};

static const struct kc_verb app_stale = {
    .name = "stale_containers",
    .summary = "Find (and with --stop stop) running app containers that do not serve",
    .opts = stale_opts,
    .flags = APP_FLAGS | KC_V_MUTATES | KC_V_LOCK,
    .exec = stale_exec,
};

static const struct kc_verb app_images = {
    .name = "images",
    .summary = "Show the app's images on servers",
    .flags = APP_FLAGS,
    .exec = images_exec,
};

static const struct kc_verb app_version = {
    .name = "version",
    .summary = "Show the app version running on servers",
    .flags = APP_FLAGS,
    .exec = version_exec,
};

static const struct kc_verb app_logs = {
    .name = "logs",
    .summary = "Show log lines from the app on servers",
    .opts = logs_opts,
    .flags = APP_FLAGS | KC_V_SECRETS,
    .exec = logs_exec,
    .help = "With -f, follows the serving container on every selected host, lines prefixed\n"
            "by host, until Ctrl-C.",
};

static const struct kc_verb app_exec = {
    .name = "exec",
    .summary = "Run a command in a new (or, with --reuse, the running) app container",
    .usage = "CMD...",
    .min_args = 1,
    .max_args = -1,
    .opts = exec_opts,
    .flags = APP_FLAGS | KC_V_MUTATES | KC_V_PASSTHROUGH | KC_V_SECRETS,
    .passthrough_at = 0,
    .exec = exec_exec,
    .help = "The command is handed to the host's shell as written, like Kamal does. A host\n"
            "never deployed to works: the env file is written first.",
};

static const struct kc_verb app_remove = {
    .name = "remove",
    .summary = "Remove the app: route, containers, images and directories",
    .flags = APP_MUTATING,
    .exec = remove_exec,
};

static const struct kc_verb app_maintenance = {
    .name = "maintenance",
    .summary = "Put the app in maintenance mode (kamal-proxy answers with 503)",
    .opts = maintenance_opts,
    .flags = APP_MUTATING,
    .exec = maintenance_exec,
};

static const struct kc_verb app_live = {
    .name = "live",
    .summary = "Take the app out of maintenance mode",
    .flags = APP_MUTATING,
    .exec = live_exec,
};

static const struct kc_verb *const app_subs[] = {
    &app_boot,   &app_start, &app_stop,   &app_details,     &app_containers,
    &app_stale,  &app_images, &app_version, &app_logs,       &app_exec,
    &app_remove, &app_maintenance, &app_live, NULL,
};

const struct kc_verb kc_verb_app = {
    .name = "app",
    .summary = "Manage the application",
    .subs = app_subs,
};
