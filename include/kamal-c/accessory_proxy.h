/* accessory_proxy.h - pure pieces of proxied accessories (accessories.X.proxy,
 * Kamal §2.6/§4.9): the accessory is a kamal-proxy service under its own
 * service name, deployed with the proxy options of its proxy: mapping. No
 * I/O; unit-tested by exact strings. */
#ifndef KAMAL_C_ACCESSORY_PROXY_H
#define KAMAL_C_ACCESSORY_PROXY_H

#include "cmd.h"
#include "config.h"

/* docker exec kamal-proxy kamal-proxy deploy SERVICE --target=ID:PORT and
 * the flags of acc's proxy: mapping, in Kamal's order. */
void kc_cmd_accessory_proxy_deploy(struct kc_cmd *c, const struct kc_config *cfg,
                                   const struct kc_accessory *acc, const char *target_id);
/* docker exec kamal-proxy kamal-proxy remove SERVICE */
void kc_cmd_accessory_proxy_remove(struct kc_cmd *c, const struct kc_accessory *acc);
/* sha256 of the deploy flags (the target left out). */
void kc_accessory_proxy_digest(const struct kc_config *cfg, const struct kc_accessory *acc,
                               char out[65]);
/* Where the digest of the last deploy is kept on the host:
 * .kamal/apps/SVC[-DEST]/proxy/accessories/NAME.flags. Caller frees. */
char *kc_accessory_proxy_flags_file(const struct kc_config *cfg, const struct kc_accessory *acc);
/* rm -f that file */
void kc_cmd_accessory_proxy_forget(struct kc_cmd *c, const struct kc_config *cfg,
                                   const struct kc_accessory *acc);
/* docker container ls --all --filter name=^SERVICE$ --quiet */
void kc_cmd_accessory_proxy_id(struct kc_cmd *c, const struct kc_accessory *acc);

#endif
