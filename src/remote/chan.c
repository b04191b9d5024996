/* chan.c - driving one channel to completion.
 *
 * One loop serves exec, stream and interactive: feed stdin as the window
 * allows, read stdout AND stderr without blocking on either (a blocking read
 * on one stream stalls when the other fills the window), wait in poll() on
 * the session socket, and between turns check the cancel flag and the
 * keepalive timer. SSH_OPTIONS_TIMEOUT never decides when a command is over:
 * the command is over when its output has ended and its exit status (or
 * signal, or the channel close) has arrived. */
#include "session_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAN_CHUNK          32768
#define CHAN_SLICE_MS       250
#define CHAN_READS_PER_TURN 64

static void on_exit_status(ssh_session ssh, ssh_channel ch, int status, void *ud)
{
    (void)ssh;
    (void)ch;
    (void)status;
    struct kc_chan *c = ud;
    c->exited = true;
}

static void on_exit_signal(ssh_session ssh, ssh_channel ch, const char *sig, int core,
                           const char *errmsg, const char *lang, void *ud)
{
    (void)ssh;
    (void)ch;
    (void)core;
    (void)errmsg;
    (void)lang;
    struct kc_chan *c = ud;
    c->signaled = true;
    snprintf(c->signame, sizeof c->signame, "%s", sig ? sig : "?");
}

bool kc_session_cancelled(const struct kc_session *s)
{
    return s->cancel && *s->cancel;
}

int kc_session_interrupted_err(struct kc_session *s, struct kc_err *err)
{
    int rc = kc_err_set(err, KC_EINTERRUPTED, "interrupted");
    kc_err_set_host(err, s->host);
    return rc;
}

int kc_chan_fail(struct kc_chan *c, const char *what, struct kc_err *err)
{
    /* A libssh call cut short by the interruption (a signal, or our own
     * cancel check) is the interruption, not a lost host. */
    if (kc_session_cancelled(c->s))
        return kc_session_interrupted_err(c->s, err);
    if (kc_session_check_lost(c->s))
        return kc_session_lost_err(c->s, err);
    const char *e = ssh_get_error(c->s->ssh);
    if (e == NULL || *e == '\0') {
        /* libssh gave up waiting (its timeout is two keepalive intervals)
         * without any error from the peer: the link is gone */
        c->s->lost = kc_xasprintf("no answer from the host (%s)", what);
        return kc_session_lost_err(c->s, err);
    }
    int rc = kc_err_set(err, KC_EUNREACHABLE, "%s on %s: %s", what, c->s->host,
                        ssh_get_error(c->s->ssh));
    kc_err_set_host(err, c->s->host);
    return rc;
}

/* Opens a session channel without the ~40 ms stall of a connection's first
 * channel: OpenSSH's sshd does not set TCP_NODELAY on a non-interactive
 * session, so its CHANNEL_OPEN_CONFIRMATION waits (Nagle) behind the packets
 * it sent after authentication until our delayed ACK. Acknowledging at once
 * (TCP_QUICKACK, which Linux clears again, so it is set on every round)
 * releases it. Measured by bench/floor -q: the first command of a connection
 * 91 -> 43 ms. */
static int open_session_quickack(struct kc_session *s, ssh_channel ch)
{
    int fd = ssh_get_fd(s->ssh), one = 1, rc;
    double deadline = kc_now() + 2.0 * s->keepalive; /* libssh's own bound */
    if (s->deadline > 0 && s->deadline < deadline)
        deadline = s->deadline;
    ssh_set_blocking(s->ssh, 0);
    while ((rc = ssh_channel_open_session(ch)) == SSH_AGAIN) {
        if (kc_now() > deadline || kc_session_cancelled(s)) {
            rc = SSH_ERROR;
            break;
        }
        /* fails harmlessly on a jump host's socketpair */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        struct pollfd p = {fd, POLLIN, 0};
        if (ssh_get_status(s->ssh) & SSH_WRITE_PENDING)
            p.events |= POLLOUT;
        if (poll(&p, 1, CHAN_SLICE_MS) < 0 && errno != EINTR) {
            rc = SSH_ERROR;
            break;
        }
    }
    ssh_set_blocking(s->ssh, 1);
    return rc;
}

int kc_chan_open(struct kc_chan *c, struct kc_session *s, struct kc_err *err)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->extra_fd = -1;
    if (kc_session_check_lost(s))
        return kc_session_lost_err(s, err);
    c->ch = ssh_channel_new(s->ssh);
    if (c->ch == NULL)
        return kc_chan_fail(c, "cannot create a channel", err);
    if (open_session_quickack(c->s, c->ch) != SSH_OK)
        return kc_chan_fail(c, "cannot open a channel", err);
    ssh_callbacks_init(&c->cbs);
    c->cbs.userdata = c;
    c->cbs.channel_exit_status_function = on_exit_status;
    c->cbs.channel_exit_signal_function = on_exit_signal;
    ssh_set_channel_callbacks(c->ch, &c->cbs);
    return 0;
}

int kc_chan_exit_status(struct kc_chan *c)
{
    if (c->signaled)
        return -1;
    /* Only when it cannot block: the status arrived or the channel is closed. */
    if (!c->exited && !ssh_channel_is_closed(c->ch))
        return -1;
    int st = ssh_channel_get_exit_status(c->ch);
    return st < 0 ? -1 : st;
}

void kc_chan_close(struct kc_chan *c)
{
    if (c->ch == NULL)
        return;
    ssh_remove_channel_callbacks(c->ch, &c->cbs);
    if (!kc_session_check_lost(c->s) && ssh_channel_is_open(c->ch))
        ssh_channel_close(c->ch);
    ssh_channel_free(c->ch);
    c->ch = NULL;
}

int kc_chan_write(struct kc_chan *c, const void *data, size_t len, struct kc_err *err)
{
    const char *p = data;
    while (len > 0) {
        uint32_t n = len > CHAN_CHUNK ? CHAN_CHUNK : (uint32_t)len;
        int w = ssh_channel_write(c->ch, p, n);
        if (w < 0)
            return kc_chan_fail(c, "cannot send data", err);
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* In-memory stdin, never more than the window holds (so never blocking). */
static int pump_input(struct kc_chan *c, bool *progress, struct kc_err *err)
{
    if (c->exited || c->signaled || ssh_channel_is_closed(c->ch))
        c->in_off = c->in_len; /* nobody reads it any more */
    while (c->in_off < c->in_len) {
        uint32_t win = ssh_channel_window_size(c->ch);
        if (win == 0)
            return 0;
        size_t n = c->in_len - c->in_off;
        if (n > win)
            n = win;
        if (n > CHAN_CHUNK)
            n = CHAN_CHUNK;
        int w = ssh_channel_write(c->ch, c->in + c->in_off, (uint32_t)n);
        if (w < 0)
            return kc_chan_fail(c, "cannot send input", err);
        if (w == 0)
            return 0;
        c->in_off += (size_t)w;
        *progress = true;
    }
    if (c->eof_after && !c->eof_sent && ssh_channel_is_open(c->ch)) {
        c->eof_sent = true;
        if (ssh_channel_send_eof(c->ch) != SSH_OK)
            return kc_chan_fail(c, "cannot send end of input", err);
    }
    return 0;
}

static int drain(struct kc_chan *c, int is_stderr, bool *progress, struct kc_err *err)
{
    char buf[CHAN_CHUNK];
    for (int i = 0; i < CHAN_READS_PER_TURN && !c->stopped; i++) {
        int n = ssh_channel_read_nonblocking(c->ch, buf, sizeof buf, is_stderr);
        if (n == 0 || n == SSH_EOF)
            return 0;
        if (n < 0)
            return kc_chan_fail(c, "cannot read command output", err);
        *progress = true;
        if (c->sink && c->sink(c->ud, buf, (size_t)n, is_stderr != 0) != 0)
            c->stopped = true;
    }
    return 0;
}

static bool finished(struct kc_chan *c)
{
    if (!ssh_channel_is_eof(c->ch))
        return false;
    return c->exited || c->signaled || ssh_channel_is_closed(c->ch);
}

/* After the remote end sent EOF, libssh 0.10's non-blocking reads no longer
 * process incoming packets (ssh_channel_poll returns SSH_EOF first), so the
 * exit-status and close messages would sit unread in the socket while poll()
 * keeps reporting it readable. An ssh_event processes them. */
static int wait_after_eof(struct kc_chan *c, int timeout, struct kc_err *err)
{
    ssh_event ev = ssh_event_new();
    if (ev == NULL || ssh_event_add_session(ev, c->s->ssh) != SSH_OK) {
        if (ev)
            ssh_event_free(ev);
        return kc_err_set(err, KC_EIO, "cannot wait for the end of a command");
    }
    int rc = ssh_event_dopoll(ev, timeout);
    ssh_event_remove_session(ev, c->s->ssh);
    ssh_event_free(ev);
    if (rc == SSH_ERROR && kc_session_check_lost(c->s))
        return kc_session_lost_err(c->s, err);
    return 0;
}

static int wait_turn(struct kc_chan *c, struct kc_err *err)
{
    int timeout = kc_session_keepalive_due_ms(c->s);
    if (timeout > CHAN_SLICE_MS)
        timeout = CHAN_SLICE_MS;
    if (ssh_channel_is_eof(c->ch))
        return wait_after_eof(c, timeout, err);
    struct pollfd fds[2] = {{ssh_get_fd(c->s->ssh), POLLIN, 0}, {c->extra_fd, POLLIN, 0}};
    if (ssh_get_status(c->s->ssh) & SSH_WRITE_PENDING)
        fds[0].events |= POLLOUT;
    int n = poll(fds, c->extra_fd >= 0 ? 2 : 1, timeout);
    if (n < 0 && errno != EINTR)
        return kc_err_set(err, KC_EIO, "poll: %s", strerror(errno));
    if (n > 0 && c->extra_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) && c->on_extra)
        return c->on_extra(c, c->ud, err);
    return 0;
}

static int one_turn(struct kc_chan *c, bool *done, struct kc_err *err)
{
    bool progress = false;
    uint64_t rx_before = c->s->rx.in_bytes;
    int rc = pump_input(c, &progress, err);
    if (rc == 0)
        rc = drain(c, 0, &progress, err);
    if (rc == 0)
        rc = drain(c, 1, &progress, err);
    if (rc < 0)
        return rc;
    if (c->stopped || finished(c)) {
        *done = true;
        return 0;
    }
    if (kc_session_check_lost(c->s))
        return kc_session_lost_err(c->s, err);
    if (c->on_tick && (rc = c->on_tick(c, c->ud, err)) < 0)
        return rc;
    if ((rc = kc_session_keepalive_tick(c->s, err)) < 0)
        return rc;
    /* Any libssh call above may have read from the socket, and reading
     * processes every packet that has arrived: reading stderr takes stdout's
     * data off the socket, a poll takes the exit status and the close. Then
     * poll() in wait_turn would sleep a whole slice with all of that already
     * in libssh's buffers (found by bench/: 1 probe in 100 took 250 ms more),
     * so look again first. */
    if (c->s->rx.in_bytes != rx_before)
        progress = true;
    return progress ? 0 : wait_turn(c, err);
}

int kc_chan_run(struct kc_chan *c, struct kc_err *err)
{
    bool done = false;
    while (!done) {
        if (kc_session_cancelled(c->s))
            return kc_session_interrupted_err(c->s, err);
        if (c->s->deadline > 0 && kc_now() > c->s->deadline) {
            free(c->s->lost);
            c->s->lost = kc_xstrdup("no answer before the deadline of a clean-up command");
            return kc_session_lost_err(c->s, err);
        }
        int rc = one_turn(c, &done, err);
        if (rc < 0) {
            kc_err_set_host(err, c->s->host);
            return rc;
        }
    }
    return 0;
}
