/* cmd_server.c - `server exec` and `server bootstrap`: options and
 * operands; the work is in ops/server.c. */
#include "kamal-c/ops_host.h"
#include "verbs.h"

#include <stdlib.h>

static int exec_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    char *command = kc_strvec_join(&args->pos, " ");
    struct kc_server_exec_request req = {command, kc_args_flag(args, "interactive")};
    int rc = kc_server_exec(ctx, &req, err);
    free(command);
    return rc;
}

static const struct kc_opt exec_opts[] = {
    {"interactive", 'i', false, NULL, "run interactively (with a terminal) on the first host"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_verb server_exec = {
    .name = "exec",
    .summary = "Run a custom command on the servers",
    .usage = "CMD...",
    .min_args = 1,
    .max_args = -1,
    .opts = exec_opts,
    .flags = KC_V_CONFIG | KC_V_HOSTS | KC_V_MUTATES | KC_V_PASSTHROUGH | KC_V_SECRETS,
    .passthrough_at = 0,
    .exec = exec_exec,
    .help = "The command is handed to each host's shell as written. As in Kamal, kamal-c's own\n"
            "options are taken anywhere on the line, after the command too (server exec ls\n"
            "--dry-run is a dry run, docker ps -q is quiet mode); a dash-word kamal-c does not\n"
            "know stays in the command (ls -l). Quote the command, or put it after --, to keep\n"
            "all of it:  kamal-c server exec -- docker ps -q\n"
            "Output is grouped per host; a host where it exits non-zero fails the run (exit 1).",
};

/* ---- bootstrap ---- */

static int bootstrap_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    (void)args;
    return kc_server_bootstrap(ctx, err);
}

static const struct kc_verb server_bootstrap = {
    .name = "bootstrap",
    .summary = "Set up Docker to run Kamal apps",
    .max_args = 0,
    .flags =
        KC_V_CONFIG | KC_V_HOSTS | KC_V_MUTATES | KC_V_LOCK | KC_V_LOCK_UPFRONT | KC_V_FINISHED,
    .exec = bootstrap_exec,
    .help = "Checks Docker on each host (installing it from get.docker.com where it is missing\n"
            "and the SSH user is root or has passwordless sudo), creates .kamal, then runs the\n"
            "docker-setup hook.",
};

static const struct kc_verb *const server_subs[] = {&server_exec, &server_bootstrap, NULL};

const struct kc_verb kc_verb_server = {
    .name = "server",
    .summary = "Bootstrap servers with Docker, run commands on them",
    .subs = server_subs,
};
