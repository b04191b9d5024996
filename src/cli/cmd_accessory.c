/* cmd_accessory.c - `accessory boot|reboot|start|stop|restart|details|logs|
 * exec|remove|upload|directories`: options and operands; the work is in
 * ops/accessory_*.c. */
#include "kamal-c/ops_accessory.h"
#include "verbs.h"

#include <stdlib.h>
#include <string.h>

#define ACC_FLAGS (KC_V_CONFIG | KC_V_HOSTS)
/* Mutating verbs take the lock themselves, once their operands are checked
 * and confirmed (an unknown name or a declined prompt never locks). */
#define ACC_MUTATING (ACC_FLAGS | KC_V_MUTATES | KC_V_LOCK | KC_V_FINISHED)

static void request_from(const struct kc_args *args, struct kc_acc_request *req)
{
    memset(req, 0, sizeof *req);
    req->name = args->pos.n ? args->pos.v[0] : "all";
    req->fail_on_drift = kc_args_flag(args, "fail-on-drift");
    req->confirmed = kc_args_flag(args, "confirmed");
    req->reuse = kc_args_flag(args, "reuse");
    req->interactive = kc_args_flag(args, "interactive");
    req->logs.since = kc_args_value(args, "since");
    req->logs.lines = kc_args_value(args, "lines");
    req->logs.grep = kc_args_value(args, "grep");
    req->logs.grep_options = kc_args_value(args, "grep-options");
    req->logs.follow = kc_args_flag(args, "follow");
    req->logs.timestamps = !kc_args_flag(args, "skip-timestamps");
}

#define VERB_FN(fn, impl)                                                                          \
    static int fn(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)              \
    {                                                                                              \
        struct kc_acc_request req;                                                                 \
        request_from(args, &req);                                                                  \
        return impl(ctx, &req, err);                                                               \
    }

VERB_FN(boot_exec, kc_accessory_boot)
VERB_FN(reboot_exec, kc_accessory_reboot)
VERB_FN(start_exec, kc_accessory_start)
VERB_FN(stop_exec, kc_accessory_stop)
VERB_FN(restart_exec, kc_accessory_restart)
VERB_FN(details_exec, kc_accessory_details)
static int logs_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    struct kc_acc_request req;
    request_from(args, &req);
    /* following ends with Ctrl-C: that is the normal end, not an interruption */
    ctx->interrupt_ok = req.logs.follow;
    return kc_accessory_logs(ctx, &req, err);
}
VERB_FN(remove_exec, kc_accessory_remove)
VERB_FN(upload_exec, kc_accessory_upload)
VERB_FN(directories_exec, kc_accessory_directories)

static int exec_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    struct kc_acc_request req;
    request_from(args, &req);
    struct kc_strvec words = KC_STRVEC_INIT;
    for (size_t i = 1; i < args->pos.n; i++)
        kc_strvec_push(&words, args->pos.v[i]);
    char *command = kc_strvec_join(&words, " ");
    req.command = command;
    int rc = kc_accessory_exec(ctx, &req, err);
    free(command);
    kc_strvec_release(&words);
    return rc;
}

static const struct kc_opt boot_opts[] = {
    {"fail-on-drift", 0, false, NULL, "exit 6 when a running accessory differs from deploy.yml"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_opt logs_opts[] = {
    {"since", 's', true, "TIME", "show logs since a timestamp (2013-01-02T13:23:37Z) or 42m"},
    {"lines", 'n', true, "N", "number of lines to show from each host (default 100)"},
    {"grep", 'g', true, "PATTERN", "show only lines matching PATTERN"},
    {"grep-options", 0, true, "OPTIONS", "extra options for grep"},
    {"follow", 'f', false, NULL, "follow the logs on every selected host"},
    {"skip-timestamps", 'T', false, NULL, "leave out timestamps"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_opt exec_opts[] = {
    {"interactive", 'i', false, NULL, "run interactively (a terminal) on the first host"},
    {"reuse", 0, false, NULL, "run in the running container instead of a new one"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_opt remove_opts[] = {
    {"confirmed", 'y', false, NULL, "do not ask for confirmation"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_verb acc_boot = {
    .name = "boot",
    .summary = "Boot new accessories on servers; skip what already runs",
    .usage = "NAME|all",
    .min_args = 1,
    .max_args = 1,
    .opts = boot_opts,
    .flags = ACC_FLAGS | KC_V_MUTATES | KC_V_LOCK | KC_V_FINISHED,
    .exec = boot_exec,
    .help = "Converges each host: a running accessory matching deploy.yml is left alone\n"
            "(unchanged), a stopped one is started, a missing one is booted, and one that\n"
            "differs from deploy.yml is reported as drift (apply with 'accessory reboot').\n"
            "The deploy lock is taken only when some host needs a change.",
};

static const struct kc_verb acc_reboot = {
    .name = "reboot",
    .summary = "Reboot accessories (pull, stop, remove, boot)",
    .usage = "NAME|all",
    .min_args = 1,
    .max_args = 1,
    .flags = ACC_MUTATING,
    .exec = reboot_exec,
};

static const struct kc_verb acc_start = {
    .name = "start",
    .summary = "Start an existing accessory container",
    .usage = "NAME|all",
    .min_args = 1,
    .max_args = 1,
    .flags = ACC_MUTATING,
    .exec = start_exec,
};

static const struct kc_verb acc_stop = {
    .name = "stop",
    .summary = "Stop an accessory container",
    .usage = "NAME|all",
    .min_args = 1,
    .max_args = 1,
    .flags = ACC_MUTATING,
    .exec = stop_exec,
};

static const struct kc_verb acc_restart = {
    .name = "restart",
    .summary = "Restart an accessory container",
    .usage = "NAME|all",
    .min_args = 1,
    .max_args = 1,
    .flags = ACC_MUTATING,
    .exec = restart_exec,
};

static const struct kc_verb acc_details = {
    .name = "details",
    .summary = "Show details about accessories",
    .usage = "NAME|all",
    .min_args = 1,
    .max_args = 1,
    .flags = ACC_FLAGS | KC_V_SECRETS,
    .exec = details_exec,
};

static const struct kc_verb acc_logs = {
    .name = "logs",
    .summary = "Show log lines from an accessory",
    .usage = "NAME",
    .min_args = 1,
    .max_args = 1,
    .opts = logs_opts,
    .flags = ACC_FLAGS | KC_V_SECRETS,
    .exec = logs_exec,
    .help = "With -f, follows the accessory on every selected host, lines prefixed by host,\n"
            "until Ctrl-C.",
};

static const struct kc_verb acc_exec = {
    .name = "exec",
    .summary = "Run a command in a new (or, with --reuse, the running) accessory container",
    .usage = "NAME CMD...",
    .min_args = 2,
    .max_args = -1,
    .opts = exec_opts,
    .flags = ACC_FLAGS | KC_V_MUTATES | KC_V_PASSTHROUGH | KC_V_SECRETS,
    .passthrough_at = 1,
    .exec = exec_exec,
    .help = "The command is handed to the host's shell as written, like Kamal does:\n"
            "  kamal-c accessory exec db 'psql -c \"select 1\"'\n"
            "kamal-c's own options are taken anywhere on the line, after the command too\n"
            "(--reuse, -v, --dry-run); a dash-word kamal-c does not know stays in the command.\n"
            "Quote the command, or put it after --, to keep all of it:\n"
            "  kamal-c accessory exec db -- psql -v ON_ERROR_STOP=1",
};

static const struct kc_verb acc_remove = {
    .name = "remove",
    .summary = "Remove accessories: containers, images and data directories",
    .usage = "NAME|all",
    .min_args = 1,
    .max_args = 1,
    .opts = remove_opts,
    .flags = ACC_MUTATING,
    .exec = remove_exec,
    .help = "Asks for confirmation on a terminal; without a terminal it fails at once unless\n"
            "-y is given.",
};

static const struct kc_verb acc_upload = {
    .name = "upload",
    .summary = "Upload accessory files to the hosts (then restart to apply)",
    .usage = "NAME|all",
    .min_args = 1,
    .max_args = 1,
    .flags = ACC_MUTATING,
    .exec = upload_exec,
    .help = "Writes each files: entry (ERB rendered) with its mode and owner. A running\n"
            "container sees the new content through its bind mount; restart it to make the\n"
            "service read it ('accessory restart NAME'): no new container, unlike reboot.",
};

static const struct kc_verb acc_directories = {
    .name = "directories",
    .summary = "Create accessory directories on the hosts",
    .usage = "NAME|all",
    .min_args = 1,
    .max_args = 1,
    .flags = ACC_MUTATING | KC_V_HIDDEN,
    .exec = directories_exec,
};

static const struct kc_verb *const accessory_subs[] = {
    &acc_boot, &acc_reboot, &acc_start,  &acc_stop,   &acc_restart,     &acc_details,
    &acc_logs, &acc_exec,   &acc_remove, &acc_upload, &acc_directories, NULL,
};

const struct kc_verb kc_verb_accessory = {
    .name = "accessory",
    .summary = "Manage accessories (db/redis/search)",
    .subs = accessory_subs,
    .operand = KC_COMPLETE_ACCESSORY, /* NAME: the first operand of every verb */
};
