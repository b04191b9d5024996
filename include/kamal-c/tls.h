/* tls.h - custom TLS certificates of a proxied role (proxy.ssl:
 * {certificate_pem, private_key_pem}, Kamal §2.7/§4.8): where they go on the
 * host (the kamal-proxy apps-config mount, tls/ROLE/{cert,key}.pem) and the
 * commands that give the key to the proxy's group only. No I/O. */
#ifndef KAMAL_C_TLS_H
#define KAMAL_C_TLS_H

#include "cmd.h"
#include "config.h"

/* .kamal/proxy/apps-config/SVC[-DEST]/tls/ROLE/FILE on the host, and
 * /home/kamal-proxy/.apps-config/SVC[-DEST]/tls/ROLE/FILE in kamal-proxy.
 * Caller frees. */
char *kc_tls_host_path(const struct kc_config *cfg, const struct kc_role *role, const char *file);
char *kc_tls_proxy_path(const struct kc_config *cfg, const struct kc_role *role, const char *file);
/* docker exec kamal-proxy id -g: the proxy user's group */
void kc_cmd_tls_proxy_gid(struct kc_cmd *c);
/* docker exec --user 0 kamal-proxy chgrp GID KEY-IN-THE-PROXY: the key
 * (mode 0640, owned by the SSH user) becomes readable by the proxy's group,
 * also when the SSH user is not root. */
void kc_cmd_tls_key_group(struct kc_cmd *c, const struct kc_config *cfg,
                          const struct kc_role *role, const char *gid);
/* sha256sum of both files on the host (the no-op check), cert first. */
void kc_cmd_tls_sums(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role);
/* What kc_cmd_tls_sums prints when the files hold cert and key: the two
 * sha256 hex digests, space-separated. Caller frees. */
char *kc_tls_sums_want(const struct kc_config *cfg, const struct kc_role *role, const char *cert,
                       const char *key);

#endif
