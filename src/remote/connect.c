/* connect.c - what the target connection and the jump connection share:
 * options (HOST, ssh config, deploy.yml's user/port, NODELAY, strict host key
 * flag, connect timeout), ssh_connect with the host key policy, the
 * authentication sequence, and TCP keepalives. session.c and jump.c both call
 * it; it calls neither, so the two do not depend on each other.
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
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define KC_CONNECT_TIMEOUT_DEFAULT 10

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

/* ---- TCP keepalives ---- */

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
