/* local.h - running local programs (hooks, git, whoami) without a shell. */
#ifndef KAMAL_C_OPS_LOCAL_H
#define KAMAL_C_OPS_LOCAL_H

#include <signal.h>

#include "kamal-c/util.h"

/* Runs argv[0] (looked up in PATH) with envp (NULL = our environment),
 * capturing stdout (and stderr into the same buffer when merge_stderr, else
 * stderr is discarded) up to 1 MiB. *status is the exit status, or 128+signal.
 * Returns 0 when the program ran, -1 when it could not be started (errno). */
int kc_local_run(const char *const argv[], char *const envp[], bool merge_stderr,
                 struct kc_buf *out, int *status);
/* The same with data written to the program's stdin (then EOF). */
int kc_local_run_stdin(const char *const argv[], char *const envp[], const char *stdin_data,
                       bool merge_stderr, struct kc_buf *out, int *status);
/* The same again, stopping the program (SIGTERM, then SIGKILL after 5 s) when
 * *cancel becomes non-zero; *status is then 128+SIGTERM and the call returns 1. */
int kc_local_run_cancellable(const char *const argv[], char *const envp[], bool merge_stderr,
                             struct kc_buf *out, int *status, const volatile sig_atomic_t *cancel);
/* Runs argv and returns its first output line, trimmed, or NULL when it
 * failed or printed nothing. */
char *kc_local_line(const char *const argv[]);

#endif
