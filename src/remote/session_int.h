/* session_int.h - what the files of src/remote/ share about a session.
 *
 * Not a public header: the rest of the program sees only
 * include/kamal-c/session.h. The pure helpers at the end (jump spec, ssh config
 * scanner, host key messages) are declared here so that the
 * unit tests can reach them. */
#ifndef KC_REMOTE_SESSION_INT_H
#define KC_REMOTE_SESSION_INT_H

#include <pthread.h>
#include <stdint.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "kamal-c/session.h"

struct kc_jump;

struct kc_session {
    ssh_session ssh;
    char *host;    /* as given (deploy.yml) */
    char *addr;    /* what was connected to (ssh config HostName applied) */
    char *user;    /* login user */
    int port;      /* port connected to */
    int keepalive; /* seconds between keepalive probes while waiting */
    const volatile sig_atomic_t *cancel;
    /* Inbound byte counter maintained by libssh (ssh_set_counters), used to
     * tell whether the peer said anything since the last look. */
    struct ssh_counter_struct rx;
    uint64_t rx_seen;
    double last_rx;  /* kc_now() when rx last moved */
    char *lost;      /* non-NULL once the connection is known dead: why */
    double deadline; /* kc_now() after which a command gives up (clean-up mode), or 0 */
    sftp_session sftp;
    bool sftp_missing; /* the server has no SFTP subsystem: use cat */
    struct kc_jump *jump;
};

/* ssh_init() exactly once per process. */
void kc_remote_init_once(void);
/* pthread_create with SIGINT and SIGTERM blocked in the new thread, so they
 * reach the main thread: a signal landing in a thread that waits inside
 * libssh makes that wait fail and can leave the session unusable. */
int kc_remote_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* session.c: connection health. */
/* True when libssh considers the connection closed or broken; records why. */
bool kc_session_check_lost(struct kc_session *s);
/* True once the cancel flag is set (never in clean-up mode). */
bool kc_session_cancelled(const struct kc_session *s);
/* Fills err with "interrupted" for the session's host (KC_EINTERRUPTED). */
int kc_session_interrupted_err(struct kc_session *s, struct kc_err *err);
/* Fills err with "connection to HOST lost: why" (KC_EUNREACHABLE). */
int kc_session_lost_err(struct kc_session *s, struct kc_err *err);
/* Called while waiting for a command: notes inbound traffic and, after
 * keepalive seconds of silence, sends a keepalive and waits (bounded) for the
 * reply. Returns KC_EUNREACHABLE when the peer does not answer. */
int kc_session_keepalive_tick(struct kc_session *s, struct kc_err *err);
/* Milliseconds until the next keepalive is due (at least 0). */
int kc_session_keepalive_due_ms(const struct kc_session *s);

/* connect.c, shared by the target and the jump connection: HOST, ssh config, user/port
 * (deploy.yml after the config), NODELAY, strict host key flag forced on,
 * connect timeout. config_host is the name the ssh config is matched against. */
struct kc_endpoint {
    const char *label; /* for messages: "web1" or "jump host bastion" */
    const char *host;
    const char *user; /* NULL: ssh config, else root */
    int port;         /* 0: ssh config, else 22 */
};
int kc_ssh_configure(ssh_session ssh, const struct kc_endpoint *ep, const struct kc_ssh_opts *o,
                     struct kc_err *err);
/* ssh_connect, host key policy, authentication. */
int kc_ssh_connect_auth(ssh_session ssh, const struct kc_endpoint *ep, const struct kc_ssh_opts *o,
                        bool strict, struct kc_err *err);

/* What the ssh config says for host about the keywords libssh cannot report
 * back (see kc_sshcfg_lookup). */
struct kc_cfg_values {
    bool strict;       /* StrictHostKeyChecking yes */
    char *proxyjump;   /* ProxyJump, NULL when absent or "none" */
    bool proxycommand; /* a ProxyCommand other than "none" */
};
void kc_cfg_read(const struct kc_ssh_opts *o, const char *host, struct kc_cfg_values *v);
/* SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT and TCP_USER_TIMEOUT for interval
 * seconds (errors ignored: the fd may be a socketpair). */
void kc_tcp_keepalive(int fd, int interval);

/* knownhosts.c */
/* Applies accept-new (or strict when strict is true) to a connected session. */
int kc_hostkey_verify(ssh_session ssh, const char *label, bool strict, struct kc_err *err);

/* jump.c: native jump host. Connects and authenticates to the jump host, opens
 * a direct-tcpip channel to target host:port, and hands the target session one
 * end of a socketpair (SSH_OPTIONS_FD) whose other end a pump thread shuttles
 * to the channel. */
int kc_jump_open(struct kc_jump **out, ssh_session target, const char *spec,
                 const char *target_host, int target_port, const struct kc_ssh_opts *o,
                 struct kc_err *err);
/* Called just before ssh_connect on the target: from then on libssh owns the
 * target's end of the socketpair (it closes it in ssh_free), so we never
 * close it ourselves, even when the connect fails. */
void kc_jump_handoff(struct kc_jump *j);
/* Stops and joins the pump thread, closes the jump connection. */
void kc_jump_close(struct kc_jump *j);

/* chan.c: one channel driven to completion without blocking on any one stream. */
struct kc_chan;
/* Receives output; returns non-zero to stop reading (the channel is then
 * closed by the caller). */
typedef int (*kc_chan_sink)(void *ud, const char *data, size_t len, bool is_stderr);
/* Called when extra_fd is readable (interactive stdin) or on every turn of
 * the loop (tick); a negative return is an error already put in err. */
typedef int (*kc_chan_hook)(struct kc_chan *c, void *ud, struct kc_err *err);

struct kc_chan {
    struct kc_session *s;
    ssh_channel ch;
    struct ssh_channel_callbacks_struct cbs;
    bool exited;      /* exit-status arrived */
    bool signaled;    /* exit-signal arrived */
    char signame[32]; /* its name ("KILL") */
    /* stdin from memory, sent as the window allows, then EOF if eof_after */
    const char *in;
    size_t in_len, in_off;
    bool eof_after;
    bool eof_sent;
    kc_chan_sink sink;
    void *ud;
    int extra_fd; /* -1: none */
    kc_chan_hook on_extra;
    kc_chan_hook on_tick;
    bool stopped; /* the sink asked to stop */
};

/* Opens a session channel on s (after checking the connection is alive). */
int kc_chan_open(struct kc_chan *c, struct kc_session *s, struct kc_err *err);
/* Runs until the command has exited and all output was read, the sink asks
 * to stop, cancel is set (KC_EINTERRUPTED) or the connection is lost
 * (KC_EUNREACHABLE). */
int kc_chan_run(struct kc_chan *c, struct kc_err *err);
/* Writes len bytes (blocking as the window requires). */
int kc_chan_write(struct kc_chan *c, const void *data, size_t len, struct kc_err *err);
/* The exit status: the only caller of ssh_channel_get_exit_status. -1 when
 * the command was killed by a signal or the status never arrived. */
int kc_chan_exit_status(struct kc_chan *c);
/* Closes and frees the channel (safe on a never-opened one). */
void kc_chan_close(struct kc_chan *c);
/* Turns a failed channel request into an error: lost connection, or rc's
 * libssh message prefixed with what. */
int kc_chan_fail(struct kc_chan *c, const char *what, struct kc_err *err);

/* ---- pure helpers (unit-tested) ---- */

/* "[user@]host[:port]", host may be "[v6addr]". user/host are allocated;
 * *user is NULL when absent, *port 0 when absent. KC_ECONFIG on garbage. */
int kc_jump_parse(const char *spec, char **user, char **host, int *port, struct kc_err *err);

/* A minimal ssh_config reader for the few keywords libssh cannot report back
 * (StrictHostKeyChecking, ProxyJump, ProxyCommand). For host, returns the
 * first value of each key (OpenSSH's first-obtained-wins) found at top level
 * or in a Host block whose patterns match (with * ? and !negation) or in a
 * Match block made only of "all", "host" and "originalhost" criteria. Other
 * Match blocks are skipped. Include is followed (globs, relative paths under
 * ~/.ssh, or /etc/ssh for the system file). Missing files are ignored.
 * vals[i] is allocated or NULL. */
void kc_sshcfg_lookup(const char *const *files, size_t nfiles, const char *host,
                      const char *const *keys, char **vals, size_t nkeys);
/* ssh's pattern match: * and ?, case-insensitive. */
bool kc_sshcfg_match_pattern(const char *pattern, const char *s);
/* A pattern list ("a b !c" or "a,b,!c"): true when some positive pattern
 * matches and no negated one does. */
bool kc_sshcfg_match_list(const char *list, const char *host);
/* Whether a StrictHostKeyChecking value means refusing unknown keys. */
bool kc_sshcfg_strict_yes(const char *value);

/* The known_hosts name of host:port ("host" for 22, else "[host]:port"). */
char *kc_knownhosts_name(const char *host, int port);
/* Message and hint for a changed host key. */
void kc_hostkey_changed_err(struct kc_err *err, const char *label, const char *host, int port,
                            const char *fingerprint, const char *known_hosts, bool other_type);

#endif
