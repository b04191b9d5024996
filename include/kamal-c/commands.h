/* commands.h - pure builders: (configuration, host, values) -> the exact
 * remote command, as a struct kc_cmd. No I/O of any kind; unit-tested by
 * exact strings. They mirror Kamal's command builders (reference section 4),
 * producing the same containers and files on the host. */
#ifndef KAMAL_C_COMMANDS_H
#define KAMAL_C_COMMANDS_H

#include "cmd.h"
#include "config.h"

#include <cjson/cJSON.h>

/* ---- .kamal run directory, lock and audit (Kamal §4.1, §4.2) ---- */

/* mkdir -p .kamal */
void kc_cmd_ensure_run_dir(struct kc_cmd *c, const struct kc_config *cfg);
/* mkdir -p .kamal && mkdir LOCK && echo B64 > LOCK/details */
void kc_cmd_lock_acquire(struct kc_cmd *c, const struct kc_config *cfg, const char *details_b64);
/* rm LOCK/details && rm -r LOCK (Kamal's release; -f tolerates a half lock) */
void kc_cmd_lock_release(struct kc_cmd *c, const struct kc_config *cfg);
/* cmp -s LOCK/details - && rm -f LOCK/details && rm -r LOCK, with
 * details_file (the exact content of the details file) on stdin: removes the
 * lock only while it is the one described (ours, or a stale one taken over);
 * exit 1 when it is absent or another. */
void kc_cmd_lock_release_if(struct kc_cmd *c, const struct kc_config *cfg,
                            const char *details_file);
/* test -d LOCK && cat LOCK/details: exit 1 with nothing = no lock */
void kc_cmd_lock_status(struct kc_cmd *c, const struct kc_config *cfg);
/* The lock's details text, as Kamal writes it (before base64). */
char *kc_lock_details(const char *locked_by, const char *when_iso, const char *version,
                      const char *message);

/* mkdir -p .kamal && echo "[time] [performer] [DEST] [detail] msg" >> AUDIT */
void kc_cmd_audit_record(struct kc_cmd *c, const struct kc_config *cfg, const char *when_iso,
                         const char *performer, const char *detail, const char *message);
/* tail -n 50 AUDIT */
void kc_cmd_audit_reveal(struct kc_cmd *c, const struct kc_config *cfg);

/* ---- registry (§4.3). The password always goes on stdin. ---- */

/* docker login [SERVER] -u USER --password-stdin (password set as stdin) */
void kc_cmd_registry_login(struct kc_cmd *c, const struct kc_registry *reg, const char *username,
                           const char *password, bool username_is_secret);
/* docker logout [SERVER] */
void kc_cmd_registry_logout(struct kc_cmd *c, const struct kc_registry *reg);

/* ---- server (§4.5) ---- */

/* docker -v */
void kc_cmd_docker_version(struct kc_cmd *c);
/* [ "${EUID:-$(id -u)}" -eq 0 ] || sudo -nl usermod >/dev/null  (may install?) */
void kc_cmd_docker_superuser(struct kc_cmd *c);
/* curl -fsSL https://get.docker.com || wget -O - https://get.docker.com | sh */
void kc_cmd_docker_install(struct kc_cmd *c);
/* docker network create kamal (exit status 1 with "already exists" is fine) */
void kc_cmd_network_create(struct kc_cmd *c, const char *network);
/* True for the kamal network's object in a `docker inspect` answer (probes
 * name it beside containers and images). */
bool kc_inspect_is_network(const cJSON *obj);

/* ---- images, containers and files, for any verb ---- */

/* docker image pull IMAGE */
void kc_cmd_image_pull(struct kc_cmd *c, const char *image);
/* docker inspect --type container --format 'STATUS RESTARTS HEALTH' NAME;
 * HEALTH is "none" without a health check */
void kc_cmd_container_state(struct kc_cmd *c, const char *container);
/* docker logs --tail N NAME 2>&1 */
void kc_cmd_container_last_logs(struct kc_cmd *c, const char *container, int lines);
/* mkdir -p $(dirname PATH) */
void kc_cmd_mkdir_parent(struct kc_cmd *c, const char *path);

#endif
