/* knownhosts.c - OpenSSH's accept-new, applied by us.
 *
 * libssh reports the known_hosts state; the policy is ours (libraries.md 1c):
 * OK proceeds, an unknown host is recorded (or refused when the ssh config
 * says StrictHostKeyChecking yes), a changed key or a key of another type is
 * refused with the fingerprint offered and the command that removes the old
 * entry. The file is the one libssh resolved: ssh config UserKnownHostsFile,
 * else ~/.ssh/known_hosts (plus GlobalKnownHostsFile for reading). */
#include "session_int.h"

#include <stdlib.h>
#include <string.h>

#include "kamal-c/cmd.h"

char *kc_knownhosts_name(const char *host, int port)
{
    if (port == 22 || port == 0)
        return kc_xstrdup(host);
    return kc_xasprintf("[%s]:%d", host, port);
}

static char *host_display(const char *host, int port)
{
    if (port == 22 || port == 0)
        return kc_xstrdup(host);
    return kc_xasprintf("%s port %d", host, port);
}

void kc_hostkey_changed_err(struct kc_err *err, const char *label, const char *host, int port,
                            const char *fingerprint, const char *known_hosts, bool other_type)
{
    char *where = host_display(host, port);
    char *name = kc_knownhosts_name(host, port);
    bool alias = label && strcmp(label, host) != 0;
    if (other_type)
        kc_err_set(err, KC_EUNREACHABLE,
                   "host key for %s%s%s%s does not match the key of another type recorded in "
                   "%s (offered %s)",
                   where, alias ? " (" : "", alias ? label : "", alias ? ")" : "", known_hosts,
                   fingerprint);
    else
        kc_err_set(err, KC_EUNREACHABLE, "host key for %s%s%s%s has changed (offered %s)", where,
                   alias ? " (" : "", alias ? label : "", alias ? ")" : "", fingerprint);
    struct kc_buf cmd = KC_BUF_INIT;
    kc_buf_adds(&cmd, "ssh-keygen -R ");
    kc_shell_quote(&cmd, name);
    kc_buf_adds(&cmd, " -f ");
    kc_shell_quote(&cmd, known_hosts);
    kc_err_set_hint(err, "if this is expected, remove the old key with: %s", kc_buf_str(&cmd));
    kc_buf_release(&cmd);
    free(name);
    free(where);
}

/* "ssh-ed25519 SHA256:..." for the key the server offered. */
static char *offered_fingerprint(ssh_session ssh)
{
    ssh_key key = NULL;
    unsigned char *hash = NULL;
    size_t hlen = 0;
    char *out = NULL;
    if (ssh_get_server_publickey(ssh, &key) != SSH_OK)
        return kc_xstrdup("an unreadable key");
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0) {
        char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
        out = kc_xasprintf("%s %s", ssh_key_type_to_char(ssh_key_type(key)), fp ? fp : "?");
        ssh_string_free_char(fp);
        ssh_clean_pubkey_hash(&hash);
    }
    ssh_key_free(key);
    return out ? out : kc_xstrdup("an unreadable key");
}

struct target {
    char *host;
    unsigned int port;
    char *known_hosts;
};

static void target_get(ssh_session ssh, struct target *t)
{
    char *v = NULL;
    t->host = NULL;
    t->known_hosts = NULL;
    t->port = 22;
    if (ssh_options_get(ssh, SSH_OPTIONS_HOST, &v) == SSH_OK)
        t->host = kc_xstrdup(v);
    ssh_string_free_char(v);
    v = NULL;
    if (ssh_options_get(ssh, SSH_OPTIONS_KNOWNHOSTS, &v) == SSH_OK)
        t->known_hosts = kc_xstrdup(v);
    ssh_string_free_char(v);
    ssh_options_get_port(ssh, &t->port);
    if (t->host == NULL)
        t->host = kc_xstrdup("?");
    if (t->known_hosts == NULL)
        t->known_hosts = kc_xstrdup("~/.ssh/known_hosts");
}

static void target_release(struct target *t)
{
    free(t->host);
    free(t->known_hosts);
}

static int unknown_host(ssh_session ssh, const struct target *t, bool strict, struct kc_err *err)
{
    if (strict) {
        char *fp = offered_fingerprint(ssh);
        char *where = host_display(t->host, (int)t->port);
        kc_err_set(err, KC_EUNREACHABLE,
                   "host key for %s is not in %s and the ssh config sets "
                   "StrictHostKeyChecking yes (offered %s)",
                   where, t->known_hosts, fp);
        kc_err_set_hint(err,
                        "check the fingerprint, then add the key, e.g. with: "
                        "ssh-keyscan -p %u %s >> %s",
                        t->port, t->host, t->known_hosts);
        free(where);
        free(fp);
        return KC_EUNREACHABLE;
    }
    if (ssh_session_update_known_hosts(ssh) != SSH_OK)
        return kc_err_set(err, KC_EUNREACHABLE, "cannot record the host key of %s in %s: %s",
                          t->host, t->known_hosts, ssh_get_error(ssh));
    return 0;
}

int kc_hostkey_verify(ssh_session ssh, const char *label, bool strict, struct kc_err *err)
{
    enum ssh_known_hosts_e state = ssh_session_is_known_server(ssh);
    if (state == SSH_KNOWN_HOSTS_OK)
        return 0;
    struct target t;
    target_get(ssh, &t);
    int rc = KC_EUNREACHABLE;
    switch (state) {
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
        rc = unknown_host(ssh, &t, strict, err);
        break;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER: {
        char *fp = offered_fingerprint(ssh);
        kc_hostkey_changed_err(err, label, t.host, (int)t.port, fp, t.known_hosts,
                               state == SSH_KNOWN_HOSTS_OTHER);
        free(fp);
        break;
    }
    default:
        kc_err_set(err, KC_EUNREACHABLE, "cannot check the host key of %s against %s: %s", t.host,
                   t.known_hosts, ssh_get_error(ssh));
        break;
    }
    target_release(&t);
    return rc;
}
