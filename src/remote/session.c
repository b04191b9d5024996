/* session.c - opening and closing one SSH connection, and its health.
 *
 * The options and the authentication shared with the jump connection are in
 * connect.c; the jump connection itself is jump.c. */
#include "session_int.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/server.h> /* ssh_send_keepalive works on client sessions too */

#define KC_KEEPALIVE_DEFAULT       30

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void do_init(void)
{
    ssh_init();
}

void kc_remote_init_once(void)
{
    pthread_once(&init_once, do_init);
}

/* A worker's stack: libssh, OpenSSL and our channel loop need a few dozen
 * KiB; 1 MiB instead of the default 8 keeps 256 workers' address space small. */
#define KC_THREAD_STACK (1024 * 1024)

int kc_remote_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, KC_THREAD_STACK);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(t, &attr, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return rc;
}

/* ---- health: keepalives and loss detection ---- */

bool kc_session_check_lost(struct kc_session *s)
{
    if (s->lost)
        return true;
    int st = ssh_get_status(s->ssh);
    if (!(st & (SSH_CLOSED | SSH_CLOSED_ERROR)) && ssh_is_connected(s->ssh))
        return false;
    const char *e = ssh_get_error(s->ssh);
    s->lost = kc_xstrdup(e && *e ? e : "the connection was closed");
    return true;
}

int kc_session_lost_err(struct kc_session *s, struct kc_err *err)
{
    kc_session_check_lost(s);
    int rc = kc_err_set(err, KC_EUNREACHABLE, "connection to %s lost: %s", s->host,
                        s->lost ? s->lost : "unknown error");
    kc_err_set_host(err, s->host);
    return rc;
}

int kc_session_keepalive_due_ms(const struct kc_session *s)
{
    double left = s->last_rx + s->keepalive - kc_now();
    return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

int kc_session_keepalive_tick(struct kc_session *s, struct kc_err *err)
{
    double now = kc_now();
    if (s->rx.in_bytes != s->rx_seen) {
        s->rx_seen = s->rx.in_bytes;
        s->last_rx = now;
        return 0;
    }
    if (now - s->last_rx < s->keepalive)
        return 0;
    /* keepalive@openssh.com with want_reply: libssh waits for the answer up
     * to SSH_OPTIONS_TIMEOUT (2 intervals, set in kc_session_open). */
    ssh_send_keepalive(s->ssh);
    if (kc_session_check_lost(s))
        return kc_session_lost_err(s, err);
    if (s->rx.in_bytes == s->rx_seen) {
        s->lost = kc_xasprintf("no reply to a keepalive within %d s", 2 * s->keepalive);
        return kc_session_lost_err(s, err);
    }
    s->rx_seen = s->rx.in_bytes;
    s->last_rx = kc_now();
    return 0;
}

/* ---- open / close ---- */

static int resolve_jump(const struct kc_ssh_opts *o, const struct kc_cfg_values *cv,
                        const char **jump, struct kc_err *err)
{
    *jump = o->jump ? o->jump : cv->proxyjump;
    if (*jump == NULL && cv->proxycommand)
        return kc_err_set(err, KC_EUNREACHABLE,
                          "the ssh config sets a ProxyCommand for %s, which kamal-c does not "
                          "run; use ssh.proxy in deploy.yml (a native jump host) instead",
                          o->host);
    return 0;
}

static void record_target(struct kc_session *s)
{
    char *v = NULL;
    unsigned int port = 0;
    free(s->addr);
    free(s->user);
    s->addr = s->user = NULL;
    if (ssh_options_get(s->ssh, SSH_OPTIONS_HOST, &v) == SSH_OK) {
        s->addr = kc_xstrdup(v);
        ssh_string_free_char(v);
    }
    v = NULL;
    if (ssh_options_get(s->ssh, SSH_OPTIONS_USER, &v) == SSH_OK) {
        s->user = kc_xstrdup(v);
        ssh_string_free_char(v);
    }
    ssh_options_get_port(s->ssh, &port);
    s->port = (int)port;
}

/* After authentication: commands are not bounded by the connect timeout but
 * blocking libssh calls are bounded by two keepalive intervals, and the
 * keepalive loop (keepalive_tick) detects a silent peer. */
static void after_connect(struct kc_session *s)
{
    long t = 2L * s->keepalive;
    ssh_options_set(s->ssh, SSH_OPTIONS_TIMEOUT, &t);
    kc_tcp_keepalive(ssh_get_fd(s->ssh), s->keepalive);
    memset(&s->rx, 0, sizeof s->rx);
    ssh_set_counters(s->ssh, &s->rx, NULL);
    s->rx_seen = 0;
    s->last_rx = kc_now();
}

static int open_target(struct kc_session *s, const struct kc_ssh_opts *o, struct kc_err *err)
{
    struct kc_endpoint ep = {o->host, o->host, o->user, o->port};
    struct kc_cfg_values cv;
    kc_cfg_read(o, o->host, &cv);
    const char *jump = NULL;
    int rc = kc_ssh_configure(s->ssh, &ep, o, err);
    if (rc == 0)
        rc = resolve_jump(o, &cv, &jump, err);
    if (rc == 0)
        record_target(s);
    if (rc == 0 && jump) {
        rc = kc_jump_open(&s->jump, s->ssh, jump, s->addr ? s->addr : o->host,
                          s->port ? s->port : 22, o, err);
        if (rc == 0)
            kc_jump_handoff(s->jump);
    }
    if (rc == 0)
        rc = kc_ssh_connect_auth(s->ssh, &ep, o, cv.strict, err);
    free(cv.proxyjump);
    return rc;
}

int kc_session_open(struct kc_session **out, const struct kc_ssh_opts *o, struct kc_err *err)
{
    *out = NULL;
    if (o->host == NULL || o->host[0] == '\0')
        return kc_err_set(err, KC_ECONFIG, "no host given");
    kc_remote_init_once();
    struct kc_session *s = kc_xcalloc(1, sizeof *s);
    s->host = kc_xstrdup(o->host);
    s->keepalive = o->keepalive_interval > 0 ? o->keepalive_interval : KC_KEEPALIVE_DEFAULT;
    s->cancel = o->cancel;
    s->ssh = ssh_new();
    if (s->ssh == NULL) {
        kc_session_close(s);
        return kc_err_set(err, KC_EIO, "cannot create an ssh session");
    }
    int rc = open_target(s, o, err);
    if (rc < 0) {
        kc_err_set_host(err, o->host);
        kc_session_close(s);
        return rc;
    }
    after_connect(s);
    *out = s;
    return 0;
}

void kc_session_cleanup_mode(struct kc_session *s, double deadline)
{
    s->cancel = NULL;
    s->deadline = deadline;
    long left = (long)(deadline - kc_now()) + 1;
    if (left < 1)
        left = 1;
    /* blocking libssh calls (exec request, close) are bounded by it too */
    ssh_options_set(s->ssh, SSH_OPTIONS_TIMEOUT, &left);
}

void kc_session_close(struct kc_session *s)
{
    if (s == NULL)
        return;
    if (s->ssh) {
        /* A dead peer must not make the goodbye wait for a timeout. */
        if (s->lost && ssh_get_fd(s->ssh) >= 0)
            shutdown(ssh_get_fd(s->ssh), SHUT_RDWR);
        if (s->sftp)
            sftp_free(s->sftp);
        if (ssh_is_connected(s->ssh))
            ssh_disconnect(s->ssh);
        ssh_free(s->ssh);
    }
    kc_jump_close(s->jump);
    free(s->host);
    free(s->addr);
    free(s->user);
    free(s->lost);
    free(s);
}

