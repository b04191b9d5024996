/* common.c - env, registry, docker options, logging and labels: the shapes
 * the root, roles and accessories share. */
#include "config_int.h"

#include <string.h>

/* ---- env ----------------------------------------------------------------- */

static bool env_is_complex(const struct kc_node *n)
{
    return get(n, "clear") || get(n, "secret") || get(n, "tags");
}

void kc_cfg_fill_env(struct kc_env *env, const struct kc_node *n)
{
    const struct kc_node *clear = env_is_complex(n) ? get(n, "clear") : n;
    for (size_t i = 0; clear && clear->type == KC_NODE_MAP && i < clear->npairs; i++)
        kc_kvlist_set(&env->clear, clear->pairs[i].key, kc_node_text(clear->pairs[i].value));
    const struct kc_node *secret = env_is_complex(n) ? get(n, "secret") : NULL;
    for (size_t i = 0; secret && i < secret->n; i++)
        kc_strvec_push_unique(&env->secret, kc_node_text(secret->items[i]));
}

static void merge_env(struct kc_env *into, const struct kc_env *from)
{
    kc_kvlist_copy(&into->clear, &from->clear);
    for (size_t i = 0; i < from->secret.n; i++)
        kc_strvec_push_unique(&into->secret, from->secret.v[i]);
}

void kc_env_release(struct kc_env *env)
{
    if (env == NULL)
        return;
    kc_kvlist_release(&env->clear);
    kc_strvec_release(&env->secret);
}

void kc_cfg_fill_env_tags(struct kc_config *cfg, const struct kc_node *env)
{
    const struct kc_node *tags = env_is_complex(env) ? get(env, "tags") : NULL;
    if (tags == NULL || tags->npairs == 0)
        return;
    cfg->env_tags = kc_xcalloc(tags->npairs, sizeof *cfg->env_tags);
    for (size_t i = 0; i < tags->npairs; i++) {
        kc_strvec_push(&cfg->env_tag_keys, tags->pairs[i].key);
        kc_cfg_fill_env(&cfg->env_tags[i], tags->pairs[i].value);
    }
}

void kc_config_env_for(const struct kc_config *cfg, const struct kc_role *role, const char *host,
                       struct kc_env *out)
{
    merge_env(out, &cfg->env);
    if (role == NULL)
        return;
    merge_env(out, &role->env);
    ssize_t h = kc_strvec_index(&role->hosts, host);
    if (h < 0)
        return;
    const struct kc_strvec *tags = &role->host_tags[h];
    for (size_t i = 0; i < tags->n; i++) {
        ssize_t t = kc_strvec_index(&cfg->env_tag_keys, tags->v[i]);
        if (t >= 0)
            merge_env(out, &cfg->env_tags[t]);
    }
}

/* ---- registry, options, logging ------------------------------------------ */

static void fill_secret_ref(char **value, bool *is_secret, const struct kc_node *n)
{
    *is_secret = n && n->type == KC_NODE_SEQ;
    *value = dup_text(*is_secret ? (n->n ? n->items[0] : NULL) : n);
}

void kc_cfg_fill_registry(struct kc_registry *r, const struct kc_node *n, const char *path)
{
    r->path = kc_xstrdup(path);
    r->server = dup_text(get(n, "server"));
    r->local = r->server && kc_starts_with(r->server, "localhost:");
    if (r->local && !kc_parse_long(strrchr(r->server, ':') + 1, &r->local_port))
        r->local_port = 0;
    fill_secret_ref(&r->username, &r->username_is_secret, get(n, "username"));
    fill_secret_ref(&r->password, &r->password_is_secret, get(n, "password"));
}

void kc_cfg_release_registry(struct kc_registry *r)
{
    free(r->path);
    free(r->server);
    free(r->username);
    free(r->password);
}

/* options: -> docker run flags; restart is kept apart in *restart (NULL:
 * restart is an option like the others). */
void kc_cfg_fill_options(struct kc_docker_options *o, char **restart, const struct kc_node *n)
{
    if (n == NULL || n->type != KC_NODE_MAP)
        return;
    o->v = kc_xcalloc(n->npairs ? n->npairs : 1, sizeof *o->v);
    for (size_t i = 0; i < n->npairs; i++) {
        const struct kc_pair *p = &n->pairs[i];
        bool b;
        if (restart && strcmp(p->key, "restart") == 0) {
            free(*restart);
            *restart = dup_text(p->value);
            continue;
        }
        struct kc_docker_option *opt = &o->v[o->n++];
        opt->key = kc_xstrdup(p->key);
        if (p->value->type == KC_NODE_SEQ)
            push_texts(&opt->values, p->value);
        else if (kc_node_bool(p->value, &b) && b)
            opt->flag = true;
        else
            kc_strvec_push(&opt->values, kc_node_text(p->value));
    }
}

void kc_cfg_release_options(struct kc_docker_options *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i].key);
        kc_strvec_release(&o->v[i].values);
    }
    free(o->v);
    o->v = NULL;
    o->n = 0;
}

void kc_cfg_fill_logging(struct kc_logging *l, const struct kc_node *n)
{
    char *driver = dup_text(get(n, "driver"));
    if (driver) {
        free(l->driver);
        l->driver = driver;
    }
    const struct kc_node *opts = get(n, "options");
    for (size_t i = 0; opts && opts->type == KC_NODE_MAP && i < opts->npairs; i++)
        kc_kvlist_set(&l->options, opts->pairs[i].key, kc_node_text(opts->pairs[i].value));
}

void kc_cfg_logging_default(struct kc_logging *l)
{
    if (l->driver == NULL && l->options.n == 0)
        kc_kvlist_set(&l->options, "max-size", KC_DEFAULT_LOG_MAX_SIZE);
}

void kc_cfg_release_logging(struct kc_logging *l)
{
    free(l->driver);
    l->driver = NULL;
    kc_kvlist_release(&l->options);
}

void kc_cfg_fill_labels(struct kc_kvlist *labels, const struct kc_node *n)
{
    for (size_t i = 0; n && n->type == KC_NODE_MAP && i < n->npairs; i++)
        kc_kvlist_set(labels, n->pairs[i].key, kc_node_text(n->pairs[i].value));
}
