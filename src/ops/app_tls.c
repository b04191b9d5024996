/* app_tls.c - custom TLS certificates of proxied roles (proxy.ssl:
 * {certificate_pem, private_key_pem}). Before kamal-proxy deploy, the two
 * secrets are written to the host under the kamal-proxy apps-config mount:
 * cert.pem mode 0644, key.pem mode 0640 owned by the SSH user and group-owned
 * by the proxy's group (Kamal writes both 0644: a world-readable key). The
 * group change runs as root inside kamal-proxy, so it works when the SSH user
 * is not root either. */
#include "app_int.h"
#include "kamal-c/ops.h"
#include "kamal-c/steps.h"
#include "kamal-c/tls.h"

#include <stdlib.h>
#include <string.h>

static int secrets_of(struct kc_ctx *ctx, const struct kc_role *role, const char **cert,
                      const char **key, struct kc_err *err)
{
    int rc = kc_ctx_secret(ctx, role->proxy.ssl_certificate_pem, cert, err);
    if (rc == 0)
        rc = kc_ctx_secret(ctx, role->proxy.ssl_private_key_pem, key, err);
    if (rc == 0 && (!**cert || !**key))
        rc = kc_err_set(err, KC_ECONFIG, "proxy.ssl of role %s: the secret %s is empty",
                        role->name,
                        !**cert ? role->proxy.ssl_certificate_pem : role->proxy.ssl_private_key_pem);
    return rc;
}

static int run(struct kc_host *h, struct kc_cmd *c, unsigned flags, struct kc_exec_result *res,
               struct kc_err *err)
{
    int rc = kc_remote_run(h, c, flags, res, err);
    kc_cmd_release(c);
    return rc;
}

static bool digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

int kc_app_tls_write(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                     struct kc_err *err)
{
    if (!role->proxy.custom_ssl)
        return 0;
    struct kc_ctx *ctx = set->ctx;
    const char *cert = NULL, *key = NULL;
    int rc = secrets_of(ctx, role, &cert, &key, err);
    if (rc)
        return rc;
    kc_step_doing(h, "writing SSL certificates for %s", role->name);
    char *cert_path = kc_tls_host_path(ctx->cfg, role, "cert.pem");
    char *key_path = kc_tls_host_path(ctx->cfg, role, "key.pem");
    rc = kc_step_upload(h, cert_path, cert, strlen(cert), 0644, err);
    if (rc == 0) /* 0600 until the group is the proxy's */
        rc = kc_step_upload(h, key_path, key, strlen(key), 0600, err);
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    if (rc == 0) {
        kc_cmd_tls_proxy_gid(&c);
        rc = run(h, &c, KC_PROBE | KC_CHECK, &res, err);
    }
    kc_buf_rtrim(&res.out);
    const char *gid = ctx->g.dry_run ? "GID" : kc_buf_str(&res.out);
    if (rc == 0 && !ctx->g.dry_run && !digits(gid))
        rc = kc_err_set(err, KC_EREMOTE, "kamal-proxy's group on %s: unexpected answer '%s'",
                        h->name, gid);
    if (rc == 0) {
        kc_cmd_tls_key_group(&c, ctx->cfg, role, gid);
        rc = run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    }
    if (rc == 0) {
        kc_cmd_args(&c, "chmod", "0640", key_path, NULL);
        rc = run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    }
    kc_exec_result_release(&res);
    free(cert_path);
    free(key_path);
    return rc;
}

int kc_app_tls_stale(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                     bool *stale, struct kc_err *err)
{
    *stale = false;
    if (!role->proxy.custom_ssl)
        return 0;
    const char *cert = NULL, *key = NULL;
    int rc = secrets_of(set->ctx, role, &cert, &key, err);
    if (rc)
        return rc;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_tls_sums(&c, set->ctx->cfg, role);
    rc = run(h, &c, KC_PROBE, &res, err);
    if (rc == 0) {
        /* "SUM  path\nSUM  path\n" -> "SUM SUM" */
        struct kc_strvec lines = KC_STRVEC_INIT, have = KC_STRVEC_INIT;
        kc_strvec_split(&lines, kc_buf_str(&res.out), "\n");
        for (size_t i = 0; i < lines.n; i++)
            kc_strvec_push_nodup(&have, kc_xstrndup(lines.v[i], strcspn(lines.v[i], " ")));
        char *got = kc_strvec_join(&have, " ");
        char *want = kc_tls_sums_want(set->ctx->cfg, role, cert, key);
        *stale = res.status != 0 || strcmp(got, want) != 0;
        free(got);
        free(want);
        kc_strvec_release(&lines);
        kc_strvec_release(&have);
    }
    kc_exec_result_release(&res);
    return rc;
}
