/* lock_verbs.c - `lock acquire|release|status` on top of lock.c. */
#include "kamal-c/ops.h"
#include "kamal-c/ops_host.h"

#include <stdlib.h>

int kc_lock_acquire(struct kc_ctx *ctx, const char *message, struct kc_err *err)
{
    if (message == NULL || *message == '\0')
        return kc_err_set(err, KC_EUSAGE, "'lock acquire' needs a message: -m MESSAGE");
    int rc = kc_lock_take(ctx, message, err);
    if (rc)
        return rc;
    /* the lock now belongs to the host, not to this run */
    ctx->lock_held = false;
    /* --dry-run only printed the mkdir: claiming the lock was taken would lie */
    kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "%s the deploy lock on %s",
               ctx->g.dry_run ? "Would acquire" : "Acquired", kc_ctx_lock_host(ctx));
    return 0;
}

int kc_lock_release(struct kc_ctx *ctx, struct kc_err *err)
{
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

int kc_lock_status(struct kc_ctx *ctx, struct kc_err *err)
{
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
