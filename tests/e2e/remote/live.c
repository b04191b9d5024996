/* live.c - the remote layer against real sshd processes on 127.0.0.1.
 *
 * Usage: live WORKDIR            run every check, print PASS/FAIL lines
 *        live WORKDIR bench      also print latency numbers
 * (plus two internal modes used to run kc_session_interactive in a child).
 *
 * It starts its own sshd processes (ports 2300-2307, own host keys and
 * authorized_keys under WORKDIR), records their PIDs and kills exactly those
 * when done. No docker, no network namespaces. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "kamal-c/session.h"
#include "session_int.h"

extern char **environ;

#define P_MAIN    2300 /* target: sftp, forwarding allowed */
#define P_CHANGED 2301 /* host key B, known_hosts will hold key A for it */
#define P_NOSFTP  2302 /* no sftp subsystem */
#define P_JUMP    2303 /* jump host, AllowTcpForwarding yes */
#define P_JUMP_NO 2304 /* jump host, AllowTcpForwarding no */
#define P_STOP    2305 /* gets SIGSTOPped by the keepalive check */
#define P_BASHRC  2306 /* like main but root's ~/.bashrc runs (for the bench) */
#define P_SILENT  2308 /* our own listener that never speaks */
#define P_CLOSED  2309 /* nothing listens */

static const char *W; /* work dir */
static pid_t sshd_pids[16];
static int n_sshd;
static int failures, passes;
static char cur_test[128];
static bool cur_failed;

/* ---- tiny harness ---- */

static void begin(const char *name)
{
    snprintf(cur_test, sizeof cur_test, "%s", name);
    cur_failed = false;
}

static void check(bool ok, const char *fmt, ...) KC_PRINTF(2, 3);
static void check(bool ok, const char *fmt, ...)
{
    if (ok)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "  [%s] ", cur_test);
    vfprintf(stdout, fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    cur_failed = true;
}

static void end(const char *detail)
{
    printf("%s %s%s%s\n", cur_failed ? "FAIL" : "PASS", cur_test, detail ? " - " : "",
           detail ? detail : "");
    fflush(stdout);
    if (cur_failed)
        failures++;
    else
        passes++;
}

static char *path(const char *name)
{
    return kc_xasprintf("%s/%s", W, name);
}

static void write_file(const char *p, const char *content)
{
    FILE *f = fopen(p, "w");
    if (!f) {
        perror(p);
        exit(2);
    }
    fputs(content, f);
    fclose(f);
}

static char *read_text(const char *p)
{
    struct kc_buf b = KC_BUF_INIT;
    if (kc_read_file(p, 0, &b) != 0)
        return kc_xstrdup("");
    return kc_buf_detach(&b);
}

static int run(const char *const argv[])
{
    pid_t pid;
    if (posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)argv, environ) != 0)
        return -1;
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *capture_cmd(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    struct kc_buf b = KC_BUF_INIT;
    char buf[4096];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof buf, p)) > 0)
        kc_buf_add(&b, buf, n);
    if (p)
        pclose(p);
    kc_buf_rtrim(&b);
    return kc_buf_detach(&b);
}

/* ---- sshd processes ---- */

static void keygen(const char *name)
{
    char *p = path(name);
    unlink(p);
    const char *argv[] = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", p, NULL};
    if (run(argv) != 0) {
        fprintf(stderr, "ssh-keygen failed\n");
        exit(2);
    }
    free(p);
}

static bool port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static pid_t start_sshd(int port, const char *hostkey, bool sftp, bool forwarding, bool bashrc)
{
    char *cfg = kc_xasprintf("%s/sshd_%d.conf", W, port);
    char *log = kc_xasprintf("%s/sshd_%d.log", W, port);
    char *text = kc_xasprintf("Port %d\nListenAddress 127.0.0.1\nHostKey %s/%s\n"
                              "PidFile none\nAuthorizedKeysFile %s/authorized_keys\n"
                              "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
                              "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
                              "LogLevel VERBOSE\nMaxStartups 100:30:200\n"
                              "AllowTcpForwarding %s\n%s%s",
                              port, W, hostkey, W, forwarding ? "yes" : "no",
                              sftp ? "Subsystem sftp /usr/lib/openssh/sftp-server\n" : "",
                              /* Debian bash sources ~/.bashrc for ssh commands unless
                               * SHLVL is already set (libraries.md 2a). */
                              bashrc ? "" : "SetEnv SHLVL=1\n");
    write_file(cfg, text);
    pid_t pid;
    const char *argv[] = {"/usr/sbin/sshd", "-D", "-f", cfg, "-E", log, NULL};
    if (posix_spawn(&pid, argv[0], NULL, NULL, (char *const *)argv, environ) != 0) {
        fprintf(stderr, "cannot start sshd\n");
        exit(2);
    }
    sshd_pids[n_sshd++] = pid;
    for (int i = 0; i < 100 && !port_open(port); i++)
        usleep(50000);
    if (!port_open(port)) {
        fprintf(stderr, "sshd on %d did not start; see %s\n", port, log);
        exit(2);
    }
    free(cfg);
    free(log);
    free(text);
    return pid;
}

static void stop_sshds(void)
{
    for (int i = 0; i < n_sshd; i++) {
        kill(sshd_pids[i], SIGTERM);
        waitpid(sshd_pids[i], NULL, 0);
    }
    n_sshd = 0;
}

/* ---- session options ---- */

struct fixture {
    struct kc_strvec keys;
    struct kc_strvec cfgs;
    struct kc_ssh_opts o;
};

static void fx_init(struct fixture *f, int port, const char *cfg_name)
{
    memset(f, 0, sizeof *f);
    char *k = path("id_ok");
    kc_strvec_push(&f->keys, k);
    free(k);
    char *c = path(cfg_name ? cfg_name : "ssh_config");
    kc_strvec_push(&f->cfgs, c);
    free(c);
    f->o.host = "127.0.0.1";
    f->o.port = port;
    f->o.keys = &f->keys;
    f->o.keys_only = true;
    f->o.config_mode = KC_SSHCFG_FILES;
    f->o.config_files = &f->cfgs;
    f->o.connect_timeout = 5;
}

static void fx_release(struct fixture *f)
{
    kc_strvec_release(&f->keys);
    kc_strvec_release(&f->cfgs);
}

static struct kc_session *open_or_fail(struct fixture *f)
{
    struct kc_session *s = NULL;
    struct kc_err err = KC_ERR_INIT;
    int rc = kc_session_open(&s, &f->o, &err);
    check(rc == 0, "open %s:%d failed: %s", f->o.host, f->o.port, err.msg ? err.msg : "?");
    kc_err_release(&err);
    return s;
}

static int exec_str(struct kc_session *s, const char *cmd, struct kc_exec_result *r)
{
    struct kc_err err = KC_ERR_INIT;
    kc_exec_result_init(r);
    int rc = kc_session_exec(s, cmd, NULL, 0, 0, r, &err);
    check(rc == 0, "exec '%s': %d %s", cmd, rc, err.msg ? err.msg : "");
    kc_err_release(&err);
    return rc;
}

static char *remote_out(struct kc_session *s, const char *cmd)
{
    struct kc_exec_result r;
    exec_str(s, cmd, &r);
    kc_buf_rtrim(&r.out);
    char *o = kc_xstrdup(kc_buf_str(&r.out));
    kc_exec_result_release(&r);
    return o;
}

/* ---- checks ---- */

static void t_exec_basic(struct kc_session *s)
{
    begin("exec: stdout, stderr and exit status separate");
    struct kc_exec_result r;
    if (exec_str(s, "echo to-out; echo to-err >&2; exit 3", &r) == 0) {
        check(r.status == 3, "status %d", r.status);
        check(strcmp(kc_buf_str(&r.out), "to-out\n") == 0, "out '%s'", kc_buf_str(&r.out));
        check(strcmp(kc_buf_str(&r.err), "to-err\n") == 0, "err '%s'", kc_buf_str(&r.err));
        check(!r.truncated, "truncated");
    }
    kc_exec_result_release(&r);
    if (exec_str(s, "kill -9 $$", &r) == 0) {
        check(r.status == -1, "signal status %d", r.status);
        check(strcmp(r.signal, "KILL") == 0, "signal '%s'", r.signal);
    }
    kc_exec_result_release(&r);
    /* EOF long before the exit status: the status must still come at once. */
    double t0 = kc_now();
    if (exec_str(s, "exec >&- 2>&-; sleep 1; exit 6", &r) == 0)
        check(r.status == 6, "status after early EOF %d", r.status);
    check(kc_now() - t0 < 2.0, "status after early EOF took %.2f s", kc_now() - t0);
    kc_exec_result_release(&r);
    if (exec_str(s, "no-such-command-kc", &r) == 0)
        check(r.status == 127, "not found status %d", r.status);
    kc_exec_result_release(&r);
    end(NULL);
}

static void t_exec_large(struct kc_session *s)
{
    begin("exec: 4 MB stdout + 2 MB stderr, no deadlock");
    struct kc_exec_result r;
    struct kc_err err = KC_ERR_INIT;
    kc_exec_result_init(&r);
    double t0 = kc_now();
    int rc = kc_session_exec(s,
                             "head -c 4194304 /dev/zero | tr '\\0' a & "
                             "head -c 2097152 /dev/zero | tr '\\0' b >&2; wait",
                             NULL, 0, 8u << 20, &r, &err);
    double ms = (kc_now() - t0) * 1000;
    check(rc == 0, "rc %d %s", rc, err.msg ? err.msg : "");
    check(r.out.len == 4194304, "out %zu", r.out.len);
    check(r.err.len == 2097152, "err %zu", r.err.len);
    check(r.out.len && r.out.data[0] == 'a' && r.out.data[r.out.len - 1] == 'a', "out bytes");
    check(r.status == 0, "status %d", r.status);
    char d[64];
    snprintf(d, sizeof d, "%.0f ms", ms);
    kc_exec_result_release(&r);
    kc_err_release(&err);
    end(d);
}

static void t_exec_cap(struct kc_session *s)
{
    begin("exec: cap truncates but keeps draining");
    struct kc_exec_result r;
    struct kc_err err = KC_ERR_INIT;
    kc_exec_result_init(&r);
    int rc = kc_session_exec(s, "head -c 3000000 /dev/zero; echo done >&2; exit 5", NULL, 0, 1000,
                             &r, &err);
    check(rc == 0, "rc %d", rc);
    check(r.out.len == 1000, "out %zu", r.out.len);
    check(r.truncated, "not marked truncated");
    check(strcmp(kc_buf_str(&r.err), "done\n") == 0, "err '%s'", kc_buf_str(&r.err));
    check(r.status == 5, "status %d", r.status);
    kc_exec_result_release(&r);
    kc_err_release(&err);
    end(NULL);
}

static void t_exec_stdin(struct kc_session *s)
{
    begin("exec: stdin data then EOF (2 MB echoed back)");
    size_t n = 2u << 20;
    char *data = kc_xmalloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    struct kc_exec_result r;
    struct kc_err err = KC_ERR_INIT;
    kc_exec_result_init(&r);
    int rc = kc_session_exec(s, "cat; echo eof >&2", data, n, 4u << 20, &r, &err);
    check(rc == 0, "rc %d %s", rc, err.msg ? err.msg : "");
    check(r.out.len == n && memcmp(r.out.data, data, n) == 0, "echoed %zu bytes", r.out.len);
    check(strcmp(kc_buf_str(&r.err), "eof\n") == 0, "err '%s'", kc_buf_str(&r.err));
    kc_exec_result_release(&r);
    kc_exec_result_init(&r);
    rc = kc_session_exec(s, "wc -c", "hello", 5, 0, &r, &err);
    check(rc == 0 && strcmp(kc_buf_str(&r.out), "5\n") == 0, "wc '%s'", kc_buf_str(&r.out));
    kc_exec_result_release(&r);
    kc_exec_result_init(&r);
    /* No stdin given: the command must see EOF at once, not hang. */
    rc = kc_session_exec(s, "cat; echo ok", NULL, 0, 0, &r, &err);
    check(rc == 0 && strcmp(kc_buf_str(&r.out), "ok\n") == 0, "no-stdin '%s'", kc_buf_str(&r.out));
    kc_exec_result_release(&r);
    kc_err_release(&err);
    free(data);
    end(NULL);
}

static void upload_checks(struct kc_session *s, const char *label)
{
    char *abs = kc_xasprintf("%s/up_%s.env", W, label);
    char *cmd = kc_xasprintf("echo old > %s && chmod 644 %s", abs, abs);
    free(remote_out(s, cmd));
    free(cmd);
    struct kc_err err = KC_ERR_INIT;
    const char *secret = "SECRET=hunter2\n";
    int rc = kc_session_upload(s, abs, secret, strlen(secret), 0600, &err);
    check(rc == 0, "upload: %s", err.msg ? err.msg : "");
    struct stat st;
    check(stat(abs, &st) == 0 && (st.st_mode & 07777) == 0600, "mode %o", st.st_mode & 07777);
    char *got = read_text(abs);
    check(strcmp(got, secret) == 0, "content '%s'", got);
    free(got);
    /* Bigger than one SFTP chunk, and a mode with group bits. */
    size_t n = 200000;
    char *big = kc_xmalloc(n);
    memset(big, 'z', n);
    rc = kc_session_upload(s, abs, big, n, 0640, &err);
    check(rc == 0 && stat(abs, &st) == 0 && st.st_size == (off_t)n && (st.st_mode & 07777) == 0640,
          "big upload rc %d size %lld mode %o", rc, (long long)st.st_size, st.st_mode & 07777);
    free(big);
    /* Relative paths are relative to the login directory. */
    char *rel = kc_xasprintf("kc-live-%s-%d.txt", label, (int)getpid());
    rc = kc_session_upload(s, rel, "rel\n", 4, 0600, &err);
    check(rc == 0, "relative upload: %s", err.msg ? err.msg : "");
    char *c2 = kc_xasprintf("cat \"$HOME\"/%s && rm -f \"$HOME\"/%s", rel, rel);
    char *out = remote_out(s, c2);
    check(strcmp(out, "rel") == 0, "relative file '%s'", out);
    free(out);
    free(c2);
    free(rel);
    /* Errors name the host and the path. */
    rc = kc_session_upload(s, "/nonexistent-kc-dir/x", "x", 1, 0600, &err);
    check(rc == KC_EREMOTE, "missing dir rc %d", rc);
    check(err.msg && strstr(err.msg, "/nonexistent-kc-dir/x") && strstr(err.msg, "127.0.0.1"),
          "error message '%s'", err.msg ? err.msg : "");
    kc_err_release(&err);
    free(abs);
}

static void t_upload_sftp(struct kc_session *s)
{
    begin("upload over SFTP: 0600 over an existing 0644 file");
    upload_checks(s, "sftp");
    check(s->sftp != NULL && !s->sftp_missing, "SFTP was not used");
    end(NULL);
}

static void t_upload_fallback(void)
{
    begin("upload without an SFTP subsystem (cat fallback)");
    struct fixture f;
    fx_init(&f, P_NOSFTP, NULL);
    struct kc_session *s = open_or_fail(&f);
    if (s) {
        upload_checks(s, "cat");
        check(s->sftp_missing, "fallback not used");
        /* A path with a quote and a space goes through the shell quoted. */
        char *odd = kc_xasprintf("%s/it's a file", W);
        struct kc_err err = KC_ERR_INIT;
        int rc = kc_session_upload(s, odd, "q", 1, 0600, &err);
        check(rc == 0, "odd path: %s", err.msg ? err.msg : "");
        char *got = read_text(odd);
        check(strcmp(got, "q") == 0, "odd path content '%s'", got);
        free(got);
        free(odd);
        kc_err_release(&err);
    }
    kc_session_close(s);
    fx_release(&f);
    end(NULL);
}

static int count_lines_with(const char *file, const char *needle)
{
    char *t = read_text(file);
    int n = 0;
    for (char *p = t; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    free(t);
    return n;
}

static void t_known_hosts_accept_new(void)
{
    begin("known_hosts: accept-new records the key (UserKnownHostsFile honoured)");
    char *kh = path("known_hosts");
    unlink(kh);
    struct fixture f;
    fx_init(&f, P_MAIN, NULL);
    struct kc_session *s = open_or_fail(&f);
    kc_session_close(s);
    check(count_lines_with(kh, "[127.0.0.1]:2300 ssh-ed25519 ") == 1, "entry not recorded");
    s = open_or_fail(&f); /* now known: OK, no second line */
    kc_session_close(s);
    check(count_lines_with(kh, "[127.0.0.1]:2300 ") == 1, "entry duplicated");
    fx_release(&f);
    free(kh);
    end(NULL);
}

static void expect_open_fails(struct fixture *f, const char *needle, struct kc_err *err)
{
    struct kc_session *s = NULL;
    int rc = kc_session_open(&s, &f->o, err);
    check(rc == KC_EUNREACHABLE, "rc %d (expected unreachable)", rc);
    check(s == NULL, "session returned on failure");
    check(err->msg && strstr(err->msg, needle), "message '%s' lacks '%s'", err->msg ? err->msg : "",
          needle);
    kc_session_close(s);
}

static void t_known_hosts_changed(void)
{
    begin("known_hosts: a changed key is refused with its fingerprint");
    char *kh = path("known_hosts");
    char *pub_a = path("hostkey_a.pub");
    char *a = read_text(pub_a);
    /* "ssh-ed25519 AAAA... comment" -> "[127.0.0.1]:2301 ssh-ed25519 AAAA..." */
    char *line = kc_xasprintf("[127.0.0.1]:%d %s", P_CHANGED, a);
    FILE *fp = fopen(kh, "a");
    fputs(line, fp);
    fclose(fp);
    struct fixture f;
    fx_init(&f, P_CHANGED, NULL);
    struct kc_err err = KC_ERR_INIT;
    expect_open_fails(&f, "has changed", &err);
    char *fp_b = capture_cmd("ssh-keygen -lf \"$KC_W\"/hostkey_b.pub | cut -d' ' -f2");
    check(err.msg && strstr(err.msg, fp_b), "fingerprint %s not in '%s'", fp_b,
          err.msg ? err.msg : "");
    char *want = kc_xasprintf("ssh-keygen -R '[127.0.0.1]:%d' -f %s", P_CHANGED, kh);
    check(err.hint && strstr(err.hint, want), "hint '%s' lacks '%s'", err.hint ? err.hint : "",
          want);
    check(err.host && strcmp(err.host, "127.0.0.1") == 0, "err.host");
    char detail[512];
    snprintf(detail, sizeof detail, "%s / %s", err.msg ? err.msg : "", err.hint ? err.hint : "");
    /* StrictHostKeyChecking no in the config never weakens this. */
    struct fixture g;
    fx_init(&g, P_CHANGED, "ssh_config_no");
    kc_err_release(&err);
    expect_open_fails(&g, "has changed", &err);
    fx_release(&g);
    kc_err_release(&err);
    free(want);
    free(fp_b);
    free(line);
    free(a);
    free(pub_a);
    free(kh);
    fx_release(&f);
    end(detail);
}

static void t_strict_yes(void)
{
    begin("StrictHostKeyChecking yes in the ssh config refuses unknown keys");
    char *kh = path("known_hosts_strict");
    unlink(kh);
    struct fixture f;
    fx_init(&f, P_MAIN, "ssh_config_strict");
    struct kc_err err = KC_ERR_INIT;
    expect_open_fails(&f, "StrictHostKeyChecking yes", &err);
    check(access(kh, F_OK) != 0, "known_hosts written in strict mode");
    char detail[400];
    snprintf(detail, sizeof detail, "%s", err.msg ? err.msg : "");
    kc_err_release(&err);
    fx_release(&f);
    /* The same file's block for another host does not apply. */
    fx_init(&f, P_MAIN, "ssh_config_strict_other");
    struct kc_session *s = open_or_fail(&f);
    kc_session_close(s);
    fx_release(&f);
    free(kh);
    end(detail);
}

static void t_auth_failure(void)
{
    begin("authentication failure names user, host and what was tried");
    struct fixture f;
    fx_init(&f, P_MAIN, NULL);
    kc_strvec_release(&f.keys);
    char *k = path("id_wrong");
    kc_strvec_push(&f.keys, k);
    kc_strvec_push(&f.keys, "/nonexistent/key");
    struct kc_err err = KC_ERR_INIT;
    char *want = kc_xasprintf("authentication failed for root@127.0.0.1 (tried: %s", k);
    expect_open_fails(&f, want, &err);
    char detail[400];
    snprintf(detail, sizeof detail, "%s", err.msg ? err.msg : "");
    kc_err_release(&err);
    /* key_data (PEM text) works where the file key failed */
    char *ok_pem = path("id_ok");
    char *pem = read_text(ok_pem);
    struct kc_strvec data = KC_STRVEC_INIT;
    kc_strvec_push(&data, pem);
    f.o.key_data = &data;
    struct kc_session *s = open_or_fail(&f);
    kc_session_close(s);
    kc_strvec_release(&data);
    free(pem);
    free(ok_pem);
    free(want);
    free(k);
    fx_release(&f);
    end(detail);
}

static pid_t start_agent(char **sock)
{
    *sock = path("agent.sock");
    unlink(*sock);
    pid_t pid;
    const char *argv[] = {"ssh-agent", "-D", "-a", *sock, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 100 && access(*sock, F_OK) != 0; i++)
        usleep(20000);
    return pid;
}

static void t_agent(void)
{
    begin("ssh-agent: used first when keys_only is false");
    char *sock = NULL;
    pid_t agent = start_agent(&sock);
    check(agent > 0, "cannot start ssh-agent");
    setenv("SSH_AUTH_SOCK", sock, 1);
    char *key = path("id_ok");
    const char *add[] = {"ssh-add", "-q", key, NULL};
    check(run(add) == 0, "ssh-add failed");
    struct fixture f;
    fx_init(&f, P_MAIN, NULL);
    f.o.keys = NULL;
    f.o.keys_only = false;
    struct kc_session *s = open_or_fail(&f); /* only the agent holds id_ok */
    kc_session_close(s);
    /* agent first, then a (wrong) explicit key: still fine */
    kc_strvec_release(&f.keys);
    char *wrong = path("id_wrong");
    kc_strvec_push(&f.keys, wrong);
    f.o.keys = &f.keys;
    s = open_or_fail(&f);
    kc_session_close(s);
    /* keys_only: the agent is not asked */
    f.o.keys_only = true;
    struct kc_err err = KC_ERR_INIT;
    expect_open_fails(&f, "authentication failed", &err);
    check(err.msg && !strstr(err.msg, "agent"), "agent tried with keys_only: %s", err.msg);
    kc_err_release(&err);
    unsetenv("SSH_AUTH_SOCK");
    f.o.keys = NULL;
    f.o.keys_only = false;
    expect_open_fails(&f, "tried: agent (SSH_AUTH_SOCK not set), ssh config IdentityFile", &err);
    char detail[400];
    snprintf(detail, sizeof detail, "%s", err.msg ? err.msg : "");
    kc_err_release(&err);
    if (agent > 0) {
        kill(agent, SIGTERM);
        waitpid(agent, NULL, 0);
    }
    fx_release(&f);
    free(wrong);
    free(key);
    free(sock);
    end(detail);
}

static void t_refused(void)
{
    begin("connection refused is reported fast; unresolvable name");
    struct fixture f;
    fx_init(&f, P_CLOSED, NULL);
    struct kc_err err = KC_ERR_INIT;
    double t0 = kc_now();
    expect_open_fails(&f, "Connection refused", &err);
    double ms = (kc_now() - t0) * 1000;
    check(ms < 500, "took %.0f ms", ms);
    char detail[400];
    snprintf(detail, sizeof detail, "%.1f ms: %s", ms, err.msg ? err.msg : "");
    kc_err_release(&err);
    fx_release(&f);
    /* a name that does not resolve */
    fx_init(&f, 22, NULL);
    f.o.host = "no-such-host.invalid";
    expect_open_fails(&f, "cannot connect to no-such-host.invalid port 22", &err);
    check(err.host && strcmp(err.host, "no-such-host.invalid") == 0, "err.host");
    snprintf(detail + strlen(detail), sizeof detail - strlen(detail), " | %s",
             err.msg ? err.msg : "");
    kc_err_release(&err);
    fx_release(&f);
    end(detail);
}

static void t_silent(void)
{
    begin("a silent TCP listener times out within connect_timeout");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(P_SILENT);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 8) == 0, "listen");
    struct fixture f;
    fx_init(&f, P_SILENT, NULL);
    f.o.connect_timeout = 1;
    struct kc_err err = KC_ERR_INIT;
    double t0 = kc_now();
    expect_open_fails(&f, "cannot connect to 127.0.0.1 port 2308", &err);
    double ms = (kc_now() - t0) * 1000;
    check(ms >= 900 && ms < 1800, "took %.0f ms", ms);
    char detail[400];
    snprintf(detail, sizeof detail, "%.0f ms: %s", ms, err.msg ? err.msg : "");
    kc_err_release(&err);
    close(fd);
    fx_release(&f);
    end(detail);
}

static void t_long_command(void)
{
    begin("a 3 s silent command is not cut off by a 1 s connect timeout (keepalives answered)");
    struct fixture f;
    fx_init(&f, P_MAIN, NULL);
    f.o.connect_timeout = 1;
    f.o.keepalive_interval = 1; /* probes at 1 s and 2 s must see their replies */
    struct kc_session *s = open_or_fail(&f);
    if (s) {
        struct kc_exec_result r;
        double t0 = kc_now();
        if (exec_str(s, "sleep 3; echo done", &r) == 0) {
            check(r.status == 0, "status %d", r.status);
            check(strcmp(kc_buf_str(&r.out), "done\n") == 0, "out '%s'", kc_buf_str(&r.out));
        }
        check(kc_now() - t0 >= 2.9, "returned early");
        kc_exec_result_release(&r);
    }
    kc_session_close(s);
    fx_release(&f);
    end(NULL);
}

static int count_accepted(int port)
{
    char *log = kc_xasprintf("%s/sshd_%d.log", W, port);
    int n = count_lines_with(log, "Accepted publickey");
    free(log);
    return n;
}

static void t_jump(void)
{
    begin("jump host (native forward through a second sshd)");
    char *jump = kc_xasprintf("root@127.0.0.1:%d", P_JUMP);
    struct fixture f;
    fx_init(&f, P_MAIN, NULL);
    f.o.jump = jump;
    int before = count_accepted(P_JUMP);
    struct kc_session *s = open_or_fail(&f);
    if (s) {
        char *out = remote_out(s, "echo via-jump");
        check(strcmp(out, "via-jump") == 0, "out '%s'", out);
        free(out);
        check(count_accepted(P_JUMP) == before + 1, "jump sshd saw no login");
        char *kh = path("known_hosts");
        check(count_lines_with(kh, "[127.0.0.1]:2303 ") == 1, "jump host key not recorded");
        free(kh);
        upload_checks(s, "jump");
    }
    end(NULL);
    if (s)
        t_exec_large(s); /* 6 MB through the pump thread */
    kc_session_close(s);
    begin("jump host: ssh config ProxyJump (native); forwarding refused is reported");
    fx_release(&f);
    fx_init(&f, 0, "ssh_config_proxyjump");
    f.o.host = "behind";
    before = count_accepted(P_JUMP);
    s = open_or_fail(&f);
    if (s) {
        char *out = remote_out(s, "echo via-config-jump");
        check(strcmp(out, "via-config-jump") == 0, "out '%s'", out);
        free(out);
        check(count_accepted(P_JUMP) == before + 1, "config ProxyJump did not use the jump");
    }
    kc_session_close(s);
    fx_release(&f);
    /* A jump host that forbids forwarding: the error says so. */
    free(jump);
    jump = kc_xasprintf("127.0.0.1:%d", P_JUMP_NO);
    fx_init(&f, P_MAIN, NULL);
    f.o.jump = jump;
    struct kc_err err = KC_ERR_INIT;
    expect_open_fails(&f, "cannot open a connection to 127.0.0.1 port 2300", &err);
    kc_err_release(&err);
    fx_release(&f);
    free(jump);
    end(NULL);
}

struct lines_seen {
    struct kc_strvec out, err;
    double first_at;
    const char *stop_at;
};

static int on_line(void *ud, const char *line, size_t len, bool is_stderr)
{
    struct lines_seen *ls = ud;
    if (ls->out.n + ls->err.n == 0)
        ls->first_at = kc_now();
    char *l = kc_xstrndup(line, len);
    kc_strvec_push_nodup(is_stderr ? &ls->err : &ls->out, l);
    return ls->stop_at && strcmp(l, ls->stop_at) == 0;
}

static void t_stream(struct kc_session *s)
{
    begin("stream: lines as they come, stdout/stderr apart");
    struct lines_seen ls = {KC_STRVEC_INIT, KC_STRVEC_INIT, 0, NULL};
    struct kc_err err = KC_ERR_INIT;
    int status = 99;
    double t0 = kc_now();
    int rc = kc_session_stream(s,
                               "for i in 1 2 3; do echo line $i; sleep 0.3; done; "
                               "echo oops >&2; printf tail",
                               false, on_line, &ls, &status, &err);
    check(rc == 0, "rc %d %s", rc, err.msg ? err.msg : "");
    check(status == 0, "status %d", status);
    check(ls.out.n == 4 && strcmp(ls.out.v[0], "line 1") == 0 && strcmp(ls.out.v[3], "tail") == 0,
          "out lines %zu", ls.out.n);
    check(ls.err.n == 1 && strcmp(ls.err.v[0], "oops") == 0, "err lines %zu", ls.err.n);
    check(ls.first_at - t0 < 0.5, "first line after %.2f s", ls.first_at - t0);
    kc_strvec_release(&ls.out);
    kc_strvec_release(&ls.err);
    end(NULL);

    begin("stream with pty: \\r stripped, closing kills the remote process");
    ls.stop_at = "started";
    ls.first_at = 0;
    rc = kc_session_stream(s, "printf 'a\\nb\\n'; echo started; exec sleep 4447", true, on_line,
                           &ls, &status, &err);
    check(rc == 0, "rc %d %s", rc, err.msg ? err.msg : "");
    check(ls.out.n == 3 && strcmp(ls.out.v[0], "a") == 0 && strcmp(ls.out.v[1], "b") == 0,
          "pty lines %zu '%s'", ls.out.n, ls.out.n ? ls.out.v[0] : "");
    bool gone = false;
    for (int i = 0; i < 30 && !gone; i++) {
        char *o = remote_out(s, "pgrep -f 'sleep 444[7]' || echo none");
        gone = strcmp(o, "none") == 0;
        free(o);
        if (!gone)
            usleep(100000);
    }
    check(gone, "remote sleep still running");
    kc_strvec_release(&ls.out);
    kc_strvec_release(&ls.err);
    kc_err_release(&err);
    end(NULL);
}

static void *set_flag_later(void *arg)
{
    usleep(500000);
    *(volatile sig_atomic_t *)arg = 1;
    return NULL;
}

static void t_cancel(void)
{
    begin("cancel flag interrupts a waiting command; session stays usable");
    static volatile sig_atomic_t cancel;
    cancel = 0;
    struct fixture f;
    fx_init(&f, P_MAIN, NULL);
    f.o.cancel = &cancel;
    struct kc_session *s = open_or_fail(&f);
    if (s) {
        pthread_t th;
        pthread_create(&th, NULL, set_flag_later, (void *)&cancel);
        struct kc_exec_result r;
        struct kc_err err = KC_ERR_INIT;
        kc_exec_result_init(&r);
        double t0 = kc_now();
        int rc = kc_session_exec(s, "sleep 5", NULL, 0, 0, &r, &err);
        double dt = kc_now() - t0;
        pthread_join(th, NULL);
        check(rc == KC_EINTERRUPTED, "rc %d", rc);
        check(dt < 1.2, "took %.2f s", dt);
        cancel = 0;
        kc_exec_result_release(&r);
        kc_err_release(&err);
        char *o = remote_out(s, "echo still-ok");
        check(strcmp(o, "still-ok") == 0, "after cancel '%s'", o);
        free(o);
    }
    kc_session_close(s);
    fx_release(&f);
    end(NULL);
}

/* pids of all descendants of root */
static int descendants(pid_t root, pid_t *out, int max)
{
    int n = 0;
    out[n++] = root;
    for (int i = 0; i < n; i++) {
        char *p = kc_xasprintf("/proc/%d/task/%d/children", (int)out[i], (int)out[i]);
        char *t = read_text(p);
        free(p);
        for (char *q = t; *q && n < max;) {
            long v = strtol(q, &q, 10);
            if (v > 0)
                out[n++] = (pid_t)v;
            while (*q == ' ')
                q++;
        }
        free(t);
    }
    return n;
}

struct stopper {
    pid_t sshd;
    pid_t stopped[64];
    int n;
};

static void *stop_later(void *arg)
{
    struct stopper *st = arg;
    usleep(1000000);
    pid_t all[64];
    int n = descendants(st->sshd, all, 64);
    for (int i = 1; i < n; i++) { /* not the listener itself */
        kill(all[i], SIGSTOP);
        st->stopped[st->n++] = all[i];
    }
    return NULL;
}

static void t_keepalive_lost(pid_t sshd)
{
    begin("a peer that stops answering is detected by keepalives");
    struct fixture f;
    fx_init(&f, P_STOP, NULL);
    f.o.keepalive_interval = 1;
    struct kc_session *s = open_or_fail(&f);
    if (s) {
        struct stopper st = {sshd, {0}, 0};
        pthread_t th;
        pthread_create(&th, NULL, stop_later, &st);
        struct kc_exec_result r;
        struct kc_err err = KC_ERR_INIT;
        kc_exec_result_init(&r);
        double t0 = kc_now();
        int rc = kc_session_exec(s, "sleep 30", NULL, 0, 0, &r, &err);
        double dt = kc_now() - t0;
        pthread_join(th, NULL);
        check(rc == KC_EUNREACHABLE, "rc %d", rc);
        check(err.msg && strstr(err.msg, "connection to 127.0.0.1 lost"), "msg '%s'",
              err.msg ? err.msg : "");
        /* stopped after 1 s; detection within 3 keepalive intervals */
        check(dt < 1.0 + 3.0 + 0.5, "took %.2f s", dt);
        char detail[300];
        snprintf(detail, sizeof detail, "%d processes stopped, detected after %.2f s: %s", st.n,
                 dt - 1.0, err.msg ? err.msg : "");
        kc_exec_result_release(&r);
        kc_err_release(&err);
        /* the next command fails at once with the same reason */
        kc_exec_result_init(&r);
        rc = kc_session_exec(s, "true", NULL, 0, 0, &r, &err);
        check(rc == KC_EUNREACHABLE, "second exec rc %d", rc);
        kc_exec_result_release(&r);
        kc_err_release(&err);
        t0 = kc_now();
        kc_session_close(s);
        check(kc_now() - t0 < 1.0, "close took %.2f s", kc_now() - t0);
        s = NULL;
        for (int i = 0; i < st.n; i++) {
            kill(st.stopped[i], SIGKILL);
            kill(st.stopped[i], SIGCONT);
        }
        end(detail);
    } else {
        end(NULL);
    }
    fx_release(&f);
}

/* ---- interactive, run in a child process ---- */

static int child_interactive(const char *cmd, bool tty_check)
{
    struct fixture f;
    fx_init(&f, P_MAIN, NULL);
    struct kc_session *s = NULL;
    struct kc_err err = KC_ERR_INIT;
    if (kc_session_open(&s, &f.o, &err) != 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 100;
    }
    struct termios before, after;
    if (tty_check)
        tcgetattr(0, &before);
    int status = -5;
    int rc = kc_session_interactive(s, cmd, &status, &err);
    if (tty_check) {
        tcgetattr(0, &after);
        if (memcmp(&before.c_lflag, &after.c_lflag, sizeof before.c_lflag) != 0 ||
            memcmp(&before.c_iflag, &after.c_iflag, sizeof before.c_iflag) != 0) {
            fprintf(stderr, "terminal not restored\n");
            return 101;
        }
    }
    kc_session_close(s);
    fx_release(&f);
    if (rc != 0) {
        fprintf(stderr, "interactive: %s\n", err.msg);
        return 102;
    }
    return status;
}

static void t_interactive_pipe(const char *self)
{
    begin("interactive without a tty (piped stdin)");
    int in[2], out[2];
    check(pipe(in) == 0 && pipe(out) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execl(self, self, W, "child-pipe", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    const char *msg = "hello interactive\n";
    check(write(in[1], msg, strlen(msg)) == (ssize_t)strlen(msg), "write");
    close(in[1]);
    struct kc_buf b = KC_BUF_INIT;
    char buf[4096];
    ssize_t n;
    while ((n = read(out[0], buf, sizeof buf)) > 0)
        kc_buf_add(&b, buf, (size_t)n);
    close(out[0]);
    int st;
    waitpid(pid, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 4, "exit %d", WEXITSTATUS(st));
    check(strcmp(kc_buf_str(&b), "HELLO INTERACTIVE\n") == 0, "out '%s'", kc_buf_str(&b));
    kc_buf_release(&b);
    end(NULL);
}

static void t_interactive_tty(const char *self)
{
    begin("interactive with a tty: pty size, SIGWINCH, raw mode restored");
    int master;
    struct winsize ws = {50, 132, 0, 0};
    pid_t pid = forkpty(&master, NULL, NULL, &ws);
    if (pid == 0) {
        execl(self, self, W, "child-tty", (char *)NULL);
        _exit(127);
    }
    struct kc_buf b = KC_BUF_INIT;
    double t0 = kc_now();
    bool resized = false;
    for (;;) {
        struct pollfd p = {master, POLLIN, 0};
        if (poll(&p, 1, 100) > 0) {
            char buf[4096];
            ssize_t n = read(master, buf, sizeof buf);
            if (n <= 0)
                break;
            kc_buf_add(&b, buf, (size_t)n);
        }
        if (!resized && strstr(kc_buf_str(&b), "50 132")) {
            struct winsize w2 = {60, 100, 0, 0};
            ioctl(master, TIOCSWINSZ, &w2); /* the child gets SIGWINCH */
            resized = true;
        }
        if (kc_now() - t0 > 10)
            break;
    }
    int st;
    waitpid(pid, &st, 0);
    close(master);
    check(strstr(kc_buf_str(&b), "50 132") != NULL, "initial size not seen");
    check(strstr(kc_buf_str(&b), "60 100") != NULL, "resize not seen");
    check(WIFEXITED(st) && WEXITSTATUS(st) == 7, "exit %d (101: terminal not restored)",
          WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    kc_buf_release(&b);
    end(NULL);
}

/* ---- bench ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void bench(int port, const char *label)
{
    struct fixture f;
    fx_init(&f, port, NULL);
    double conn[10];
    for (int i = 0; i < 10; i++) {
        double t0 = kc_now();
        struct kc_session *s = open_or_fail(&f);
        conn[i] = (kc_now() - t0) * 1000;
        kc_session_close(s);
    }
    qsort(conn, 10, sizeof conn[0], cmp_double);
    struct kc_session *s = open_or_fail(&f);
    double lat[50];
    struct kc_exec_result r;
    kc_exec_result_init(&r);
    struct kc_err err = KC_ERR_INIT;
    for (int i = 0; i < 55 && s; i++) {
        double t0 = kc_now();
        kc_session_exec(s, "true", NULL, 0, 0, &r, &err);
        if (i >= 5)
            lat[i - 5] = (kc_now() - t0) * 1000;
    }
    qsort(lat, 50, sizeof lat[0], cmp_double);
    printf("BENCH %s: connect+hostkey+auth median %.1f ms (min %.1f, max %.1f, n=10); "
           "exec `true` on the open session median %.2f ms (p10 %.2f, p90 %.2f, n=50)\n",
           label, conn[5], conn[0], conn[9], lat[25], lat[5], lat[45]);
    kc_exec_result_release(&r);
    kc_err_release(&err);
    kc_session_close(s);
    fx_release(&f);
}

/* ---- setup ---- */

static void setup_files(void)
{
    keygen("hostkey_a");
    keygen("hostkey_b");
    keygen("id_ok");
    keygen("id_wrong");
    char *pub = path("id_ok.pub");
    char *ak = path("authorized_keys");
    char *k = read_text(pub);
    write_file(ak, k);
    free(k);
    free(ak);
    free(pub);
    char *kh = path("known_hosts");
    unlink(kh);
    char *t =
        kc_xasprintf("Host *\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n", kh);
    char *p = path("ssh_config");
    write_file(p, t);
    free(p);
    free(t);
    t = kc_xasprintf("Host 127.0.0.1\n  StrictHostKeyChecking no\nHost *\n"
                     "  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n",
                     kh);
    p = path("ssh_config_no");
    write_file(p, t);
    free(p);
    free(t);
    t = kc_xasprintf("Host behind\n  HostName 127.0.0.1\n  Port %d\n  ProxyJump root@127.0.0.1:%d\n"
                     "Host *\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n",
                     P_MAIN, P_JUMP, kh);
    p = path("ssh_config_proxyjump");
    write_file(p, t);
    free(p);
    free(t);
    free(kh);
    kh = path("known_hosts_strict");
    t = kc_xasprintf("Host 127.0.0.*\n  StrictHostKeyChecking yes\nHost *\n"
                     "  StrictHostKeyChecking no\n  UserKnownHostsFile %s\n"
                     "  GlobalKnownHostsFile /dev/null\n",
                     kh);
    p = path("ssh_config_strict");
    write_file(p, t);
    free(p);
    free(t);
    t = kc_xasprintf("Host web9 !127.0.0.1\n  StrictHostKeyChecking yes\nHost *\n"
                     "  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n",
                     kh);
    p = path("ssh_config_strict_other");
    write_file(p, t);
    free(p);
    free(t);
    free(kh);
}

static void on_signal(int sig)
{
    static const char msg[] = "live: interrupted by a signal; stopping sshd\n";
    (void)sig;
    (void)!write(2, msg, sizeof msg - 1);
    for (int i = 0; i < n_sshd; i++)
        kill(sshd_pids[i], SIGTERM);
    _exit(3);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: live WORKDIR [bench]\n");
        return 2;
    }
    W = argv[1];
    setenv("KC_W", W, 1);
    if (argc > 2 && strcmp(argv[2], "child-pipe") == 0)
        return child_interactive("tr a-z A-Z; exit 4", false);
    if (argc > 2 && strcmp(argv[2], "child-tty") == 0)
        return child_interactive("stty size; sleep 1; stty size; exit 7", true);
    bool do_bench = argc > 2 && strcmp(argv[2], "bench") == 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    unsetenv("SSH_AUTH_SOCK");
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    setup_files();
    start_sshd(P_MAIN, "hostkey_a", true, true, false);
    start_sshd(P_CHANGED, "hostkey_b", true, false, false);
    start_sshd(P_NOSFTP, "hostkey_a", false, false, false);
    start_sshd(P_JUMP, "hostkey_b", true, true, false);
    start_sshd(P_JUMP_NO, "hostkey_b", true, false, false);
    pid_t stop_pid = start_sshd(P_STOP, "hostkey_a", true, false, false);
    if (do_bench)
        start_sshd(P_BASHRC, "hostkey_a", true, false, true);

    t_known_hosts_accept_new();
    struct fixture f;
    fx_init(&f, P_MAIN, NULL);
    begin("open");
    struct kc_session *s = open_or_fail(&f);
    end(NULL);
    if (s) {
        t_exec_basic(s);
        t_exec_large(s);
        t_exec_cap(s);
        t_exec_stdin(s);
        t_upload_sftp(s);
        t_stream(s);
    }
    kc_session_close(s);
    fx_release(&f);
    t_upload_fallback();
    t_known_hosts_changed();
    t_strict_yes();
    t_auth_failure();
    t_agent();
    t_refused();
    t_silent();
    t_long_command();
    t_jump();
    t_cancel();
    t_keepalive_lost(stop_pid);
    t_interactive_pipe(argv[0]);
    t_interactive_tty(argv[0]);
    if (do_bench) {
        bench(P_MAIN, "sshd without ~/.bashrc (SetEnv SHLVL=1)");
        bench(P_BASHRC, "sshd running root's ~/.bashrc (pyenv)");
    }
    stop_sshds();
    printf("%d passed, %d failed\n", passes, failures);
    return failures ? 1 : 0;
}
