/* cmd_registry.c - `registry login|logout` (-L/--skip-local, -R/--skip-remote).
 * The password goes to docker on stdin, never on a command line. */
#include "kamal-c/commands.h"
#include "kamal-c/ops.h"
#include "kamal-c/local.h"
#include "verbs.h"

#include <stdlib.h>
#include <string.h>

struct creds {
    const char *username;
    const char *password;
};

static int refuse_local(const struct kc_registry *reg, const char *verb, struct kc_err *err)
{
    if (!reg->local)
        return 0;
    return kc_err_set(err, KC_EUSAGE,
                      "cannot use 'registry %s' with a local registry (%s): it needs no login",
                      verb, reg->server);
}

/* Runs cmd on this machine (docker login/logout). */
static int run_local(struct kc_ctx *ctx, const struct kc_cmd *cmd, struct kc_err *err)
{
    if (ctx->g.dry_run) {
        char *d = kc_cmd_render_display(cmd);
        kc_out_planned(ctx->out, "local", d);
        free(d);
        return 0;
    }
    struct kc_strvec argv = KC_STRVEC_INIT;
    for (size_t i = 0; i < cmd->n; i++)
        kc_strvec_push(&argv, cmd->toks[i].text);
    struct kc_buf out = KC_BUF_INIT;
    int status = 0;
    int rc = 0;
    if (kc_local_run_stdin((const char *const *)argv.v, NULL, cmd->stdin_data, true, &out,
                           &status) != 0 ||
        status != 0) {
        char *d = kc_cmd_render_display(cmd);
        rc = kc_err_set(err, KC_EREMOTE, "local '%s' failed with exit status %d", d, status);
        kc_err_set_remote(err, kc_buf_str(&out));
        free(d);
    }
    kc_buf_release(&out);
    kc_strvec_release(&argv);
    return rc;
}

struct reg_job {
    struct kc_ctx *ctx;
    struct kc_cmd cmd;
    const char *outcome;
};

static int registry_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct reg_job *job = ud;
    int rc = kc_remote_run(h, &job->cmd, KC_MUTATE | KC_CHECK, NULL, err);
    if (rc == 0)
        kc_report(job->ctx, h->name, "registry", job->outcome, NULL);
    return rc;
}

static int registry_run(struct kc_ctx *ctx, const struct kc_args *args, bool login,
                        struct kc_err *err)
{
    const struct kc_registry *reg = &ctx->cfg->registry;
    struct creds c = {NULL, NULL};
    int rc = refuse_local(reg, login ? "login" : "logout", err);
    if (rc == 0 && login)
        rc = kc_ctx_registry_credentials(ctx, reg, &c.username, &c.password, err);
    if (rc)
        return rc;
    struct reg_job job = {ctx, KC_CMD_INIT, login ? "logged in" : "logged out"};
    if (login)
        kc_cmd_registry_login(&job.cmd, reg, c.username, c.password, reg->username_is_secret);
    else
        kc_cmd_registry_logout(&job.cmd, reg);
    if (!kc_args_flag(args, "skip-local"))
        rc = run_local(ctx, &job.cmd, err);
    if (rc == 0 && !kc_args_flag(args, "skip-remote"))
        rc = kc_verb_each_host(ctx, &ctx->hosts, registry_host, &job, err);
    kc_cmd_release(&job.cmd);
    return rc;
}

static int login_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    return registry_run(ctx, args, true, err);
}

static int logout_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    return registry_run(ctx, args, false, err);
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
