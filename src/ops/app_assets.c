/* app_assets.c - asset_path bridging around a boot, as Kamal does: before
 * the new container runs, the new version's assets are extracted from its
 * image and merged, without overwriting, with the running version's (the old
 * container then also finds the new assets, the new one the old), and the
 * merged directory is what the new container mounts at asset_path; after the
 * switch, the other versions' directories go. A role without asset_path does
 * nothing here. */
#include "app_int.h"
#include "kamal-c/assets.h"
#include "kamal-c/ops.h"
#include "kamal-c/steps.h"

#include <stdlib.h>
#include <string.h>

/* The version of the newest running container of role on h other than the
 * one about to boot (NULL: none). A container renamed out of the way
 * (NAME_replaced_HEX) is the same version, so it has no other assets. */
static int running_version(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                           char **out, struct kc_err *err)
{
    struct kc_strvec ids = KC_STRVEC_INIT, names = KC_STRVEC_INIT, states = KC_STRVEC_INIT;
    *out = NULL;
    int rc = kc_app_list(set, h, role, &ids, &names, &states, err);
    for (size_t i = 0; rc == 0 && *out == NULL && i < names.n; i++) {
        const char *v = kc_app_version_of(role, names.v[i]);
        if (v && strcmp(states.v[i], "running") == 0 && strcmp(v, set->version) != 0 &&
            strstr(v, "_replaced_") == NULL)
            *out = kc_xstrdup(v);
    }
    kc_strvec_release(&ids);
    kc_strvec_release(&names);
    kc_strvec_release(&states);
    return rc;
}

int kc_app_assets_prepare(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                          struct kc_err *err)
{
    if (role->asset_path == NULL)
        return 0;
    char *old = NULL;
    int rc = running_version(set, h, role, &old, err);
    kc_step_doing(h, "extract assets");
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_assets_extract(&c, set->ctx->cfg, role, set->version);
    if (rc == 0)
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    kc_cmd_release(&c);
    kc_cmd_assets_sync(&c, set->ctx->cfg, role, set->version, old);
    if (rc == 0)
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    kc_cmd_release(&c);
    if (rc)
        kc_err_prefix(err, "%s: assets of %s", role->name, set->version);
    free(old);
    return rc;
}

void kc_app_assets_clean(struct app_set *set, struct kc_host *h, const struct kc_role *role)
{
    if (role->asset_path == NULL)
        return;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_err ignored = KC_ERR_INIT;
    kc_cmd_assets_clean(&c, set->ctx->cfg, role, set->version);
    kc_remote_run(h, &c, KC_MUTATE, NULL, &ignored); /* like Kamal: a leftover is harmless */
    kc_cmd_release(&c);
    kc_err_release(&ignored);
}
