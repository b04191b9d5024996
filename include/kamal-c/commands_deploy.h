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
/* What prune removes, from kc_cmd_prune_probe's output: the service's
 * stopped containers (created, exited, dead) past the newest retain (none
 * with keep_containers), then the service's images that no remaining
 * container uses, by tag (untagged: by ID), never the latest[-DEST] tag
 * (none with keep_images). Appends to the two lists. */
void kc_prune_decide(const struct kc_config *cfg, const char *listing, bool keep_containers,
                     bool keep_images, long retain, struct kc_strvec *rm_containers,
                     struct kc_strvec *rm_images);
/* docker rm ID... */
void kc_cmd_prune_containers(struct kc_cmd *c, const struct kc_strvec *ids);
/* docker rmi REF... (tags, or IDs of untagged images) */
void kc_cmd_prune_images(struct kc_cmd *c, const struct kc_strvec *refs);
/* The app containers of the service (this destination) on a host, all
 * states: "NAME|STATE" lines. */
void kc_cmd_rollback_probe(struct kc_cmd *c, const struct kc_config *cfg);

#endif
