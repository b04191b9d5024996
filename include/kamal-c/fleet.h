/* fleet.h - the hosts of one run, and the one choke point for remote work.
 *
 * A fleet holds one struct kc_host per target host. Its SSH session opens
 * lazily, on the first command for that host (connection starts are bounded
 * by max_starts, like sshkit.max_concurrent_starts), and is reused for every
 * later command of the run. kc_fleet_each runs a function for several hosts
 * in parallel worker threads; every host runs to completion and its error is
 * kept per host.
 *
 * Every remote command goes through kc_remote_run (and uploads through
 * kc_remote_upload): real runs, --dry-run (probes run, mutations are printed
 * per host instead) and -v tracing all happen there. */
#ifndef KAMAL_C_FLEET_H
#define KAMAL_C_FLEET_H

#include <signal.h>

#include "cmd.h"
#include "err.h"
#include "output.h"
#include "session.h"

enum kc_run_flags {
    KC_PROBE = 1 << 0,         /* read-only: runs under --dry-run too */
    KC_MUTATE = 1 << 1,        /* changes the host: printed, not run, under --dry-run */
    KC_CHECK = 1 << 2,         /* a non-zero exit status is an error (KC_EREMOTE) */
    KC_QUIET = 1 << 3,         /* not traced with -v (lock polling, say) */
    KC_SECRET_OUTPUT = 1 << 4, /* -v traces the command but not its output (it may be
                                  derived from secrets: env file hashes, container env) */
    KC_CLEANUP = 1 << 5,       /* must run after SIGINT/SIGTERM too (the lock release):
                                  ignores the cancel flag, bounded by its own deadline
                                  (KC_CLEANUP_SECONDS), on a fresh session when the
                                  host's is unusable */
};

/* How long a KC_CLEANUP command may take, connecting included. */
#define KC_CLEANUP_SECONDS 10

struct kc_fleet;

struct kc_host {
    struct kc_fleet *fleet;
    char *name;
    /* connection settings, owned copies */
    char *user;
    int port;
    char *jump;
    struct kc_strvec keys;
    struct kc_strvec key_data;
    bool keys_only;
    enum kc_ssh_cfg config_mode;
    struct kc_strvec config_files;
    /* state */
    struct kc_session *session;
    int conn_code;          /* 0 not tried/open, <0 failed (KC_EUNREACHABLE) */
    struct kc_err conn_err; /* why it failed */
    bool lost;              /* connection dropped mid-run */
};

/* A transport instead of SSH, for unit tests of the ops layer: every command
 * kc_remote_run would send is handed to exec as its exact rendered line
 * (after the dry-run, trace and flag logic, which stay real), and every
 * upload to upload. They fill res / return a KC_E* code as a host would.
 * Streaming and interactive commands are not scripted (KC_EREMOTE). */
struct kc_transport {
    int (*exec)(void *ud, const char *host, const char *line, const void *stdin_data,
                size_t stdin_len, struct kc_exec_result *res, struct kc_err *err);
    int (*upload)(void *ud, const char *host, const char *path, const void *data, size_t len,
                  int mode, struct kc_err *err);
    void *ud;
};

struct kc_fleet_opts {
    bool dry_run;
    int max_starts;      /* concurrent connection starts; 0 = 30 */
    int connect_timeout; /* seconds; 0 = 10 */
    int keepalive;       /* seconds between keepalives while waiting; 0 = 30 */
    const volatile sig_atomic_t *cancel;
    const struct kc_transport *transport; /* NULL: SSH; else scripted hosts (tests) */
};

struct kc_fleet *kc_fleet_new(struct kc_out *out, const struct kc_fleet_opts *opts);
void kc_fleet_free(struct kc_fleet *f);
bool kc_fleet_dry_run(const struct kc_fleet *f);

/* The host named name, added (with these settings) when new. */
struct kc_host *kc_fleet_host(struct kc_fleet *f, const char *name, const struct kc_ssh_opts *ssh);

/* The run's output sink (for live progress: kc_out_step). */
struct kc_out *kc_host_out(const struct kc_host *h);
/* Opens the host's session if needed. The first failure is remembered: later
 * calls fail at once with the same error. */
int kc_host_connect(struct kc_host *h, struct kc_err *err);

/* Runs cmd on h (see enum kc_run_flags). res may be NULL. Returns 0 when the
 * command ran (or was planned), KC_EREMOTE for a non-zero exit with
 * KC_CHECK (err has the command, exit status and stderr), KC_EUNREACHABLE
 * when the host cannot be reached or the connection is lost,
 * KC_EINTERRUPTED on SIGINT/SIGTERM: whatever failed once the cancel flag is
 * set is the interruption, never "unreachable" (the host's session is then
 * set aside, and a KC_CLEANUP command opens a fresh one). */
int kc_remote_run(struct kc_host *h, const struct kc_cmd *cmd, unsigned flags,
                  struct kc_exec_result *res, struct kc_err *err);

/* Writes a file on h with mode (a mutation; under --dry-run "would write
 * PATH (mode 0600, N bytes)" is printed instead). */
int kc_remote_upload(struct kc_host *h, const char *path, const void *data, size_t len, int mode,
                     struct kc_err *err);

/* Streams output lines of cmd (logs -f; a remote build, with the command's
 * stdin data sent first); see kc_session_stream. */
int kc_remote_stream(struct kc_host *h, const struct kc_cmd *cmd, bool pty, kc_line_cb cb, void *ud,
                     int *status, struct kc_err *err);

/* Runs cmd interactively with a PTY (exec -i); see kc_session_interactive. */
int kc_remote_interactive(struct kc_host *h, const struct kc_cmd *cmd, int *status,
                          struct kc_err *err);

/* Runs fn(host, ud, &errs[i]) for every host in parallel (bounded worker
 * pool). errs must have n entries, initialised; each gets that host's error.
 * Returns the worst code by the precedence of the exit codes: any
 * KC_EUNREACHABLE, else KC_EINTERRUPTED, else any other failure, else 0. */
typedef int (*kc_host_fn)(struct kc_host *h, void *ud, struct kc_err *err);
int kc_fleet_each(struct kc_fleet *f, struct kc_host *const *hosts, size_t n, kc_host_fn fn,
                  void *ud, struct kc_err *errs);

/* Combine two per-host codes into the one that decides the exit status. */
int kc_code_worst(int a, int b);

#endif
