/* proc.c - fork/exec of a local program with stdin from memory, output by
 * line and/or captured, and cancellation (see proc.h). */
#include "kamal-c/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The pipes of one child; -1 where unused. Index 0 reads, 1 writes. */
struct pipes {
    int in[2], out[2], err[2], exec_err[2];
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void close_all(struct pipes *pp)
{
    int *all[] = {&pp->in[0],  &pp->in[1],  &pp->out[0],      &pp->out[1],
                  &pp->err[0], &pp->err[1], &pp->exec_err[0], &pp->exec_err[1]};
    for (size_t i = 0; i < KC_ARRAY_LEN(all); i++)
        close_fd(all[i]);
}

static int cloexec_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

static int open_pipes(const struct kc_proc *p, struct pipes *pp)
{
    for (int i = 0; i < 2; i++)
        pp->in[i] = pp->out[i] = pp->err[i] = pp->exec_err[i] = -1;
    if (cloexec_pipe(pp->out) != 0 || cloexec_pipe(pp->exec_err) != 0)
        return -1;
    if (p->stdin_data && cloexec_pipe(pp->in) != 0)
        return -1;
    if (p->stderr_mode == KC_PROC_ERR_CAPTURE && cloexec_pipe(pp->err) != 0)
        return -1;
    return 0;
}

/* In the child: only async-signal-safe calls until exec. */
static void child(const struct kc_proc *p, struct pipes *pp)
{
    int devnull = open("/dev/null", O_RDWR);
    if (pp->in[0] >= 0 || !p->stdin_inherit)
        dup2(pp->in[0] >= 0 ? pp->in[0] : devnull, 0);
    dup2(pp->out[1], 1);
    switch (p->stderr_mode) {
    case KC_PROC_ERR_CAPTURE:
        dup2(pp->err[1], 2);
        break;
    case KC_PROC_ERR_MERGE:
        dup2(pp->out[1], 2);
        break;
    case KC_PROC_ERR_DISCARD:
        dup2(devnull, 2);
        break;
    case KC_PROC_ERR_INHERIT:
        break;
    }
    signal(SIGPIPE, SIG_DFL); /* ignored by kamal-c; the program expects the default */
    sigset_t none; /* a worker thread blocks SIGINT/SIGTERM; the program must not inherit that */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (p->envp)
        environ = (char **)p->envp;
    execvp(p->argv[0], (char *const *)p->argv);
    int e = errno;
    ssize_t w = write(pp->exec_err[1], &e, sizeof e);
    (void)w;
    _exit(127);
}

/* Reading state of one output stream. */
struct stream {
    int fd;
    bool is_stderr;
    struct kc_buf *keep;
    struct kc_lines lines;
};

struct run {
    const struct kc_proc *p;
    struct kc_proc_result *res;
    size_t cap;
    pid_t pid;
    bool stop_lines; /* on_line asked to stop */
};

struct line_ctx {
    struct run *r;
    bool is_stderr;
};

static int line_cb(void *ud, const char *line, size_t len)
{
    struct line_ctx *lc = ud;
    if (lc->r->p->on_line(lc->r->p->ud, line, len, lc->is_stderr) != 0)
        lc->r->stop_lines = true;
    return 0;
}

static void take(struct run *r, struct stream *s, const char *data, size_t n)
{
    if (s->keep) {
        size_t room = s->keep->len < r->cap ? r->cap - s->keep->len : 0;
        if (n > room)
            r->res->truncated = true;
        kc_buf_add(s->keep, data, n < room ? n : room);
    }
    if (r->p->on_line && !r->stop_lines) {
        struct line_ctx lc = {r, s->is_stderr};
        kc_lines_feed(&s->lines, data, n, line_cb, &lc);
    }
}

static void flush_lines(struct run *r, struct stream *s)
{
    if (r->p->on_line && !r->stop_lines) {
        struct line_ctx lc = {r, s->is_stderr};
        kc_lines_flush(&s->lines, line_cb, &lc);
    }
}

/* Reads what fd has; closes it at EOF. */
static void drain(struct run *r, struct stream *s)
{
    char chunk[8192];
    ssize_t n = read(s->fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        flush_lines(r, s);
        close_fd(&s->fd);
        return;
    }
    take(r, s, chunk, (size_t)n);
}

/* Writes as much stdin as the pipe takes; closes it when done or refused. */
static void feed(int *fd, const char *data, size_t len, size_t *off)
{
    ssize_t w = write(*fd, data + *off, len - *off);
    if (w < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (w > 0)
        *off += (size_t)w;
    if (w < 0 || *off >= len)
        close_fd(fd); /* done, or the program closed its stdin (EPIPE) */
}

/* SIGTERM once cancelled, SIGKILL after the grace period. */
static void maybe_stop(struct run *r, double *kill_at)
{
    bool want = (r->p->cancel && *r->p->cancel) || r->stop_lines;
    if (want && !r->res->cancelled) {
        r->res->cancelled = true;
        kill(r->pid, SIGTERM);
        int ms = r->p->kill_after_ms > 0 ? r->p->kill_after_ms : 5000;
        *kill_at = kc_now() + ms / 1000.0;
    }
    if (*kill_at > 0 && kc_now() > *kill_at) {
        kill(r->pid, SIGKILL);
        *kill_at = 0;
    }
}

static void pump(struct run *r, struct pipes *pp)
{
    const struct kc_proc *p = r->p;
    struct stream out = {.fd = pp->out[0], .is_stderr = false, .keep = p->out};
    struct stream err = {.fd = pp->err[0], .is_stderr = true, .keep = p->err};
    pp->out[0] = pp->err[0] = -1; /* owned by the streams now */
    kc_lines_init(&out.lines, false, 0);
    kc_lines_init(&err.lines, false, 0);
    size_t off = 0;
    double kill_at = 0;
    if (pp->in[1] >= 0)
        fcntl(pp->in[1], F_SETFL, O_NONBLOCK);
    while (out.fd >= 0 || err.fd >= 0) {
        maybe_stop(r, &kill_at);
        /* a closed fd (-1) is ignored by poll */
        struct pollfd fds[3] = {{out.fd, POLLIN, 0}, {err.fd, POLLIN, 0}, {pp->in[1], POLLOUT, 0}};
        if (poll(fds, 3, 100) <= 0)
            continue;
        if (fds[2].revents)
            feed(&pp->in[1], p->stdin_data, p->stdin_len, &off);
        if (fds[0].revents)
            drain(r, &out);
        if (fds[1].revents)
            drain(r, &err);
    }
    close_fd(&pp->in[1]);
    kc_lines_release(&out.lines);
    kc_lines_release(&err.lines);
}

/* 0 when the child exec'd; else the errno it could not exec with. */
static int exec_error(int fd)
{
    int e = 0;
    ssize_t n;
    while ((n = read(fd, &e, sizeof e)) < 0 && errno == EINTR)
        ;
    return n == (ssize_t)sizeof e ? e : 0;
}

int kc_proc_run(const struct kc_proc *p, struct kc_proc_result *res)
{
    memset(res, 0, sizeof *res);
    struct pipes pp;
    if (open_pipes(p, &pp) != 0) {
        int e = errno;
        close_all(&pp);
        errno = e;
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close_all(&pp);
        errno = e;
        return -1;
    }
    if (pid == 0)
        child(p, &pp);
    close_fd(&pp.in[0]);
    close_fd(&pp.out[1]);
    close_fd(&pp.err[1]);
    close_fd(&pp.exec_err[1]);
    int e = exec_error(pp.exec_err[0]);
    close_fd(&pp.exec_err[0]);
    struct run r = {p, res, p->cap ? p->cap : KC_PROC_CAP_DEFAULT, pid, false};
    if (e == 0)
        pump(&r, &pp);
    close_all(&pp);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (e) {
        memset(res, 0, sizeof *res);
        errno = e;
        return -1;
    }
    res->signal = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
    res->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + res->signal;
    return 0;
}
