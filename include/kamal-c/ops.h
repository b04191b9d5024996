/* ops.h - orchestration shared by verbs: the deploy lock, hooks, per-host
 * results. The host steps are in steps.h, local programs in local.h. Verbs
 * call these; they never build command strings themselves (commands/ does)
 * and never print directly (output/). */
#ifndef KAMAL_C_OPS_H
#define KAMAL_C_OPS_H

#include "ctx.h"

/* ---- deploy lock (Kamal-compatible: .kamal/lock-SVC[-DEST] on the
 * configuration's primary host) ---- */

/* Takes the lock unless this run already holds it or KAMAL_LOCK=true says a
 * parent run does. An automatic lock held by another run is waited for
 * (bounded by --lock-wait-timeout); a lock taken with `lock acquire` fails at
 * once with KC_ELOCKED, naming holder, age and message, unless --lock-wait.
 * Under --dry-run nothing is taken. */
int kc_lock_take(struct kc_ctx *ctx, const char *message, struct kc_err *err);
/* Releases the lock if this run took it (errors are reported, not fatal). */
int kc_lock_drop(struct kc_ctx *ctx, struct kc_err *err);
/* Reads the lock: *held false when there is none; details decoded. */
int kc_lock_read(struct kc_ctx *ctx, bool *held, char **details, struct kc_err *err);
/* "by NAME at TIME, 3 min ago: MESSAGE" from the decoded details. */
char *kc_lock_describe(const char *details);
/* Removes the lock whoever holds it (`lock release`). */
int kc_lock_remove(struct kc_ctx *ctx, bool *had_lock, struct kc_err *err);

/* ---- hooks (local executables in hooks_path, with KAMAL_* variables) ---- */

/* Runs hook NAME if it exists (and -H was not given). extra adds variables
 * (KAMAL_HOSTS for a group, KAMAL_RUNTIME). with_secrets exports every
 * secret. A failing hook is KC_EREMOTE "hook 'NAME' failed" with its output. */
int kc_hook_run(struct kc_ctx *ctx, const char *name, const struct kc_kvlist *extra,
                bool with_secrets, struct kc_err *err);

/* ---- per-host results ---- */

/* Reports every host's error to the output and folds them into one code
 * (unreachable beats failed); err gets a one-line summary. */
int kc_report_host_errors(struct kc_ctx *ctx, struct kc_host *const *hosts, struct kc_err *errs,
                          size_t n, int code, struct kc_err *err);

/* The outcome a failed host or accessory is reported with: "unreachable",
 * "interrupted" (never "unreachable": the run was cut short) or "failed". */
const char *kc_outcome_of(int code);

/* Reports a per-host outcome; under --dry-run the outcome is what would
 * happen ("booted" -> "would boot"). */
void kc_report(struct kc_ctx *ctx, const char *host, const char *subject, const char *outcome,
               const char *detail);

/* Runs fn on the hosts named in names, in parallel, then reports each
 * host's error and folds them into one code (see kc_report_host_errors). */
int kc_verb_each_host(struct kc_ctx *ctx, const struct kc_strvec *names, kc_host_fn fn, void *ud,
                      struct kc_err *err);

/* The selected hosts as fleet hosts (in selection order). Caller frees the
 * array (not the hosts). */
struct kc_host **kc_ctx_fleet_hosts(struct kc_ctx *ctx, const struct kc_strvec *names);

/* Asks "question [y/N]" on the terminal. Without a TTY on stdin (CI, a closed
 * stdin) it fails at once with a usage error telling to pass -y. */
int kc_confirm(struct kc_ctx *ctx, const char *question, struct kc_err *err);

#endif
