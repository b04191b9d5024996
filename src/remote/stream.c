/* stream.c - a command's output handed over line by line (logs -f).
 *
 * Without a PTY, closing the channel leaves the remote process running (it
 * dies at its next write, of SIGPIPE) and OpenSSH ignores signal requests for
 * root logins; with a PTY the process gets SIGHUP when the channel closes.
 * So callers that stop early (Ctrl-C on logs -f) ask for a PTY. */
#include "session_int.h"

struct stream {
    kc_line_cb cb;
    void *ud;
    struct kc_lines out, err;
    bool cur_stderr; /* which stream the line being emitted came from */
};

static int line_to_cb(void *ud, const char *line, size_t len)
{
    struct stream *st = ud;
    return st->cb(st->ud, line, len, st->cur_stderr);
}

static int stream_sink(void *ud, const char *data, size_t len, bool is_stderr)
{
    struct stream *st = ud;
    st->cur_stderr = is_stderr;
    return kc_lines_feed(is_stderr ? &st->err : &st->out, data, len, line_to_cb, st);
}

static int flush_lines(struct stream *st)
{
    st->cur_stderr = false;
    int rc = kc_lines_flush(&st->out, line_to_cb, st);
    st->cur_stderr = true;
    if (rc == 0)
        rc = kc_lines_flush(&st->err, line_to_cb, st);
    return rc;
}

static int start(struct kc_chan *c, const char *cmdline, bool pty, struct kc_err *err)
{
    /* Default "xterm" 80x24; output then ends lines in \r\n. */
    if (pty && ssh_channel_request_pty(c->ch) != SSH_OK)
        return kc_chan_fail(c, "cannot allocate a terminal", err);
    if (ssh_channel_request_exec(c->ch, cmdline) != SSH_OK)
        return kc_chan_fail(c, "cannot start a command", err);
    return 0;
}

int kc_session_stream(struct kc_session *s, const char *cmdline, bool pty, kc_line_cb cb, void *ud,
                      int *status, struct kc_err *err)
{
    return kc_session_stream_in(s, cmdline, pty, NULL, 0, cb, ud, status, err);
}

int kc_session_stream_in(struct kc_session *s, const char *cmdline, bool pty, const void *in,
                         size_t in_len, kc_line_cb cb, void *ud, int *status, struct kc_err *err)
{
    struct stream st = {cb, ud, {KC_BUF_INIT, false, 0}, {KC_BUF_INIT, false, 0}, false};
    kc_lines_init(&st.out, pty, 0);
    kc_lines_init(&st.err, pty, 0);
    if (status)
        *status = -1;
    struct kc_chan c;
    int rc = kc_chan_open(&c, s, err);
    if (rc == 0)
        rc = start(&c, cmdline, pty, err);
    if (rc == 0) {
        /* Input, if any (a build context), then without a PTY EOF, so a
         * command reading stdin does not wait for more; with one, stdin stays
         * open as on a terminal. */
        c.eof_after = !pty;
        c.in = in;
        c.in_len = in ? in_len : 0;
        c.sink = stream_sink;
        c.ud = &st;
        rc = kc_chan_run(&c, err);
    }
    if (rc == 0 && !c.stopped) {
        (void)flush_lines(&st);
        if (status)
            *status = kc_chan_exit_status(&c);
    }
    kc_chan_close(&c);
    kc_lines_release(&st.out);
    kc_lines_release(&st.err);
    return rc;
}
