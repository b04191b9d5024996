/* session.c - opening and closing one SSH connection, and its health.
 *
 * Order of options (libssh 0.10 precedence rules, see libraries.md 1d): HOST,
 * then the ssh config, then deploy.yml's user/port (so deploy.yml wins), then
 * the settings kamal-c never lets a config weaken: NODELAY on, the strict host
 * key flag on (our accept-new policy is applied in knownhosts.c), no
 * ProxyCommand (jump hosts are native, jump.c). */
#include "session_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh/server.h> /* ssh_send_keepalive works on client sessions too */

#define KC_CONNECT_TIMEOUT_DEFAULT 10
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

int kc_remote_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* ---- ssh config ---- */

static char *user_config_path(void)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res && res->pw_dir)
        return kc_xasprintf("%s/.ssh/config", res->pw_dir);
    const char *h = getenv("HOME");
    return kc_xasprintf("%s/.ssh/config", h ? h : "");
}

void kc_cfg_read(const struct kc_ssh_opts *o, const char *host, struct kc_cfg_values *v)
{
    memset(v, 0, sizeof *v);
    static const char *const keys[] = {"StrictHostKeyChecking", "ProxyJump", "ProxyCommand"};
    char *vals[3] = {NULL, NULL, NULL};
    if (o->config_mode == KC_SSHCFG_DEFAULT) {
        char *user_cfg = user_config_path();
        const char *files[] = {user_cfg, "/etc/ssh/ssh_config"};
        kc_sshcfg_lookup(files, 2, host, keys, vals, 3);
        free(user_cfg);
    } else if (o->config_mode == KC_SSHCFG_FILES && o->config_files) {
        kc_sshcfg_lookup((const char *const *)o->config_files->v, o->config_files->n, host, keys,
                         vals, 3);
    }
    v->strict = kc_sshcfg_strict_yes(vals[0]);
    free(vals[0]);
    if (vals[1] && strcasecmp(vals[1], "none") != 0)
        v->proxyjump = vals[1];
    else
        free(vals[1]);
    v->proxycommand = vals[2] && strcasecmp(vals[2], "none") != 0;
    free(vals[2]);
}

static int parse_config(ssh_session ssh, const struct kc_ssh_opts *o, struct kc_err *err)
{
    int no = 0;
    switch (o->config_mode) {
    case KC_SSHCFG_DEFAULT:
        if (ssh_options_parse_config(ssh, NULL) < 0)
            return kc_err_set(err, KC_ECONFIG, "ssh config: %s", ssh_get_error(ssh));
        break;
    case KC_SSHCFG_FILES:
        for (size_t i = 0; o->config_files && i < o->config_files->n; i++) {
            const char *f = o->config_files->v[i];
            if (access(f, R_OK) != 0)
                return kc_err_set(err, KC_ECONFIG, "cannot read ssh config file %s: %s", f,
                                  strerror(errno));
            if (ssh_options_parse_config(ssh, f) < 0)
                return kc_err_set(err, KC_ECONFIG, "ssh config file %s: %s", f, ssh_get_error(ssh));
        }
        break;
    case KC_SSHCFG_NONE:
        break;
    }
    /* Parsed (or deliberately not): ssh_connect must not parse again. */
    ssh_options_set(ssh, SSH_OPTIONS_PROCESS_CONFIG, &no);
    return 0;
}

static bool option_is_set(ssh_session ssh, enum ssh_options_e opt)
{
    char *v = NULL;
    if (ssh_options_get(ssh, opt, &v) != SSH_OK || v == NULL)
        return false;
    ssh_string_free_char(v);
    return true;
}

int kc_ssh_configure(ssh_session ssh, const struct kc_endpoint *ep, const struct kc_ssh_opts *o,
                     struct kc_err *err)
{
    if (ssh_options_set(ssh, SSH_OPTIONS_HOST, ep->host) < 0)
        return kc_err_set(err, KC_ECONFIG, "invalid host %s: %s", ep->host, ssh_get_error(ssh));
    int rc = parse_config(ssh, o, err);
    if (rc < 0)
        return rc;
    if (ep->user)
        rc = ssh_options_set(ssh, SSH_OPTIONS_USER, ep->user);
    else if (!option_is_set(ssh, SSH_OPTIONS_USER))
        rc = ssh_options_set(ssh, SSH_OPTIONS_USER, "root");
    if (rc < 0)
        return kc_err_set(err, KC_ECONFIG, "invalid ssh user: %s", ssh_get_error(ssh));
    if (ep->port > 0 && ssh_options_set(ssh, SSH_OPTIONS_PORT, &ep->port) < 0)
        return kc_err_set(err, KC_ECONFIG, "invalid ssh port %d", ep->port);
    int one = 1;
    ssh_options_set(ssh, SSH_OPTIONS_NODELAY, &one);
    /* Never 0: libssh then reports changed keys as OK (libraries.md 1c). */
    ssh_options_set(ssh, SSH_OPTIONS_STRICTHOSTKEYCHECK, &one);
    /* Jump hosts are ours; a config ProxyJump/ProxyCommand would run ssh. */
    ssh_options_set(ssh, SSH_OPTIONS_PROXYCOMMAND, "none");
    long t = o->connect_timeout > 0 ? o->connect_timeout : KC_CONNECT_TIMEOUT_DEFAULT;
    ssh_options_set(ssh, SSH_OPTIONS_TIMEOUT, &t);
    return 0;
}

/* ---- authentication ---- */

struct auth_state {
    ssh_session ssh;
    struct kc_strvec tried;
    int rc; /* last ssh_userauth_* result */
};

/* True when done (success or a connection error). */
static bool auth_step(struct auth_state *a, int rc, const char *what)
{
    a->rc = rc;
    if (what)
        kc_strvec_push(&a->tried, what);
    return rc == SSH_AUTH_SUCCESS || rc == SSH_AUTH_ERROR;
}

static bool auth_with_key(struct auth_state *a, ssh_key key, const char *what)
{
    int rc = ssh_userauth_publickey(a->ssh, NULL, key);
    ssh_key_free(key);
    return auth_step(a, rc, what);
}

static bool auth_files(struct auth_state *a, const struct kc_strvec *keys)
{
    for (size_t i = 0; keys && i < keys->n; i++) {
        ssh_key key = NULL;
        if (ssh_pki_import_privkey_file(keys->v[i], NULL, NULL, NULL, &key) != SSH_OK) {
            kc_strvec_pushf(&a->tried, "%s (not loaded: missing, unreadable or encrypted)",
                            keys->v[i]);
            continue;
        }
        if (auth_with_key(a, key, keys->v[i]))
            return true;
    }
    return false;
}

static bool auth_data(struct auth_state *a, const struct kc_strvec *data)
{
    for (size_t i = 0; data && i < data->n; i++) {
        ssh_key key = NULL;
        char *what = kc_xasprintf("key_data #%zu", i + 1);
        if (ssh_pki_import_privkey_base64(data->v[i], NULL, NULL, NULL, &key) != SSH_OK) {
            kc_strvec_pushf(&a->tried, "%s (not a usable private key)", what);
            free(what);
            continue;
        }
        bool done = auth_with_key(a, key, what);
        free(what);
        if (done)
            return true;
    }
    return false;
}

static const char *agent_label(void)
{
    return getenv("SSH_AUTH_SOCK") ? "agent" : "agent (SSH_AUTH_SOCK not set)";
}

/* Agent, then ssh.keys files, then key_data, then the ssh config's
 * IdentityFile / default identities. When there are no explicit keys the
 * agent and the default identities are one publickey_auto call, so the agent's
 * keys are offered once (sshd counts every refused key against MaxAuthTries). */
static bool auth_sequence(struct auth_state *a, const struct kc_ssh_opts *o)
{
    const char *ids = "ssh config IdentityFile / ~/.ssh/id_*";
    bool explicit_keys = (o->keys && o->keys->n) || (o->key_data && o->key_data->n);
    /* no ssh_userauth_none probe: a round trip for nothing (any failed
     * attempt fills the method list the error message shows) */
    if (!o->keys_only && !explicit_keys) {
        kc_strvec_push(&a->tried, agent_label());
        return auth_step(a, ssh_userauth_publickey_auto(a->ssh, NULL, NULL), ids);
    }
    if (!o->keys_only && auth_step(a, ssh_userauth_agent(a->ssh, NULL), agent_label()))
        return true;
    if (auth_files(a, o->keys) || auth_data(a, o->key_data))
        return true;
    if (!o->keys_only)
        return auth_step(a, ssh_userauth_publickey_auto(a->ssh, NULL, NULL), ids);
    return false;
}

static int authenticate(ssh_session ssh, const struct kc_endpoint *ep, const struct kc_ssh_opts *o,
                        struct kc_err *err)
{
    struct auth_state a = {ssh, KC_STRVEC_INIT, SSH_AUTH_DENIED};
    auth_sequence(&a, o);
    int rc = 0;
    char *user = NULL, *host = NULL;
    ssh_options_get(ssh, SSH_OPTIONS_USER, &user);
    ssh_options_get(ssh, SSH_OPTIONS_HOST, &host);
    if (a.rc == SSH_AUTH_ERROR) {
        rc = kc_err_set(err, KC_EUNREACHABLE, "authentication for %s@%s failed: %s",
                        user ? user : "?", host ? host : ep->host, ssh_get_error(ssh));
    } else if (a.rc != SSH_AUTH_SUCCESS) {
        char *tried = a.tried.n ? kc_strvec_join(&a.tried, ", ") : kc_xstrdup("nothing");
        int methods = ssh_userauth_list(ssh, NULL);
        rc = kc_err_set(err, KC_EUNREACHABLE, "authentication failed for %s@%s (tried: %s)%s",
                        user ? user : "?", host ? host : ep->host, tried,
                        (methods && !(methods & SSH_AUTH_METHOD_PUBLICKEY))
                            ? "; the server does not accept public keys"
                            : "");
        free(tried);
    }
    ssh_string_free_char(user);
    ssh_string_free_char(host);
    kc_strvec_release(&a.tried);
    return rc;
}

int kc_ssh_connect_auth(ssh_session ssh, const struct kc_endpoint *ep, const struct kc_ssh_opts *o,
                        bool strict, struct kc_err *err)
{
    if (ssh_connect(ssh) != SSH_OK) {
        char *host = NULL;
        unsigned int port = 0;
        ssh_options_get(ssh, SSH_OPTIONS_HOST, &host);
        ssh_options_get_port(ssh, &port);
        int rc = kc_err_set(err, KC_EUNREACHABLE, "cannot connect to %s port %u: %s",
                            host ? host : ep->host, port, ssh_get_error(ssh));
        ssh_string_free_char(host);
        return rc;
    }
    int rc = kc_hostkey_verify(ssh, ep->label, strict, err);
    if (rc < 0)
        return rc;
    return authenticate(ssh, ep, o, err);
}

/* ---- health: keepalives and loss detection ---- */

void kc_tcp_keepalive(int fd, int interval)
{
    int one = 1, cnt = 3;
    unsigned int user_timeout = (unsigned int)interval * 3000u;
    /* Fails harmlessly on the socketpair of a jump connection. */
    (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &interval, sizeof interval);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    /* Unacknowledged data (a keepalive to a peer whose link is gone) aborts
     * the connection after three intervals instead of ~15 minutes. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
}

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

