/* config.c - loading deploy.yml into struct kc_config.
 *
 * The pipeline, in order: read (1 MiB cap) -> ERB -> YAML, for the base file
 * and then config/deploy.DEST.yml, deep-merged; schema validation
 * (schema.c); typed structs with defaults; cross-checks that need the whole
 * configuration (roles, placements, SSL, proxy run); derived names. Every
 * error is KC_ECONFIG with the file:line:col of the node it is about. */
#include "kamal-c/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kamal-c/erb.h"
#include "schema.h"

#define KC_CONFIG_MAX_SIZE (1024 * 1024)

const char *const kc_config_builtin_commands[] = {
    "accessory", "app",     "audit",  "build", "config",  "deploy",   "details",  "docs",
    "help",      "init",    "lock",   "proxy", "prune",   "redeploy", "registry", "remove",
    "rollback",  "secrets", "server", "setup", "upgrade", "version",  NULL,
};

/* ---- node helpers -------------------------------------------------------- */

static const struct kc_node *get(const struct kc_node *map, const char *key)
{
    return kc_map_get(map, key);
}

static char *dup_text(const struct kc_node *n)
{
    const char *t = kc_node_text(n);
    return t ? kc_xstrdup(t) : NULL;
}

static void push_texts(struct kc_strvec *sv, const struct kc_node *seq)
{
    for (size_t i = 0; seq && seq->type == KC_NODE_SEQ && i < seq->n; i++)
        kc_strvec_push(sv, kc_node_text(seq->items[i]));
}

static bool get_bool(const struct kc_node *map, const char *key, bool dflt)
{
    bool b = dflt;
    kc_node_bool(get(map, key), &b);
    return b;
}

/* A long from the tree, else the schema's default for path, else -1. */
static long get_long(const struct kc_node *map, const char *key, const char *path)
{
    long v = -1;
    if (kc_node_long(get(map, key), &v))
        return v;
    const char *dflt = path ? kc_schema_default(path) : NULL;
    if (dflt == NULL || !kc_parse_long(dflt, &v))
        return -1;
    return v;
}

/* A string from the tree, else the schema's default for path (or NULL). */
static char *get_str(const struct kc_node *map, const char *key, const char *path)
{
    char *s = dup_text(get(map, key));
    const char *dflt;
    if (s == NULL && path && (dflt = kc_schema_default(path)) != NULL)
        s = kc_xstrdup(dflt);
    return s;
}

static const struct kc_mark *mark_of(const struct kc_node *n)
{
    return n ? &n->mark : NULL;
}

/* The mark of key in map (where "key:" is written), else the map's. */
static const struct kc_mark *key_mark(const struct kc_node *map, const char *key)
{
    const struct kc_pair *p = kc_map_pair(map, key);
    return p ? &p->key_mark : mark_of(map);
}

static int err_at(struct kc_err *err, const struct kc_mark *m, const char *fmt, ...)
    KC_PRINTF(3, 4);
static int err_at(struct kc_err *err, const struct kc_mark *m, const char *fmt, ...)
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

/* ---- versions ------------------------------------------------------------ */

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return n > 0;
}

/* One segment each: numbers by value, a number beats letters, letters by
 * text; a missing segment is 0. */
static int compare_segment(const char *a, size_t an, const char *b, size_t bn)
{
    bool anum = an == 0 || all_digits(a, an), bnum = bn == 0 || all_digits(b, bn);
    if (anum && bnum) {
        while (an > 1 && *a == '0')
            a++, an--;
        while (bn > 1 && *b == '0')
            b++, bn--;
        if (an == 0 || bn == 0)
            return (an != 0 && strspn(a, "0") < an) - (bn != 0 && strspn(b, "0") < bn);
        if (an != bn)
            return an < bn ? -1 : 1;
        int c = memcmp(a, b, an);
        return (c > 0) - (c < 0);
    }
    if (anum != bnum)
        return anum ? 1 : -1;
    size_t m = an < bn ? an : bn;
    int c = memcmp(a, b, m);
    if (c == 0)
        c = (an > bn) - (an < bn);
    return (c > 0) - (c < 0);
}

int kc_version_compare(const char *a, const char *b)
{
    while (*a || *b) {
        size_t an = strcspn(a, "."), bn = strcspn(b, ".");
        int c = compare_segment(a, an, b, bn);
        if (c)
            return c;
        a += an + (a[an] == '.');
        b += bn + (b[bn] == '.');
    }
    return 0;
}

/* ---- env ----------------------------------------------------------------- */

static bool env_is_complex(const struct kc_node *n)
{
    return get(n, "clear") || get(n, "secret") || get(n, "tags");
}

static void fill_env(struct kc_env *env, const struct kc_node *n)
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

static void fill_env_tags(struct kc_config *cfg, const struct kc_node *env)
{
    const struct kc_node *tags = env_is_complex(env) ? get(env, "tags") : NULL;
    if (tags == NULL || tags->npairs == 0)
        return;
    cfg->env_tags = kc_xcalloc(tags->npairs, sizeof *cfg->env_tags);
    for (size_t i = 0; i < tags->npairs; i++) {
        kc_strvec_push(&cfg->env_tag_keys, tags->pairs[i].key);
        fill_env(&cfg->env_tags[i], tags->pairs[i].value);
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

static void fill_registry(struct kc_registry *r, const struct kc_node *n)
{
    r->server = dup_text(get(n, "server"));
    r->local = r->server && kc_starts_with(r->server, "localhost:");
    fill_secret_ref(&r->username, &r->username_is_secret, get(n, "username"));
    fill_secret_ref(&r->password, &r->password_is_secret, get(n, "password"));
}

static void release_registry(struct kc_registry *r)
{
    free(r->server);
    free(r->username);
    free(r->password);
}

/* options: -> docker run flags; restart is kept apart. */
static void fill_options(struct kc_docker_options *o, char **restart, const struct kc_node *n)
{
    if (n == NULL || n->type != KC_NODE_MAP)
        return;
    o->v = kc_xcalloc(n->npairs ? n->npairs : 1, sizeof *o->v);
    for (size_t i = 0; i < n->npairs; i++) {
        const struct kc_pair *p = &n->pairs[i];
        bool b;
        if (strcmp(p->key, "restart") == 0) {
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

static void release_options(struct kc_docker_options *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i].key);
        kc_strvec_release(&o->v[i].values);
    }
    free(o->v);
    o->v = NULL;
    o->n = 0;
}

static void fill_logging(struct kc_logging *l, const struct kc_node *n)
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

static void release_logging(struct kc_logging *l)
{
    free(l->driver);
    l->driver = NULL;
    kc_kvlist_release(&l->options);
}

static void fill_labels(struct kc_kvlist *labels, const struct kc_node *n)
{
    for (size_t i = 0; n && n->type == KC_NODE_MAP && i < n->npairs; i++)
        kc_kvlist_set(labels, n->pairs[i].key, kc_node_text(n->pairs[i].value));
}

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
    for (size_t i = 0; i < cfg->nservers && s == NULL; i++)
        if (strcmp(cfg->servers[i].host, host) == 0)
            s = &cfg->servers[i];
    if (s == NULL) {
        cfg->servers = kc_xrealloc(cfg->servers, (cfg->nservers + 1) * sizeof *cfg->servers);
        s = &cfg->servers[cfg->nservers++];
        memset(s, 0, sizeof *s);
        s->host = kc_xstrdup(host);
    }
    struct kc_strvec more = KC_STRVEC_INIT;
    entry_tags(&more, tags);
    for (size_t i = 0; i < more.n; i++)
        kc_strvec_push_unique(&s->tags, more.v[i]);
    kc_strvec_release(&more);
}

static void fill_role(struct kc_config *cfg, struct kc_role *role, const char *name,
                      const struct kc_node *node)
{
    const struct kc_node *hosts = node;
    role->name = kc_xstrdup(name);
    role->node = node;
    role->stop_timeout = -1;
    kc_kvlist_copy(&role->labels, &cfg->labels);
    fill_logging(&role->effective_logging, get(cfg->tree.root, "logging"));
    if (node && node->type == KC_NODE_MAP) {
        hosts = get(node, "hosts");
        role->cmd = dup_text(get(node, "cmd"));
        role->stop_timeout = get_long(node, "stop_timeout", NULL);
        fill_env(&role->env, get(node, "env"));
        fill_labels(&role->labels, get(node, "labels"));
        role->options = get(node, "options");
        fill_options(&role->docker_options, &role->restart, role->options);
        role->logging = get(node, "logging");
        fill_logging(&role->effective_logging, role->logging);
        role->proxy = get(node, "proxy");
        role->asset_path = dup_text(get(node, "asset_path"));
    }
    if (role->asset_path == NULL && cfg->asset_path)
        role->asset_path = kc_xstrdup(cfg->asset_path);
    for (size_t i = 0; hosts && hosts->type == KC_NODE_SEQ && i < hosts->n; i++) {
        role_add_host(role, hosts->items[i]);
        add_server(cfg, hosts->items[i]);
    }
}

static int compare_roles(const void *a, const void *b)
{
    return strcmp(((const struct kc_role *)a)->name, ((const struct kc_role *)b)->name);
}

/* The primary role runs the proxy unless it says proxy: false; the others
 * only with proxy: true or a proxy mapping. */
static void role_proxy(const struct kc_config *cfg, struct kc_role *role)
{
    bool b = false;
    bool is_bool = kc_node_bool(role->proxy, &b);
    if (strcmp(role->name, cfg->primary_role) == 0)
        role->runs_proxy = !(is_bool && !b);
    else
        role->runs_proxy = (is_bool && b) || (role->proxy && role->proxy->type == KC_NODE_MAP);
    if (!role->runs_proxy)
        return;
    const struct kc_node *root_proxy = get(cfg->tree.root, "proxy");
    struct kc_mark mark = root_proxy ? root_proxy->mark : cfg->tree.root->mark;
    role->effective_proxy = root_proxy ? kc_node_clone(root_proxy) : kc_node_new(KC_NODE_MAP, mark);
    if (role->proxy && role->proxy->type == KC_NODE_MAP)
        kc_node_deep_merge(&role->effective_proxy, kc_node_clone(role->proxy));
}

static void fill_roles(struct kc_config *cfg)
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

static void release_role(struct kc_role *r)
{
    free(r->name);
    for (size_t i = 0; i < r->hosts.n; i++)
        kc_strvec_release(&r->host_tags[i]);
    free(r->host_tags);
    kc_strvec_release(&r->hosts);
    free(r->cmd);
    kc_env_release(&r->env);
    kc_kvlist_release(&r->labels);
    release_options(&r->docker_options);
    free(r->restart);
    release_logging(&r->effective_logging);
    kc_node_free(r->effective_proxy);
    free(r->asset_path);
}

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

static void push_role_hosts(struct kc_strvec *hosts, const struct kc_role *role)
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
            push_role_hosts(&acc->hosts, role);
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
    if ((acc->has_registry = get(node, "registry") != NULL))
        fill_registry(&acc->registry, get(node, "registry"));
    const char *image = kc_node_text(get(node, "image"));
    acc->image = acc->registry.server ? kc_xasprintf("%s/%s", acc->registry.server, image)
                                      : kc_xstrdup(image);
    acc->cmd = dup_text(get(node, "cmd"));
    acc->port = dup_text(get(node, "port"));
    fill_labels(&acc->labels, get(node, "labels"));
    fill_options(&acc->options, &acc->restart, get(node, "options"));
    if (acc->restart == NULL)
        acc->restart = kc_xstrdup("unless-stopped");
    fill_env(&acc->env, get(node, "env"));
    fill_mounts(&acc->files, &acc->nfiles, get(node, "files"), "755");
    fill_mounts(&acc->directories, &acc->ndirectories, get(node, "directories"), NULL);
    push_texts(&acc->volumes, get(node, "volumes"));
    acc->network = get_str(node, "network", "accessories.*.network");
    acc->proxy = get(node, "proxy");
    acc->runs_proxy = (acc->proxy && acc->proxy->type == KC_NODE_MAP && acc->proxy->npairs) ||
                      (kc_node_bool(acc->proxy, &b) && b);
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

static int fill_accessories(struct kc_config *cfg, struct kc_err *err)
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

static void release_accessory(struct kc_accessory *a)
{
    free(a->name);
    free(a->service);
    free(a->image);
    release_registry(&a->registry);
    kc_strvec_release(&a->hosts);
    free(a->cmd);
    free(a->port);
    kc_kvlist_release(&a->labels);
    release_options(&a->options);
    free(a->restart);
    kc_env_release(&a->env);
    release_mounts(a->files, a->nfiles);
    release_mounts(a->directories, a->ndirectories);
    kc_strvec_release(&a->volumes);
    free(a->network);
}

/* ---- ssh, sshkit, boot, root scalars --------------------------------------- */

static void fill_ssh(struct kc_ssh *ssh, const struct kc_node *n)
{
    const struct kc_node *port = get(n, "port");
    const struct kc_node *config = get(n, "config");
    long v = 22;
    bool b;
    ssh->user = get_str(n, "user", "ssh.user");
    ssh->port_set = port != NULL;
    if (port == NULL || !kc_parse_long(kc_node_text(port), &v))
        kc_parse_long(kc_schema_default("ssh.port"), &v);
    ssh->port = (int)v;
    ssh->proxy = dup_text(get(n, "proxy"));
    ssh->proxy_command = dup_text(get(n, "proxy_command"));
    ssh->log_level = get_str(n, "log_level", "ssh.log_level");
    ssh->keys_only = get_bool(n, "keys_only", false);
    push_texts(&ssh->keys, get(n, "keys"));
    push_texts(&ssh->key_data, get(n, "key_data"));
    ssh->forward_agent = get_bool(n, "forward_agent", false);
    if (config == NULL) {
        ssh->config_mode = KC_SSH_CONFIG_DEFAULT;
    } else if (kc_node_bool(config, &b)) {
        ssh->config_mode = b ? KC_SSH_CONFIG_TRUE : KC_SSH_CONFIG_FALSE;
    } else {
        ssh->config_mode = KC_SSH_CONFIG_FILES;
        if (config->type == KC_NODE_SEQ)
            push_texts(&ssh->config_files, config);
        else
            kc_strvec_push(&ssh->config_files, kc_node_text(config));
    }
}

static void release_ssh(struct kc_ssh *ssh)
{
    free(ssh->user);
    free(ssh->proxy);
    free(ssh->proxy_command);
    free(ssh->log_level);
    kc_strvec_release(&ssh->keys);
    kc_strvec_release(&ssh->key_data);
    kc_strvec_release(&ssh->config_files);
}

static void fill_sshkit(struct kc_sshkit *k, const struct kc_node *n)
{
    k->max_concurrent_starts =
        (int)get_long(n, "max_concurrent_starts", "sshkit.max_concurrent_starts");
    k->pool_idle_timeout = (int)get_long(n, "pool_idle_timeout", "sshkit.pool_idle_timeout");
    k->dns_retries = (int)get_long(n, "dns_retries", "sshkit.dns_retries");
}

static void fill_boot(struct kc_config *cfg, const struct kc_node *n)
{
    const struct kc_node *limit = get(n, "limit");
    const char *text = kc_node_text(limit);
    cfg->boot_limit = get_long(n, "limit", NULL);
    if (text && cfg->boot_limit < 0 && kc_ends_with(text, "%")) {
        char *digits = kc_xstrndup(text, strlen(text) - 1);
        kc_parse_long(digits, &cfg->boot_limit);
        cfg->boot_limit_percent = true;
        free(digits);
    }
    cfg->boot_wait = get_long(n, "wait", NULL);
    cfg->boot_parallel_roles = get_bool(n, "parallel_roles", false);
}

static void fill_aliases(struct kc_config *cfg, const struct kc_node *n)
{
    for (size_t i = 0; n && n->type == KC_NODE_MAP && i < n->npairs; i++)
        kc_kvlist_set(&cfg->aliases, n->pairs[i].key, kc_node_text(n->pairs[i].value));
}

static void fill_root(struct kc_config *cfg)
{
    const struct kc_node *root = cfg->tree.root;
    cfg->service = dup_text(get(root, "service"));
    fill_registry(&cfg->registry, get(root, "registry"));
    cfg->image = dup_text(get(root, "image"));
    if (cfg->image == NULL && cfg->registry.local)
        cfg->image = kc_xstrdup(cfg->service);
    fill_labels(&cfg->labels, get(root, "labels"));
    push_texts(&cfg->volumes, get(root, "volumes"));
    fill_env(&cfg->env, get(root, "env"));
    fill_env_tags(cfg, get(root, "env"));
    fill_ssh(&cfg->ssh, get(root, "ssh"));
    fill_sshkit(&cfg->sshkit, get(root, "sshkit"));
    fill_logging(&cfg->logging, get(root, "logging"));
    fill_aliases(cfg, get(root, "aliases"));
    fill_boot(cfg, get(root, "boot"));
    cfg->hooks_path = get_str(root, "hooks_path", "hooks_path");
    cfg->secrets_path = get_str(root, "secrets_path", "secrets_path");
    cfg->primary_role = get_str(root, "primary_role", "primary_role");
    cfg->minimum_version = dup_text(get(root, "minimum_version"));
    cfg->asset_path = dup_text(get(root, "asset_path"));
    cfg->error_pages_path = dup_text(get(root, "error_pages_path"));
    cfg->require_destination = get_bool(root, "require_destination", false);
    cfg->allow_empty_roles = get_bool(root, "allow_empty_roles", false);
    cfg->retain_containers = get_long(root, "retain_containers", "retain_containers");
    cfg->readiness_delay = get_long(root, "readiness_delay", "readiness_delay");
    cfg->deploy_timeout = get_long(root, "deploy_timeout", "deploy_timeout");
    cfg->drain_timeout = get_long(root, "drain_timeout", "drain_timeout");
    cfg->stop_timeout = get_long(root, "stop_timeout", NULL);
    cfg->proxy = get(root, "proxy");
    cfg->builder = get(root, "builder");
    cfg->output = get(root, "output");
    cfg->hooks_output = get(root, "hooks_output");
}

static void fill_hosts(struct kc_config *cfg)
{
    for (size_t i = 0; i < cfg->nroles; i++)
        push_role_hosts(&cfg->hosts, &cfg->roles[i]);
    for (size_t i = 0; i < cfg->naccessories; i++)
        for (size_t j = 0; j < cfg->accessories[i].hosts.n; j++)
            kc_strvec_push_unique(&cfg->hosts, cfg->accessories[i].hosts.v[j]);
    const struct kc_role *primary = kc_config_role(cfg, cfg->primary_role);
    if (primary && primary->hosts.n)
        cfg->primary_host = kc_xstrdup(primary->hosts.v[0]);
    else if (cfg->hosts.n)
        cfg->primary_host = kc_xstrdup(cfg->hosts.v[0]);
}

static void fill_derived(struct kc_config *cfg)
{
    if (cfg->destination)
        cfg->service_and_destination = kc_xasprintf("%s-%s", cfg->service, cfg->destination);
    else
        cfg->service_and_destination = kc_xstrdup(cfg->service);
    cfg->run_dir = kc_xstrdup(".kamal");
    cfg->lock_dir = kc_xasprintf("%s/lock-%s", cfg->run_dir, cfg->service_and_destination);
    cfg->audit_log = kc_xasprintf("%s/%s-audit.log", cfg->run_dir, cfg->service_and_destination);
    cfg->app_dir = kc_xasprintf("%s/apps/%s", cfg->run_dir, cfg->service_and_destination);
    cfg->accessory_env_dir = kc_xasprintf("%s/env/accessories", cfg->app_dir);
}

/* ---- cross-checks ------------------------------------------------------------ */

/* Where a role is written: its key under servers (the list form: servers). */
static const struct kc_mark *role_mark(const struct kc_config *cfg, const struct kc_role *r)
{
    const struct kc_node *servers = get(cfg->tree.root, "servers");
    if (servers->type == KC_NODE_MAP)
        return key_mark(servers, r->name);
    return key_mark(cfg->tree.root, "servers");
}

static int check_roles(const struct kc_config *cfg, struct kc_err *err)
{
    const struct kc_node *root = cfg->tree.root;
    if (get(root, "servers") == NULL) {
        if (cfg->naccessories == 0)
            return err_at(err, mark_of(root), "no servers or accessories specified");
        return 0;
    }
    const struct kc_role *primary = kc_config_role(cfg, cfg->primary_role);
    if (primary == NULL) {
        const struct kc_node *named = get(root, "primary_role");
        return err_at(err, named ? mark_of(named) : key_mark(root, "servers"),
                      "the primary_role %s isn't defined", cfg->primary_role);
    }
    if (primary->hosts.n == 0)
        return err_at(err, role_mark(cfg, primary),
                      "servers.%s: no servers specified for the %s primary_role", primary->name,
                      primary->name);
    for (size_t i = 0; i < cfg->nroles && !cfg->allow_empty_roles; i++)
        if (cfg->roles[i].hosts.n == 0)
            return err_at(err, role_mark(cfg, &cfg->roles[i]),
                          "servers.%s: no servers specified for the %s role (allow it with "
                          "allow_empty_roles: true)",
                          cfg->roles[i].name, cfg->roles[i].name);
    return 0;
}

static bool ssl_on(const struct kc_node *proxy, bool *custom)
{
    const struct kc_node *ssl = get(proxy, "ssl");
    bool b = false;
    *custom = ssl && ssl->type == KC_NODE_MAP;
    return *custom || (kc_node_bool(ssl, &b) && b);
}

/* The names proxy.host (comma list) or proxy.hosts give. */
static void proxy_hosts(const struct kc_node *proxy, struct kc_strvec *out)
{
    const struct kc_node *host = get(proxy, "host");
    if (host)
        kc_strvec_split(out, kc_node_text(host), ",");
    push_texts(out, get(proxy, "hosts"));
}

static int check_ssl(const struct kc_config *cfg, struct kc_err *err)
{
    struct kc_strvec seen = KC_STRVEC_INIT, dups = KC_STRVEC_INIT;
    int rc = 0;
    for (size_t i = 0; i < cfg->nroles && rc == 0; i++) {
        const struct kc_role *r = &cfg->roles[i];
        bool custom;
        if (!r->runs_proxy || !ssl_on(r->effective_proxy, &custom))
            continue;
        const struct kc_node *ssl = get(r->effective_proxy, "ssl");
        struct kc_strvec names = KC_STRVEC_INIT;
        proxy_hosts(r->effective_proxy, &names);
        if (names.n == 0)
            rc = err_at(err, mark_of(ssl),
                        "servers.%s.proxy: must set a host to enable automatic SSL", r->name);
        else if (r->hosts.n > 1 && !custom)
            rc = err_at(err, mark_of(ssl),
                        "SSL is only supported on a single server unless you provide custom "
                        "certificates, found %zu servers for role %s",
                        r->hosts.n, r->name);
        for (size_t j = 0; j < names.n; j++)
            if (!kc_strvec_push_unique(&seen, names.v[j]))
                kc_strvec_push_unique(&dups, names.v[j]);
        kc_strvec_release(&names);
    }
    if (rc == 0 && dups.n) {
        char *list = kc_strvec_join(&dups, ", ");
        rc = err_at(err, key_mark(cfg->tree.root, "proxy"),
                    "different roles can't share the same host for SSL: %s", list);
        free(list);
    }
    kc_strvec_release(&seen);
    kc_strvec_release(&dups);
    return rc;
}

/* Structural equality, mappings compared regardless of key order. */
static bool node_equal(const struct kc_node *a, const struct kc_node *b)
{
    if (kc_node_is_null(a) || kc_node_is_null(b))
        return kc_node_is_null(a) && kc_node_is_null(b);
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case KC_NODE_SCALAR:
        return strcmp(kc_node_text(a), kc_node_text(b)) == 0;
    case KC_NODE_SEQ:
        if (a->n != b->n)
            return false;
        for (size_t i = 0; i < a->n; i++)
            if (!node_equal(a->items[i], b->items[i]))
                return false;
        return true;
    case KC_NODE_MAP:
        if (a->npairs != b->npairs)
            return false;
        for (size_t i = 0; i < a->npairs; i++) {
            const struct kc_pair *p = kc_map_pair(b, a->pairs[i].key);
            if (p == NULL || !node_equal(a->pairs[i].value, p->value))
                return false;
        }
        return true;
    default:
        return true;
    }
}

/* The proxy.run in effect for the i-th role or accessory on host, with
 * where it is written (path and node) for errors. */
static const struct kc_node *proxy_run_on(const struct kc_config *cfg, size_t i, const char *host,
                                          char **path, const struct kc_node **where)
{
    const struct kc_node *own;
    if (i < cfg->nroles) {
        const struct kc_role *r = &cfg->roles[i];
        if (!r->runs_proxy || !kc_strvec_contains(&r->hosts, host))
            return NULL;
        own = get(get(r->node, "proxy"), "run");
        *path = own ? kc_xasprintf("servers.%s.proxy.run", r->name) : kc_xstrdup("proxy.run");
        *where = own ? own : get(cfg->proxy, "run");
        return get(r->effective_proxy, "run");
    }
    const struct kc_accessory *a = &cfg->accessories[i - cfg->nroles];
    if (!a->runs_proxy || !kc_strvec_contains(&a->hosts, host))
        return NULL;
    *path = kc_xasprintf("accessories.%s.proxy.run", a->name);
    *where = get(a->proxy, "run");
    return *where;
}

/* proxy.run of everything proxied on one host must agree. */
static int check_proxy_run_host(const struct kc_config *cfg, const char *host, struct kc_err *err)
{
    const struct kc_node *first = NULL;
    int rc = 0;
    for (size_t i = 0; i < cfg->nroles + cfg->naccessories && rc == 0; i++) {
        char *path = NULL;
        const struct kc_node *where = NULL;
        const struct kc_node *run = proxy_run_on(cfg, i, host, &path, &where);
        if (run && first && !node_equal(first, run))
            rc = err_at(err, mark_of(where), "%s: conflicting proxy run configurations for host %s",
                        path, host);
        if (run && first == NULL)
            first = run;
        free(path);
    }
    return rc;
}

static int check_proxy_run(const struct kc_config *cfg, struct kc_err *err)
{
    for (size_t i = 0; i < cfg->hosts.n; i++) {
        int rc = check_proxy_run_host(cfg, cfg->hosts.v[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

static int check_builder_remote(const struct kc_config *cfg, struct kc_err *err)
{
    const struct kc_node *remote = get(cfg->builder, "remote");
    const char *url = kc_node_text(remote);
    if (cfg->registry.local && url && !kc_starts_with(url, "ssh://"))
        return err_at(err, mark_of(remote),
                      "builder.remote: local registry with remote builder requires an SSH URL "
                      "(e.g., ssh://user@host)");
    return 0;
}

static int check_traefik_hooks(const struct kc_config *cfg, struct kc_err *err)
{
    static const char *const old[] = {"pre-traefik-reboot", "post-traefik-reboot"};
    struct kc_strvec found = KC_STRVEC_INIT;
    for (size_t i = 0; i < KC_ARRAY_LEN(old); i++) {
        char *path = kc_xasprintf("%s/%s", cfg->hooks_path, old[i]);
        if (access(path, F_OK) == 0)
            kc_strvec_push(&found, old[i]);
        free(path);
    }
    if (found.n == 0)
        return 0;
    char *list = kc_strvec_join(&found, ", ");
    kc_err_set(err, KC_ECONFIG, "found %s, these should be renamed to (pre|post)-proxy-reboot",
               list);
    free(list);
    kc_strvec_release(&found);
    return KC_ECONFIG;
}

static int check_destination(const struct kc_config *cfg, struct kc_err *err)
{
    if (!cfg->require_destination || cfg->destination)
        return 0;
    err_at(err, mark_of(get(cfg->tree.root, "require_destination")),
           "you must specify a destination");
    kc_err_set_hint(err, "this configuration sets require_destination: pass -d DESTINATION");
    return KC_ECONFIG;
}

/* ---- loading ------------------------------------------------------------------- */

static int read_error(const char *path, int e, struct kc_err *err)
{
    if (e == ENOENT)
        return kc_err_set(err, KC_ECONFIG, "configuration file not found: %s", path);
    if (e == EFBIG)
        return kc_err_at(err, KC_ECONFIG, path, 0, 0, "file too large (the limit is 1 MiB)");
    return kc_err_set(err, KC_ECONFIG, "cannot read %s: %s", path, strerror(e));
}

/* One file's text (named path in errors): ERB, YAML into tree. */
static int load_text(struct kc_tree *tree, const char *raw, size_t len, const char *path,
                     struct kc_err *err)
{
    struct kc_buf text = KC_BUF_INIT;
    struct kc_intvec lines = KC_INTVEC_INIT;
    int rc;
    if (len > KC_CONFIG_MAX_SIZE)
        rc = read_error(path, EFBIG, err);
    else if ((rc = kc_erb_render(raw, len, path, &text, &lines, err)) == 0)
        rc = kc_yaml_load(kc_buf_str(&text), text.len, path, lines.v, lines.n, tree, err);
    kc_buf_release(&text);
    kc_intvec_release(&lines);
    return rc;
}

/* One file: read, then load_text. */
static int load_file(struct kc_tree *tree, const char *path, struct kc_err *err)
{
    struct kc_buf raw = KC_BUF_INIT;
    int rc;
    if (kc_read_file(path, KC_CONFIG_MAX_SIZE, &raw) != 0)
        rc = read_error(path, errno, err);
    else
        rc = load_text(tree, raw.data, raw.len, path, err);
    kc_buf_release(&raw);
    return rc;
}

/* config/deploy.yml + staging -> config/deploy.staging.yml, as Ruby's
 * Pathname#sub_ext: the extension of the last component is replaced. */
static char *destination_file(const char *config_file, const char *destination)
{
    const char *base = strrchr(config_file, '/');
    base = base ? base + 1 : config_file;
    const char *name = base;
    while (*name == '.')
        name++;
    const char *dot = strrchr(name, '.');
    size_t keep = dot ? (size_t)(dot - config_file) : strlen(config_file);
    return kc_xasprintf("%.*s.%s.yml", (int)keep, config_file, destination);
}

static void set_env(const struct kc_load_opts *opts)
{
    if (opts->destination)
        setenv("KAMAL_DESTINATION", opts->destination, 1);
    else
        unsetenv("KAMAL_DESTINATION");
    if (opts->version)
        setenv("KAMAL_VERSION", opts->version, 1);
}

/* text: the base file's contents when the caller has them (NULL: read
 * cfg->config_file). The destination file is always read. */
static int load_tree(struct kc_config *cfg, const char *text, size_t len, struct kc_err *err)
{
    int rc = text ? load_text(&cfg->tree, text, len, cfg->config_file, err)
                  : load_file(&cfg->tree, cfg->config_file, err);
    if (rc || cfg->destination == NULL)
        return rc;
    struct kc_tree overlay = KC_TREE_INIT;
    cfg->dest_file = destination_file(cfg->config_file, cfg->destination);
    if ((rc = load_file(&overlay, cfg->dest_file, err)) == 0)
        kc_tree_merge(&cfg->tree, &overlay);
    kc_tree_release(&overlay);
    return rc;
}

/* Typed structs and the checks that need more than one key. */
/* ---- host names --------------------------------------------------------------
 * A host is handed to libssh (and shown in KAMAL_HOST and messages), never to a
 * shell; still, a name with blanks or shell syntax is a typo or worse, and is
 * refused with its location instead of failing at connect time. */

static int check_host_text(const char *host, const struct kc_mark *m, const char *path,
                           struct kc_err *err)
{
    if (host && kc_host_name_ok(host))
        return 0;
    return err_at(err, m, "%s: '%s' is not a host name or address", path, host ? host : "");
}

/* A servers entry: "host" or {host: tags}. */
static int check_host_entry(const struct kc_node *e, const char *path, struct kc_err *err)
{
    if (e->type == KC_NODE_MAP && e->npairs == 1)
        return check_host_text(e->pairs[0].key, &e->pairs[0].key_mark, path, err);
    return check_host_text(kc_node_text(e), mark_of(e), path, err);
}

static int check_host_list(const struct kc_node *list, const char *path, struct kc_err *err)
{
    for (size_t i = 0; list && list->type == KC_NODE_SEQ && i < list->n; i++) {
        char *p = kc_xasprintf("%s[%zu]", path, i);
        int rc = check_host_entry(list->items[i], p, err);
        free(p);
        if (rc)
            return rc;
    }
    return 0;
}

static int check_host_names(const struct kc_config *cfg, struct kc_err *err)
{
    const struct kc_node *servers = get(cfg->tree.root, "servers");
    int rc = check_host_list(servers, "servers", err);
    for (size_t i = 0; rc == 0 && servers && servers->type == KC_NODE_MAP && i < servers->npairs;
         i++) {
        const struct kc_node *role = servers->pairs[i].value;
        char *path = kc_xasprintf("servers.%s%s", servers->pairs[i].key,
                                  role && role->type == KC_NODE_MAP ? ".hosts" : "");
        rc = check_host_list(role && role->type == KC_NODE_MAP ? get(role, "hosts") : role, path,
                             err);
        free(path);
    }
    const struct kc_node *accs = get(cfg->tree.root, "accessories");
    for (size_t i = 0; rc == 0 && accs && accs->type == KC_NODE_MAP && i < accs->npairs; i++) {
        const struct kc_node *acc = accs->pairs[i].value;
        const struct kc_node *one = get(acc, "host");
        char *path = kc_xasprintf("accessories.%s.host", accs->pairs[i].key);
        if (one)
            rc = check_host_text(kc_node_text(one), mark_of(one), path, err);
        free(path);
        path = kc_xasprintf("accessories.%s.hosts", accs->pairs[i].key);
        if (rc == 0)
            rc = check_host_list(get(acc, "hosts"), path, err);
        free(path);
    }
    return rc;
}

static int build(struct kc_config *cfg, struct kc_err *err)
{
    int rc;
    fill_root(cfg);
    if ((rc = check_destination(cfg, err)) != 0)
        return rc;
    fill_roles(cfg);
    if ((rc = fill_accessories(cfg, err)) != 0)
        return rc;
    fill_hosts(cfg);
    fill_derived(cfg);
    if ((rc = check_host_names(cfg, err)) != 0 || (rc = check_roles(cfg, err)) != 0 ||
        (rc = check_ssl(cfg, err)) != 0 ||
        (rc = check_proxy_run(cfg, err)) != 0 || (rc = check_builder_remote(cfg, err)) != 0 ||
        (rc = check_traefik_hooks(cfg, err)) != 0)
        return rc;
    return 0;
}

void kc_config_init(struct kc_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->retain_containers = cfg->readiness_delay = -1;
    cfg->deploy_timeout = cfg->drain_timeout = cfg->stop_timeout = -1;
    cfg->boot_limit = cfg->boot_wait = -1;
}

static int load(struct kc_config *cfg, const char *text, size_t len, const char *file_name,
                const struct kc_load_opts *opts, struct kc_err *err)
{
    static const struct kc_load_opts none = {0};
    int rc;
    opts = opts ? opts : &none;
    if (file_name == NULL)
        file_name = opts->config_file ? opts->config_file : "config/deploy.yml";
    cfg->config_file = kc_xstrdup(file_name);
    cfg->destination = opts->destination ? kc_xstrdup(opts->destination) : NULL;
    set_env(opts);
    if ((rc = load_tree(cfg, text, len, err)) != 0 || opts->skip_validation)
        return rc;
    const char *const *builtins =
        opts->builtin_commands ? opts->builtin_commands : kc_config_builtin_commands;
    if ((rc = kc_schema_validate(cfg->tree.root, cfg->config_file, builtins, err)) != 0)
        return rc;
    return build(cfg, err);
}

int kc_config_load(struct kc_config *cfg, const struct kc_load_opts *opts, struct kc_err *err)
{
    return load(cfg, NULL, 0, NULL, opts, err);
}

int kc_config_load_text(struct kc_config *cfg, const char *text, size_t len, const char *file_name,
                        const struct kc_load_opts *opts, struct kc_err *err)
{
    return load(cfg, text ? text : "", text ? len : 0, file_name, opts, err);
}

void kc_config_release(struct kc_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->config_file);
    free(cfg->dest_file);
    free(cfg->destination);
    free(cfg->service);
    free(cfg->image);
    release_registry(&cfg->registry);
    kc_kvlist_release(&cfg->labels);
    kc_strvec_release(&cfg->volumes);
    for (size_t i = 0; i < cfg->nroles; i++)
        release_role(&cfg->roles[i]);
    free(cfg->roles);
    for (size_t i = 0; i < cfg->nservers; i++) {
        free(cfg->servers[i].host);
        kc_strvec_release(&cfg->servers[i].tags);
    }
    free(cfg->servers);
    kc_strvec_release(&cfg->hosts);
    kc_env_release(&cfg->env);
    for (size_t i = 0; i < cfg->env_tag_keys.n; i++)
        kc_env_release(&cfg->env_tags[i]);
    free(cfg->env_tags);
    kc_strvec_release(&cfg->env_tag_keys);
    for (size_t i = 0; i < cfg->naccessories; i++)
        release_accessory(&cfg->accessories[i]);
    free(cfg->accessories);
    release_ssh(&cfg->ssh);
    release_logging(&cfg->logging);
    kc_kvlist_release(&cfg->aliases);
    free(cfg->hooks_path);
    free(cfg->secrets_path);
    free(cfg->primary_role);
    free(cfg->minimum_version);
    free(cfg->asset_path);
    free(cfg->error_pages_path);
    free(cfg->primary_host);
    free(cfg->service_and_destination);
    free(cfg->run_dir);
    free(cfg->lock_dir);
    free(cfg->audit_log);
    free(cfg->app_dir);
    free(cfg->accessory_env_dir);
    kc_tree_release(&cfg->tree);
    kc_config_init(cfg);
}

/* ---- lookups and accessory paths ------------------------------------------------ */

const struct kc_accessory *kc_config_accessory(const struct kc_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->naccessories; i++)
        if (strcmp(cfg->accessories[i].name, name) == 0)
            return &cfg->accessories[i];
    return NULL;
}

const struct kc_role *kc_config_role(const struct kc_config *cfg, const char *name)
{
    for (size_t i = 0; name && i < cfg->nroles; i++)
        if (strcmp(cfg->roles[i].name, name) == 0)
            return &cfg->roles[i];
    return NULL;
}

void kc_config_roles_of_host(const struct kc_config *cfg, const char *host, struct kc_strvec *out)
{
    for (size_t i = 0; i < cfg->nroles; i++)
        if (kc_strvec_contains(&cfg->roles[i].hosts, host))
            kc_strvec_push(out, cfg->roles[i].name);
}

const struct kc_strvec *kc_config_host_tags(const struct kc_config *cfg, const char *host)
{
    for (size_t i = 0; i < cfg->nservers; i++)
        if (strcmp(cfg->servers[i].host, host) == 0)
            return &cfg->servers[i].tags;
    return NULL;
}

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
