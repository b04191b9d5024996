/* interactive.c - exec -i: the local terminal wired to a remote command.
 *
 * With a terminal on stdin: a PTY sized like it, raw mode (restored on every
 * way out), SIGWINCH forwarded as a window change. Without one (piped input,
 * tests): no PTY and no raw mode, stdin's EOF is passed on, stdout and stderr
 * stay separate. */
#include "session_int.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* The only global: set by the SIGWINCH handler, read by the pump loop. */
static volatile sig_atomic_t winch_pending;

static void on_winch(int sig)
{
    (void)sig;
    winch_pending = 1;
}

struct term {
    bool tty;
    bool raw;
    struct termios saved;
    bool winch_set;
    struct sigaction old_winch;
};

static void term_size(int *cols, int *rows)
{
    struct winsize ws;
    *cols = 80;
    *rows = 24;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
        *cols = ws.ws_col;
        *rows = ws.ws_row;
    }
}

static int term_enter(struct term *t, struct kc_err *err)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_winch;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGWINCH, &sa, &t->old_winch) == 0)
        t->winch_set = true;
    if (tcgetattr(STDIN_FILENO, &t->saved) != 0)
        return kc_err_set(err, KC_EIO, "cannot read the terminal settings: %s", strerror(errno));
    struct termios raw = t->saved;
    cfmakeraw(&raw);
    if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) != 0)
        return kc_err_set(err, KC_EIO, "cannot set the terminal to raw mode: %s", strerror(errno));
    t->raw = true;
    return 0;
}

static void term_leave(struct term *t)
{
    if (t->raw)
        (void)tcsetattr(STDIN_FILENO, TCSADRAIN, &t->saved);
    if (t->winch_set)
        (void)sigaction(SIGWINCH, &t->old_winch, NULL);
    t->raw = t->winch_set = false;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pfd = {fd, POLLOUT, 0};
            (void)poll(&pfd, 1, 1000);
            continue;
        }
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int to_local(void *ud, const char *data, size_t len, bool is_stderr)
{
    (void)ud;
    return write_all(is_stderr ? STDERR_FILENO : STDOUT_FILENO, data, len) < 0 ? 1 : 0;
}

static int from_stdin(struct kc_chan *c, void *ud, struct kc_err *err)
{
    (void)ud;
    char buf[16384];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0) { /* EOF (or an unreadable stdin): pass the EOF on */
        c->extra_fd = -1;
        if (ssh_channel_send_eof(c->ch) != SSH_OK)
            return kc_chan_fail(c, "cannot send end of input", err);
        return 0;
    }
    return kc_chan_write(c, buf, (size_t)n, err);
}

static int resize_tick(struct kc_chan *c, void *ud, struct kc_err *err)
{
    (void)ud;
    (void)err;
    if (!winch_pending)
        return 0;
    winch_pending = 0;
    int cols, rows;
    term_size(&cols, &rows);
    (void)ssh_channel_change_pty_size(c->ch, cols, rows);
    return 0;
}

static int start(struct kc_chan *c, const char *cmdline, bool tty, struct kc_err *err)
{
    if (tty) {
        int cols, rows;
        term_size(&cols, &rows);
        const char *term = getenv("TERM");
        if (term == NULL || term[0] == '\0')
            term = "xterm-256color";
        if (ssh_channel_request_pty_size(c->ch, term, cols, rows) != SSH_OK)
            return kc_chan_fail(c, "cannot allocate a terminal", err);
    }
    if (ssh_channel_request_exec(c->ch, cmdline) != SSH_OK)
        return kc_chan_fail(c, "cannot start a command", err);
    return 0;
}

int kc_session_interactive(struct kc_session *s, const char *cmdline, int *status,
                           struct kc_err *err)
{
    struct term t;
    memset(&t, 0, sizeof t);
    t.tty = isatty(STDIN_FILENO);
    if (status)
        *status = -1;
    struct kc_chan c;
    int rc = kc_chan_open(&c, s, err);
    if (rc == 0)
        rc = start(&c, cmdline, t.tty, err);
    if (rc == 0 && t.tty)
        rc = term_enter(&t, err);
    if (rc == 0) {
        winch_pending = 0;
        c.sink = to_local;
        c.extra_fd = STDIN_FILENO;
        c.on_extra = from_stdin;
        c.on_tick = t.tty ? resize_tick : NULL;
        rc = kc_chan_run(&c, err);
    }
    term_leave(&t);
    if (rc == 0 && status)
        *status = kc_chan_exit_status(&c);
    kc_chan_close(&c);
    return rc;
}
