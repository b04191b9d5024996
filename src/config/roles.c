/* roles.c - servers: and its roles, with their hosts, tags and proxy. */
#include "config_int.h"

#include <string.h>

/* ---- servers and roles ---------------------------------------------------- */

/* A host entry: "h", {h: tag} or {h: [t1, t2]}. */
static const char *entry_host(const struct kc_node *e, const struct kc_node **tags)
{
    *tags = NULL;
    if (e->type == KC_NODE_MAP && e->npairs == 1) {
        *tags = e->pairs[0].value;
        return e->pairs[0].key;
    }
    return kc_node_text(e);
}

static void entry_tags(struct kc_strvec *out, const struct kc_node *tags)
{
    if (tags && tags->type == KC_NODE_SEQ)
        push_texts(out, tags);
    else if (kc_node_is_scalar(tags))
        kc_strvec_push(out, kc_node_text(tags));
}

/* Kamal keys a role's hosts by name: a repeated host keeps its first place
 * and takes the later tags. */
static void role_add_host(struct kc_role *role, const struct kc_node *entry)
{
    const struct kc_node *tags;
    const char *host = entry_host(entry, &tags);
    if (host == NULL)
        return;
    ssize_t i = kc_strvec_index(&role->hosts, host);
    if (i < 0) {
        kc_strvec_push(&role->hosts, host);
        role->host_tags = kc_xrealloc(role->host_tags, role->hosts.n * sizeof *role->host_tags);
        i = (ssize_t)role->hosts.n - 1;
    } else {
        kc_strvec_release(&role->host_tags[i]);
    }
    memset(&role->host_tags[i], 0, sizeof role->host_tags[i]);
    entry_tags(&role->host_tags[i], tags);
}

static void add_server(struct kc_config *cfg, const struct kc_node *entry)
{
    const struct kc_node *tags;
    const char *host = entry_host(entry, &tags);
    struct kc_server *s = NULL;
    if (host == NULL)
        return;
    ssize_t known = kc_strvec_index(&cfg->server_names, host);
    if (known >= 0) {
        s = &cfg->servers[known];
    } else {
        kc_xgrow((void **)&cfg->servers, &cfg->capservers, cfg->nservers + 1, sizeof *cfg->servers);
        s = &cfg->servers[cfg->nservers++];
        memset(s, 0, sizeof *s);
        s->host = kc_xstrdup(host);
        kc_strvec_push(&cfg->server_names, host);
    }
    struct kc_strvec more = KC_STRVEC_INIT;
    entry_tags(&more, tags);
    for (size_t i = 0; i < more.n; i++)
        kc_strvec_push_unique(&s->tags, more.v[i]);
    kc_strvec_release(&more);
}

/* asset_path: "PATH[:OPTIONS]", as Kamal's split(":", 2). */
static void fill_asset_path(struct kc_role *role, const char *raw)
{
    if (raw == NULL || *raw == '\0')
        return;
    const char *colon = strchr(raw, ':');
    role->asset_path = colon ? kc_xstrndup(raw, (size_t)(colon - raw)) : kc_xstrdup(raw);
    role->asset_path_options = colon ? kc_xstrdup(colon + 1) : NULL;
}

static void fill_role(struct kc_config *cfg, struct kc_role *role, const char *name,
                      const struct kc_node *node)
{
    const struct kc_node *hosts = node;
    const char *asset_path = cfg->asset_path;
    role->name = kc_xstrdup(name);
    role->node = node;
    role->primary = strcmp(name, cfg->primary_role) == 0;
    role->stop_timeout = -1;
    kc_kvlist_copy(&role->labels, &cfg->labels);
    kc_cfg_fill_logging(&role->effective_logging, get(cfg->tree.root, "logging"));
    if (node && node->type == KC_NODE_MAP) {
        hosts = get(node, "hosts");
        role->cmd = dup_text(get(node, "cmd"));
        role->stop_timeout = get_long(node, "stop_timeout", NULL);
        kc_cfg_fill_env(&role->env, get(node, "env"));
        kc_cfg_fill_labels(&role->labels, get(node, "labels"));
        role->options = get(node, "options");
        kc_cfg_fill_options(&role->docker_options, &role->restart, role->options);
        role->logging = get(node, "logging");
        kc_cfg_fill_logging(&role->effective_logging, role->logging);
        role->proxy_node = get(node, "proxy");
        if (get(node, "asset_path"))
            asset_path = kc_node_text(get(node, "asset_path"));
    }
    kc_cfg_logging_default(&role->effective_logging);
    if (role->restart == NULL)
        role->restart = kc_xstrdup(KC_DEFAULT_RESTART);
    if (role->stop_timeout < 0)
        role->stop_timeout = cfg->stop_timeout;
    fill_asset_path(role, asset_path);
    for (size_t i = 0; hosts && hosts->type == KC_NODE_SEQ && i < hosts->n; i++) {
        role_add_host(role, hosts->items[i]);
        add_server(cfg, hosts->items[i]);
    }
}

static int compare_roles(const void *a, const void *b)
{
    return strcmp(((const struct kc_role *)a)->name, ((const struct kc_role *)b)->name);
}

/* Kamal's Role#proxy: the primary role runs the proxy unless it says
 * proxy: false; the others only with proxy: true or a proxy mapping. The
 * proxy in effect is the root proxy: mapping with the role's deep-merged
 * over it. A role without the proxy is stopped with docker stop -t
 * drain_timeout (kamal-proxy drains the others). */
static void role_proxy(const struct kc_config *cfg, struct kc_role *role)
{
    bool b = false;
    bool is_bool = kc_node_bool(role->proxy_node, &b);
    bool is_map = role->proxy_node && role->proxy_node->type == KC_NODE_MAP;
    if (role->primary)
        role->runs_proxy = !(is_bool && !b);
    else
        role->runs_proxy = (is_bool && b) || is_map;
    role->docker_stop_timeout = role->stop_timeout;
    if (role->docker_stop_timeout < 0 && !role->runs_proxy)
        role->docker_stop_timeout = cfg->drain_timeout;
    if (!role->runs_proxy)
        return;
    const struct kc_node *root_proxy = get(cfg->tree.root, "proxy");
    struct kc_node *merged = NULL;
    if (root_proxy)
        merged = kc_node_clone(root_proxy);
    if (is_map) {
        if (merged)
            kc_node_deep_merge(&merged, kc_node_clone(role->proxy_node));
        else
            merged = kc_node_clone(role->proxy_node);
    }
    kc_cfg_fill_proxy(&role->proxy, merged);
    role->proxy.merged = merged;
}

void kc_cfg_fill_roles(struct kc_config *cfg)
{
    const struct kc_node *servers = get(cfg->tree.root, "servers");
    if (servers == NULL)
        return;
    if (servers->type == KC_NODE_SEQ) {
        cfg->roles = kc_xcalloc(1, sizeof *cfg->roles);
        cfg->nroles = 1;
        fill_role(cfg, &cfg->roles[0], "web", servers);
    } else {
        cfg->roles = kc_xcalloc(servers->npairs ? servers->npairs : 1, sizeof *cfg->roles);
        for (size_t i = 0; i < servers->npairs; i++)
            fill_role(cfg, &cfg->roles[cfg->nroles++], servers->pairs[i].key,
                      servers->pairs[i].value);
    }
    qsort(cfg->roles, cfg->nroles, sizeof *cfg->roles, compare_roles);
    for (size_t i = 1; i < cfg->nroles; i++) {
        if (strcmp(cfg->roles[i].name, cfg->primary_role) != 0)
            continue;
        struct kc_role primary = cfg->roles[i];
        memmove(&cfg->roles[1], &cfg->roles[0], i * sizeof *cfg->roles);
        cfg->roles[0] = primary;
    }
    for (size_t i = 0; i < cfg->nroles; i++)
        role_proxy(cfg, &cfg->roles[i]);
}

void kc_cfg_release_role(struct kc_role *r)
{
    free(r->name);
    for (size_t i = 0; i < r->hosts.n; i++)
        kc_strvec_release(&r->host_tags[i]);
    free(r->host_tags);
    kc_strvec_release(&r->hosts);
    free(r->cmd);
    kc_env_release(&r->env);
    kc_kvlist_release(&r->labels);
    kc_cfg_release_options(&r->docker_options);
    free(r->restart);
    kc_cfg_release_logging(&r->effective_logging);
    kc_cfg_release_proxy(&r->proxy);
    free(r->asset_path);
    free(r->asset_path_options);
    free(r->container_prefix);
    free(r->env_file);
}
