/* hooks.c - local hook executables with Kamal's KAMAL_* variables. */
#include "kamal-c/ops.h"
#include "kamal-c/local.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static void put(struct kc_strvec *env, const char *key, const char *value)
{
    if (value == NULL)
        return;
    size_t kl = strlen(key);
    for (size_t i = 0; i < env->n; i++) {
        if (strncmp(env->v[i], key, kl) == 0 && env->v[i][kl] == '=') {
            free(env->v[i]);
            env->v[i] = kc_xasprintf("%s=%s", key, value);
            return;
        }
    }
    kc_strvec_pushf(env, "%s=%s", key, value);
}

/* The process environment plus Kamal's hook variables (Kamal::Tags). */
static void hook_env(struct kc_ctx *ctx, const struct kc_kvlist *extra, bool with_secrets,
                     struct kc_strvec *env)
{
    for (char **e = environ; *e; e++)
        kc_strvec_push(env, *e);
    const struct kc_config *cfg = ctx->cfg;
    char when[32];
    kc_utc_iso8601(when);
    put(env, "KAMAL_RECORDED_AT", when);
    put(env, "KAMAL_PERFORMER", kc_ctx_performer(ctx));
    put(env, "KAMAL_DESTINATION", cfg->destination);
    if (ctx->g.version) {
        put(env, "KAMAL_VERSION", ctx->g.version);
        char *sv = kc_xasprintf("%s@%.7s", cfg->service, ctx->g.version);
        put(env, "KAMAL_SERVICE_VERSION", sv);
        free(sv);
    }
    put(env, "KAMAL_SERVICE", cfg->service);
    char *hosts = kc_strvec_join(&ctx->hosts, ",");
    put(env, "KAMAL_HOSTS", hosts);
    free(hosts);
    if (ctx->g.roles) {
        char *roles = kc_strvec_join(&ctx->roles, ",");
        put(env, "KAMAL_ROLES", roles);
        free(roles);
    }
    put(env, "KAMAL_LOCK", ctx->lock_held || ctx->lock_inherited ? "true" : "false");
    put(env, "KAMAL_COMMAND", ctx->command);
    put(env, "KAMAL_SUBCOMMAND", ctx->subcommand);
    for (size_t i = 0; extra && i < extra->n; i++)
        put(env, extra->v[i].key, extra->v[i].value);
    for (size_t i = 0; with_secrets && i < ctx->secrets.values.n; i++)
        put(env, ctx->secrets.values.v[i].key, ctx->secrets.values.v[i].value);
}

int kc_hook_run(struct kc_ctx *ctx, const char *name, const struct kc_kvlist *extra,
                bool with_secrets, struct kc_err *err)
{
    if (ctx->g.skip_hooks || ctx->cfg == NULL)
        return 0;
    char *path = kc_xasprintf("%s/%s", ctx->cfg->hooks_path, name);
    struct stat st;
    if (stat(path, &st) != 0) {
        free(path);
        return 0;
    }
    int rc = 0;
    if (ctx->g.dry_run) {
        kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "would run the %s hook (%s)", name, path);
        free(path);
        return 0;
    }
    if (with_secrets)
        rc = kc_ctx_secrets(ctx, err);
    if (rc == 0 && access(path, X_OK) != 0)
        rc = kc_err_set(err, KC_EREMOTE, "hook '%s' is not executable: %s", name, path);
    if (rc) {
        free(path);
        return rc;
    }
    kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "Running the %s hook...", name);
    struct kc_strvec env = KC_STRVEC_INIT;
    hook_env(ctx, extra, with_secrets, &env);
    struct kc_buf out = KC_BUF_INIT;
    int status = 0;
    const char *argv[] = {path, NULL};
    int ran = kc_local_run_cancellable(argv, env.v, true, &out, &status, ctx->cancel);
    if (ran < 0)
        rc = kc_err_set(err, KC_EREMOTE, "hook '%s' could not run: %s", name, strerror(errno));
    else if (ran > 0)
        rc = kc_err_set(err, KC_EINTERRUPTED, "the %s hook was stopped: interrupted", name);
    else if (status != 0) {
        rc = kc_err_set(err, KC_EREMOTE, "hook '%s' failed with exit status %d", name, status);
        kc_err_set_remote(err, kc_buf_str(&out));
    } else {
        kc_out_trace_output(ctx->out, NULL, kc_buf_str(&out), false);
    }
    kc_buf_release(&out);
    kc_strvec_release(&env);
    free(path);
    return rc;
}
