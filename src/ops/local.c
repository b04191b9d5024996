/* local.c - fork/exec of local programs, output captured (see local.h). */
#include "kamal-c/local.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define KC_LOCAL_CAP (1024 * 1024)

static void child(const char *const argv[], char *const envp[], int infd, int outfd,
                  bool merge_stderr)
{
    int devnull = open("/dev/null", O_RDWR);
    dup2(infd >= 0 ? infd : devnull, 0);
    dup2(outfd, 1);
    dup2(merge_stderr ? outfd : devnull, 2);
    if (envp)
        environ = (char **)envp;
    execvp(argv[0], (char *const *)argv);
    _exit(127);
}

int kc_local_run(const char *const argv[], char *const envp[], bool merge_stderr,
                 struct kc_buf *out, int *status)
{
    return kc_local_run_stdin(argv, envp, NULL, merge_stderr, out, status);
}

static int cloexec_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

/* Writes all of data to fd (the child's stdin) and closes it. */
static void feed(int fd, const char *data)
{
    size_t left = strlen(data);
    while (left) {
        ssize_t w = write(fd, data, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        data += w;
        left -= (size_t)w;
    }
    close(fd);
}

/* Reads the child's output until EOF; when cancel is set, stops the child. */
static bool drain_child(int fd, pid_t pid, struct kc_buf *out, const volatile sig_atomic_t *cancel)
{
    char chunk[4096];
    bool stopped = false;
    double kill_at = 0;
    for (;;) {
        if (cancel && *cancel && !stopped) {
            kill(pid, SIGTERM);
            stopped = true;
            kill_at = kc_now() + 5;
        }
        if (stopped && kill_at && kc_now() > kill_at) {
            kill(pid, SIGKILL);
            kill_at = 0;
        }
        struct pollfd p = {fd, POLLIN, 0};
        int n = poll(&p, 1, 100);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            continue;
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return stopped;
        if (out && out->len < KC_LOCAL_CAP)
            kc_buf_add(out, chunk, (size_t)r);
    }
}

static int run(const char *const argv[], char *const envp[], const char *stdin_data,
               bool merge_stderr, struct kc_buf *out, int *status,
               const volatile sig_atomic_t *cancel)
{
    int fds[2], in[2] = {-1, -1};
    if (cloexec_pipe(fds) != 0)
        return -1;
    if (stdin_data && cloexec_pipe(in) != 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        if (stdin_data) {
            close(in[0]);
            close(in[1]);
        }
        errno = e;
        return -1;
    }
    if (pid == 0)
        child(argv, envp, in[0], fds[1], merge_stderr);
    close(fds[1]);
    if (stdin_data) {
        close(in[0]);
        feed(in[1], stdin_data); /* small (a password): fits the pipe buffer */
    }
    bool stopped = drain_child(fds[0], pid, out, cancel);
    close(fds[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
    return stopped ? 1 : 0;
}

int kc_local_run_stdin(const char *const argv[], char *const envp[], const char *stdin_data,
                       bool merge_stderr, struct kc_buf *out, int *status)
{
    return run(argv, envp, stdin_data, merge_stderr, out, status, NULL);
}

int kc_local_run_cancellable(const char *const argv[], char *const envp[], bool merge_stderr,
                             struct kc_buf *out, int *status, const volatile sig_atomic_t *cancel)
{
    return run(argv, envp, NULL, merge_stderr, out, status, cancel);
}

char *kc_local_line(const char *const argv[])
{
    struct kc_buf out = KC_BUF_INIT;
    int status = 0;
    char *line = NULL;
    if (kc_local_run(argv, NULL, false, &out, &status) == 0 && status == 0) {
        const char *s = kc_buf_str(&out);
        size_t n = strcspn(s, "\n");
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\r'))
            n--;
        if (n)
            line = kc_xstrndup(s, n);
    }
    kc_buf_release(&out);
    return line;
}
