/* lock.c - the deploy lock, compatible with Kamal's: a directory
 * .kamal/lock-SVC[-DEST] with a base64 `details` file, on the configuration's
 * primary host (whatever -h/-r select, so filtered runs cannot race).
 *
 * Beyond Kamal: an automatic lock's details end with a fourth line,
 * "Process: PID on HOST (pid namespace N)", so a later run on the same
 * machine can tell that the run which took it is gone and take it over; a
 * lock is released only while its details are still the ones this run wrote;
 * and after SIGINT/SIGTERM the release still runs (KC_CLEANUP). */
#include "kamal-c/commands.h"
#include "kamal-c/ops.h"
#include "kamal-c/local.h"
#include "kamal-c/steps.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KC_AUTOMATIC_LOCK "Automatic deploy lock"
/* how often a run waiting for an automatic lock says who holds it */
#define KC_LOCK_REPORT_SECONDS 15

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

/* Reads the lock with flags; *raw (if asked) gets the details file as it is. */
static int lock_read(struct kc_ctx *ctx, unsigned flags, bool *held, char **details, char **raw,
                     struct kc_err *err)
{
    struct kc_host *h = kc_ctx_host(ctx, kc_ctx_lock_host(ctx));
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_lock_status(&c, ctx->cfg);
    *held = false;
    *details = NULL;
    if (raw)
        *raw = NULL;
    int rc = kc_remote_run(h, &c, flags, &res, err);
    if (rc == 0 && res.status == 0) {
        *held = true;
        char *decoded = base64_decode(kc_buf_str(&res.out));
        *details = decoded && *decoded ? decoded : kc_xstrdup("(no details)");
        if (decoded && *details != decoded)
            free(decoded);
        if (raw)
            *raw = kc_xstrdup(kc_buf_str(&res.out));
    }
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

int kc_lock_read(struct kc_ctx *ctx, bool *held, char **details, struct kc_err *err)
{
    return lock_read(ctx, KC_PROBE | KC_QUIET, held, details, NULL, err);
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

/* Fills err with who holds the lock, since when and why; the hint depends on
 * whether it was taken by hand and whether this run already waited. */
static int locked_error(const struct kc_ctx *ctx, const char *details, bool manual, bool timed_out,
                        struct kc_err *err)
{
    char *msg = details_field(details, "Message");
    char *by = details_field(details, "Locked by");
    char *age = age_text(details_age(details));
    kc_err_set(err, KC_ELOCKED, "the deploy lock is held by %s (%s): %s", by, age, msg);
    if (timed_out)
        kc_err_prefix(err, "timed out after %lds waiting for the deploy lock",
                      ctx->g.lock_wait_timeout);
    if (manual && !timed_out)
        kc_err_set_hint(err, "it was taken with 'lock acquire'; wait with --lock-wait, or "
                             "release it with 'kamal-c lock release' if it is stale");
    else if (manual)
        kc_err_set_hint(err, "it was taken with 'lock acquire'; wait longer with "
                             "--lock-wait-timeout, or release it with 'kamal-c lock release' "
                             "if it is stale");
    else
        kc_err_set_hint(err, "another run holds it; wait longer with --lock-wait-timeout, or, "
                             "if that run is gone, release it with 'kamal-c lock release'");
    free(msg);
    free(by);
    free(age);
    return KC_ELOCKED;
}

/* Sleeps until `until` (a kc_now() time), returning early (false) when
 * cancelled. */
static bool nap_until(struct kc_ctx *ctx, double until)
{
    for (;;) {
        if (kc_ctx_cancelled(ctx))
            return false;
        double left = until - kc_now();
        if (left <= 0)
            return true;
        usleep(left > 0.1 ? 100000 : (useconds_t)(left * 1e6) + 1);
    }
}

/* Runs the acquire command; *maybe is set when it was cut short, so the
 * mkdir may have run on the host. */
static int try_acquire(struct kc_ctx *ctx, struct kc_host *h, const char *b64, bool *got,
                       bool *maybe, struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_lock_acquire(&c, ctx->cfg, b64);
    int rc = kc_remote_run(h, &c, KC_MUTATE, &res, err);
    *got = rc == 0 && res.status == 0;
    *maybe = rc != 0;
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

/* "HOST (pid namespace N)": where this process runs, as recorded in the
 * locks it takes. Two machines (or containers) share a PID space only when
 * both parts are equal. */
static char *this_machine(void)
{
    char host[256] = "unknown";
    char ns[64] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    ssize_t n = readlink("/proc/self/ns/pid", ns, sizeof ns - 1);
    ns[n > 0 ? n : 0] = '\0';
    /* "pid:[4026531836]" -> "4026531836" */
    char *open = strchr(ns, '['), *close = strchr(ns, ']');
    if (open && close && close > open) {
        *close = '\0';
        return kc_xasprintf("%s (pid namespace %s)", host, open + 1);
    }
    return kc_xstrdup(host);
}

/* The owner line of an automatic lock: "PID on HOST (pid namespace N)". */
static char *this_process(void)
{
    char *machine = this_machine();
    char *s = kc_xasprintf("%ld on %s", (long)getpid(), machine);
    free(machine);
    return s;
}

/* True for an automatic lock taken by a kamal-c process on this machine that
 * no longer exists. A lock without the owner line (Kamal's, an older
 * kamal-c's, or one taken with `lock acquire`) is never stale. */
static bool owner_gone(const char *details)
{
    char *owner = details_field(details, "Process");
    char *machine = this_machine();
    char *end = NULL;
    long pid = strtol(owner, &end, 10);
    bool gone = false;
    if (end != owner && pid > 0 && strncmp(end, " on ", 4) == 0 && strcmp(end + 4, machine) == 0 &&
        pid != (long)getpid())
        gone = kill((pid_t)pid, 0) != 0 && errno == ESRCH;
    free(owner);
    free(machine);
    return gone;
}

/* Removes a stale automatic lock (still exactly as it was read). Returns
 * whether it was removed; a lock that changed in between stays. */
static bool take_over(struct kc_ctx *ctx, struct kc_host *h, const char *raw, const char *details)
{
    char *by = details_field(details, "Locked by");
    char *owner = details_field(details, "Process");
    kc_out_msg(ctx->out, KC_LVL_WARN, NULL,
               "the deploy lock taken by %s was left by kamal-c process %s, which is gone: "
               "taking it over",
               by, owner);
    free(by);
    free(owner);
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_lock_release_if(&c, ctx->cfg, raw);
    struct kc_err ignored = KC_ERR_INIT;
    int rc = kc_remote_run(h, &c, KC_MUTATE, &res, &ignored);
    bool removed = rc == 0 && res.status == 0;
    kc_err_release(&ignored);
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return removed;
}

static char *lock_payload(struct kc_ctx *ctx, const char *message)
{
    char when[32];
    kc_utc_iso8601(when);
    char *by = locked_by(ctx);
    char *version = resolve_version(ctx);
    char *details = kc_lock_details(by, when, version, message ? message : KC_AUTOMATIC_LOCK);
    if (message == NULL) {
        /* who to ask whether it is still there (Kamal shows the extra line
         * in its `lock status` and still sees the automatic message) */
        char *owner = this_process();
        char *with_owner = kc_xasprintf("%s\nProcess: %s", details, owner);
        free(owner);
        free(details);
        details = with_owner;
    }
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

struct lock_wait {
    double deadline;
    double next_report; /* 0 until the first report */
    long interval;      /* seconds to the next try */
};

/* Says who holds the lock and since when: first at once, then every
 * KC_LOCK_REPORT_SECONDS while waiting. */
static void report_wait(struct kc_ctx *ctx, const char *details, struct lock_wait *w)
{
    double now = kc_now();
    if (w->next_report > 0 && now < w->next_report)
        return;
    char *by = details_field(details, "Locked by");
    char *owner = details_field(details, "Process");
    char *age = age_text(details_age(details));
    char *who = *owner ? kc_xasprintf("%s (kamal-c process %s)", by, owner) : kc_xstrdup(by);
    long left = (long)(w->deadline - now + 0.5);
    if (w->next_report == 0)
        kc_out_msg(ctx->out, KC_LVL_WARN, NULL,
                   "the deploy lock is held by %s, %s; waiting up to %lds (Ctrl-C to stop)", who,
                   age, left);
    else
        kc_out_msg(ctx->out, KC_LVL_WARN, NULL,
                   "still waiting for the deploy lock, held by %s, %s; %lds left", who, age, left);
    w->next_report = now + KC_LOCK_REPORT_SECONDS;
    free(who);
    free(by);
    free(owner);
    free(age);
}

/* The lock is held by someone else: take over a stale one, or decide
 * whether to wait. Returns 0 to retry, or the error. */
static int held_elsewhere(struct kc_ctx *ctx, struct kc_host *h, struct lock_wait *w,
                          struct kc_err *err)
{
    bool held = false;
    char *details = NULL, *raw = NULL;
    w->interval = 0;
    int rc = lock_read(ctx, KC_PROBE | KC_QUIET, &held, &details, &raw, err);
    if (rc || !held) {
        free(details);
        free(raw);
        return rc; /* released in between: retry at once */
    }
    char *msg = details_field(details, "Message");
    bool automatic = strcmp(msg, KC_AUTOMATIC_LOCK) == 0;
    free(msg);
    if (automatic && owner_gone(details) && take_over(ctx, h, raw, details)) {
        /* retry at once */
    } else if (!automatic && !ctx->g.lock_wait) {
        rc = locked_error(ctx, details, true, false, err);
    } else if (kc_now() >= w->deadline) {
        rc = locked_error(ctx, details, !automatic, true, err);
    } else {
        w->interval = poll_interval(ctx, automatic);
        report_wait(ctx, details, w);
    }
    free(details);
    free(raw);
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
    free(ctx->lock_file);
    ctx->lock_file = kc_xasprintf("%s\n", b64); /* as echo writes it */
    struct lock_wait w = {kc_now() + (double)ctx->g.lock_wait_timeout, 0, 0};
    int rc = 0;
    for (;;) {
        bool got = false, maybe = false;
        rc = try_acquire(ctx, h, b64, &got, &maybe, err);
        ctx->lock_maybe_held |= maybe && !ctx->g.dry_run;
        if (rc || got)
            break;
        rc = held_elsewhere(ctx, h, &w, err);
        if (rc)
            break;
        /* never past the deadline: the last try is at the deadline */
        double until = kc_now() + (double)w.interval;
        if (until > w.deadline)
            until = w.deadline;
        if (!nap_until(ctx, until)) {
            rc = kc_err_set(err, KC_EINTERRUPTED, "interrupted while waiting for the deploy lock");
            break;
        }
    }
    free(b64);
    if (rc == 0 && !ctx->g.dry_run) {
        ctx->lock_held = true;
        ctx->lock_maybe_held = false;
        kc_out_msg(ctx->out, KC_LVL_DEBUG, h->name, "acquired the deploy lock");
    }
    return rc;
}

int kc_lock_drop(struct kc_ctx *ctx, struct kc_err *err)
{
    if (!ctx->lock_held && !ctx->lock_maybe_held)
        return 0;
    struct kc_host *h = kc_ctx_host(ctx, kc_ctx_lock_host(ctx));
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    /* only ours: someone may have released it by hand and taken it since;
     * KC_CLEANUP: this runs after Ctrl-C too */
    kc_cmd_lock_release_if(&c, ctx->cfg, ctx->lock_file);
    kc_step_doing(h, "release the deploy lock");
    int rc = kc_remote_run(h, &c, KC_MUTATE | KC_CLEANUP, &res, err);
    if (rc == 0 && res.status == 127 && ctx->lock_held) {
        /* no cmp on the host: Kamal's unconditional release */
        kc_cmd_release(&c);
        kc_cmd_lock_release(&c, ctx->cfg);
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CLEANUP | KC_CHECK, &res, err);
    }
    kc_cmd_release(&c);
    if (rc == 0) {
        ctx->lock_released = res.status == 0 && !ctx->g.dry_run;
        ctx->lock_held = ctx->lock_maybe_held = false;
        if (ctx->lock_released)
            kc_out_msg(ctx->out, KC_LVL_DEBUG, h->name, "released the deploy lock");
    } else {
        kc_err_prefix(err, "could not release the deploy lock on %s, so it may be left behind",
                      h->name);
        kc_err_set_hint(err, "release it with 'kamal-c lock release'");
    }
    kc_exec_result_release(&res);
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
