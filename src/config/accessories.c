/* accessories.c - accessories: placement, mounts, names, and the paths
 * derived from them. */
#include "config_int.h"

#include <string.h>

/* ---- accessories ----------------------------------------------------------- */

static void fill_mounts(struct kc_mount_spec **out, size_t *n, const struct kc_node *seq,
                        const char *default_mode)
{
    if (seq == NULL || seq->type != KC_NODE_SEQ || seq->n == 0)
        return;
    *out = kc_xcalloc(seq->n, sizeof **out);
    for (size_t i = 0; i < seq->n; i++) {
        const struct kc_node *e = seq->items[i];
        struct kc_mount_spec *m = &(*out)[(*n)++];
        if (e->type == KC_NODE_MAP) {
            m->local = dup_text(get(e, "local"));
            m->remote = dup_text(get(e, "remote"));
            m->mode = dup_text(get(e, "mode"));
            m->owner = dup_text(get(e, "owner"));
            m->options = dup_text(get(e, "options"));
        } else { /* local:remote[:options], as Ruby's split(":", 3) */
            const char *s = kc_node_text(e);
            const char *c1 = strchr(s, ':');
            const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            m->local = kc_xstrndup(s, c1 ? (size_t)(c1 - s) : strlen(s));
            m->remote =
                c1 ? kc_xstrndup(c1 + 1, c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1)) : NULL;
            m->options = c2 ? kc_xstrdup(c2 + 1) : NULL;
        }
        if (m->mode == NULL && default_mode)
            m->mode = kc_xstrdup(default_mode);
    }
}

static void release_mounts(struct kc_mount_spec *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].local);
        free(m[i].remote);
        free(m[i].mode);
        free(m[i].owner);
        free(m[i].options);
    }
    free(m);
}

void kc_cfg_push_role_hosts(struct kc_strvec *hosts, const struct kc_role *role)
{
    for (size_t i = 0; i < role->hosts.n; i++)
        kc_strvec_push_unique(hosts, role->hosts.v[i]);
}

static int place_by_roles(const struct kc_config *cfg, struct kc_accessory *acc,
                          const struct kc_node *n, struct kc_err *err)
{
    struct kc_strvec unknown = KC_STRVEC_INIT;
    bool one = n->type != KC_NODE_SEQ;
    size_t count = one ? 1 : n->n;
    for (size_t i = 0; i < count; i++) {
        const char *name = kc_node_text(one ? n : n->items[i]);
        const struct kc_role *role = kc_config_role(cfg, name);
        if (role)
            kc_cfg_push_role_hosts(&acc->hosts, role);
        else
            kc_strvec_push(&unknown, name);
    }
    if (unknown.n == 0)
        return 0;
    char *list = kc_strvec_join(&unknown, ", ");
    err_at(err, mark_of(n), "accessories.%s.%s: unknown %s %s", acc->name, one ? "role" : "roles",
           unknown.n > 1 ? "roles" : "role", list);
    free(list);
    kc_strvec_release(&unknown);
    return KC_ECONFIG;
}

/* tag:/tags: pick the hosts that carry the tag in any role. */
static void place_by_tags(const struct kc_config *cfg, struct kc_accessory *acc,
                          const struct kc_node *n)
{
    struct kc_strvec wanted = KC_STRVEC_INIT;
    if (n->type == KC_NODE_SEQ)
        push_texts(&wanted, n);
    else
        kc_strvec_push(&wanted, kc_node_text(n));
    for (size_t t = 0; t < wanted.n; t++)
        for (size_t i = 0; i < cfg->nservers; i++)
            if (kc_strvec_contains(&cfg->servers[i].tags, wanted.v[t]))
                kc_strvec_push_unique(&acc->hosts, cfg->servers[i].host);
    kc_strvec_release(&wanted);
}

static int place_accessory(const struct kc_config *cfg, struct kc_accessory *acc,
                           struct kc_err *err)
{
    const struct kc_node *n;
    if ((n = get(acc->node, "host")) != NULL)
        kc_strvec_push(&acc->hosts, kc_node_text(n));
    else if ((n = get(acc->node, "hosts")) != NULL)
        for (size_t i = 0; i < n->n; i++)
            kc_strvec_push_unique(&acc->hosts, kc_node_text(n->items[i]));
    else if ((n = get(acc->node, "role")) != NULL || (n = get(acc->node, "roles")) != NULL)
        return place_by_roles(cfg, acc, n, err);
    else if ((n = get(acc->node, "tag")) != NULL || (n = get(acc->node, "tags")) != NULL)
        place_by_tags(cfg, acc, n);
    return 0;
}

static int fill_accessory(struct kc_config *cfg, struct kc_accessory *acc, const char *name,
                          const struct kc_node *node, struct kc_err *err)
{
    bool b;
    acc->name = kc_xstrdup(name);
    acc->node = node;
    acc->service = dup_text(get(node, "service"));
    if (acc->service == NULL)
        acc->service = kc_xasprintf("%s-%s", cfg->service, name);
    if ((acc->has_registry = get(node, "registry") != NULL)) {
        char *path = kc_xasprintf("accessories.%s.registry", name);
        kc_cfg_fill_registry(&acc->registry, get(node, "registry"), path);
        free(path);
    }
    const char *image = kc_node_text(get(node, "image"));
    acc->image = acc->registry.server ? kc_xasprintf("%s/%s", acc->registry.server, image)
                                      : kc_xstrdup(image);
    acc->cmd = dup_text(get(node, "cmd"));
    acc->port = dup_text(get(node, "port"));
    kc_cfg_fill_labels(&acc->labels, get(node, "labels"));
    kc_cfg_fill_options(&acc->options, &acc->restart, get(node, "options"));
    if (acc->restart == NULL)
        acc->restart = kc_xstrdup(KC_DEFAULT_RESTART);
    kc_cfg_fill_env(&acc->env, get(node, "env"));
    fill_mounts(&acc->files, &acc->nfiles, get(node, "files"), "755");
    fill_mounts(&acc->directories, &acc->ndirectories, get(node, "directories"), NULL);
    push_texts(&acc->volumes, get(node, "volumes"));
    acc->network = get_str(node, "network", "accessories.*.network");
    /* Kamal's running_proxy?: proxy.present? (a non-empty mapping, or true) */
    acc->proxy_node = get(node, "proxy");
    acc->runs_proxy =
        (acc->proxy_node && acc->proxy_node->type == KC_NODE_MAP && acc->proxy_node->npairs) ||
        (kc_node_bool(acc->proxy_node, &b) && b);
    if (acc->runs_proxy)
        kc_cfg_fill_proxy(&acc->proxy, acc->proxy_node);
    return place_accessory(cfg, acc, err);
}

/* What Docker would refuse half-way through a boot, refused now: the
 * container name, the image reference; and names or paths that would leave
 * their directory on the host (the accessory name is part of its env file's
 * path, files: land under the service's directory). */
static int check_accessory_names(const struct kc_accessory *acc, const struct kc_pair *pair,
                                 struct kc_err *err)
{
    const struct kc_node *n = acc->node;
    if (!kc_docker_name_ok(acc->name) || strchr(acc->name, '.'))
        return err_at(err, &pair->key_mark,
                      "accessories.%s: an accessory name may only contain letters, digits, '_' "
                      "and '-', and must start with a letter or digit",
                      acc->name);
    if (!kc_docker_name_ok(acc->service)) {
        const struct kc_node *sn = get(n, "service");
        return err_at(err, sn ? &sn->mark : &pair->key_mark,
                      "accessories.%s.service: '%s' is not a valid container name (letters, "
                      "digits, '_', '.', '-', starting with a letter or digit)",
                      acc->name, acc->service);
    }
    if (!kc_image_ref_ok(acc->image))
        return err_at(err, &get(n, "image")->mark,
                      "accessories.%s.image: '%s' is not a valid image reference", acc->name,
                      acc->image);
    for (size_t i = 0; i < acc->nfiles; i++)
        if (!kc_path_stays_inside(acc->files[i].remote) || acc->files[i].remote[0] != '/')
            return err_at(err, &get(n, "files")->mark,
                          "accessories.%s.files: '%s' must be an absolute path without '..'",
                          acc->name, acc->files[i].remote);
    for (size_t i = 0; i < acc->ndirectories; i++)
        if (!kc_path_stays_inside(acc->directories[i].local))
            return err_at(err, &get(n, "directories")->mark,
                          "accessories.%s.directories: '%s' must not contain '..'", acc->name,
                          acc->directories[i].local);
    return 0;
}

int kc_cfg_fill_accessories(struct kc_config *cfg, struct kc_err *err)
{
    const struct kc_node *accs = get(cfg->tree.root, "accessories");
    if (accs == NULL || accs->npairs == 0)
        return 0;
    cfg->accessories = kc_xcalloc(accs->npairs, sizeof *cfg->accessories);
    for (size_t i = 0; i < accs->npairs; i++) {
        struct kc_accessory *acc = &cfg->accessories[cfg->naccessories++];
        int rc = fill_accessory(cfg, acc, accs->pairs[i].key, accs->pairs[i].value, err);
        if (rc == 0)
            rc = check_accessory_names(acc, &accs->pairs[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

void kc_cfg_release_accessory(struct kc_accessory *a)
{
    free(a->name);
    free(a->service);
    free(a->image);
    kc_cfg_release_registry(&a->registry);
    kc_strvec_release(&a->hosts);
    free(a->cmd);
    free(a->port);
    kc_kvlist_release(&a->labels);
    kc_cfg_release_options(&a->options);
    free(a->restart);
    kc_env_release(&a->env);
    release_mounts(a->files, a->nfiles);
    release_mounts(a->directories, a->ndirectories);
    kc_strvec_release(&a->volumes);
    free(a->network);
    kc_cfg_release_proxy(&a->proxy);
}

/* ---- accessory paths --------------------------------------------------------- */

char *kc_accessory_publish(const struct kc_accessory *acc)
{
    if (acc->port == NULL || *acc->port == '\0')
        return NULL;
    if (strchr(acc->port, ':'))
        return kc_xstrdup(acc->port);
    return kc_xasprintf("%s:%s", acc->port, acc->port);
}

/* Kamal concatenates: SERVICE + "/etc/my.cnf" -> SERVICE/etc/my.cnf. */
char *kc_accessory_file_host_path(const struct kc_accessory *acc, const struct kc_mount_spec *f)
{
    return kc_xasprintf("%s%s", acc->service, f->remote ? f->remote : "");
}

char *kc_accessory_dir_host_path(const struct kc_accessory *acc, const struct kc_mount_spec *d)
{
    if (d->local[0] == '/')
        return kc_xstrdup(d->local);
    return kc_xasprintf("%s/%s", acc->service, d->local);
}

char *kc_accessory_env_file(const struct kc_config *cfg, const struct kc_accessory *acc)
{
    return kc_xasprintf("%s/%s.env", cfg->accessory_env_dir, acc->name);
}
