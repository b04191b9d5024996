/* lock.c - the deploy lock, compatible with Kamal's: a directory
 * .kamal/lock-SVC[-DEST] with a base64 `details` file, on the configuration's
 * primary host (whatever -h/-r select, so filtered runs cannot race). */
#include "kamal-c/commands.h"
#include "kamal-c/ops.h"
#include "kamal-c/local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KC_AUTOMATIC_LOCK "Automatic deploy lock"

/* Decodes standard base64 (newlines ignored); NULL on bad input. */
static char *base64_decode(const char *s)
{
    struct kc_buf out = KC_BUF_INIT;
    unsigned acc = 0;
    int bits = 0;
    for (; *s; s++) {
        const char *tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        if (*s == '=' || *s == '\n' || *s == '\r' || *s == ' ')
            continue;
        const char *p = strchr(tbl, *s);
        if (p == NULL) {
            kc_buf_release(&out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)(p - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            kc_buf_addc(&out, (char)((acc >> bits) & 0xff));
        }
    }
    return kc_buf_detach(&out);
}

/* "Message: X" line of the details, or "" */
static char *details_field(const char *details, const char *field)
{
    size_t fl = strlen(field);
    for (const char *p = details; p && *p;) {
        if (strncmp(p, field, fl) == 0 && p[fl] == ':') {
            const char *v = p + fl + 1;
            while (*v == ' ')
                v++;
            return kc_xstrndup(v, strcspn(v, "\n"));
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return kc_xstrdup("");
}

/* "Locked by: NAME at 2026-11-26T11:29:44Z" -> seconds since then, or -1. */
static long details_age(const char *details)
{
    char *by = details_field(details, "Locked by");
    const char *at = strrchr(by, ' ');
    long age = -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (at && strptime(at + 1, "%Y-%m-%dT%H:%M:%S", &tm)) {
        time_t then = timegm(&tm);
        age = (long)(time(NULL) - then);
    }
    free(by);
    return age;
}

static char *age_text(long secs)
{
    if (secs < 0)
        return kc_xstrdup("unknown age");
    if (secs < 120)
        return kc_xasprintf("%ld s ago", secs);
    if (secs < 7200)
        return kc_xasprintf("%ld min ago", secs / 60);
    if (secs < 172800)
        return kc_xasprintf("%ld h ago", secs / 3600);
    return kc_xasprintf("%ld days ago", secs / 86400);
}

static char *resolve_version(struct kc_ctx *ctx)
{
    if (ctx->g.version)
        return kc_xstrdup(ctx->g.version);
    const char *env = getenv("VERSION");
    if (env && *env)
        return kc_xstrdup(env);
    const char *git[] = {"git", "rev-parse", "HEAD", NULL};
    char *v = kc_local_line(ctx, git);
    return v ? v : kc_xstrdup("unknown");
}

static char *locked_by(struct kc_ctx *ctx)
{
    const char *git[] = {"git", "config", "user.name", NULL};
    char *name = kc_local_line(ctx, git);
    return name ? name : kc_xstrdup("Unknown");
}

int kc_lock_read(struct kc_ctx *ctx, bool *held, char **details, struct kc_err *err)
{
    struct kc_host *h = kc_ctx_host(ctx, kc_ctx_lock_host(ctx));
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_lock_status(&c, ctx->cfg);
    *held = false;
    *details = NULL;
    int rc = kc_remote_run(h, &c, KC_PROBE | KC_QUIET, &res, err);
    if (rc == 0 && res.status == 0) {
        *held = true;
        char *decoded = base64_decode(kc_buf_str(&res.out));
        *details = decoded && *decoded ? decoded : kc_xstrdup("(no details)");
        if (decoded && *details != decoded)
            free(decoded);
    }
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

char *kc_lock_describe(const char *details)
{
    char *msg = details_field(details, "Message");
    char *by = details_field(details, "Locked by");
    char *age = age_text(details_age(details));
    char *s = kc_xasprintf("by %s, %s: %s", by, age, msg);
    free(msg);
    free(by);
    free(age);
    return s;
}

/* Fills err with who holds the lock, since when and why. */
static int locked_error(const char *details, bool manual, struct kc_err *err)
{
    char *msg = details_field(details, "Message");
    char *by = details_field(details, "Locked by");
    char *age = age_text(details_age(details));
    kc_err_set(err, KC_ELOCKED, "the deploy lock is held by %s (%s): %s", by, age, msg);
    if (manual)
        kc_err_set_hint(err, "it was taken with 'lock acquire'; wait with --lock-wait, or "
                             "release it with 'kamal-c lock release' if it is stale");
    else
        kc_err_set_hint(err, "another run holds it; if that run is gone, release it with "
                             "'kamal-c lock release'");
    free(msg);
    free(by);
    free(age);
    return KC_ELOCKED;
}

/* Sleeps up to secs, returning early (false) when cancelled. */
static bool wait_interval(struct kc_ctx *ctx, long secs)
{
    for (long i = 0; i < secs * 10; i++) {
        if (kc_ctx_cancelled(ctx))
            return false;
        usleep(100000);
    }
    return !kc_ctx_cancelled(ctx);
}

static int try_acquire(struct kc_ctx *ctx, struct kc_host *h, const char *b64, bool *got,
                       struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_lock_acquire(&c, ctx->cfg, b64);
    int rc = kc_remote_run(h, &c, KC_MUTATE, &res, err);
    *got = rc == 0 && res.status == 0;
    if (rc == 0 && !*got && strstr(kc_buf_str(&res.err), "File exists") == NULL &&
        strstr(kc_buf_str(&res.err), "cannot create directory") == NULL) {
        char *display = kc_cmd_render_display(&c);
        rc = kc_err_set(err, KC_EREMOTE, "could not take the deploy lock on %s", h->name);
        kc_err_set_command(err, display);
        kc_err_set_remote(err, kc_buf_str(&res.err));
        free(display);
    }
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

static char *lock_payload(struct kc_ctx *ctx, const char *message)
{
    char when[32];
    kc_utc_iso8601(when);
    char *by = locked_by(ctx);
    char *version = resolve_version(ctx);
    char *details = kc_lock_details(by, when, version, message ? message : KC_AUTOMATIC_LOCK);
    char *b64 = kc_base64_mime(details, strlen(details));
    /* Kamal's echo argument has no trailing newline after the last line */
    size_t n = strlen(b64);
    if (n && b64[n - 1] == '\n')
        b64[n - 1] = '\0';
    free(by);
    free(version);
    free(details);
    return b64;
}

static long poll_interval(const struct kc_ctx *ctx, bool automatic)
{
    if (ctx->g.lock_wait_interval > 0)
        return ctx->g.lock_wait_interval;
    return automatic ? 1 : 15;
}

/* The lock is held by someone else: decide whether to wait. Returns 0 to
 * retry, or the error. */
static int held_elsewhere(struct kc_ctx *ctx, double deadline, bool *announced, long *interval,
                          struct kc_err *err)
{
    bool held = false;
    char *details = NULL;
    int rc = kc_lock_read(ctx, &held, &details, err);
    if (rc || !held) {
        free(details);
        return rc; /* released in between: retry at once */
    }
    char *msg = details_field(details, "Message");
    bool automatic = strcmp(msg, KC_AUTOMATIC_LOCK) == 0;
    free(msg);
    if (!automatic && !ctx->g.lock_wait) {
        rc = locked_error(details, true, err);
    } else if (kc_now() >= deadline) {
        rc = locked_error(details, !automatic, err);
        kc_err_prefix(err, "timed out after %lds waiting for the deploy lock",
                      ctx->g.lock_wait_timeout);
    } else {
        *interval = poll_interval(ctx, automatic);
        if (!*announced) {
            char *by = details_field(details, "Locked by");
            kc_out_msg(ctx->out, KC_LVL_WARN, NULL,
                       "the deploy lock is held by %s; waiting up to %lds (Ctrl-C to stop)", by,
                       ctx->g.lock_wait_timeout);
            free(by);
            *announced = true;
        }
    }
    free(details);
    return rc;
}

/* --dry-run takes no lock, but says when a real run would find it held. */
static void warn_if_held(struct kc_ctx *ctx)
{
    bool held = false;
    char *details = NULL;
    struct kc_err ignored = KC_ERR_INIT;
    if (kc_lock_read(ctx, &held, &details, &ignored) == 0 && held) {
        char *desc = kc_lock_describe(details);
        kc_out_msg(ctx->out, KC_LVL_WARN, NULL,
                   "the deploy lock is held (%s): a real run would wait for it or stop", desc);
        free(desc);
    }
    free(details);
    kc_err_release(&ignored);
}

int kc_lock_take(struct kc_ctx *ctx, const char *message, struct kc_err *err)
{
    if (ctx->lock_held || ctx->lock_inherited)
        return 0;
    const char *env = getenv("KAMAL_LOCK");
    if (env && strcmp(env, "true") == 0) {
        ctx->lock_inherited = true;
        return 0;
    }
    struct kc_host *h = kc_ctx_host(ctx, kc_ctx_lock_host(ctx));
    if (ctx->g.dry_run)
        warn_if_held(ctx);
    char *b64 = lock_payload(ctx, message);
    double deadline = kc_now() + (double)ctx->g.lock_wait_timeout;
    bool announced = false;
    int rc = 0;
    for (;;) {
        bool got = false;
        rc = try_acquire(ctx, h, b64, &got, err);
        if (rc || got)
            break;
        long interval = 1;
        rc = held_elsewhere(ctx, deadline, &announced, &interval, err);
        if (rc)
            break;
        if (!wait_interval(ctx, interval)) {
            rc = kc_err_set(err, KC_EINTERRUPTED, "interrupted while waiting for the deploy lock");
            break;
        }
    }
    free(b64);
    if (rc == 0 && !ctx->g.dry_run) {
        ctx->lock_held = true;
        kc_out_msg(ctx->out, KC_LVL_DEBUG, h->name, "acquired the deploy lock");
    }
    return rc;
}

int kc_lock_drop(struct kc_ctx *ctx, struct kc_err *err)
{
    if (!ctx->lock_held)
        return 0;
    struct kc_host *h = kc_ctx_host(ctx, kc_ctx_lock_host(ctx));
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_lock_release(&c, ctx->cfg);
    int rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    kc_cmd_release(&c);
    if (rc == 0) {
        ctx->lock_held = false;
        kc_out_msg(ctx->out, KC_LVL_DEBUG, h->name, "released the deploy lock");
    } else {
        kc_err_prefix(err, "could not release the deploy lock");
        kc_err_set_hint(err, "release it with 'kamal-c lock release'");
    }
    return rc;
}

int kc_lock_remove(struct kc_ctx *ctx, bool *had_lock, struct kc_err *err)
{
    char *details = NULL;
    int rc = kc_lock_read(ctx, had_lock, &details, err);
    free(details);
    if (rc || !*had_lock)
        return rc;
    struct kc_host *h = kc_ctx_host(ctx, kc_ctx_lock_host(ctx));
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_lock_release(&c, ctx->cfg);
    rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    kc_cmd_release(&c);
    return rc;
}
