/* commands_deploy.h - pure builders for `prune` and `rollback` (Kamal §4.10,
 * §5.2): (configuration, values) -> the exact remote command. */
#ifndef KAMAL_C_COMMANDS_DEPLOY_H
#define KAMAL_C_COMMANDS_DEPLOY_H

#include "cmd.h"
#include "config.h"

/* What prune decides from, in one command: every container of the host as
 * "C|ID|STATE|IMAGE|svc=SERVICE-LABEL" (newest first, as docker ps lists them),
 * then the service's images as "I|ID|REPOSITORY:TAG". */
void kc_cmd_prune_probe(struct kc_cmd *c, const struct kc_config *cfg);
/* docker rm ID... */
void kc_cmd_prune_containers(struct kc_cmd *c, const struct kc_strvec *ids);
/* docker rmi REF... (tags, or IDs of untagged images) */
void kc_cmd_prune_images(struct kc_cmd *c, const struct kc_strvec *refs);
/* The app containers of the service (this destination) on a host, all
 * states: "NAME|STATE" lines. */
void kc_cmd_rollback_probe(struct kc_cmd *c, const struct kc_config *cfg);

#endif
