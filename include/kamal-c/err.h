/* err.h - one error convention for the whole program.
 *
 * Functions that can fail return 0 on success or a negative KC_E* code and,
 * when given one, fill a caller-owned struct kc_err with the human detail:
 * where (file:line:col, or the host), what ran (the command), and what the
 * remote side said (its stderr). Only main() maps a code to an exit status and
 * only the output layer prints. */
#ifndef KAMAL_C_ERR_H
#define KAMAL_C_ERR_H

#include "util.h"

enum kc_code {
    KC_OK = 0,
    KC_EREMOTE = -1,      /* a step failed on a host (exit 1) */
    KC_EUSAGE = -2,       /* bad command line (exit 2) */
    KC_ECONFIG = -3,      /* configuration or secrets (exit 3) */
    KC_EUNREACHABLE = -4, /* connect, auth, host key, lost connection (exit 4) */
    KC_ELOCKED = -5,      /* deploy lock held by someone else (exit 5) */
    KC_EDRIFT = -6,       /* drift found with --fail-on-drift (exit 6) */
    KC_EIO = -7,          /* local I/O (exit 1) */
    KC_EINTERRUPTED = -8, /* SIGINT/SIGTERM (exit 130) */
    KC_EABORTED = -9,     /* the user declined a confirmation (exit 1) */
};

struct kc_err {
    int code;
    char *msg;        /* what went wrong, lowercase, no trailing period */
    char *file;       /* config file, when the error has a location */
    int line, col;    /* 1-based; 0 when unknown */
    char *host;       /* host the error happened on */
    char *command;    /* the command line that failed (secrets masked) */
    char *remote_err; /* what the remote command wrote to stderr */
    char *hint;       /* an optional second line: what to do about it */
};
#define KC_ERR_INIT                                                                                \
    {                                                                                              \
        0, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL                                                \
    }

/* Fill err (which may be NULL) and return code, so callers can write
 * `return kc_err_set(err, KC_ECONFIG, "...")`. A second set replaces the
 * first. */
int kc_err_set(struct kc_err *err, int code, const char *fmt, ...) KC_PRINTF(3, 4);
int kc_err_vset(struct kc_err *err, int code, const char *fmt, va_list ap) KC_PRINTF(3, 0);
int kc_err_at(struct kc_err *err, int code, const char *file, int line, int col, const char *fmt,
              ...) KC_PRINTF(6, 7);
void kc_err_set_host(struct kc_err *err, const char *host);
void kc_err_set_command(struct kc_err *err, const char *command);
void kc_err_set_remote(struct kc_err *err, const char *remote_stderr);
void kc_err_set_hint(struct kc_err *err, const char *fmt, ...) KC_PRINTF(2, 3);
/* Prepends "prefix: " to the message (for context added on the way up). */
void kc_err_prefix(struct kc_err *err, const char *fmt, ...) KC_PRINTF(2, 3);
/* Moves src into dst (dst released first); src is left empty. */
void kc_err_move(struct kc_err *dst, struct kc_err *src);
void kc_err_release(struct kc_err *err);
/* One line: "file:line:col: msg" or "[host] msg" or "msg". Caller frees. */
char *kc_err_format(const struct kc_err *err);

/* The process exit status for a code (0, 1, 2, 3, 4, 5, 6, 130). */
int kc_exit_status(int code);
/* A short name for a code: "usage", "config", "unreachable", ... */
const char *kc_code_name(int code);

#endif
