/* cmd_lock.c - `lock acquire|release|status`, and `audit`. */
#include "kamal-c/commands.h"
#include "kamal-c/ops.h"
#include "verbs.h"

#include <stdlib.h>
#include <string.h>

static int acquire_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    const char *msg = kc_args_value(args, "message");
    if (msg == NULL || *msg == '\0')
        return kc_err_set(err, KC_EUSAGE, "'lock acquire' needs a message: -m MESSAGE");
    int rc = kc_lock_take(ctx, msg, err);
    if (rc)
        return rc;
    /* the lock now belongs to the host, not to this run */
    ctx->lock_held = false;
    /* --dry-run only printed the mkdir: claiming the lock was taken would lie */
    kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "%s the deploy lock on %s",
               ctx->g.dry_run ? "Would acquire" : "Acquired", kc_ctx_lock_host(ctx));
    return 0;
}

static int release_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    (void)args;
    bool had = false;
    int rc = kc_lock_remove(ctx, &had, err);
    /* --dry-run printed the rm and left the lock in place: say so */
    if (rc == 0)
        kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "%s",
                   !had             ? "There is no deploy lock"
                   : ctx->g.dry_run ? "Would release the deploy lock"
                                    : "Released the deploy lock");
    return rc;
}

static int status_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    (void)args;
    bool held = false;
    char *details = NULL;
    int rc = kc_lock_read(ctx, &held, &details, err);
    if (rc == 0) {
        if (held) {
            /* Kamal's three lines, then how long it has been held */
            char *desc = kc_lock_describe(details);
            char *text = kc_xasprintf("%s\nHeld: %s\n", details, desc);
            kc_out_block(ctx->out, "Deploy lock on", kc_ctx_lock_host(ctx), text);
            free(text);
            free(desc);
        } else
            kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "There is no deploy lock");
    }
    free(details);
    return rc;
}

static const struct kc_opt acquire_opts[] = {
    {"message", 'm', true, "MESSAGE", "why the lock is taken (required)"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_verb lock_acquire = {
    .name = "acquire",
    .summary = "Acquire the deploy lock",
    .max_args = 0,
    .opts = acquire_opts,
    .flags = KC_V_CONFIG | KC_V_HOSTS | KC_V_MUTATES,
    .exec = acquire_exec,
    .help = "Takes the lock on the primary host with your message. Exit 5 when it is held.",
};

static const struct kc_verb lock_release = {
    .name = "release",
    .summary = "Release the deploy lock",
    .max_args = 0,
    .flags = KC_V_CONFIG | KC_V_HOSTS | KC_V_MUTATES,
    .exec = release_exec,
};

static const struct kc_verb lock_status = {
    .name = "status",
    .summary = "Report lock status",
    .max_args = 0,
    .flags = KC_V_CONFIG | KC_V_HOSTS,
    .exec = status_exec,
};

static const struct kc_verb *const lock_subs[] = {&lock_acquire, &lock_release, &lock_status, NULL};

const struct kc_verb kc_verb_lock = {
    .name = "lock",
    .summary = "Manage the deploy lock",
    .subs = lock_subs,
};

/* ---- audit ---- */

static int audit_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct kc_ctx *ctx = ud;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_audit_reveal(&c, ctx->cfg);
    int rc = kc_remote_run(h, &c, KC_PROBE, &res, err);
    if (rc == 0)
        kc_out_block(ctx->out, "Host", h->name,
                     res.status == 0 ? kc_buf_str(&res.out) : "(no audit log yet)\n");
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

static int audit_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    (void)args;
    ctx->out->keep_headers = ctx->hosts.n > 1; /* -q: which host's log is which */
    return kc_verb_each_host(ctx, &ctx->hosts, audit_host, ctx, err);
}

const struct kc_verb kc_verb_audit = {
    .name = "audit",
    .summary = "Show the audit log from servers",
    .max_args = 0,
    .flags = KC_V_CONFIG | KC_V_HOSTS | KC_V_SECRETS,
    .exec = audit_exec,
    .help = "Prints the last 50 lines of .kamal/SERVICE[-DEST]-audit.log on each host.",
};
