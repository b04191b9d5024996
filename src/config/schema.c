/* schema.c - the deploy.yml schema table (Kamal 2.12) and its validator.
 *
 * The tables are read bottom-up: leaf schemas first, then the sections that
 * use them, the root last. Kamal's own validator takes each key's type from
 * its example YAML files (lib/kamal/configuration/docs); these rows carry
 * the same types, plus what Kamal checks in code, so that a wrong deploy.yml
 * is rejected before anything else happens. */
#include "schema.h"
#include "kamal-c/docs.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/defaults.h"
#include "kamal-c/version.h"

struct kc_vctx {
    struct kc_err *err;
    struct kc_buf path;
    const struct kc_mark *key_mark; /* the key holding the node being walked */
    const char *const *builtins;
};

static int walk(struct kc_vctx *vc, const struct kc_schema *s, const struct kc_node *n);
static int walk_values(struct kc_vctx *vc, const struct kc_schema *s, const struct kc_node *n);

/* ---- small helpers for checks ------------------------------------------ */

static const char *text(const struct kc_node *n)
{
    return kc_node_is_null(n) ? NULL : kc_node_text(n);
}

static const struct kc_node *get(const struct kc_node *map, const char *key)
{
    if (map == NULL || map->type != KC_NODE_MAP)
        return NULL;
    return kc_map_get(map, key);
}

static bool has(const struct kc_node *map, const char *key)
{
    return map && map->type == KC_NODE_MAP && kc_map_pair(map, key) != NULL;
}

/* Ruby's present?: not nil, not false, not an empty string/array/hash. */
static bool present(const struct kc_node *n)
{
    bool b;
    if (kc_node_is_null(n))
        return false;
    switch (n->type) {
    case KC_NODE_SCALAR:
        if (kc_node_bool(n, &b))
            return b;
        return n->len > 0 && strspn(n->str, " \t\r\n") < n->len;
    case KC_NODE_SEQ:
        return n->n > 0;
    case KC_NODE_MAP:
        return n->npairs > 0;
    default:
        return false;
    }
}

static size_t path_push(struct kc_vctx *vc, const char *key)
{
    size_t old = vc->path.len;
    if (old)
        kc_buf_addc(&vc->path, '.');
    kc_buf_adds(&vc->path, key);
    return old;
}

static size_t path_push_index(struct kc_vctx *vc, size_t i)
{
    size_t old = vc->path.len;
    kc_buf_addf(&vc->path, "[%zu]", i);
    return old;
}

static void path_pop_buf(struct kc_buf *path, size_t old)
{
    path->len = old;
    if (path->data)
        path->data[old] = '\0';
}

static void path_pop(struct kc_vctx *vc, size_t old)
{
    path_pop_buf(&vc->path, old);
}

int kc_vctx_error(struct kc_vctx *vc, const struct kc_mark *mark, const char *key, const char *fmt,
                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = kc_xvasprintf(fmt, ap);
    va_end(ap);
    size_t old = key ? path_push(vc, key) : vc->path.len;
    const char *path = kc_buf_str(&vc->path);
    if (*path)
        kc_err_at(vc->err, KC_ECONFIG, mark->file, mark->line, mark->col, "%s: %s", path, msg);
    else
        kc_err_at(vc->err, KC_ECONFIG, mark->file, mark->line, mark->col, "%s", msg);
    path_pop(vc, old);
    free(msg);
    return KC_ECONFIG;
}

const struct kc_mark *kc_vctx_where(const struct kc_vctx *vc, const struct kc_node *n)
{
    return vc->key_mark ? vc->key_mark : &n->mark;
}

/* ---- custom checks ------------------------------------------------------ */

static int check_service_name(struct kc_vctx *vc, const struct kc_node *n)
{
    const char *s = text(n);
    if (*s &&
        strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == strlen(s))
        return 0;
    return kc_vctx_error(vc, &n->mark, NULL,
                         "can only include alphanumeric characters, hyphens, and underscores, "
                         "got '%s'",
                         s);
}

static int check_retain(struct kc_vctx *vc, const struct kc_node *n)
{
    long v = 0;
    if (kc_node_long(n, &v) && v >= 1)
        return 0;
    return kc_vctx_error(vc, &n->mark, NULL, "must retain at least 1 container, got %ld", v);
}

static bool valid_version(const char *s)
{
    if (!isdigit((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.')
            return false;
    return s[-1] != '.';
}

static int check_min_version(struct kc_vctx *vc, const struct kc_node *n)
{
    const char *v = text(n);
    if (!valid_version(v))
        return kc_vctx_error(vc, &n->mark, NULL, "malformed version number '%s'", v);
    if (kc_version_compare(v, KC_KAMAL_COMPAT_VERSION) > 0)
        return kc_vctx_error(vc, &n->mark, NULL, "current version is %s, minimum required is %s",
                             KC_KAMAL_COMPAT_VERSION, v);
    return 0;
}

static int check_labels(struct kc_vctx *vc, const struct kc_node *n)
{
    static const char *const reserved[] = {"destination", "role", "service"};
    for (size_t i = 0; i < n->npairs; i++)
        for (size_t j = 0; j < KC_ARRAY_LEN(reserved); j++)
            if (strcmp(n->pairs[i].key, reserved[j]) == 0)
                return kc_vctx_error(vc, &n->pairs[i].key_mark, n->pairs[i].key,
                                     "invalid label, destination, role, and service are "
                                     "reserved labels");
    return 0;
}

static bool valid_restart(const char *s)
{
    static const char *const fixed[] = {"no", "always", "unless-stopped", "on-failure"};
    for (size_t i = 0; i < KC_ARRAY_LEN(fixed); i++)
        if (strcmp(s, fixed[i]) == 0)
            return true;
    if (!kc_starts_with(s, "on-failure:") || s[11] == '\0')
        return false;
    return strspn(s + 11, "0123456789") == strlen(s + 11);
}

/* docker run options: restart must be a quoted policy (a plain `no` is a
 * YAML boolean, the classic trap). */
static int check_docker_options(struct kc_vctx *vc, const struct kc_node *n)
{
    const struct kc_pair *p = kc_map_pair(n, "restart");
    if (p == NULL)
        return 0;
    const struct kc_node *v = p->value;
    long l;
    bool b;
    if (v->type != KC_NODE_SCALAR || kc_node_is_null(v) || kc_node_bool(v, &b) ||
        kc_node_long(v, &l))
        return kc_vctx_error(vc, &v->mark, "restart",
                             "expected a string, got %s (use \"no\" to disable restarts)",
                             kc_node_kind(v));
    if (!valid_restart(text(v)))
        return kc_vctx_error(vc, &v->mark, "restart",
                             "should be no, always, unless-stopped, on-failure, or "
                             "on-failure:N, got '%s'",
                             text(v));
    return 0;
}

/* username/password: a string, or [SECRET_NAME]. */
static int check_secret_ref(struct kc_vctx *vc, const struct kc_node *n)
{
    if (n->type == KC_NODE_SEQ && n->n != 1)
        return kc_vctx_error(vc, &n->mark, NULL,
                             "expected a string or a sequence with one secret name, got %zu "
                             "items",
                             n->n);
    if (!present(n->type == KC_NODE_SEQ ? n->items[0] : n))
        return kc_vctx_error(vc, &n->mark, NULL, "must not be empty");
    return 0;
}

static bool local_registry(const struct kc_node *registry)
{
    const char *server = text(get(registry, "server"));
    return server && kc_starts_with(server, "localhost:");
}

static int check_registry(struct kc_vctx *vc, const struct kc_node *n)
{
    static const char *const creds[] = {"username", "password"};
    if (local_registry(n))
        return 0;
    for (size_t i = 0; i < KC_ARRAY_LEN(creds); i++)
        if (!has(n, creds[i]))
            return kc_vctx_error(vc, kc_vctx_where(vc, n), NULL, "missing required key '%s'",
                                 creds[i]);
    return 0;
}

static int check_host_entry(struct kc_vctx *vc, const struct kc_node *n)
{
    if (n->type == KC_NODE_MAP && n->npairs != 1)
        return kc_vctx_error(vc, &n->mark, NULL, "expected one host with its tags, found %zu hosts",
                             n->npairs);
    return 0;
}

static int check_accessory(struct kc_vctx *vc, const struct kc_node *n)
{
    static const char *const placements[] = {"host", "hosts", "role", "roles", "tag", "tags"};
    size_t count = 0;
    const struct kc_pair *second = NULL;
    for (size_t i = 0; i < KC_ARRAY_LEN(placements); i++) {
        const struct kc_pair *p = kc_map_pair(n, placements[i]);
        if (p && ++count == 2)
            second = p;
    }
    if (count == 1)
        return 0;
    const struct kc_mark *m = second ? &second->key_mark : kc_vctx_where(vc, n);
    return kc_vctx_error(vc, m, NULL,
                         "specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`%s",
                         count ? " (found more than one)" : "");
}

/* files/directories entry as a string: local:remote[:options]. */
static int check_path_entry(struct kc_vctx *vc, const struct kc_node *n)
{
    if (n->type != KC_NODE_SCALAR)
        return 0;
    const char *s = text(n);
    const char *colon = strchr(s, ':');
    if (colon && colon > s && colon[1] && colon[1] != ':')
        return 0;
    return kc_vctx_error(vc, &n->mark, NULL, "expected 'local:remote[:options]', got '%s'", s);
}

static bool proxy_ssl_on(const struct kc_node *proxy)
{
    const struct kc_node *ssl = get(proxy, "ssl");
    bool b;
    if (ssl == NULL)
        return false;
    if (kc_node_bool(ssl, &b))
        return b;
    return ssl->type == KC_NODE_MAP;
}

static int check_host_or_hosts(struct kc_vctx *vc, const struct kc_node *n)
{
    const struct kc_pair *hosts = kc_map_pair(n, "hosts");
    if (has(n, "host") && hosts)
        return kc_vctx_error(vc, &hosts->key_mark, NULL,
                             "specify one of 'host' or 'hosts', not both");
    return 0;
}

/* A role's proxy may take its host from the root proxy: config.c checks the
 * merged result for SSL. */
static int check_role_proxy(struct kc_vctx *vc, const struct kc_node *n)
{
    if (n->type != KC_NODE_MAP)
        return 0;
    return check_host_or_hosts(vc, n);
}

static int check_proxy(struct kc_vctx *vc, const struct kc_node *n)
{
    int rc;
    if (n->type != KC_NODE_MAP)
        return 0;
    if ((rc = check_host_or_hosts(vc, n)) != 0)
        return rc;
    if (proxy_ssl_on(n) && !present(get(n, "host")) && !present(get(n, "hosts")))
        return kc_vctx_error(vc, &get(n, "ssl")->mark, NULL,
                             "must set a host to enable automatic SSL");
    return 0;
}

/* Kamal builds a proxy for an accessory only from a mapping: true is
 * refused ("should be a hash"); false means no proxy. */
static int check_accessory_proxy(struct kc_vctx *vc, const struct kc_node *n)
{
    bool b;
    if (kc_node_bool(n, &b) && b)
        return kc_vctx_error(vc, &n->mark, NULL,
                             "expected a mapping (or false), got a boolean ('true')");
    return check_proxy(vc, n);
}

static bool valid_ip(const char *s)
{
    unsigned char buf[16];
    size_t n = strlen(s);
    if (n > 2 && s[0] == '[' && s[n - 1] == ']') {
        char inner[64];
        if (n - 2 >= sizeof inner)
            return false;
        memcpy(inner, s + 1, n - 2);
        inner[n - 2] = '\0';
        return inet_pton(AF_INET6, inner, buf) == 1;
    }
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int check_proxy_run(struct kc_vctx *vc, const struct kc_node *n)
{
    bool publish = true;
    const struct kc_node *ips = get(n, "bind_ips");
    kc_node_bool(get(n, "publish"), &publish);
    if (!publish && (has(n, "http_port") || has(n, "https_port") || ips))
        return kc_vctx_error(vc, &get(n, "publish")->mark, NULL,
                             "cannot set http_port, https_port or bind_ips when publish is "
                             "false");
    for (size_t i = 0; ips && i < ips->n; i++) {
        if (!valid_ip(text(ips->items[i]))) {
            size_t old = path_push(vc, "bind_ips");
            path_push_index(vc, i);
            kc_vctx_error(vc, &ips->items[i]->mark, NULL, "invalid publish IP address: %s",
                          text(ips->items[i]));
            path_pop(vc, old);
            return KC_ECONFIG;
        }
    }
    return 0;
}

static int check_builder(struct kc_vctx *vc, const struct kc_node *n)
{
    const struct kc_node *arch = get(n, "arch");
    bool local = true;
    if (arch && !present(arch))
        return kc_vctx_error(vc, &arch->mark, "arch", "must not be empty (builder arch not set)");
    if (kc_node_bool(get(n, "local"), &local) && !local && !present(get(n, "remote")))
        return kc_vctx_error(vc, &get(n, "local")->mark, NULL,
                             "cannot disable local builds, no remote is set");
    if (has(n, "pack") && arch && arch->type == KC_NODE_SEQ && arch->n > 1)
        return kc_vctx_error(vc, &arch->mark, NULL,
                             "buildpacks only support building for one arch");
    return 0;
}

/* boot.limit: an integer, or a percentage of all hosts ("25%"). */
static int check_boot_limit(struct kc_vctx *vc, const struct kc_node *n)
{
    long v;
    const char *s = text(n);
    size_t len = strlen(s);
    if (kc_node_long(n, &v) && v >= 1)
        return 0;
    if (len > 1 && s[len - 1] == '%' && strspn(s, "0123456789") == len - 1)
        return 0;
    return kc_vctx_error(vc, &n->mark, NULL,
                         "expected a positive integer or a percentage such as '25%%', got '%s'", s);
}

/* ssh.config: a boolean, a path or a list of paths. A number is no path
 * (Kamal: "should be a boolean or a string or an array"). */
static int check_ssh_config(struct kc_vctx *vc, const struct kc_node *n)
{
    const char *kind = kc_node_kind(n);
    if (n->type == KC_NODE_SCALAR &&
        (strcmp(kind, "an integer") == 0 || strcmp(kind, "a float") == 0))
        return kc_vctx_error(vc, &n->mark, NULL,
                             "expected a string, a boolean or a sequence, got %s ('%s')", kind,
                             text(n));
    return 0;
}

/* output.file and output.otel: Kamal's loggers refuse to start without
 * their one setting. */
static int check_file_output(struct kc_vctx *vc, const struct kc_node *n)
{
    if (!has(n, "path"))
        return kc_vctx_error(vc, kc_vctx_where(vc, n), NULL, "file path is required");
    return 0;
}

static int check_otel_output(struct kc_vctx *vc, const struct kc_node *n)
{
    if (!has(n, "endpoint"))
        return kc_vctx_error(vc, kc_vctx_where(vc, n), NULL, "OTel endpoint is required");
    return 0;
}

static int check_port(struct kc_vctx *vc, const struct kc_node *n)
{
    long v;
    if (kc_parse_long(text(n), &v) && v > 0 && v < 65536)
        return 0;
    return kc_vctx_error(vc, &n->mark, NULL, "expected a port number, got '%s'", text(n));
}

static int check_aliases(struct kc_vctx *vc, const struct kc_node *n)
{
    for (size_t i = 0; i < n->npairs; i++) {
        const struct kc_pair *p = &n->pairs[i];
        const char *name = p->key;
        if (*name == '\0' || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(name))
            return kc_vctx_error(vc, &p->key_mark, name,
                                 "invalid alias name '%s', use only lowercase letters, digits, "
                                 "hyphens and underscores",
                                 name);
        for (size_t j = 0; vc->builtins && vc->builtins[j]; j++)
            if (strcmp(name, vc->builtins[j]) == 0)
                return kc_vctx_error(vc, &p->key_mark, name,
                                     "alias '%s' conflicts with a built-in command", name);
    }
    return 0;
}

/* env: the simple form is a mapping of names to values; the complex form
 * has clear:, secret: and (at the root only) tags:. */
static const struct kc_schema s_env_value;
static const struct kc_schema s_env_complex;

static int check_env_form(struct kc_vctx *vc, const struct kc_node *n, bool root)
{
    static const char *const special[] = {"clear", "secret", "tags"};
    bool complex = false;
    for (size_t i = 0; i < KC_ARRAY_LEN(special); i++)
        complex = complex || has(n, special[i]);
    if (!complex) {
        return walk_values(vc, &s_env_value, n);
    }
    const struct kc_pair *tags = kc_map_pair(n, "tags");
    if (tags && !root)
        return kc_vctx_error(vc, &tags->key_mark, NULL, "tags are only allowed in the root env");
    return walk(vc, &s_env_complex, n);
}

static int check_env_root(struct kc_vctx *vc, const struct kc_node *n)
{
    return check_env_form(vc, n, true);
}

static int check_env_nested(struct kc_vctx *vc, const struct kc_node *n)
{
    return check_env_form(vc, n, false);
}

static int check_root(struct kc_vctx *vc, const struct kc_node *n)
{
    if (!has(n, "image") && !local_registry(get(n, "registry")))
        return kc_vctx_error(vc, &n->mark, NULL, "missing required key 'image'");
    return 0;
}

/* ---- the table ---------------------------------------------------------- */

/* clang-format off */
#define FIELD(n, s)             {.name = n, .schema = &(s)}
#define FIELD_D(n, s, d)        {.name = n, .schema = &(s), .dflt = d}
#define FIELD_REQ(n, s)         {.name = n, .schema = &(s), .flags = KC_F_REQUIRED}
#define FIELD_REQ_NOTE(n, s, h) {.name = n, .schema = &(s), .flags = KC_F_REQUIRED, .note = h}
#define FIELD_FLAGS(n, s, f)    {.name = n, .schema = &(s), .flags = f}
#define FIELDS_END              {NULL, NULL, 0, NULL, NULL}
/* clang-format on */

/* leaves */
static const struct kc_schema s_str = {.types = KC_T_STR};
static const struct kc_schema s_int = {.types = KC_T_INT};
static const struct kc_schema s_bool = {.types = KC_T_BOOL};
static const struct kc_schema s_str_or_int = {.types = KC_T_STR | KC_T_INT};
static const struct kc_schema s_strs = {.types = KC_T_SEQ, .items = &s_str};
static const struct kc_schema s_str_or_strs = {.types = KC_T_STR | KC_T_SEQ, .items = &s_str};
static const struct kc_schema s_str_map = {.types = KC_T_HASH, .values = &s_str};
static const struct kc_schema s_env_value = {.types = KC_T_STR};
static const struct kc_schema s_labels = {
    .types = KC_T_HASH, .values = &s_str, .check = check_labels};
static const struct kc_schema s_option_value = {.types = KC_T_STR | KC_T_SEQ, .items = &s_str};
static const struct kc_schema s_docker_options = {
    .types = KC_T_HASH, .values = &s_option_value, .check = check_docker_options};
static const struct kc_schema s_port = {.types = KC_T_STR | KC_T_INT, .check = check_port};

/* root scalars with their own rules */
static const struct kc_schema s_service = {.types = KC_T_STR, .check = check_service_name};
static const struct kc_schema s_retain = {.types = KC_T_INT, .check = check_retain};
static const struct kc_schema s_min_version = {.types = KC_T_STR, .check = check_min_version};

static const char *const hooks_levels[] = {"quiet", "verbose", NULL};
static const struct kc_schema s_hooks_level = {.types = KC_T_STR, .choices = hooks_levels};
static const struct kc_schema s_hooks_output = {
    .types = KC_T_STR | KC_T_HASH, .values = &s_hooks_level, .choices = hooks_levels};

/* env */
static const struct kc_schema s_env = {.types = KC_T_HASH, .check = check_env_nested, .doc = "env"};
static const struct kc_schema s_env_tag = {.types = KC_T_HASH, .check = check_env_nested};
static const struct kc_schema s_env_tags = {.types = KC_T_HASH, .values = &s_env_tag};
/* the complex form; check_env_form rejects tags outside the root first */
static const struct kc_field env_complex_fields[] = {
    FIELD("clear", s_str_map),
    FIELD("secret", s_strs),
    FIELD("tags", s_env_tags),
    FIELDS_END,
};
static const struct kc_schema s_env_complex = {.types = KC_T_MAP, .fields = env_complex_fields};
/* The free-form env mapping: its complex form's keys are listed for the
 * docs only (check_env_form decides which form a mapping has). */
static const struct kc_schema s_env_root = {
    .types = KC_T_HASH, .fields = env_complex_fields, .check = check_env_root, .doc = "env"};

/* registry */
static const struct kc_schema s_secret_ref = {
    .types = KC_T_STR | KC_T_SEQ, .items = &s_str, .check = check_secret_ref};
static const struct kc_field registry_fields[] = {
    FIELD("server", s_str),
    FIELD("username", s_secret_ref),
    FIELD("password", s_secret_ref),
    FIELDS_END,
};
static const struct kc_schema s_registry = {
    .types = KC_T_MAP, .fields = registry_fields, .check = check_registry, .doc = "registry"};

/* logging (root and roles) */
static const struct kc_field logging_fields[] = {
    FIELD("driver", s_str),
    FIELD("options", s_str_map),
    FIELDS_END,
};
static const struct kc_schema s_logging = {
    .types = KC_T_MAP, .fields = logging_fields, .doc = "logging"};

/* proxy (root, roles, accessories). Where Kamal passes a flag only when the
 * key is set, the default is kamal-proxy's own (the value in effect). */
static const struct kc_field ssl_fields[] = {
    FIELD_REQ("certificate_pem", s_str),
    FIELD_REQ("private_key_pem", s_str),
    FIELDS_END,
};
static const struct kc_schema s_ssl = {.types = KC_T_BOOL | KC_T_MAP, .fields = ssl_fields};
static const struct kc_field healthcheck_fields[] = {
    FIELD_D("interval", s_int, "1"),
    FIELD_D("timeout", s_int, "5"),
    FIELD_D("path", s_str, "/up"),
    FIELDS_END,
};
static const struct kc_schema s_healthcheck = {.types = KC_T_MAP, .fields = healthcheck_fields};
static const struct kc_field buffering_fields[] = {
    FIELD_D("requests", s_bool, "true"),
    FIELD_D("responses", s_bool, "true"),
    FIELD_D("memory", s_int, "1048576"),
    FIELD_D("max_request_body", s_int, "0"),  /* unlimited */
    FIELD_D("max_response_body", s_int, "0"), /* unlimited */
    FIELDS_END,
};
static const struct kc_schema s_buffering = {.types = KC_T_MAP, .fields = buffering_fields};
static const struct kc_field proxy_logging_fields[] = {
    FIELD("request_headers", s_strs),
    FIELD("response_headers", s_strs),
    FIELDS_END,
};
static const struct kc_schema s_proxy_logging = {.types = KC_T_MAP, .fields = proxy_logging_fields};
static const struct kc_field proxy_run_fields[] = {
    FIELD_D("http_port", s_int, "80"),
    FIELD_D("https_port", s_int, "443"),
    FIELD_D("publish", s_bool, "true"),
    FIELD("bind_ips", s_strs),
    FIELD_D("log_max_size", s_str, KC_DEFAULT_LOG_MAX_SIZE),
    FIELD("metrics_port", s_int),
    FIELD("debug", s_bool),
    FIELD("registry", s_str),
    FIELD_D("repository", s_str, KC_PROXY_REPOSITORY),
    FIELD_D("version", s_str, KC_PROXY_VERSION),
    FIELD("options", s_docker_options),
    FIELDS_END,
};
static const struct kc_schema s_proxy_run = {
    .types = KC_T_MAP, .fields = proxy_run_fields, .check = check_proxy_run};
static const struct kc_field proxy_fields[] = {
    FIELD("host", s_str),
    FIELD("hosts", s_strs),
    FIELD_D("app_port", s_int, "80"),
    FIELD_D("ssl", s_ssl, "false"),
    FIELD_D("ssl_redirect", s_bool, "true"),
    FIELD("forward_headers", s_bool),
    FIELD_D("response_timeout", s_int, "30"),
    FIELD("path_prefix", s_str),
    FIELD("path_prefixes", s_strs),
    FIELD_D("strip_path_prefix", s_bool, "true"),
    FIELD("healthcheck", s_healthcheck),
    FIELD("buffering", s_buffering),
    FIELD("logging", s_proxy_logging),
    FIELD("run", s_proxy_run),
    FIELDS_END,
};
static const struct kc_schema s_proxy = {
    .types = KC_T_MAP, .fields = proxy_fields, .check = check_proxy, .doc = "proxy"};
static const struct kc_schema s_role_proxy = {.types = KC_T_BOOL | KC_T_MAP,
                                              .fields = proxy_fields,
                                              .check = check_role_proxy,
                                              .doc = "proxy"};
static const struct kc_schema s_accessory_proxy = {.types = KC_T_BOOL | KC_T_MAP,
                                                   .fields = proxy_fields,
                                                   .check = check_accessory_proxy,
                                                   .doc = "proxy"};

/* servers and roles */
static const struct kc_schema s_host_entry = {
    .types = KC_T_STR | KC_T_HASH, .values = &s_str_or_strs, .check = check_host_entry};
static const struct kc_schema s_hosts = {.types = KC_T_SEQ, .items = &s_host_entry};
static const struct kc_field role_fields[] = {
    FIELD("hosts", s_hosts),      FIELD("cmd", s_str),
    FIELD("stop_timeout", s_int), FIELD("options", s_docker_options),
    FIELD("logging", s_logging),  FIELD("proxy", s_role_proxy),
    FIELD("labels", s_labels),    FIELD("env", s_env),
    FIELD("asset_path", s_str),   FIELDS_END,
};
static const struct kc_schema s_role = {
    .types = KC_T_SEQ | KC_T_MAP, .items = &s_host_entry, .fields = role_fields, .doc = "role"};
static const struct kc_schema s_servers = {
    .types = KC_T_SEQ | KC_T_HASH, .items = &s_host_entry, .values = &s_role, .doc = "servers"};

/* accessories */
static const struct kc_field path_fields[] = {
    FIELD_REQ("local", s_str), FIELD_REQ("remote", s_str), FIELD("mode", s_str),
    FIELD("owner", s_str),     FIELD("options", s_str),    FIELDS_END,
};
static const struct kc_schema s_path_entry = {
    .types = KC_T_STR | KC_T_MAP, .fields = path_fields, .check = check_path_entry};
static const struct kc_schema s_paths = {.types = KC_T_SEQ, .items = &s_path_entry};
static const struct kc_field accessory_fields[] = {
    FIELD("service", s_str),
    FIELD_REQ("image", s_str),
    FIELD("registry", s_registry),
    FIELD("host", s_str),
    FIELD("hosts", s_strs),
    FIELD("role", s_str),
    FIELD("roles", s_strs),
    FIELD("tag", s_str),
    FIELD("tags", s_strs),
    FIELD("cmd", s_str),
    FIELD("port", s_str_or_int),
    FIELD("labels", s_labels),
    FIELD("options", s_docker_options),
    FIELD("env", s_env),
    FIELD("files", s_paths),
    FIELD("directories", s_paths),
    FIELD("volumes", s_strs),
    FIELD_D("network", s_str, KC_NETWORK),
    FIELD("proxy", s_accessory_proxy),
    FIELDS_END,
};
static const struct kc_schema s_accessory = {
    .types = KC_T_MAP, .fields = accessory_fields, .check = check_accessory};
static const struct kc_schema s_accessories = {
    .types = KC_T_HASH, .values = &s_accessory, .doc = "accessory"};

/* builder: Kamal refuses to build without an arch ("Builder arch not set") */
#define ARCH_NOTE "set builder.arch to the architecture of your servers: amd64, arm64 or both"
static const struct kc_field pack_fields[] = {
    FIELD("builder", s_str),
    FIELD("buildpacks", s_strs),
    FIELDS_END,
};
static const struct kc_schema s_pack = {.types = KC_T_MAP, .fields = pack_fields};
static const char *const cache_types[] = {"gha", "registry", NULL};
static const struct kc_schema s_cache_type = {.types = KC_T_STR, .choices = cache_types};
static const struct kc_field cache_fields[] = {
    FIELD("type", s_cache_type),
    FIELD("options", s_str),
    FIELD("image", s_str),
    FIELDS_END,
};
static const struct kc_schema s_cache = {.types = KC_T_MAP, .fields = cache_fields};
static const struct kc_field builder_fields[] = {
    FIELD_REQ_NOTE("arch", s_str_or_strs, ARCH_NOTE),
    FIELD("remote", s_str),
    FIELD_D("local", s_bool, "true"),
    FIELD("pack", s_pack),
    FIELD("cache", s_cache),
    FIELD("context", s_str),
    FIELD_D("dockerfile", s_str, "Dockerfile"),
    FIELD("target", s_str),
    FIELD("args", s_str_map),
    FIELD("secrets", s_strs),
    FIELD("ssh", s_str),
    FIELD_D("driver", s_str, "docker-container"),
    FIELD("provenance", s_str),
    FIELD("sbom", s_str),
    FIELDS_END,
};
static const struct kc_schema s_builder = {
    .types = KC_T_MAP, .fields = builder_fields, .check = check_builder, .doc = "builder"};

/* ssh, sshkit, boot, output, aliases */
static const struct kc_schema s_ssh_config = {
    .types = KC_T_BOOL | KC_T_STR | KC_T_SEQ, .items = &s_str, .check = check_ssh_config};
static const struct kc_field ssh_fields[] = {
    FIELD_D("user", s_str, "root"),
    FIELD_D("port", s_port, "22"),
    FIELD("proxy", s_str),
    FIELD("proxy_command", s_str),
    FIELD_D("log_level", s_str, "fatal"),
    FIELD("keys_only", s_bool),
    FIELD("keys", s_strs),
    FIELD("key_data", s_strs),
    FIELD("config", s_ssh_config),
    FIELD("forward_agent", s_bool),
    FIELDS_END,
};
static const struct kc_schema s_ssh = {.types = KC_T_MAP, .fields = ssh_fields, .doc = "ssh"};
static const struct kc_field sshkit_fields[] = {
    FIELD_D("max_concurrent_starts", s_int, "30"),
    FIELD_D("pool_idle_timeout", s_int, "900"),
    FIELD_D("dns_retries", s_int, "3"),
    FIELDS_END,
};
static const struct kc_schema s_sshkit = {
    .types = KC_T_MAP, .fields = sshkit_fields, .doc = "sshkit"};
static const struct kc_schema s_boot_limit = {.types = KC_T_STR | KC_T_INT,
                                              .check = check_boot_limit};
static const struct kc_field boot_fields[] = {
    FIELD("limit", s_boot_limit),
    FIELD("wait", s_int),
    FIELD_D("parallel_roles", s_bool, "false"),
    FIELDS_END,
};
static const struct kc_schema s_boot = {.types = KC_T_MAP, .fields = boot_fields, .doc = "boot"};
static const struct kc_field otel_fields[] = {
    FIELD("endpoint", s_str),
    FIELDS_END,
};
static const struct kc_field file_output_fields[] = {
    FIELD("path", s_str),
    FIELDS_END,
};
static const struct kc_schema s_otel = {
    .types = KC_T_MAP, .fields = otel_fields, .check = check_otel_output};
static const struct kc_schema s_file_output = {
    .types = KC_T_MAP, .fields = file_output_fields, .check = check_file_output};
static const struct kc_field output_fields[] = {
    FIELD("otel", s_otel),
    FIELD("file", s_file_output),
    FIELDS_END,
};
static const struct kc_schema s_output = {
    .types = KC_T_MAP, .fields = output_fields, .doc = "output"};
static const struct kc_schema s_aliases = {
    .types = KC_T_HASH, .values = &s_str, .check = check_aliases, .doc = "alias"};

static const struct kc_field root_fields[] = {
    FIELD_REQ("service", s_service),
    FIELD("image", s_str), /* required unless the registry is local: check_root */
    FIELD("labels", s_labels),
    FIELD("volumes", s_strs),
    FIELD_REQ("registry", s_registry),
    FIELD("servers", s_servers),
    FIELD("env", s_env_root),
    FIELD("asset_path", s_str),
    FIELD_D("hooks_path", s_str, ".kamal/hooks"),
    FIELD("hooks_output", s_hooks_output),
    FIELD_D("secrets_path", s_str, ".kamal/secrets"),
    FIELD("error_pages_path", s_str),
    FIELD_D("require_destination", s_bool, "false"),
    FIELD_D("primary_role", s_str, "web"),
    FIELD_D("allow_empty_roles", s_bool, "false"),
    FIELD_D("retain_containers", s_retain, "5"),
    FIELD("minimum_version", s_min_version),
    FIELD_D("readiness_delay", s_int, "7"),
    FIELD_D("deploy_timeout", s_int, "30"),
    FIELD_D("drain_timeout", s_int, "30"),
    FIELD("stop_timeout", s_int),
    FIELD_FLAGS("run_directory", s_str, KC_F_IGNORED),
    FIELD("ssh", s_ssh),
    FIELD_REQ_NOTE("builder", s_builder, ARCH_NOTE),
    FIELD("accessories", s_accessories),
    FIELD("proxy", s_proxy),
    FIELD("sshkit", s_sshkit),
    FIELD("boot", s_boot),
    FIELD("logging", s_logging),
    FIELD("output", s_output),
    FIELD("aliases", s_aliases),
    FIELDS_END,
};

const struct kc_schema kc_schema_root = {
    .types = KC_T_MAP, .fields = root_fields, .check = check_root, .extensions = true};

/* ---- the walk ----------------------------------------------------------- */

/* What replaced a Kamal 1 key in Kamal 2, by dotted path ("*" matches one
 * name). Kamal itself gives no such hint. */
static const struct {
    const char *path;
    const char *hint;
} kamal1_keys[] = {
    {"traefik", "Kamal 2 replaced Traefik with kamal-proxy: configure it under proxy: "
                "(host, app_port, ssl, healthcheck)"},
    {"healthcheck", "Kamal 2 moved it to proxy.healthcheck (path, interval, timeout); roles "
                    "without the proxy use readiness_delay"},
    {"stop_wait_time", "Kamal 2 calls it drain_timeout"},
    {"servers.*.traefik", "Kamal 2 replaced Traefik with kamal-proxy: give the role proxy: true "
                          "or a proxy mapping"},
    {"servers.*.healthcheck", "Kamal 2 moved it to the role's proxy.healthcheck"},
    {"builder.multiarch", "Kamal 2 replaced it with builder.arch: amd64, arm64 or both"},
    /* keys whose shape changed: a mapping in Kamal 1 */
    {"builder.remote", "Kamal 2's builder.remote is the builder's URL (ssh://user@host); the "
                       "architectures go in builder.arch"},
    {"builder.local", "Kamal 2's builder.local is true or false; the architectures go in "
                      "builder.arch"},
};

/* Does the dotted path match pattern, segment by segment? */
static bool path_matches(const char *pattern, const char *path)
{
    while (*pattern && *path) {
        size_t pn = strcspn(pattern, "."), n = strcspn(path, ".");
        if (!(pn == 1 && *pattern == '*') && (pn != n || memcmp(pattern, path, n) != 0))
            return false;
        pattern += pn + (pattern[pn] == '.');
        path += n + (path[n] == '.');
    }
    return *pattern == '\0' && *path == '\0';
}

/* The Kamal 2 replacement for key under the current path, or NULL. */
static const char *kamal1_hint(struct kc_vctx *vc, const char *key)
{
    size_t old = key ? path_push(vc, key) : vc->path.len;
    const char *hint = NULL;
    for (size_t i = 0; i < KC_ARRAY_LEN(kamal1_keys) && hint == NULL; i++)
        if (path_matches(kamal1_keys[i].path, kc_buf_str(&vc->path)))
            hint = kamal1_keys[i].hint;
    path_pop(vc, old);
    return hint;
}

static bool type_ok(unsigned types, const struct kc_node *n)
{
    long l;
    bool b;
    if (kc_node_is_null(n))
        return false;
    switch (n->type) {
    case KC_NODE_SCALAR:
        return (types & KC_T_STR) || ((types & KC_T_INT) && kc_node_long(n, &l)) ||
               ((types & KC_T_BOOL) && kc_node_bool(n, &b));
    case KC_NODE_MAP:
        return (types & (KC_T_MAP | KC_T_HASH)) != 0;
    case KC_NODE_SEQ:
        return (types & KC_T_SEQ) != 0;
    default:
        return false;
    }
}

/* "a", "a or b", "a, b or c" */
static char *join_or(const char *const *words, size_t n, const char *quote)
{
    struct kc_buf b = KC_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (i)
            kc_buf_adds(&b, i + 1 == n ? " or " : ", ");
        kc_buf_addf(&b, "%s%s%s", quote, words[i], quote);
    }
    return kc_buf_detach(&b);
}

static char *type_desc(unsigned types)
{
    static const struct {
        unsigned bits;
        const char *desc;
    } names[] = {
        {KC_T_STR, "a string"},
        {KC_T_INT, "an integer"},
        {KC_T_BOOL, "a boolean"},
        {KC_T_SEQ, "a sequence"},
        {KC_T_MAP | KC_T_HASH, "a mapping"},
    };
    const char *words[KC_ARRAY_LEN(names)];
    size_t n = 0;
    for (size_t i = 0; i < KC_ARRAY_LEN(names); i++)
        if (types & names[i].bits)
            words[n++] = names[i].desc;
    return join_or(words, n, "");
}

static int type_error(struct kc_vctx *vc, const struct kc_schema *s, const struct kc_node *n)
{
    static const struct kc_mark nowhere = {NULL, 0, 0};
    char *want = type_desc(s->types);
    const struct kc_mark *m = n ? &n->mark : &nowhere;
    if (n && n->type == KC_NODE_SCALAR && !kc_node_is_null(n))
        kc_vctx_error(vc, m, NULL, "expected %s, got %s ('%s')", want, kc_node_kind(n), text(n));
    else
        kc_vctx_error(vc, m, NULL, "expected %s, got %s", want, kc_node_kind(n));
    free(want);
    const char *hint = n && n->type == KC_NODE_MAP ? kamal1_hint(vc, NULL) : NULL;
    if (hint)
        kc_err_set_hint(vc->err, "%s", hint);
    return KC_ECONFIG;
}

/* A leading ':' is a Ruby symbol (hooks_output: :quiet): same value. */
static int check_choice(struct kc_vctx *vc, const struct kc_schema *s, const struct kc_node *n)
{
    const char *v = text(n);
    const char *bare = *v == ':' ? v + 1 : v;
    size_t count = 0;
    for (; s->choices[count]; count++)
        if (strcmp(bare, s->choices[count]) == 0)
            return 0;
    char *want = join_or(s->choices, count, "'");
    kc_vctx_error(vc, &n->mark, NULL, "expected %s, got '%s'", want, v);
    free(want);
    return KC_ECONFIG;
}

static const struct kc_field *find_field(const struct kc_field *fields, const char *name)
{
    for (; fields->name; fields++)
        if (strcmp(fields->name, name) == 0)
            return fields;
    return NULL;
}

static bool extension(const struct kc_schema *s, const char *key)
{
    return s->extensions && kc_starts_with(key, "x-");
}

/* 'key', with the nearest known key when one is close. */
static void add_unknown(struct kc_buf *b, const struct kc_field *fields, const char *key)
{
    const char *names[64];
    size_t n = 0;
    for (; fields->name && n < KC_ARRAY_LEN(names); fields++)
        names[n++] = fields->name;
    const char *near = kc_nearest(key, names, n);
    kc_buf_addf(b, "'%s'", key);
    if (near)
        kc_buf_addf(b, " (did you mean '%s'?)", near);
}

/* Every unknown key of a mapping in one error, as Kamal names them all
 * ("unknown keys: traefik, healthcheck"), at the first one; Kamal 1 keys
 * get what replaced them as the hint. */
static int unknown_keys(struct kc_vctx *vc, const struct kc_schema *s, const struct kc_node *n)
{
    struct kc_buf list = KC_BUF_INIT, hints = KC_BUF_INIT;
    const struct kc_pair *first = NULL;
    size_t count = 0;
    for (size_t i = 0; i < n->npairs; i++) {
        const struct kc_pair *p = &n->pairs[i];
        if (extension(s, p->key) || find_field(s->fields, p->key))
            continue;
        first = first ? first : p;
        kc_buf_adds(&list, count++ ? ", " : "");
        add_unknown(&list, s->fields, p->key);
        const char *hint = kamal1_hint(vc, p->key);
        if (hint)
            kc_buf_addf(&hints, "%s%s: %s", hints.len ? "; " : "", p->key, hint);
    }
    if (first == NULL)
        return 0;
    if (count == 1)
        kc_vctx_error(vc, &first->key_mark, NULL, "unknown key %s", kc_buf_str(&list));
    else
        kc_vctx_error(vc, &first->key_mark, NULL, "unknown keys: %s", kc_buf_str(&list));
    if (hints.len)
        kc_err_set_hint(vc->err, "%s", kc_buf_str(&hints));
    kc_buf_release(&list);
    kc_buf_release(&hints);
    return KC_ECONFIG;
}

/* As Kamal does: unknown keys first, then each value, then what is missing. */
static int walk_fields(struct kc_vctx *vc, const struct kc_schema *s, const struct kc_node *n)
{
    const struct kc_mark *key_mark = vc->key_mark;
    int rc;
    if ((rc = unknown_keys(vc, s, n)) != 0)
        return rc;
    for (size_t i = 0; i < n->npairs; i++) {
        const struct kc_pair *p = &n->pairs[i];
        if (extension(s, p->key))
            continue;
        size_t old = path_push(vc, p->key);
        vc->key_mark = &p->key_mark;
        rc = walk(vc, find_field(s->fields, p->key)->schema, p->value);
        path_pop(vc, old);
        if (rc)
            return rc;
    }
    vc->key_mark = key_mark;
    for (const struct kc_field *f = s->fields; f->name; f++) {
        if (!(f->flags & KC_F_REQUIRED) || kc_map_pair(n, f->name) != NULL)
            continue;
        kc_vctx_error(vc, kc_vctx_where(vc, n), NULL, "missing required key '%s'", f->name);
        if (f->note)
            kc_err_set_hint(vc->err, "%s", f->note);
        return KC_ECONFIG;
    }
    return 0;
}

static int walk_values(struct kc_vctx *vc, const struct kc_schema *s, const struct kc_node *n)
{
    for (size_t i = 0; i < n->npairs; i++) {
        size_t old = path_push(vc, n->pairs[i].key);
        vc->key_mark = &n->pairs[i].key_mark;
        int rc = walk(vc, s, n->pairs[i].value);
        path_pop(vc, old);
        if (rc)
            return rc;
    }
    return 0;
}

static int walk_items(struct kc_vctx *vc, const struct kc_schema *s, const struct kc_node *n)
{
    for (size_t i = 0; i < n->n; i++) {
        size_t old = path_push_index(vc, i);
        vc->key_mark = NULL;
        int rc = walk(vc, s, n->items[i]);
        path_pop(vc, old);
        if (rc)
            return rc;
    }
    return 0;
}

static int walk(struct kc_vctx *vc, const struct kc_schema *s, const struct kc_node *n)
{
    const struct kc_mark *key_mark = vc->key_mark;
    int rc = 0;
    if (!type_ok(s->types, n))
        return type_error(vc, s, n);
    if (n->type == KC_NODE_SCALAR && s->choices)
        rc = check_choice(vc, s, n);
    else if (n->type == KC_NODE_MAP && (s->types & KC_T_MAP) && s->fields)
        rc = walk_fields(vc, s, n);
    else if (n->type == KC_NODE_MAP && s->values)
        rc = walk_values(vc, s->values, n);
    else if (n->type == KC_NODE_SEQ && s->items)
        rc = walk_items(vc, s->items, n);
    vc->key_mark = key_mark; /* the children moved it */
    if (rc == 0 && s->check)
        rc = s->check(vc, n);
    return rc;
}

int kc_schema_validate(const struct kc_node *root, const char *file, const char *const *builtins,
                       struct kc_err *err)
{
    if (kc_node_is_null(root))
        return kc_err_at(err, KC_ECONFIG, file, 0, 0, "the configuration is empty");
    if (root->type != KC_NODE_MAP)
        return kc_err_at(err, KC_ECONFIG, root->mark.file, root->mark.line, root->mark.col,
                         "expected a mapping at the top level, got %s", kc_node_kind(root));
    struct kc_vctx vc = {.err = err, .path = KC_BUF_INIT, .builtins = builtins};
    int rc = walk(&vc, &kc_schema_root, root);
    kc_buf_release(&vc.path);
    return rc;
}

const char *kc_schema_default(const char *path)
{
    const struct kc_schema *s = &kc_schema_root;
    const char *dflt = NULL;
    struct kc_strvec parts = KC_STRVEC_INIT;
    kc_strvec_split(&parts, path, ".");
    for (size_t i = 0; s && i < parts.n; i++) {
        const struct kc_field *f = NULL;
        if (strcmp(parts.v[i], "*") == 0) {
            s = s->values;
            continue;
        }
        if (s->fields == NULL || (f = find_field(s->fields, parts.v[i])) == NULL) {
            s = NULL;
            break;
        }
        if (i + 1 == parts.n)
            dflt = f->dflt;
        s = f->schema;
    }
    kc_strvec_release(&parts);
    return dflt;
}

/* ---- the keys, for documentation (docs.h) ------------------------------- */

/* "string", "boolean or mapping", "list of strings/mappings": the plural
 * for the items of a list or the values of a mapping */
static void add_type_words(struct kc_buf *b, const struct kc_schema *s, bool plural)
{
    static const struct {
        unsigned bits;
        const char *one, *many;
    } names[] = {
        {KC_T_STR, "string", "strings"},
        {KC_T_INT, "integer", "integers"},
        {KC_T_BOOL, "boolean", "booleans"},
        {KC_T_SEQ, "list", "lists"},
        {KC_T_MAP | KC_T_HASH, "mapping", "mappings"},
    };
    size_t start = b->len;
    for (size_t i = 0; i < KC_ARRAY_LEN(names); i++) {
        if (!(s->types & names[i].bits))
            continue;
        kc_buf_adds(b, b->len == start ? "" : plural ? "/" : " or ");
        kc_buf_adds(b, plural ? names[i].many : names[i].one);
        if (plural)
            continue;
        if (names[i].bits == KC_T_SEQ && s->items) {
            kc_buf_adds(b, " of ");
            add_type_words(b, s->items, true);
        } else if (names[i].bits & KC_T_HASH && s->values && !s->values->fields &&
                   !(s->values->types & (KC_T_MAP | KC_T_HASH))) {
            kc_buf_adds(b, " of ");
            add_type_words(b, s->values, true);
        }
    }
}

/* The placeholder for a free name: "<role>" where the values are a
 * documented shape, else "<name>". */
static void add_placeholder(struct kc_buf *b, const struct kc_schema *values)
{
    kc_buf_addf(b, "%s<%s>", b->len ? "." : "", values->doc ? values->doc : "name");
}

struct doc_walk {
    const char *section; /* NULL: the top level */
    kc_schema_key_fn fn;
    void *ud;
    struct kc_buf path;
};

static void emit_key(struct doc_walk *w, const struct kc_field *f, const struct kc_schema *s,
                     int depth, const char *see)
{
    struct kc_buf type = KC_BUF_INIT;
    add_type_words(&type, s, false);
    struct kc_schema_key k = {
        .path = kc_buf_str(&w->path),
        .depth = depth,
        .type = kc_buf_str(&type),
        .dflt = f ? f->dflt : NULL,
        .choices = s->choices,
        .required = f && (f->flags & KC_F_REQUIRED),
        .ignored = f && (f->flags & KC_F_IGNORED),
        .see = see,
    };
    w->fn(w->ud, &k);
    kc_buf_release(&type);
}

static void doc_children(struct doc_walk *w, const struct kc_schema *s, int depth);

/* One key: reported, then walked into unless another section describes it
 * (the top level walks no deeper than its own keys). */
static void doc_key(struct doc_walk *w, const struct kc_field *f, const struct kc_schema *s,
                    int depth)
{
    const char *see = s->doc && !kc_streq(s->doc, w->section) ? s->doc : NULL;
    emit_key(w, f, s, depth, see);
    if (see == NULL && w->section)
        doc_children(w, s, depth);
}

static bool worth_a_row(const struct kc_schema *values)
{
    return values->fields || values->doc || values->choices || values->values;
}

static void doc_children(struct doc_walk *w, const struct kc_schema *s, int depth)
{
    size_t old = w->path.len;
    for (const struct kc_field *f = s->fields; f && f->name; f++) {
        kc_buf_addf(&w->path, "%s%s", old ? "." : "", f->name);
        doc_key(w, f, f->schema, depth + 1);
        path_pop_buf(&w->path, old);
    }
    if (s->values && worth_a_row(s->values)) {
        add_placeholder(&w->path, s->values);
        doc_key(w, NULL, s->values, depth + 1);
        path_pop_buf(&w->path, old);
    }
    if (s->items && s->items->fields) {
        kc_buf_adds(&w->path, "[]");
        doc_children(w, s->items, depth);
        path_pop_buf(&w->path, old);
    }
}

/* Finds the shallowest schema describing section, building its path in
 * *path; *field is the row that holds it. Searches no deeper than limit. */
static const struct kc_schema *find_section(const struct kc_schema *s, const char *section,
                                            int limit, struct kc_buf *path,
                                            const struct kc_field **field)
{
    if (limit == 0)
        return NULL;
    size_t old = path->len;
    for (const struct kc_field *f = s->fields; f && f->name; f++) {
        kc_buf_addf(path, "%s%s", old ? "." : "", f->name);
        *field = f;
        if (kc_streq(f->schema->doc, section))
            return f->schema;
        const struct kc_schema *found = find_section(f->schema, section, limit - 1, path, field);
        if (found)
            return found;
        path_pop_buf(path, old);
    }
    if (s->values) {
        add_placeholder(path, s->values);
        *field = NULL;
        if (kc_streq(s->values->doc, section))
            return s->values;
        const struct kc_schema *found = find_section(s->values, section, limit - 1, path, field);
        if (found)
            return found;
        path_pop_buf(path, old);
    }
    return NULL;
}

int kc_schema_section_keys(const char *section, kc_schema_key_fn fn, void *ud)
{
    struct doc_walk w = {.section = section, .fn = fn, .ud = ud, .path = KC_BUF_INIT};
    if (section == NULL) {
        doc_children(&w, &kc_schema_root, -1);
        kc_buf_release(&w.path);
        return 0;
    }
    const struct kc_schema *s = NULL;
    const struct kc_field *f = NULL;
    /* shallowest first: the root proxy, not a role's */
    for (int limit = 1; s == NULL && limit <= 4; limit++) {
        kc_buf_reset(&w.path);
        s = find_section(&kc_schema_root, section, limit, &w.path, &f);
    }
    if (s)
        doc_key(&w, f, s, 0);
    kc_buf_release(&w.path);
    return s ? 0 : -1;
}

bool kc_schema_has_key(const char *path)
{
    const struct kc_schema *s = &kc_schema_root;
    struct kc_strvec parts = KC_STRVEC_INIT;
    kc_strvec_split(&parts, path, ".");
    bool ok = true;
    for (size_t i = 0; i < parts.n; i++) {
        const struct kc_field *f = s->fields ? find_field(s->fields, parts.v[i]) : NULL;
        if (f == NULL && s->items && s->items->fields) /* through a list: files.local */
            f = find_field(s->items->fields, parts.v[i]);
        if (f) {
            s = f->schema;
        } else if (s->values) {
            s = s->values;
        } else if (s->items && s->items->values) {
            s = s->items->values; /* through a list: a host with its tags */
        } else {
            /* a mapping of free keys with no schema for its values (env):
             * anything below; else no such key */
            ok = (s->types & KC_T_HASH) != 0;
            break;
        }
    }
    kc_strvec_release(&parts);
    return ok;
}
