/* config_int.h - internal to src/config: the helpers the files that fill
 * struct kc_config share, and the steps config.c's build() calls. */
#ifndef KC_CONFIG_INT_H
#define KC_CONFIG_INT_H

#include <stdarg.h>
#include <stdlib.h>

#include "kamal-c/config.h"
#include "schema.h"

/* ---- node helpers -------------------------------------------------------- */

static inline const struct kc_node *get(const struct kc_node *map, const char *key)
{
    return kc_map_get(map, key);
}

static inline char *dup_text(const struct kc_node *n)
{
    const char *t = kc_node_text(n);
    return t ? kc_xstrdup(t) : NULL;
}

static inline void push_texts(struct kc_strvec *sv, const struct kc_node *seq)
{
    for (size_t i = 0; seq && seq->type == KC_NODE_SEQ && i < seq->n; i++)
        kc_strvec_push(sv, kc_node_text(seq->items[i]));
}

/* The schema's default for path as text, or NULL (path NULL: none). */
static inline const char *default_of(const char *path)
{
    return path ? kc_schema_default(path) : NULL;
}

/* Every get_* reads the key from map, else the default the schema table
 * gives for path (the one place key defaults are written), else a neutral
 * value: false, -1, NULL. */
static inline bool get_bool(const struct kc_node *map, const char *key, const char *path)
{
    bool b = false;
    if (kc_node_bool(get(map, key), &b))
        return b;
    const char *dflt = default_of(path);
    return dflt && kc_yaml_plain_bool(dflt) == 1;
}

static inline long get_long(const struct kc_node *map, const char *key, const char *path)
{
    long v = -1;
    if (kc_node_long(get(map, key), &v))
        return v;
    const char *dflt = default_of(path);
    if (dflt == NULL || !kc_parse_long(dflt, &v))
        return -1;
    return v;
}

static inline char *get_str(const struct kc_node *map, const char *key, const char *path)
{
    char *s = dup_text(get(map, key));
    const char *dflt = default_of(path);
    if (s == NULL && dflt)
        s = kc_xstrdup(dflt);
    return s;
}

/* The same, for settings whose presence matters (struct kc_opt_*). */
static inline struct kc_opt_bool opt_bool(const struct kc_node *map, const char *key,
                                          const char *path)
{
    struct kc_opt_bool o = {get_bool(map, key, path), kc_node_is_scalar(get(map, key))};
    return o;
}

static inline struct kc_opt_long opt_long(const struct kc_node *map, const char *key,
                                          const char *path)
{
    struct kc_opt_long o = {get_long(map, key, path), kc_node_is_scalar(get(map, key))};
    return o;
}

static inline struct kc_opt_str opt_str(const struct kc_node *map, const char *key,
                                        const char *path)
{
    struct kc_opt_str o = {get_str(map, key, path), kc_node_is_scalar(get(map, key))};
    return o;
}

static inline const struct kc_mark *mark_of(const struct kc_node *n)
{
    return n ? &n->mark : NULL;
}

/* The mark of key in map (where "key:" is written), else the map's. */
static inline const struct kc_mark *key_mark(const struct kc_node *map, const char *key)
{
    const struct kc_pair *p = kc_map_pair(map, key);
    return p ? &p->key_mark : mark_of(map);
}

static inline int err_at(struct kc_err *err, const struct kc_mark *m, const char *fmt, ...)
    KC_PRINTF(3, 4);
static inline int err_at(struct kc_err *err, const struct kc_mark *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = kc_xvasprintf(fmt, ap);
    va_end(ap);
    if (m)
        kc_err_at(err, KC_ECONFIG, m->file, m->line, m->col, "%s", msg);
    else
        kc_err_set(err, KC_ECONFIG, "%s", msg);
    free(msg);
    return KC_ECONFIG;
}

/* ---- the steps (one file each: common.c, proxy.c, builder.c, roles.c,
 * accessories.c, root.c, derived.c, checks.c) ----------------------------------------------------
 */

void kc_cfg_fill_env(struct kc_env *env, const struct kc_node *n);
void kc_cfg_fill_env_tags(struct kc_config *cfg, const struct kc_node *env);
void kc_cfg_fill_registry(struct kc_registry *r, const struct kc_node *n, const char *path);
void kc_cfg_release_registry(struct kc_registry *r);
void kc_cfg_fill_options(struct kc_docker_options *o, char **restart, const struct kc_node *n);
void kc_cfg_release_options(struct kc_docker_options *o);
void kc_cfg_fill_logging(struct kc_logging *l, const struct kc_node *n);
void kc_cfg_release_logging(struct kc_logging *l);
/* Kamal's Logging#args: nothing set means --log-opt max-size=10m. */
void kc_cfg_logging_default(struct kc_logging *l);
void kc_cfg_fill_labels(struct kc_kvlist *labels, const struct kc_node *n);

/* proxy.c: a proxy: mapping (n may be NULL or a boolean: defaults only). */
void kc_cfg_fill_proxy(struct kc_proxy *p, const struct kc_node *n);
void kc_cfg_release_proxy(struct kc_proxy *p);

/* builder.c, after the root's image and registry are filled. */
void kc_cfg_fill_builder(struct kc_config *cfg, const struct kc_node *n);
void kc_cfg_release_builder(struct kc_builder *b);

void kc_cfg_fill_roles(struct kc_config *cfg);
void kc_cfg_release_role(struct kc_role *r);
void kc_cfg_push_role_hosts(struct kc_strvec *hosts, const struct kc_role *role);

int kc_cfg_fill_accessories(struct kc_config *cfg, struct kc_err *err);
void kc_cfg_release_accessory(struct kc_accessory *a);

void kc_cfg_fill_root(struct kc_config *cfg);
void kc_cfg_release_root(struct kc_config *cfg);

void kc_cfg_fill_hosts(struct kc_config *cfg);
void kc_cfg_fill_derived(struct kc_config *cfg);
void kc_cfg_release_derived(struct kc_config *cfg);

int kc_cfg_check_destination(const struct kc_config *cfg, struct kc_err *err);
int kc_cfg_check_host_names(const struct kc_config *cfg, struct kc_err *err);
int kc_cfg_check_roles(const struct kc_config *cfg, struct kc_err *err);
int kc_cfg_check_ssl(const struct kc_config *cfg, struct kc_err *err);
int kc_cfg_check_proxy_run(const struct kc_config *cfg, struct kc_err *err);
/* The proxy in effect for the i-th role (i < nroles) or accessory on host,
 * or NULL when it runs no proxy there. */
const struct kc_proxy *kc_cfg_proxy_on(const struct kc_config *cfg, size_t i, const char *host);
int kc_cfg_check_builder_remote(const struct kc_config *cfg, struct kc_err *err);
int kc_cfg_check_traefik_hooks(const struct kc_config *cfg, struct kc_err *err);

#endif
