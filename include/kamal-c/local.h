/* local.h - the one choke point for programs run on this machine.
 *
 * Every local program (hooks, `$(cmd)` in secrets files, docker login on the
 * workstation, git; next: docker build and push) goes through kc_local_run,
 * which takes the same struct kc_cmd and the same flags as kc_remote_run
 * (fleet.h), so --dry-run, -v and failures behave alike on both sides:
 *
 *   KC_PROBE   read-only: runs under --dry-run too
 *   KC_MUTATE  under --dry-run its display form is printed ("[local] would
 *              run: ...") and it "succeeds" with an empty result
 *   KC_CHECK   a non-zero exit status is KC_EREMOTE with the display command
 *              and the program's stderr (or its output when merged)
 *   KC_QUIET   not traced with -v
 *   KC_SECRET_OUTPUT  -v traces the command but not its output
 *
 * With -v the display form ("$ docker login ...") and then the output lines
 * ("  | " stdout, "  ! " stderr) go to stderr as they come, host "local",
 * redacted. The command's tokens are its argv (no shell: a token must be a
 * plain argument, KC_TOK_ARG); it runs with our environment plus opts->env.
 * Secrets reach it through opts->env or the command's stdin, never argv. The
 * run's cancel flag (Ctrl-C) stops it: SIGTERM, then SIGKILL after 5 s. */
#ifndef KAMAL_C_OPS_LOCAL_H
#define KAMAL_C_OPS_LOCAL_H

#include "ctx.h"
#include "proc.h"

struct kc_local_opts {
    const struct kc_kvlist *env; /* added to (or replacing in) our environment; never shown */
    bool merge_stderr;           /* stderr into res->out, interleaved (hooks) */
    bool stderr_to_terminal;     /* stderr goes to ours as is ($(cmd) in secrets files) */
    bool stdin_from_terminal;    /* our stdin, not /dev/null (a vendor CLI's login prompt) */
    kc_proc_line_fn on_line;     /* each output line as it comes (after the -v trace) */
    void *ud;
    size_t cap; /* bytes kept of each stream; 0: 1 MiB */
};

/* The seam for unit tests of ops/ (as struct kc_transport is for hosts): with
 * ctx->local_transport set, kc_local_run does everything as usual (dry run,
 * trace, flags, errors) but hands the program's argv, the environment
 * variables added (opts->env, may be NULL) and its stdin to run, which fills
 * res as the program would: 0 when it ran, or -1 with errno (ENOENT: not
 * installed) when it could not start. */
struct kc_local_transport {
    int (*run)(void *ud, const char *const *argv, const struct kc_kvlist *env,
               const void *stdin_data, size_t stdin_len, struct kc_exec_result *res);
    void *ud;
};

/* Runs cmd on this machine (see above). res may be NULL; res->status is the
 * exit status, or 128 + N when signal N ended it (res->signal names it).
 * Returns 0 when it ran (or was planned), KC_EREMOTE when it could not start
 * ("could not run 'docker': No such file or directory") or failed under
 * KC_CHECK, KC_EINTERRUPTED when the cancel flag stopped it. */
int kc_local_run(struct kc_ctx *ctx, const struct kc_cmd *cmd, unsigned flags,
                 const struct kc_local_opts *opts, struct kc_exec_result *res, struct kc_err *err);

/* Runs argv (KC_PROBE | KC_QUIET) and returns the first line of its output,
 * trimmed, or NULL when it failed or printed nothing (git config user.email).
 * Caller frees. */
char *kc_local_line(struct kc_ctx *ctx, const char *const argv[]);

#endif
