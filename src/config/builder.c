/* builder.c - builder: as struct kc_builder (Kamal's Configuration::Builder),
 * every default applied here: key defaults from the schema table
 * (builder.*), the cache image from the app's image. Which builder runs
 * (local, remote, hybrid) also depends on the local docker's architecture,
 * so it is decided by the build verb, not here. */
#include "config_int.h"

#include <string.h>

static void fill_cache(struct kc_builder *b, const struct kc_config *cfg,
                       const struct kc_node *cache)
{
    b->cache = cache != NULL;
    if (!b->cache)
        return;
    b->cache_type = dup_text(get(cache, "type"));
    b->cache_options = dup_text(get(cache, "options"));
    b->cache_image = dup_text(get(cache, "image"));
    if (b->cache_image == NULL)
        b->cache_image = kc_xasprintf("%s-build-cache", cfg->image ? cfg->image : "");
    b->cache_ref = cfg->registry.server
                       ? kc_xasprintf("%s/%s", cfg->registry.server, b->cache_image)
                       : kc_xstrdup(b->cache_image);
}

void kc_cfg_fill_builder(struct kc_config *cfg, const struct kc_node *n)
{
    struct kc_builder *b = &cfg->builder;
    const struct kc_node *arch = get(n, "arch");
    b->node = n;
    if (arch && arch->type == KC_NODE_SEQ)
        push_texts(&b->arches, arch);
    else if (kc_node_text(arch))
        kc_strvec_push(&b->arches, kc_node_text(arch));
    b->remote = dup_text(get(n, "remote"));
    b->local = get_bool(n, "local", "builder.local");
    const struct kc_node *pack = get(n, "pack");
    b->pack = pack != NULL;
    b->pack_builder = dup_text(get(pack, "builder"));
    push_texts(&b->pack_buildpacks, get(pack, "buildpacks"));
    fill_cache(b, cfg, get(n, "cache"));
    b->context = dup_text(get(n, "context"));
    b->dockerfile = get_str(n, "dockerfile", "builder.dockerfile");
    b->target = dup_text(get(n, "target"));
    const struct kc_node *args = get(n, "args");
    for (size_t i = 0; args && args->type == KC_NODE_MAP && i < args->npairs; i++)
        kc_kvlist_set(&b->args, args->pairs[i].key, kc_node_text(args->pairs[i].value));
    push_texts(&b->secrets, get(n, "secrets"));
    b->ssh = dup_text(get(n, "ssh"));
    b->driver = get_str(n, "driver", "builder.driver");
    b->docker_driver = strcmp(b->driver, "docker") == 0;
    b->cloud = kc_starts_with(b->driver, "cloud");
    b->provenance = dup_text(get(n, "provenance"));
    b->sbom = dup_text(get(n, "sbom"));
}

void kc_cfg_release_builder(struct kc_builder *b)
{
    kc_strvec_release(&b->arches);
    free(b->remote);
    free(b->pack_builder);
    kc_strvec_release(&b->pack_buildpacks);
    free(b->cache_type);
    free(b->cache_options);
    free(b->cache_image);
    free(b->cache_ref);
    free(b->context);
    free(b->dockerfile);
    free(b->target);
    kc_kvlist_release(&b->args);
    kc_strvec_release(&b->secrets);
    free(b->ssh);
    free(b->driver);
    free(b->provenance);
    free(b->sbom);
    memset(b, 0, sizeof *b);
}
