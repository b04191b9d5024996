/* hooks.c - local hook executables with Kamal's KAMAL_* variables. */
#include "kamal-c/ops.h"
#include "kamal-c/local.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Kamal's hook variables (Kamal::Tags), plus extra, plus the secrets. */
static void hook_env(struct kc_ctx *ctx, const struct kc_kvlist *extra, bool with_secrets,
                     struct kc_kvlist *env)
{
    const struct kc_config *cfg = ctx->cfg;
    char when[32];
    kc_utc_iso8601(when);
    kc_kvlist_set(env, "KAMAL_RECORDED_AT", when);
    kc_kvlist_set(env, "KAMAL_PERFORMER", kc_ctx_performer(ctx));
    if (cfg->destination)
        kc_kvlist_set(env, "KAMAL_DESTINATION", cfg->destination);
    if (ctx->g.version) {
        kc_kvlist_set(env, "KAMAL_VERSION", ctx->g.version);
        char *sv = kc_xasprintf("%s@%.7s", cfg->service, ctx->g.version);
        kc_kvlist_set(env, "KAMAL_SERVICE_VERSION", sv);
        free(sv);
    }
    kc_kvlist_set(env, "KAMAL_SERVICE", cfg->service);
    char *hosts = kc_strvec_join(&ctx->hosts, ",");
    kc_kvlist_set(env, "KAMAL_HOSTS", hosts);
    free(hosts);
    if (ctx->g.roles) {
        char *roles = kc_strvec_join(&ctx->roles, ",");
        kc_kvlist_set(env, "KAMAL_ROLES", roles);
        free(roles);
    }
    kc_kvlist_set(env, "KAMAL_LOCK", ctx->lock_held || ctx->lock_inherited ? "true" : "false");
    if (ctx->command)
        kc_kvlist_set(env, "KAMAL_COMMAND", ctx->command);
    if (ctx->subcommand)
        kc_kvlist_set(env, "KAMAL_SUBCOMMAND", ctx->subcommand);
    for (size_t i = 0; extra && i < extra->n; i++)
        kc_kvlist_set(env, extra->v[i].key, extra->v[i].value);
    for (size_t i = 0; with_secrets && i < ctx->secrets.values.n; i++)
        kc_kvlist_set(env, ctx->secrets.values.v[i].key, ctx->secrets.values.v[i].value);
}

/* Runs the hook at path; its output (stdout and stderr together) is traced
 * with -v and becomes the error's detail when it fails. */
static int run_hook(struct kc_ctx *ctx, const char *name, const char *path,
                    const struct kc_kvlist *extra, bool with_secrets, struct kc_err *err)
{
    if (!ctx->g.dry_run)
        kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "Running the %s hook...", name);
    struct kc_kvlist env = KC_KVLIST_INIT;
    hook_env(ctx, extra, with_secrets, &env);
    struct kc_local_opts opts = {.env = &env, .merge_stderr = true};
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_arg(&c, path);
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    struct kc_err run_err = KC_ERR_INIT;
    int rc = kc_local_run(ctx, &c, KC_MUTATE, &opts, &res, &run_err);
    if (rc == KC_EINTERRUPTED)
        rc = kc_err_set(err, KC_EINTERRUPTED, "the %s hook was stopped: interrupted", name);
    else if (rc)
        rc = kc_err_set(err, KC_EREMOTE, "hook '%s' %s", name, run_err.msg);
    else if (res.status != 0) {
        rc = kc_err_set(err, KC_EREMOTE, "hook '%s' failed with exit status %d", name, res.status);
        kc_err_set_remote(err, kc_buf_str(&res.out));
    }
    kc_err_release(&run_err);
    kc_exec_result_release(&res);
    kc_cmd_release(&c);
    kc_kvlist_release(&env);
    return rc;
}

int kc_hook_run(struct kc_ctx *ctx, const char *name, const struct kc_kvlist *extra,
                bool with_secrets, struct kc_err *err)
{
    if (ctx->g.skip_hooks || ctx->cfg == NULL)
        return 0;
    char *path = kc_xasprintf("%s/%s", ctx->cfg->hooks_path, name);
    struct stat st;
    int rc = 0;
    if (stat(path, &st) != 0) {
        free(path);
        return 0;
    }
    /* a dry run prints the hook instead of running it: no secrets needed */
    if (with_secrets && !ctx->g.dry_run)
        rc = kc_ctx_secrets(ctx, err);
    if (rc == 0 && !ctx->g.dry_run && access(path, X_OK) != 0)
        rc = kc_err_set(err, KC_EREMOTE, "hook '%s' is not executable: %s", name, path);
    if (rc == 0)
        rc = run_hook(ctx, name, path, extra, with_secrets && !ctx->g.dry_run, err);
    free(path);
    return rc;
}
