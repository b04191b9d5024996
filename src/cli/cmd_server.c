/* cmd_server.c - `server exec` and `server bootstrap`. */
#include "kamal-c/commands.h"
#include "kamal-c/ops.h"
#include "verbs.h"

#include <stdlib.h>
#include <string.h>

struct exec_job {
    struct kc_ctx *ctx;
    const char *command;
};

static int exec_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct exec_job *job = ud;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_user_shell(&c, job->command);
    int rc = kc_remote_run(h, &c, KC_MUTATE, &res, err);
    if (rc == 0 && !kc_fleet_dry_run(h->fleet)) {
        struct kc_buf all = KC_BUF_INIT;
        kc_buf_adds(&all, kc_buf_str(&res.out));
        kc_buf_adds(&all, kc_buf_str(&res.err));
        kc_out_block(job->ctx->out, "Host", h->name, kc_buf_str(&all));
        kc_buf_release(&all);
        if (res.status != 0) {
            rc =
                kc_err_set(err, KC_EREMOTE, "'%s' exited with status %d", job->command, res.status);
        }
    }
    if (rc == 0 || rc == KC_EREMOTE) {
        char *msg = kc_xasprintf("Executed cmd '%s' on %s", job->command, h->name);
        struct kc_err aerr = KC_ERR_INIT;
        kc_audit(job->ctx, h, NULL, msg, &aerr);
        kc_err_release(&aerr);
        free(msg);
    }
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

static int exec_interactive(struct kc_ctx *ctx, const char *command, struct kc_err *err)
{
    const char *target = ctx->hosts.n ? ctx->hosts.v[0] : ctx->cfg->primary_host;
    struct kc_host *h = kc_ctx_host(ctx, target);
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_user_shell(&c, command);
    int status = 0;
    int rc;
    if (ctx->g.dry_run) {
        char *d = kc_cmd_render_display(&c);
        kc_out_planned(ctx->out, h->name, d);
        free(d);
        rc = 0;
    } else {
        rc = kc_remote_interactive(h, &c, &status, err);
        if (rc == 0 && status != 0)
            rc = kc_err_set(err, KC_EREMOTE, "'%s' exited with status %d on %s", command, status,
                            h->name);
    }
    kc_cmd_release(&c);
    return rc;
}

static int exec_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    char *command = kc_strvec_join(&args->pos, " ");
    int rc;
    if (kc_args_flag(args, "interactive")) {
        rc = exec_interactive(ctx, command, err);
    } else {
        char *hosts = kc_strvec_join(&ctx->hosts, ", ");
        kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "Running '%s' on %s", command, hosts);
        free(hosts);
        struct exec_job job = {ctx, command};
        rc = kc_verb_each_host(ctx, &ctx->hosts, exec_host, &job, err);
    }
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

static int run_probe(struct kc_host *h, void (*build)(struct kc_cmd *), int *status,
                     struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    build(&c);
    int rc = kc_remote_run(h, &c, KC_PROBE, &res, err);
    *status = res.status;
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

static int install_docker(struct kc_ctx *ctx, struct kc_host *h, struct kc_err *err)
{
    int status = 0;
    int rc = run_probe(h, kc_cmd_docker_superuser, &status, err);
    if (rc)
        return rc;
    if (status != 0) {
        kc_err_set(err, KC_EREMOTE,
                   "docker is not installed on %s and cannot be installed "
                   "automatically without root or passwordless sudo",
                   h->name);
        kc_err_set_hint(err, "install Docker manually: https://docs.docker.com/engine/install/");
        return KC_EREMOTE;
    }
    kc_out_msg(ctx->out, KC_LVL_INFO, h->name, "Missing Docker, installing...");
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_docker_install(&c);
    rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    kc_cmd_release(&c);
    if (rc == KC_EREMOTE) {
        kc_err_prefix(err, "docker is not installed on %s and installing it failed", h->name);
        kc_err_set_hint(err, "install Docker manually: https://docs.docker.com/engine/install/");
    }
    return rc;
}

static int bootstrap_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct kc_ctx *ctx = ud;
    int status = 0;
    int rc = run_probe(h, kc_cmd_docker_version, &status, err);
    if (rc == 0 && status != 0)
        rc = install_docker(ctx, h, err);
    if (rc == 0) {
        struct kc_cmd c = KC_CMD_INIT;
        kc_cmd_ensure_run_dir(&c, ctx->cfg);
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
    }
    if (rc == 0)
        kc_report(ctx, h->name, "docker", status == 0 ? "present" : "installed", NULL);
    else /* every host gets a result line, the failed ones too */
        kc_report(ctx, h->name, "docker", kc_outcome_of(rc),
                  rc == KC_EINTERRUPTED ? NULL : err->msg);
    return rc;
}

static int bootstrap_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    (void)args;
    int rc = kc_verb_each_host(ctx, &ctx->hosts, bootstrap_host, ctx, err);
    if (rc == 0)
        rc = kc_hook_run(ctx, "docker-setup", NULL, false, err);
    return rc;
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
