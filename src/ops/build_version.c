/* build_version.c - the app version (Kamal's Configuration#version) and the
 * app hosts, shared by every verb that acts on the app's image. git runs in
 * the working directory through the local choke point (read-only probes, so
 * --dry-run resolves the same version). */
#include "kamal-c/commands_build.h"
#include "kamal-c/local.h"
#include "kamal-c/ops_build.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* Runs git ARGS quietly; 0 with its stdout in out (trimmed) when it exited 0. */
static int git_capture(struct kc_ctx *ctx, const char *const *args, struct kc_buf *out)
{
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_arg(&c, "git");
    for (size_t i = 0; args[i]; i++)
        kc_cmd_arg(&c, args[i]);
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    struct kc_err e = KC_ERR_INIT;
    int rc = kc_local_run(ctx, &c, KC_PROBE, NULL, &res, &e);
    if (rc == 0 && res.status != 0)
        rc = KC_EREMOTE;
    if (rc == 0 && out) {
        kc_buf_rtrim(&res.out);
        kc_buf_adds(out, kc_buf_str(&res.out));
    }
    kc_err_release(&e);
    kc_exec_result_release(&res);
    kc_cmd_release(&c);
    return rc;
}

static void random_hex(char out[17])
{
    unsigned char b[8] = {0};
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        unsigned long x = (unsigned long)kc_now() ^ ((unsigned long)getpid() << 16);
        memcpy(b, &x, sizeof b < sizeof x ? sizeof b : sizeof x);
    }
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int kc_version_resolve(struct kc_ctx *ctx, char **version, struct kc_err *err)
{
    struct kc_version_facts f;
    memset(&f, 0, sizeof f);
    f.declared = ctx->g.version;
    const char *env = getenv("VERSION");
    f.env_version = env && *env ? env : NULL;
    if (f.declared && *f.declared)
        return kc_version_pick(&f, version, err);
    if (f.env_version)
        return kc_version_pick(&f, version, err);
    struct kc_buf head = KC_BUF_INIT, status = KC_BUF_INIT;
    char pwd[4096] = ".", hex[17];
    if (getcwd(pwd, sizeof pwd) == NULL)
        snprintf(pwd, sizeof pwd, ".");
    const char *rev[] = {"rev-parse", "HEAD", NULL};
    const char *st[] = {"status", "--porcelain", NULL};
    f.git_used = git_capture(ctx, rev, &head) == 0;
    f.head = kc_buf_str(&head);
    f.dirty = f.git_used && git_capture(ctx, st, &status) == 0 && status.len > 0;
    f.git_clone = ctx->cfg->builder.context == NULL;
    random_hex(hex);
    f.random_hex = hex;
    f.pwd = pwd;
    int rc = kc_version_pick(&f, version, err);
    kc_buf_release(&head);
    kc_buf_release(&status);
    return rc;
}

void kc_ctx_app_hosts(const struct kc_ctx *ctx, struct kc_strvec *out)
{
    const struct kc_config *cfg = ctx->cfg;
    for (size_t i = 0; i < ctx->hosts.n; i++) {
        bool app = false;
        for (size_t r = 0; r < cfg->nroles && !app; r++)
            app = kc_strvec_contains(&cfg->roles[r].hosts, ctx->hosts.v[i]);
        if (app)
            kc_strvec_push(out, ctx->hosts.v[i]);
    }
}
