/* tls.c - custom TLS certificate paths and commands (see tls.h). */
#include "kamal-c/tls.h"
#include "kamal-c/defaults.h"
#include "kamal-c/util.h"

#include <stdlib.h>
#include <string.h>

char *kc_tls_host_path(const struct kc_config *cfg, const struct kc_role *role, const char *file)
{
    return kc_xasprintf("%s/tls/%s/%s", cfg->proxy_app_dir, role->name, file);
}

char *kc_tls_proxy_path(const struct kc_config *cfg, const struct kc_role *role, const char *file)
{
    return kc_xasprintf("%s/tls/%s/%s", cfg->proxy_app_container_dir, role->name, file);
}

void kc_cmd_tls_proxy_gid(struct kc_cmd *c)
{
    kc_cmd_args(c, "docker", "exec", KC_PROXY_CONTAINER, "id", "-g", NULL);
}

void kc_cmd_tls_key_group(struct kc_cmd *c, const struct kc_config *cfg,
                          const struct kc_role *role, const char *gid)
{
    char *key = kc_tls_proxy_path(cfg, role, "key.pem");
    kc_cmd_args(c, "docker", "exec", "--user", "0", KC_PROXY_CONTAINER, "chgrp", gid, key, NULL);
    free(key);
}

void kc_cmd_tls_sums(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role)
{
    char *cert = kc_tls_host_path(cfg, role, "cert.pem");
    char *key = kc_tls_host_path(cfg, role, "key.pem");
    kc_cmd_args(c, "sha256sum", cert, key, NULL);
    free(cert);
    free(key);
}

char *kc_tls_sums_want(const struct kc_config *cfg, const struct kc_role *role, const char *cert,
                       const char *key)
{
    (void)cfg;
    (void)role;
    char a[65], b[65];
    kc_sha256_hex(cert, strlen(cert), a);
    kc_sha256_hex(key, strlen(key), b);
    return kc_xasprintf("%s %s", a, b);
}
