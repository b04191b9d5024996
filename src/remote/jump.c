/* jump.c - a native jump host (ssh.proxy, or ProxyJump in the ssh config).
 *
 * libssh 0.10 turns ProxyJump into a ProxyCommand running the ssh binary; we
 * do it ourselves (libraries.md 1e): a jump session (same config, keys and
 * host key policy as the target), a direct-tcpip channel from it to the
 * target's host:port, and a socketpair whose one end is the target session's
 * socket (SSH_OPTIONS_FD) and whose other end a pump thread shuttles to and
 * from the channel. The pump thread is the only user of the jump session. */
#include "session_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PUMP_CHUNK 32768

struct kc_jump {
    ssh_session ssh;
    ssh_channel ch;
    int fd;        /* our end of the socketpair */
    int target_fd; /* the target's end until handed off, else -1 */
    pthread_t thread;
    bool started;
    atomic_bool stop;
};

/* ---- "[user@]host[:port]" ---- */

static int parse_port(const char *s, int *port, const char *spec, struct kc_err *err)
{
    long v;
    if (!kc_parse_long(s, &v) || v < 1 || v > 65535)
        return kc_err_set(err, KC_ECONFIG, "invalid port in jump host %s", spec);
    *port = (int)v;
    return 0;
}

static int parse_hostport(const char *hp, char **host, int *port, const char *spec,
                          struct kc_err *err)
{
    if (hp[0] == '[') {
        const char *close = strchr(hp, ']');
        if (close == NULL || close == hp + 1 || (close[1] != '\0' && close[1] != ':'))
            return kc_err_set(err, KC_ECONFIG, "invalid jump host %s", spec);
        if (close[1] == ':' && parse_port(close + 2, port, spec, err) < 0)
            return KC_ECONFIG;
        *host = kc_xstrndup(hp + 1, (size_t)(close - hp - 1));
        return 0;
    }
    const char *colon = strchr(hp, ':');
    if (colon && strchr(colon + 1, ':') == NULL) { /* host:port (not a bare IPv6) */
        if (colon == hp)
            return kc_err_set(err, KC_ECONFIG, "invalid jump host %s", spec);
        if (parse_port(colon + 1, port, spec, err) < 0)
            return KC_ECONFIG;
        *host = kc_xstrndup(hp, (size_t)(colon - hp));
        return 0;
    }
    if (hp[0] == '\0')
        return kc_err_set(err, KC_ECONFIG, "invalid jump host %s: no host", spec);
    *host = kc_xstrdup(hp);
    return 0;
}

int kc_jump_parse(const char *spec, char **user, char **host, int *port, struct kc_err *err)
{
    *user = *host = NULL;
    *port = 0;
    if (spec == NULL || spec[0] == '\0')
        return kc_err_set(err, KC_ECONFIG, "empty jump host");
    const char *p = kc_starts_with(spec, "ssh://") ? spec + 6 : spec;
    if (strchr(p, ',') || strpbrk(p, " \t/"))
        return kc_err_set(err, KC_ECONFIG,
                          "invalid jump host %s: one [user@]host[:port] is supported", spec);
    const char *at = strrchr(p, '@');
    if (at == p)
        return kc_err_set(err, KC_ECONFIG, "invalid jump host %s: empty user", spec);
    if (parse_hostport(at ? at + 1 : p, host, port, spec, err) < 0)
        return KC_ECONFIG;
    if (at)
        *user = kc_xstrndup(p, (size_t)(at - p));
    return 0;
}

/* ---- the pump ---- */

struct pump {
    struct kc_jump *j;
    char down[PUMP_CHUNK]; /* channel -> socketpair, not yet written */
    size_t down_len, down_off;
    bool ch_eof, fd_eof;
};

/* Channel to socketpair; false when the pump must end. */
static bool pump_down(struct pump *p, bool *progress)
{
    if (p->down_off == p->down_len && !p->ch_eof) {
        int n = ssh_channel_read_nonblocking(p->j->ch, p->down, sizeof p->down, 0);
        if (n == SSH_ERROR)
            return false;
        if (n > 0) {
            p->down_len = (size_t)n;
            p->down_off = 0;
            *progress = true;
        } else if (ssh_channel_is_eof(p->j->ch)) {
            p->ch_eof = true;
            shutdown(p->j->fd, SHUT_WR);
            *progress = true;
        }
    }
    if (p->down_off < p->down_len) {
        ssize_t w = send(p->j->fd, p->down + p->down_off, p->down_len - p->down_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return false;
        if (w > 0) {
            p->down_off += (size_t)w;
            *progress = true;
        }
    }
    return true;
}

/* Socketpair to channel, never more than the channel window (so the write
 * does not block). */
static bool pump_up(struct pump *p, bool *progress)
{
    char up[PUMP_CHUNK];
    uint32_t win = ssh_channel_window_size(p->j->ch);
    if (p->fd_eof || win == 0)
        return true;
    size_t want = win < sizeof up ? win : sizeof up;
    ssize_t r = recv(p->j->fd, up, want, MSG_DONTWAIT);
    if (r < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    *progress = true;
    if (r == 0) { /* the target session closed its socket: we are done */
        p->fd_eof = true;
        ssh_channel_send_eof(p->j->ch);
        return false;
    }
    return ssh_channel_write(p->j->ch, up, (uint32_t)r) == r;
}

/* Waits only for what the next turn will act on: the jump socket is watched
 * for input only when pump_down will read the channel (nothing pending for
 * the socketpair, no EOF yet), else a readable socket would wake us in a
 * busy loop while the target session is idle. */
static void pump_wait(struct pump *p)
{
    short ev = 0, jev = 0;
    if (!p->fd_eof && ssh_channel_window_size(p->j->ch) > 0)
        ev |= POLLIN;
    if (p->down_off < p->down_len)
        ev |= POLLOUT;
    else if (!p->ch_eof)
        jev |= POLLIN;
    if (ssh_get_status(p->j->ssh) & SSH_WRITE_PENDING)
        jev |= POLLOUT;
    struct pollfd fds[2] = {{ssh_get_fd(p->j->ssh), jev, 0}, {p->j->fd, ev, 0}};
    (void)poll(fds, 2, 1000);
}

static void *pump_main(void *arg)
{
    struct pump *p = kc_xcalloc(1, sizeof *p);
    p->j = arg;
    while (!atomic_load(&p->j->stop)) {
        bool progress = false;
        if (!pump_down(p, &progress) || !pump_up(p, &progress))
            break;
        if (p->down_off == p->down_len)
            p->down_off = p->down_len = 0;
        if (!progress)
            pump_wait(p);
    }
    /* Unblock the target session if it is still reading. */
    shutdown(p->j->fd, SHUT_RDWR);
    free(p);
    return NULL;
}

/* ---- open / close ---- */

static int jump_connect(struct kc_jump *j, const char *spec, const struct kc_ssh_opts *o,
                        struct kc_err *err)
{
    char *user = NULL, *host = NULL;
    int port = 0;
    int rc = kc_jump_parse(spec, &user, &host, &port, err);
    if (rc < 0)
        return rc;
    char *label = kc_xasprintf("jump host %s", host);
    struct kc_endpoint ep = {label, host, user, port};
    struct kc_cfg_values cv;
    kc_cfg_read(o, host, &cv);
    free(cv.proxyjump); /* one hop only */
    rc = kc_ssh_configure(j->ssh, &ep, o, err);
    if (rc == 0)
        rc = kc_ssh_connect_auth(j->ssh, &ep, o, cv.strict, err);
    if (rc < 0)
        kc_err_prefix(err, "%s", label);
    free(label);
    free(user);
    free(host);
    return rc;
}

static int open_forward(struct kc_jump *j, const char *spec, const char *thost, int tport,
                        struct kc_err *err)
{
    j->ch = ssh_channel_new(j->ssh);
    if (j->ch == NULL || ssh_channel_open_forward(j->ch, thost, tport, "127.0.0.1", 0) != SSH_OK)
        return kc_err_set(err, KC_EUNREACHABLE,
                          "jump host %s cannot open a connection to %s port %d: %s", spec, thost,
                          tport, ssh_get_error(j->ssh));
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return kc_err_set(err, KC_EIO, "socketpair: %s", strerror(errno));
    j->target_fd = sv[0];
    j->fd = sv[1];
    return 0;
}

int kc_jump_open(struct kc_jump **out, ssh_session target, const char *spec,
                 const char *target_host, int target_port, const struct kc_ssh_opts *o,
                 struct kc_err *err)
{
    struct kc_jump *j = kc_xcalloc(1, sizeof *j);
    j->fd = j->target_fd = -1;
    atomic_init(&j->stop, false);
    *out = j;
    j->ssh = ssh_new();
    if (j->ssh == NULL)
        return kc_err_set(err, KC_EIO, "cannot create an ssh session");
    int rc = jump_connect(j, spec, o, err);
    if (rc == 0)
        rc = open_forward(j, spec, target_host, target_port, err);
    if (rc < 0)
        return rc;
    int ka = o->keepalive_interval > 0 ? o->keepalive_interval : 30;
    long t = 2L * ka;
    ssh_options_set(j->ssh, SSH_OPTIONS_TIMEOUT, &t);
    kc_tcp_keepalive(ssh_get_fd(j->ssh), ka);
    if (ssh_options_set(target, SSH_OPTIONS_FD, &j->target_fd) < 0)
        return kc_err_set(err, KC_EIO, "cannot hand the jump connection to libssh");
    if (kc_remote_thread_start(&j->thread, pump_main, j) != 0)
        return kc_err_set(err, KC_EIO, "cannot start the jump host thread");
    j->started = true;
    return 0;
}

void kc_jump_handoff(struct kc_jump *j)
{
    if (j)
        j->target_fd = -1;
}

void kc_jump_close(struct kc_jump *j)
{
    if (j == NULL)
        return;
    if (j->target_fd >= 0)
        close(j->target_fd);
    if (j->started) {
        atomic_store(&j->stop, true);
        shutdown(j->fd, SHUT_RDWR); /* wakes the pump's poll */
        pthread_join(j->thread, NULL);
    }
    if (j->fd >= 0)
        close(j->fd);
    if (j->ch)
        ssh_channel_free(j->ch);
    if (j->ssh) {
        if (ssh_is_connected(j->ssh))
            ssh_disconnect(j->ssh);
        ssh_free(j->ssh);
    }
    free(j);
}
