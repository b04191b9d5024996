/* dump.c - what `kamal-c config` prints.
 *
 * The keys and their order follow Kamal's Configuration#to_h; the values are
 * built as a node tree so that YAML (kc_node_to_yaml) and JSON come from one
 * place. Nothing secret is printed: secrets are not loaded at this point, and
 * the values that could still hold a credential written straight into
 * deploy.yml (registry passwords, inline SSH keys) are replaced. */
#include "kamal-c/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

#define REDACTED "[REDACTED]"

static const struct kc_mark nowhere = {NULL, 0, 0};

static struct kc_node *str_node(const char *s)
{
    return kc_node_new_scalar(s, strlen(s), true, nowhere);
}

static struct kc_node *plain_node(const char *s)
{
    return kc_node_new_scalar(s, strlen(s), false, nowhere);
}

static struct kc_node *long_node(long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", v);
    return plain_node(buf);
}

static struct kc_node *map_node(void)
{
    return kc_node_new(KC_NODE_MAP, nowhere);
}

static struct kc_node *seq_node(const struct kc_strvec *sv)
{
    struct kc_node *seq = kc_node_new(KC_NODE_SEQ, nowhere);
    for (size_t i = 0; sv && i < sv->n; i++)
        kc_node_seq_push(seq, str_node(sv->v[i]));
    return seq;
}

static void put(struct kc_node *map, const char *key, struct kc_node *value)
{
    kc_node_map_push(map, key, nowhere, value);
}

static void put_str(struct kc_node *map, const char *key, const char *value)
{
    if (value)
        put(map, key, str_node(value));
}

/* Ruby's String#dump as Kamal's escape_shell_value uses it, for the
 * argument lists (--log-opt max-size="10m"). */
static char *dumped(const char *s)
{
    struct kc_buf b = KC_BUF_INIT;
    kc_buf_addc(&b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\' || *s == '`' || (*s == '$' && s[1] != '{'))
            kc_buf_addc(&b, '\\');
        if (*s == '\n')
            kc_buf_adds(&b, "\\n");
        else
            kc_buf_addc(&b, *s);
    }
    kc_buf_addc(&b, '"');
    return kc_buf_detach(&b);
}

static int compare_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Kamal lists roles sorted by name and hosts in that role order. */
static void roles_and_hosts(const struct kc_config *cfg, struct kc_node *doc)
{
    struct kc_strvec names = KC_STRVEC_INIT, hosts = KC_STRVEC_INIT;
    for (size_t i = 0; i < cfg->nroles; i++)
        kc_strvec_push(&names, cfg->roles[i].name);
    kc_strvec_sort(&names, compare_str);
    for (size_t i = 0; i < names.n; i++) {
        const struct kc_role *r = kc_config_role(cfg, names.v[i]);
        for (size_t j = 0; j < r->hosts.n; j++)
            kc_strvec_push_unique(&hosts, r->hosts.v[j]);
    }
    for (size_t i = 0; i < cfg->naccessories; i++)
        for (size_t j = 0; j < cfg->accessories[i].hosts.n; j++)
            kc_strvec_push_unique(&hosts, cfg->accessories[i].hosts.v[j]);
    put(doc, "roles", seq_node(&names));
    put(doc, "hosts", seq_node(&hosts));
    kc_strvec_release(&names);
    kc_strvec_release(&hosts);
}

static void image_keys(const struct kc_config *cfg, const char *version, struct kc_node *doc)
{
    char *repository = cfg->registry.server
                           ? kc_xasprintf("%s/%s", cfg->registry.server, cfg->image)
                           : kc_xstrdup(cfg->image ? cfg->image : "");
    put_str(doc, "version", version);
    put_str(doc, "repository", repository);
    if (version) {
        char *s = kc_xasprintf("%s:%s", repository, version);
        put_str(doc, "absolute_image", s);
        free(s);
        s = kc_xasprintf("%s-%s", cfg->service, version);
        put_str(doc, "service_with_version", s);
        free(s);
    }
    free(repository);
}

static void volume_args(const struct kc_config *cfg, struct kc_node *doc)
{
    struct kc_strvec args = KC_STRVEC_INIT;
    for (size_t i = 0; i < cfg->volumes.n; i++) {
        kc_strvec_push(&args, "--volume");
        kc_strvec_push(&args, cfg->volumes.v[i]);
    }
    put(doc, "volume_args", seq_node(&args));
    kc_strvec_release(&args);
}

static struct kc_node *key_data_node(const struct kc_strvec *key_data)
{
    struct kc_node *seq = kc_node_new(KC_NODE_SEQ, nowhere);
    for (size_t i = 0; i < key_data->n; i++) {
        bool inline_key = strstr(key_data->v[i], "-----BEGIN") != NULL;
        kc_node_seq_push(seq, str_node(inline_key ? REDACTED : key_data->v[i]));
    }
    return seq;
}

static void ssh_options(const struct kc_config *cfg, struct kc_node *doc)
{
    static const char *const config_modes[] = {NULL, "true", "false", NULL};
    const struct kc_ssh *ssh = &cfg->ssh;
    struct kc_node *m = map_node();
    put_str(m, "user", ssh->user);
    put(m, "port", long_node(ssh->port));
    if (ssh->proxy) {
        char *jump =
            strchr(ssh->proxy, '@') ? kc_xstrdup(ssh->proxy) : kc_xasprintf("root@%s", ssh->proxy);
        put_str(m, "proxy", jump);
        free(jump);
    }
    put_str(m, "proxy_command", ssh->proxy_command);
    put(m, "keepalive", plain_node("true"));
    put(m, "keepalive_interval", long_node(30));
    if (ssh->keys_only)
        put(m, "keys_only", plain_node("true"));
    if (ssh->keys.n)
        put(m, "keys", seq_node(&ssh->keys));
    if (ssh->key_data.n)
        put(m, "key_data", key_data_node(&ssh->key_data));
    if (ssh->config_mode == KC_SSH_CONFIG_FILES)
        put(m, "config", seq_node(&ssh->config_files));
    else if (config_modes[ssh->config_mode])
        put(m, "config", plain_node(config_modes[ssh->config_mode]));
    if (ssh->forward_agent)
        put(m, "forward_agent", plain_node("true"));
    put_str(m, "log_level", ssh->log_level);
    put(doc, "ssh_options", m);
}

static void sshkit(const struct kc_config *cfg, struct kc_node *doc)
{
    struct kc_node *m = map_node();
    put(m, "max_concurrent_starts", long_node(cfg->sshkit.max_concurrent_starts));
    put(m, "pool_idle_timeout", long_node(cfg->sshkit.pool_idle_timeout));
    put(m, "dns_retries", long_node(cfg->sshkit.dns_retries));
    put(doc, "sshkit", m);
}

static void redact_key(struct kc_node *map, const char *key, bool always)
{
    for (size_t i = 0; map && map->type == KC_NODE_MAP && i < map->npairs; i++) {
        struct kc_pair *p = &map->pairs[i];
        if (strcmp(p->key, key) != 0 || !(always || p->value->type == KC_NODE_SEQ))
            continue;
        kc_node_free(p->value);
        p->value = str_node(REDACTED);
    }
}

/* The raw accessories, each registry's credentials replaced. */
static void accessories(const struct kc_config *cfg, struct kc_node *doc)
{
    const struct kc_node *raw = kc_map_get(cfg->tree.root, "accessories");
    if (raw == NULL)
        return;
    struct kc_node *copy = kc_node_clone(raw);
    for (size_t i = 0; copy->type == KC_NODE_MAP && i < copy->npairs; i++) {
        struct kc_node *registry = kc_map_get(copy->pairs[i].value, "registry");
        redact_key(registry, "password", true);
        redact_key(registry, "username", false);
    }
    put(doc, "accessories", copy);
}

/* Kamal's logging_args; the loader applied the max-size=10m default. */
static void logging_args(const struct kc_config *cfg, struct kc_node *doc)
{
    struct kc_strvec args = KC_STRVEC_INIT;
    const struct kc_logging *l = &cfg->logging;
    if (l->driver) {
        kc_strvec_push(&args, "--log-driver");
        kc_strvec_push_nodup(&args, dumped(l->driver));
    }
    for (size_t i = 0; i < l->options.n; i++) {
        char *v = dumped(l->options.v[i].value);
        kc_strvec_push(&args, "--log-opt");
        kc_strvec_pushf(&args, "%s=%s", l->options.v[i].key, v);
        free(v);
    }
    put(doc, "logging", seq_node(&args));
    kc_strvec_release(&args);
}

static struct kc_node *build_doc(const struct kc_config *cfg, const char *version)
{
    struct kc_node *doc = map_node();
    roles_and_hosts(cfg, doc);
    put_str(doc, "primary_host", cfg->primary_host);
    image_keys(cfg, version, doc);
    volume_args(cfg, doc);
    ssh_options(cfg, doc);
    sshkit(cfg, doc);
    if (cfg->builder.node)
        put(doc, "builder", kc_node_clone(cfg->builder.node));
    accessories(cfg, doc);
    logging_args(cfg, doc);
    return doc;
}

/* Scalars keep their YAML type: plain 80 is a number, quoted "80" a string. */
static cJSON *to_json(const struct kc_node *n)
{
    bool b;
    long l;
    if (kc_node_is_null(n))
        return cJSON_CreateNull();
    if (n->type == KC_NODE_SEQ) {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < n->n; i++)
            cJSON_AddItemToArray(a, to_json(n->items[i]));
        return a;
    }
    if (n->type == KC_NODE_MAP) {
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0; i < n->npairs; i++)
            cJSON_AddItemToObject(o, n->pairs[i].key, to_json(n->pairs[i].value));
        return o;
    }
    if (kc_node_bool(n, &b))
        return cJSON_CreateBool(b);
    if (kc_node_long(n, &l))
        return cJSON_CreateNumber((double)l);
    return cJSON_CreateString(kc_node_text(n));
}

void kc_config_dump_yaml(const struct kc_config *cfg, const char *version, struct kc_buf *out)
{
    struct kc_node *doc = build_doc(cfg, version);
    kc_node_to_yaml(doc, out);
    kc_node_free(doc);
}

void kc_config_dump_json(const struct kc_config *cfg, const char *version, struct kc_buf *out)
{
    struct kc_node *doc = build_doc(cfg, version);
    cJSON *j = to_json(doc);
    char *s = cJSON_Print(j);
    kc_buf_adds(out, s ? s : "{}");
    kc_buf_addc(out, '\n');
    cJSON_free(s);
    cJSON_Delete(j);
    kc_node_free(doc);
}
