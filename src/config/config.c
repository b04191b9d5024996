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

#include "config_int.h"
#include "kamal-c/erb.h"

#define KC_CONFIG_MAX_SIZE (1024 * 1024)

const char *const kc_config_builtin_commands[] = {
    "accessory", "app",     "audit",  "build", "config",  "deploy",   "details",  "docs",
    "help",      "init",    "lock",   "proxy", "prune",   "redeploy", "registry", "remove",
    "rollback",  "secrets", "server", "setup", "upgrade", "version",  NULL,
};

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
                     const struct kc_erb_opts *erb, struct kc_err *err)
{
    struct kc_buf text = KC_BUF_INIT;
    struct kc_intvec lines = KC_INTVEC_INIT;
    int rc;
    if (len > KC_CONFIG_MAX_SIZE)
        rc = read_error(path, EFBIG, err);
    else if ((rc = kc_erb_render(raw, len, path, erb, &text, &lines, err)) == 0)
        rc = kc_yaml_load(kc_buf_str(&text), text.len, path, lines.v, lines.n, tree, err);
    kc_buf_release(&text);
    kc_intvec_release(&lines);
    return rc;
}

/* One file: read, then load_text. missing: the hint when it does not exist. */
static int load_file(struct kc_tree *tree, const char *path, const struct kc_erb_opts *erb,
                     const char *missing, struct kc_err *err)
{
    struct kc_buf raw = KC_BUF_INIT;
    int rc;
    if (kc_read_file(path, KC_CONFIG_MAX_SIZE, &raw) != 0) {
        int e = errno;
        rc = read_error(path, e, err);
        if (e == ENOENT)
            kc_err_set_hint(err, "%s", missing);
    } else
        rc = load_text(tree, raw.data, raw.len, path, erb, err);
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
static int load_tree(struct kc_config *cfg, const char *text, size_t len,
                     const struct kc_erb_opts *erb, struct kc_err *err)
{
    int rc = text ? load_text(&cfg->tree, text, len, cfg->config_file, erb, err)
                  : load_file(&cfg->tree, cfg->config_file, erb,
                              "run kamal-c in the project's directory, name the file with "
                              "-c FILE, or create one with 'kamal-c init'",
                              err);
    if (rc || cfg->destination == NULL)
        return rc;
    struct kc_tree overlay = KC_TREE_INIT;
    cfg->dest_file = destination_file(cfg->config_file, cfg->destination);
    if ((rc = load_file(&overlay, cfg->dest_file, erb,
                        "-d DESTINATION reads the destination's own file beside the main one",
                        err)) == 0)
        kc_tree_merge(&cfg->tree, &overlay);
    kc_tree_release(&overlay);
    return rc;
}

static int build(struct kc_config *cfg, struct kc_err *err)
{
    int rc;
    kc_cfg_fill_root(cfg);
    if ((rc = kc_cfg_check_destination(cfg, err)) != 0)
        return rc;
    kc_cfg_fill_roles(cfg);
    if ((rc = kc_cfg_fill_accessories(cfg, err)) != 0)
        return rc;
    kc_cfg_fill_hosts(cfg);
    kc_cfg_fill_derived(cfg);
    if ((rc = kc_cfg_check_host_names(cfg, err)) != 0 || (rc = kc_cfg_check_roles(cfg, err)) != 0 ||
        (rc = kc_cfg_check_ssl(cfg, err)) != 0 || (rc = kc_cfg_check_proxy_run(cfg, err)) != 0 ||
        (rc = kc_cfg_check_builder_remote(cfg, err)) != 0 ||
        (rc = kc_cfg_check_traefik_hooks(cfg, err)) != 0)
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
    struct kc_erb_opts erb = {opts->run, opts->run_ud};
    if ((rc = load_tree(cfg, text, len, &erb, err)) != 0 || opts->skip_validation)
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
    kc_cfg_release_root(cfg);
    for (size_t i = 0; i < cfg->nroles; i++)
        kc_cfg_release_role(&cfg->roles[i]);
    free(cfg->roles);
    for (size_t i = 0; i < cfg->nservers; i++) {
        free(cfg->servers[i].host);
        kc_strvec_release(&cfg->servers[i].tags);
    }
    free(cfg->servers);
    kc_strvec_release(&cfg->server_names);
    kc_strvec_release(&cfg->hosts);
    for (size_t i = 0; i < cfg->naccessories; i++)
        kc_cfg_release_accessory(&cfg->accessories[i]);
    free(cfg->accessories);
    kc_cfg_release_derived(cfg);
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
    ssize_t i = kc_strvec_index(&cfg->server_names, host);
    return i >= 0 ? &cfg->servers[i].tags : NULL;
}
