/* steps.c - host steps shared by every verb (see steps.h). */
#include "kamal-c/steps.h"
#include "kamal-c/app_roles.h"
#include "kamal-c/commands.h"
#include "kamal-c/local.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs c on h, or on this machine when h is NULL. */
static int run_on(struct kc_ctx *ctx, struct kc_host *h, const struct kc_cmd *c, unsigned flags,
                  struct kc_exec_result *res, struct kc_err *err)
{
    if (h == NULL) {
        struct kc_local_opts opts = {.merge_stderr = true};
        return kc_local_run(ctx, c, flags, &opts, res, err);
    }
    return kc_remote_run(h, c, flags, res, err);
}

/* ---- docker on the host ---- */

/* Runs a read-only command; *status is its exit status. */
static int probe(struct kc_host *h, void (*build)(struct kc_cmd *), int *status, struct kc_err *err)
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
    int rc = probe(h, kc_cmd_docker_superuser, &status, err);
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
    kc_step_doing(h, "install docker");
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

int kc_step_bootstrap(struct kc_ctx *ctx, struct kc_host *h, bool *installed, struct kc_err *err)
{
    int status = 0;
    kc_step_doing(h, "docker check");
    int rc = probe(h, kc_cmd_docker_version, &status, err);
    *installed = rc == 0 && status != 0;
    if (*installed)
        rc = install_docker(ctx, h, err);
    if (rc == 0) {
        struct kc_cmd c = KC_CMD_INIT;
        kc_cmd_ensure_run_dir(&c, ctx->cfg);
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
    }
    return rc;
}

int kc_step_network(struct kc_host *h, struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_network_create(&c, "kamal");
    kc_step_doing(h, "docker network");
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

/* ---- registry ---- */

int kc_step_registry_login(struct kc_ctx *ctx, struct kc_host *h, const struct kc_registry *reg,
                           struct kc_err *err)
{
    const char *user = NULL, *pass = NULL;
    int rc = kc_ctx_registry_credentials(ctx, reg, &user, &pass, err);
    if (rc)
        return rc;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_registry_login(&c, reg, user, pass, reg->username_is_secret);
    if (h)
        kc_step_doing(h, "docker login %s", reg->server ? reg->server : "Docker Hub");
    rc = run_on(ctx, h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    if (rc == KC_EREMOTE)
        kc_err_prefix(err, "docker login to %s failed", reg->server ? reg->server : "Docker Hub");
    kc_cmd_release(&c);
    return rc;
}

int kc_step_registry_logout(struct kc_ctx *ctx, struct kc_host *h, const struct kc_registry *reg,
                            struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_registry_logout(&c, reg);
    int rc = run_on(ctx, h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    kc_cmd_release(&c);
    return rc;
}

int kc_step_pull(struct kc_host *h, const char *image, struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    struct kc_pull_watch watch;
    kc_exec_result_init(&res);
    kc_pull_watch_init(&watch, h);
    kc_pull_watch_attach(&watch, &res);
    kc_cmd_image_pull(&c, image);
    kc_step_doing(h, "pull %s", image);
    int rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, &res, err);
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    kc_pull_watch_release(&watch);
    return rc;
}

/* ---- waiting for a container ---- */

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

struct state {
    char status[32]; /* running, exited, missing, ... */
    long restarts;
    char health[32]; /* none, starting, healthy, unhealthy */
};

/* "running 0 none" -> fields */
static void parse_state(const char *s, struct state *st)
{
    char status[32] = "", health[32] = "";
    long r = 0;
    if (sscanf(s, "%31s %ld %31s", status, &r, health) < 1)
        snprintf(status, sizeof status, "unknown");
    snprintf(st->status, sizeof st->status, "%s", status);
    snprintf(st->health, sizeof st->health, "%s", health[0] ? health : "none");
    st->restarts = r;
}

static int read_state(struct kc_host *h, const char *container, struct state *st,
                      struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_container_state(&c, container);
    int rc = kc_remote_run(h, &c, KC_PROBE | KC_QUIET, &res, err);
    if (rc == 0)
        parse_state(res.status == 0 ? kc_buf_str(&res.out) : "missing 0 none", st);
    kc_cmd_release(&c);
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

void kc_step_attach_logs(struct kc_host *h, const char *container, struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_container_last_logs(&c, container, 20);
    struct kc_err ignored = KC_ERR_INIT;
    if (kc_remote_run(h, &c, KC_PROBE | KC_QUIET, &res, &ignored) == 0 && res.out.len) {
        char *logs = kc_xasprintf("last log lines of %s:\n%s", container, kc_buf_str(&res.out));
        kc_err_set_remote(err, logs);
        free(logs);
    }
    kc_err_release(&ignored);
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
}

int kc_step_crash_loop_check(struct kc_ctx *ctx, struct kc_host *h, const char *container,
                             bool *looping, struct kc_err *err)
{
    struct state before, after;
    *looping = false;
    int rc = read_state(h, container, &before, err);
    if (rc == 0 && !nap(ctx, (int)settle_ms()))
        return kc_err_set(err, KC_EINTERRUPTED, "interrupted");
    if (rc == 0)
        rc = read_state(h, container, &after, err);
    if (rc == 0)
        *looping = strcmp(after.status, "running") != 0 || after.restarts != before.restarts;
    return rc;
}

int kc_step_wait_running(struct kc_ctx *ctx, struct kc_host *h, const char *container,
                         const char *label, struct kc_err *err)
{
    if (ctx->g.dry_run)
        return 0;
    double deadline = kc_now() + (double)ctx->cfg->deploy_timeout;
    kc_step_doing(h, "wait for %s", container);
    struct state first, now;
    int rc = read_state(h, container, &first, err);
    if (rc == 0 && !nap(ctx, (int)settle_ms()))
        return kc_err_set(err, KC_EINTERRUPTED, "interrupted");
    while (rc == 0) {
        rc = read_state(h, container, &now, err);
        if (rc)
            break;
        bool is_running = strcmp(now.status, "running") == 0;
        if (!is_running || now.restarts != first.restarts) {
            rc = kc_err_set(err, KC_EREMOTE, "%s: the container is %s right after it started%s",
                            label, is_running ? "restarting" : now.status,
                            now.restarts > first.restarts ? " (it keeps restarting)" : "");
            kc_step_attach_logs(h, container, err);
        } else if (strcmp(now.health, "none") == 0 || strcmp(now.health, "healthy") == 0) {
            break;
        } else if (strcmp(now.health, "unhealthy") == 0 || kc_now() > deadline) {
            rc = kc_err_set(err, KC_EREMOTE, "%s: the container did not become healthy (%s)", label,
                            now.health);
            kc_step_attach_logs(h, container, err);
        } else if (!nap(ctx, 500)) {
            rc = kc_err_set(err, KC_EINTERRUPTED, "interrupted");
        }
    }
    return rc;
}

int kc_step_wait_ready(struct kc_ctx *ctx, struct kc_host *h, const char *container,
                       const char *label, struct kc_err *err)
{
    if (ctx->g.dry_run)
        return 0;
    kc_step_doing(h, "wait for %s (readiness delay %lds)", container, ctx->cfg->readiness_delay);
    double t0 = kc_now();
    struct state first, now;
    int rc = read_state(h, container, &first, err);
    for (int sleep_ms = 500; rc == 0; sleep_ms = sleep_ms < 2000 ? sleep_ms + 500 : 2000) {
        rc = read_state(h, container, &now, err);
        if (rc)
            break;
        struct kc_ready_look look = {now.status,
                                     now.health,
                                     now.restarts != first.restarts,
                                     kc_now() - t0,
                                     ctx->cfg->readiness_delay,
                                     ctx->cfg->deploy_timeout};
        enum kc_ready r = kc_app_ready_judge(&look);
        if (r == KC_READY_OK)
            break;
        if (r == KC_READY_FAIL) {
            bool running = strcmp(now.status, "running") == 0;
            rc = kc_err_set(err, KC_EREMOTE, "%s: container not ready after %.0f seconds (%s%s)",
                            label, look.elapsed, running ? now.health : now.status,
                            look.restarted ? ", it restarted" : "");
            kc_step_attach_logs(h, container, err);
        } else if (!nap(ctx, sleep_ms)) {
            rc = kc_err_set(err, KC_EINTERRUPTED, "interrupted");
        }
    }
    return rc;
}

/* ---- audit log and files ---- */

void kc_step_audit(struct kc_ctx *ctx, struct kc_host *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *message = kc_xvasprintf(fmt, ap);
    va_end(ap);
    char when[32];
    kc_utc_iso8601(when);
    struct kc_cmd c = KC_CMD_INIT;
    /* a command typed with a secret value in it ('server exec echo $VALUE')
     * is audited without the value */
    char *clean = kc_out_redact(ctx->out, message);
    kc_cmd_audit_record(&c, ctx->cfg, when, kc_ctx_performer(ctx), NULL, clean);
    free(clean);
    struct kc_err ignored = KC_ERR_INIT;
    kc_remote_run(h, &c, KC_MUTATE | KC_CHECK | KC_QUIET, NULL, &ignored);
    kc_err_release(&ignored);
    kc_cmd_release(&c);
    free(message);
}

int kc_step_upload(struct kc_host *h, const char *path, const void *data, size_t len, int mode,
                   struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    kc_step_doing(h, "upload %s", path);
    kc_cmd_mkdir_parent(&c, path);
    int rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    kc_cmd_release(&c);
    if (rc == 0)
        rc = kc_remote_upload(h, path, data ? data : "", len, mode, err);
    return rc;
}
