/* session.h - one libssh session to one host.
 *
 * A session is opened once per host per run and reused for every command (a
 * channel per command). It must be used by one thread at a time (libssh's
 * rule); different sessions may run in parallel threads. TCP_NODELAY is always
 * on. Connecting and authenticating are bounded by connect_timeout; commands
 * are not (an image pull may take minutes), but keepalives detect a dead peer:
 * while a command runs silent for keepalive_interval, a keepalive is sent and
 * its reply awaited for two more intervals, so a peer that went away is
 * reported ("connection to HOST lost: ...", KC_EUNREACHABLE) within about
 * three intervals; the socket also gets SO_KEEPALIVE and TCP_USER_TIMEOUT.
 * Once lost, every later call fails at once with the same reason.
 *
 * ssh config: HOST is set, then the config is parsed (libssh: Host/Match,
 * HostName, Port, User, IdentityFile, UserKnownHostsFile, ...), then
 * deploy.yml's user and port are applied, so they win; the user defaults to
 * root only when neither set one. ConnectTimeout is overridden by
 * connect_timeout. A ProxyJump is run natively (like jump); a ProxyCommand is
 * refused (it would run a program). ServerAliveInterval and other keywords
 * libssh ignores stay ignored.
 *
 * Host keys follow OpenSSH's accept-new: an unknown key is recorded in the
 * known_hosts file (the config's UserKnownHostsFile, else ~/.ssh/known_hosts),
 * a changed key (or one of another type) is refused: KC_EUNREACHABLE, the
 * message names the host and the SHA256 fingerprint offered, err->hint gives
 * the ssh-keygen -R command. Never weaker than that, whatever the ssh config
 * says; StrictHostKeyChecking yes there also refuses unknown keys.
 *
 * Errors fill err->host; err->command is left to the caller (the command
 * line may hold secrets that only the caller knows how to mask). */
#ifndef KAMAL_C_SESSION_H
#define KAMAL_C_SESSION_H

#include <signal.h>

#include "err.h"
#include "util.h"

enum kc_ssh_cfg { KC_SSHCFG_DEFAULT, KC_SSHCFG_NONE, KC_SSHCFG_FILES };

struct kc_ssh_opts {
    const char *host;      /* as in deploy.yml: name or address (a Host alias works) */
    const char *user;      /* NULL: from ssh config, else root */
    int port;              /* 0: from ssh config, else 22 */
    const char *jump;      /* "[user@]host[:port]" or NULL (ssh.proxy) */
    const struct kc_strvec *keys;     /* identity files (ssh.keys), may be NULL */
    const struct kc_strvec *key_data; /* private keys as PEM text, may be NULL */
    bool keys_only;                   /* no agent, only keys/key_data */
    enum kc_ssh_cfg config_mode;      /* DEFAULT: ~/.ssh/config + /etc/ssh/ssh_config */
    const struct kc_strvec *config_files; /* for KC_SSHCFG_FILES */
    int connect_timeout;                  /* seconds; 0 = 10 */
    int keepalive_interval;               /* seconds; 0 = 30 */
    /* Set (by a signal handler) to ask running commands to stop waiting. */
    const volatile sig_atomic_t *cancel;
};

struct kc_session;

/* Connect (through the jump host if any), verify the host key, authenticate:
 * unless keys_only, the agent first; then each keys file, then each key_data
 * PEM; then, unless keys_only, the ssh config's IdentityFile or the default
 * ~/.ssh/id_*. Failures are KC_EUNREACHABLE with the cause: refused, timed
 * out, name not resolved, host key changed (with fingerprint), authentication
 * failed (naming user@host and what was tried); KC_ECONFIG for a malformed
 * jump spec or an unreadable config file. */
int kc_session_open(struct kc_session **out, const struct kc_ssh_opts *o, struct kc_err *err);
void kc_session_close(struct kc_session *s);
/* Clean-up mode, for what must still happen after SIGINT/SIGTERM (releasing
 * the deploy lock): from now on commands on s ignore the cancel flag and give
 * up at deadline (a kc_now() time) with KC_EUNREACHABLE, blocking libssh
 * calls included. */
void kc_session_cleanup_mode(struct kc_session *s, double deadline);

struct kc_exec_result {
    int status; /* exit status; -1 when killed by a signal */
    struct kc_buf out;
    struct kc_buf err;
    bool truncated;  /* output beyond the cap was dropped */
    char signal[32]; /* the signal that killed it ("KILL"), "" otherwise */
    /* When set, also handed each piece of output as it arrives, before the
     * cap (live progress of a docker pull); kept across runs on this result. */
    int (*watch)(void *ud, const char *data, size_t len, bool is_stderr);
    void *watch_ud;
};
void kc_exec_result_init(struct kc_exec_result *r);
void kc_exec_result_release(struct kc_exec_result *r);

/* Run one command line (already quoted) on a new channel, feeding stdin_data
 * (may be NULL) then EOF, capturing stdout and stderr separately up to cap
 * bytes each (0 = 1 MiB; output past the cap is read and dropped, and
 * res->truncated set). Returns 0 when the command ran, whatever its exit
 * status; KC_EUNREACHABLE when the connection failed or was lost;
 * KC_EINTERRUPTED when cancel was set (the channel is closed; without a PTY
 * the remote process keeps running until it next writes). */
int kc_session_exec(struct kc_session *s, const char *cmdline, const void *stdin_data,
                    size_t stdin_len, size_t cap, struct kc_exec_result *res, struct kc_err *err);

/* Write data to path (relative paths are relative to the login directory)
 * with the given mode, also when the file exists with another mode (the mode
 * is set before the data is written). SFTP, falling back to `cat >` + chmod
 * when the server has no SFTP subsystem. KC_EREMOTE naming path and host when
 * the host refuses (no such directory, permission denied). */
int kc_session_upload(struct kc_session *s, const char *path, const void *data, size_t len,
                      int mode, struct kc_err *err);

/* Run a command and hand each output line to cb as it arrives (for logs -f).
 * With pty, the remote process gets a terminal and dies with the channel (its
 * stderr is merged into stdout). Stops when the command ends, cb returns
 * non-zero, or cancel is set. */
typedef int (*kc_line_cb)(void *ud, const char *line, size_t len, bool is_stderr);
int kc_session_stream(struct kc_session *s, const char *cmdline, bool pty, kc_line_cb cb,
                      void *ud, int *status, struct kc_err *err);
/* The same with in_len bytes of in sent on the command's stdin first (a
 * build context for `docker build -`). */
int kc_session_stream_in(struct kc_session *s, const char *cmdline, bool pty, const void *in,
                         size_t in_len, kc_line_cb cb, void *ud, int *status, struct kc_err *err);

/* Interactive: a PTY sized like the local terminal, the local terminal in raw
 * mode (restored on every exit path), window size changes forwarded, stdin
 * pumped to the channel and output back. Returns the remote exit status in
 * *status. */
int kc_session_interactive(struct kc_session *s, const char *cmdline, int *status,
                           struct kc_err *err);

#endif
