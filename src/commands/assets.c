/* assets.c - asset bridging commands (see assets.h), Kamal's steps with the
 * shell's precedence made explicit by parentheses. */
#include "kamal-c/assets.h"
#include "kamal-c/app.h"
#include "kamal-c/util.h"

#include <stdlib.h>

char *kc_assets_dir(const struct kc_config *cfg, const char *kind, const struct kc_role *role,
                    const char *version)
{
    return kc_xasprintf("%s/%s/%s-%s", cfg->assets_dir, kind, role->name, version);
}

void kc_cmd_assets_volume(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role,
                          const char *version)
{
    if (role->asset_path == NULL)
        return;
    char *dir = kc_assets_dir(cfg, "volumes", role, version);
    char *spec =
        kc_xasprintf("%s:%s%s%s", dir, role->asset_path, role->asset_path_options ? ":" : "",
                     role->asset_path_options ? role->asset_path_options : "");
    kc_cmd_arg(c, "--volume");
    kc_cmd_pwd_arg(c, spec);
    free(spec);
    free(dir);
}

void kc_cmd_assets_extract(struct kc_cmd *c, const struct kc_config *cfg,
                           const struct kc_role *role, const char *version)
{
    char *dir = kc_assets_dir(cfg, "extracted", role, version);
    char *name = kc_xasprintf("%s-assets", role->container_prefix);
    char *image = kc_app_image(cfg, version);
    char *from = kc_xasprintf("%s:%s/.", name, role->asset_path);
    kc_cmd_args(c, "mkdir", "-p", dir, NULL);
    kc_cmd_op(c, "&&");
    kc_cmd_op(c, "(");
    kc_cmd_args(c, "docker", "container", "rm", name, NULL);
    kc_cmd_op(c, "2>/dev/null");
    kc_cmd_op(c, "||");
    kc_cmd_arg(c, "true");
    kc_cmd_op(c, ")");
    kc_cmd_op(c, "&&");
    kc_cmd_args(c, "docker", "container", "create", "--name", name, image, NULL);
    kc_cmd_op(c, "&&");
    kc_cmd_args(c, "docker", "container", "cp", "-L", from, dir, NULL);
    kc_cmd_op(c, "&&");
    kc_cmd_args(c, "docker", "container", "rm", name, NULL);
    free(from);
    free(image);
    free(name);
    free(dir);
}

/* && (cp -rnT FROM TO || true) */
static void copy_or_go_on(struct kc_cmd *c, const char *from, const char *to)
{
    kc_cmd_op(c, "&&");
    kc_cmd_op(c, "(");
    kc_cmd_args(c, "cp", "-rnT", from, to, NULL);
    kc_cmd_op(c, "||");
    kc_cmd_arg(c, "true");
    kc_cmd_op(c, ")");
}

void kc_cmd_assets_sync(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role,
                        const char *version, const char *old_version)
{
    char *ext = kc_assets_dir(cfg, "extracted", role, version);
    char *vol = kc_assets_dir(cfg, "volumes", role, version);
    kc_cmd_args(c, "mkdir", "-p", vol, NULL);
    kc_cmd_op(c, "&&");
    kc_cmd_args(c, "cp", "-rnT", ext, vol, NULL);
    if (old_version) {
        char *old_ext = kc_assets_dir(cfg, "extracted", role, old_version);
        char *old_vol = kc_assets_dir(cfg, "volumes", role, old_version);
        copy_or_go_on(c, ext, old_vol);
        copy_or_go_on(c, old_ext, vol);
        free(old_vol);
        free(old_ext);
    }
    free(vol);
    free(ext);
}

static void clean_kind(struct kc_cmd *c, const struct kc_config *cfg, const char *kind,
                       const struct kc_role *role, const char *version)
{
    char *dir = kc_xasprintf("%s/%s", cfg->assets_dir, kind);
    char *any = kc_xasprintf("%s-*", role->name);
    char *keep = kc_xasprintf("%s-%s", role->name, version);
    kc_cmd_args(c, "find", dir, "-maxdepth", "1", "-name", any, "!", "-name", keep, "-exec", "rm",
                "-rf", "{}", "+", NULL);
    free(keep);
    free(any);
    free(dir);
}

void kc_cmd_assets_clean(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role,
                         const char *version)
{
    clean_kind(c, cfg, "extracted", role, version);
    kc_cmd_op(c, ";");
    clean_kind(c, cfg, "volumes", role, version);
}
