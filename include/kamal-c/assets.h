/* assets.h - asset bridging (asset_path, Kamal §4.8): the new version's
 * assets are extracted from its image into a host directory, merged with the
 * running version's into a volume directory (without overwriting), and that
 * directory is mounted at asset_path. Afterwards the other versions'
 * directories go. Paths are relative to the SSH user's home:
 *   .kamal/apps/SVC[-DEST]/assets/extracted/ROLE-VERSION
 *   .kamal/apps/SVC[-DEST]/assets/volumes/ROLE-VERSION
 * No I/O. */
#ifndef KAMAL_C_ASSETS_H
#define KAMAL_C_ASSETS_H

#include "cmd.h"
#include "config.h"

/* .kamal/apps/SVC[-DEST]/assets/KIND/ROLE-VERSION (KIND: extracted or
 * volumes). Caller frees. */
char *kc_assets_dir(const struct kc_config *cfg, const char *kind, const struct kc_role *role,
                    const char *version);
/* The --volume value of a container of version: "$PWD"/'VOLUME:ASSET_PATH[:OPTIONS]'
 * appended as --volume and a PWD token. No-op without asset_path. */
void kc_cmd_assets_volume(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role,
                          const char *version);
/* mkdir -p EXTRACTED && (docker container rm SVC-ROLE[-DEST]-assets 2>/dev/null || true)
 * && docker container create --name SVC-ROLE[-DEST]-assets IMAGE:VERSION
 * && docker container cp -L SVC-ROLE[-DEST]-assets:ASSET_PATH/. EXTRACTED
 * && docker container rm SVC-ROLE[-DEST]-assets */
void kc_cmd_assets_extract(struct kc_cmd *c, const struct kc_config *cfg,
                           const struct kc_role *role, const char *version);
/* mkdir -p VOLUME && cp -rnT EXTRACTED VOLUME, and with an old version
 * (may be NULL): && (cp -rnT EXTRACTED VOLUME_OLD || true)
 * && (cp -rnT EXTRACTED_OLD VOLUME || true): the old container sees the new
 * assets, the new one the old assets, nothing is overwritten. */
void kc_cmd_assets_sync(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role,
                        const char *version, const char *old_version);
/* find .../extracted -maxdepth 1 -name 'ROLE-*' ! -name ROLE-VERSION -exec rm -rf {} + ;
 * the same in .../volumes: the other versions' directories go. */
void kc_cmd_assets_clean(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role,
                         const char *version);

#endif
