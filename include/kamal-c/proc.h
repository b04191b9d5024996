/* proc.h - the one place where kamal-c starts a local program.
 *
 * kc_proc_run forks and execs argv (no shell unless argv says /bin/sh -c),
 * feeds stdin from memory, delivers the output line by line to a callback
 * and/or captures it with a cap, and stops the program when the cancel flag
 * is set (SIGTERM, then SIGKILL). It knows nothing of dry runs, traces or
 * secrets: ops/local.c (kc_local_run) adds those on top, and config/dotenv.c
 * uses it directly for its default $(command) runner. Secrets reach a program
 * through envp or stdin, never argv. */
#ifndef KAMAL_C_PROC_H
#define KAMAL_C_PROC_H

#include <signal.h>

#include "util.h"

/* One line of output (without its \n, a \r before it kept), as it comes.
 * Returning non-zero stops the program as a cancel would. */
typedef int (*kc_proc_line_fn)(void *ud, const char *line, size_t len, bool is_stderr);

enum kc_proc_stderr {
    KC_PROC_ERR_CAPTURE, /* its own stream: into err, lines with is_stderr */
    KC_PROC_ERR_MERGE,   /* into out, interleaved as written (2>&1) */
    KC_PROC_ERR_INHERIT, /* our own stderr (the terminal) */
    KC_PROC_ERR_DISCARD, /* /dev/null */
};

#define KC_PROC_CAP_DEFAULT (1024 * 1024)

struct kc_proc {
    const char *const *argv; /* NULL-terminated; argv[0] is looked up in PATH */
    char *const *envp;       /* the whole environment; NULL: ours */
    const void *stdin_data;  /* written to its stdin, then EOF; NULL: /dev/null */
    size_t stdin_len;
    enum kc_proc_stderr stderr_mode;
    struct kc_buf *out; /* captured stdout (NULL: not kept) */
    struct kc_buf *err; /* captured stderr with KC_PROC_ERR_CAPTURE (NULL: not kept) */
    size_t cap;         /* bytes kept per buffer; 0: KC_PROC_CAP_DEFAULT */
    kc_proc_line_fn on_line;
    void *ud;
    const volatile sig_atomic_t *cancel; /* non-zero: stop it */
    int kill_after_ms;                   /* SIGKILL this long after SIGTERM; 0: 5000 */
    bool
        stdin_inherit; /* without stdin_data: our own stdin (a login that prompts), not /dev/null */
};
#define KC_PROC_INIT                                                                               \
    {                                                                                              \
        NULL, NULL, NULL, 0, KC_PROC_ERR_CAPTURE, NULL, NULL, 0, NULL, NULL, NULL, 0, false        \
    }

struct kc_proc_result {
    int status;     /* its exit status, or 128 + the signal that ended it */
    int signal;     /* the signal that ended it, 0 when it exited */
    bool cancelled; /* stopped because of cancel (or on_line) */
    bool truncated; /* output beyond cap was read and dropped */
};

/* Runs p->argv to completion. Returns 0 when the program ran (whatever its
 * exit status), -1 when it could not be started, with errno set (ENOENT: not
 * found in PATH, EACCES: not executable, or why pipe/fork failed). SIGPIPE
 * must be ignored by the caller's process (the dispatcher does); the child
 * gets the default disposition back. */
int kc_proc_run(const struct kc_proc *p, struct kc_proc_result *res);

#endif
