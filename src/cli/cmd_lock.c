/* cmd_lock.c - `lock acquire|release|status`, and `audit`: options; the
 * work is in ops/lock_verbs.c and ops/audit.c. */
#include "kamal-c/ops_host.h"
#include "verbs.h"

static int acquire_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    return kc_lock_acquire(ctx, kc_args_value(args, "message"), err);
}

static int release_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    (void)args;
    return kc_lock_release(ctx, err);
}

static int status_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    (void)args;
    return kc_lock_status(ctx, err);
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

static int audit_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    (void)args;
    return kc_audit_show(ctx, err);
}

const struct kc_verb kc_verb_audit = {
    .name = "audit",
    .summary = "Show the audit log from servers",
    .max_args = 0,
    .flags = KC_V_CONFIG | KC_V_HOSTS | KC_V_SECRETS,
    .exec = audit_exec,
    .help = "Prints the last 50 lines of .kamal/SERVICE[-DEST]-audit.log on each host.",
};
