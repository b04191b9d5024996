/* accessory_steps.c - the steps that put an accessory on one host. Every
 * remote command is built in commands/ and sent through kc_remote_run. */
#include "accessory_int.h"
#include "kamal-c/commands.h"
#include "kamal-c/ops.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int step_simple(struct kc_host *h, void (*build)(struct kc_cmd *, const struct kc_accessory *),
                const struct kc_accessory *acc, unsigned flags, struct kc_exec_result *res,
                struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    build(&c, acc);
    int rc = kc_remote_run(h, &c, flags, res, err);
    kc_cmd_release(&c);
    return rc;
}

int step_network(struct kc_host *h, const struct kc_accessory *acc, struct kc_err *err)
{
    if (strcmp(acc->network, KC_NETWORK) != 0)
        return 0;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_network_create(&c, KC_NETWORK);
    int rc = kc_remote_run(h, &c, KC_MUTATE, &res, err);
    if (rc == 0 && res.status != 0 && strstr(kc_buf_str(&res.err), "already exists") == NULL) {
        char *d = kc_cmd_render_display(&c);
        rc = kc_err_set(err, KC_EREMOTE, "could not create the kamal network");
        kc_err_set_command(err, d);
        kc_err_set_remote(err, kc_buf_str(&res.err));
        free(d);
    }
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

/* The registry an accessory's image comes from: its own, else the app's. */
static const struct kc_registry *registry_of(const struct kc_config *cfg,
                                             const struct kc_accessory *acc)
{
    return acc->has_registry ? &acc->registry : &cfg->registry;
}

int step_login(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
               struct kc_err *err)
{
    const struct kc_registry *reg = registry_of(ctx->cfg, acc);
    if (reg->local)
        return 0;
    const char *user, *pass;
    int rc = kc_ctx_registry_credentials(ctx, reg, &user, &pass, err);
    if (rc)
        return rc;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_registry_login(&c, reg, user, pass, reg->username_is_secret);
    rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    if (rc == KC_EREMOTE)
        kc_err_prefix(err, "docker login to %s failed", reg->server ? reg->server : "Docker Hub");
    kc_cmd_release(&c);
    return rc;
}

int step_directories(struct kc_host *h, const struct kc_accessory *acc, struct kc_err *err)
{
    for (size_t i = 0; i < acc->ndirectories; i++) {
        struct kc_cmd c = KC_CMD_INIT;
        kc_cmd_accessory_directory(&c, acc, &acc->directories[i]);
        int rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_mode(const char *mode)
{
    return mode ? (int)strtol(mode, NULL, 8) : 0755;
}

int step_files(struct kc_host *h, const struct acc_want *w, struct kc_err *err)
{
    const struct kc_accessory *acc = w->acc;
    for (size_t i = 0; i < acc->nfiles; i++) {
        const struct kc_mount_spec *f = &acc->files[i];
        struct kc_cmd c = KC_CMD_INIT;
        kc_cmd_accessory_file_dir(&c, acc, f);
        int rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
        char *hp = kc_accessory_file_host_path(acc, f);
        if (rc == 0)
            rc = kc_remote_upload(h, hp, w->files[i].data ? w->files[i].data : "", w->files[i].len,
                                  parse_mode(f->mode), err);
        free(hp);
        if (rc == 0 && f->owner) {
            kc_cmd_accessory_file_perms(&c, acc, f);
            rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
            kc_cmd_release(&c);
        }
        if (rc)
            return rc;
    }
    return 0;
}

int step_env(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w, struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_accessory_env_dir(&c, ctx->cfg);
    int rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    kc_cmd_release(&c);
    if (rc)
        return rc;
    char *path = kc_accessory_env_file(ctx->cfg, w->acc);
    rc = kc_remote_upload(h, path, w->env.data ? w->env.data : "", w->env.len, 0600, err);
    free(path);
    return rc;
}

void step_attach_logs(struct kc_host *h, const struct kc_accessory *acc, struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_accessory_last_logs(&c, acc, 20);
    struct kc_err ignored = KC_ERR_INIT;
    if (kc_remote_run(h, &c, KC_PROBE | KC_QUIET, &res, &ignored) == 0 && res.out.len) {
        char *logs = kc_xasprintf("last log lines of %s:\n%s", acc->service, kc_buf_str(&res.out));
        kc_err_set_remote(err, logs);
        free(logs);
    }
    kc_err_release(&ignored);
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
}

int step_run(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
             struct kc_err *err)
{
    char digest[65];
    int rc = kc_accessory_digest(ctx->cfg, acc, h->name, digest, err);
    struct kc_cmd c = KC_CMD_INIT;
    if (rc == 0)
        rc = kc_cmd_accessory_run(&c, ctx->cfg, acc, h->name, digest, err);
    if (rc == 0)
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    kc_cmd_release(&c);
    if (rc == KC_EREMOTE) {
        kc_err_prefix(err, "%s: docker run failed", acc->name);
        /* docker run may leave a created container behind: remove it, so the
         * next boot starts from deploy.yml rather than from this failure */
        struct kc_err ignored = KC_ERR_INIT;
        step_simple(h, kc_cmd_accessory_rm, acc, KC_MUTATE | KC_QUIET, NULL, &ignored);
        kc_err_release(&ignored);
    }
    return rc;
}

/* Sleeps ms milliseconds unless cancelled; false when cancelled. */
static bool nap(struct kc_ctx *ctx, int ms)
{
    for (int t = 0; t < ms; t += 100) {
        if (kc_ctx_cancelled(ctx))
            return false;
        usleep(100000);
    }
    return true;
}

/* "running 0 none" -> fields */
static void parse_state(const char *s, char *status, size_t ns, long *restarts, char *health,
                        size_t nh)
{
    char st[32] = "", he[32] = "";
    long r = 0;
    if (sscanf(s, "%31s %ld %31s", st, &r, he) < 1)
        snprintf(st, sizeof st, "unknown");
    snprintf(status, ns, "%s", st);
    snprintf(health, nh, "%s", he[0] ? he : "none");
    *restarts = r;
}

static int read_state(struct kc_host *h, const struct kc_accessory *acc, char *status,
                      long *restarts, char *health, struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = step_simple(h, kc_cmd_accessory_state, acc, KC_PROBE | KC_QUIET, &res, err);
    if (rc == 0)
        parse_state(res.status == 0 ? kc_buf_str(&res.out) : "missing 0 none", status, 32, restarts,
                    health, 32);
    kc_exec_result_release(&res);
    return rc;
}

/* How long a started container must keep running to count as started. */
static long settle_ms(void)
{
    const char *env = getenv("KAMAL_C_CONFIRM_MS");
    long ms = 1000;
    if (env && (!kc_parse_long(env, &ms) || ms < 0))
        ms = 1000;
    return ms;
}

int step_crash_loop_check(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
                          bool *looping, struct kc_err *err)
{
    char status[32], health[32];
    long r0 = 0, r1 = 0;
    *looping = false;
    int rc = read_state(h, acc, status, &r0, health, err);
    if (rc == 0 && !nap(ctx, (int)settle_ms()))
        return kc_err_set(err, KC_EINTERRUPTED, "interrupted");
    if (rc == 0)
        rc = read_state(h, acc, status, &r1, health, err);
    if (rc == 0)
        *looping = strcmp(status, "running") != 0 || r1 != r0;
    return rc;
}

int step_confirm(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
                 struct kc_err *err)
{
    if (ctx->g.dry_run)
        return 0;
    long settle = settle_ms();
    double deadline = kc_now() + (double)ctx->cfg->deploy_timeout;
    char status[32], health[32];
    long restarts0 = 0, restarts = 0;
    int rc = read_state(h, acc, status, &restarts0, health, err);
    if (rc == 0 && !nap(ctx, (int)settle))
        return kc_err_set(err, KC_EINTERRUPTED, "interrupted");
    while (rc == 0) {
        rc = read_state(h, acc, status, &restarts, health, err);
        if (rc)
            break;
        bool running = strcmp(status, "running") == 0 && restarts == restarts0;
        if (!running) {
            rc = kc_err_set(err, KC_EREMOTE, "%s: the container is %s right after it started%s",
                            acc->name, strcmp(status, "running") == 0 ? "restarting" : status,
                            restarts > restarts0 ? " (it keeps restarting)" : "");
            step_attach_logs(h, acc, err);
        } else if (strcmp(health, "none") == 0 || strcmp(health, "healthy") == 0) {
            break;
        } else if (strcmp(health, "unhealthy") == 0 || kc_now() > deadline) {
            rc = kc_err_set(err, KC_EREMOTE, "%s: the container did not become healthy (%s)",
                            acc->name, health);
            step_attach_logs(h, acc, err);
        } else if (!nap(ctx, 500)) {
            rc = kc_err_set(err, KC_EINTERRUPTED, "interrupted");
        }
    }
    return rc;
}

int step_boot(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w, bool login,
              bool network, struct kc_err *err)
{
    const struct kc_accessory *acc = w->acc;
    int rc = 0;
    if (network)
        rc = step_network(h, acc, err);
    if (rc == 0 && login)
        rc = step_login(ctx, h, acc, err);
    if (rc == 0)
        rc = step_directories(h, acc, err);
    if (rc == 0)
        rc = step_files(h, w, err);
    if (rc == 0)
        rc = step_env(ctx, h, w, err);
    if (rc == 0)
        rc = step_run(ctx, h, acc, err);
    if (rc == 0) {
        rc = step_confirm(ctx, h, acc, err);
        if (rc == KC_EREMOTE) {
            /* it exited or crash-loops: keep nothing half-done on the host */
            struct kc_err ignored = KC_ERR_INIT;
            step_simple(h, kc_cmd_accessory_rm, acc, KC_MUTATE | KC_QUIET, NULL, &ignored);
            kc_err_release(&ignored);
        }
    }
    if (rc == 0) {
        char *msg = kc_xasprintf("Booted %s accessory", acc->name);
        struct kc_err aerr = KC_ERR_INIT;
        kc_audit(ctx, h, NULL, msg, &aerr);
        kc_err_release(&aerr);
        free(msg);
    }
    return rc;
}
