/* root.c - ssh, sshkit, boot, output, hooks_output, aliases and the root
 * scalars; the root proxy and builder (proxy.c, builder.c). */
#include "config_int.h"

#include <string.h>

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
    ssh->keys_only = get_bool(n, "keys_only", NULL);
    push_texts(&ssh->keys, get(n, "keys"));
    push_texts(&ssh->key_data, get(n, "key_data"));
    ssh->forward_agent = get_bool(n, "forward_agent", NULL);
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
    cfg->boot_parallel_roles = get_bool(n, "parallel_roles", "boot.parallel_roles");
}

static void fill_aliases(struct kc_config *cfg, const struct kc_node *n)
{
    for (size_t i = 0; n && n->type == KC_NODE_MAP && i < n->npairs; i++)
        kc_kvlist_set(&cfg->aliases, n->pairs[i].key, kc_node_text(n->pairs[i].value));
}

/* hooks_output: one level for every hook, or {hook: level}; a leading ':'
 * (a Ruby symbol) is dropped. */
static void fill_hooks_output(struct kc_config *cfg, const struct kc_node *n)
{
    const char *level = kc_node_text(n);
    if (level)
        cfg->hooks_output = kc_xstrdup(*level == ':' ? level + 1 : level);
    for (size_t i = 0; n && n->type == KC_NODE_MAP && i < n->npairs; i++) {
        const char *v = kc_node_text(n->pairs[i].value);
        kc_kvlist_set(&cfg->hooks_output_by_hook, n->pairs[i].key, *v == ':' ? v + 1 : v);
    }
}

static void fill_output(struct kc_output_config *o, const struct kc_node *n)
{
    o->file_path = dup_text(get(get(n, "file"), "path"));
    o->otel_endpoint = dup_text(get(get(n, "otel"), "endpoint"));
}

void kc_cfg_fill_root(struct kc_config *cfg)
{
    const struct kc_node *root = cfg->tree.root;
    cfg->service = dup_text(get(root, "service"));
    kc_cfg_fill_registry(&cfg->registry, get(root, "registry"), "registry");
    cfg->image = dup_text(get(root, "image"));
    if (cfg->image == NULL && cfg->registry.local)
        cfg->image = kc_xstrdup(cfg->service);
    kc_cfg_fill_labels(&cfg->labels, get(root, "labels"));
    push_texts(&cfg->volumes, get(root, "volumes"));
    kc_cfg_fill_env(&cfg->env, get(root, "env"));
    kc_cfg_fill_env_tags(cfg, get(root, "env"));
    fill_ssh(&cfg->ssh, get(root, "ssh"));
    fill_sshkit(&cfg->sshkit, get(root, "sshkit"));
    kc_cfg_fill_logging(&cfg->logging, get(root, "logging"));
    kc_cfg_logging_default(&cfg->logging);
    fill_aliases(cfg, get(root, "aliases"));
    fill_boot(cfg, get(root, "boot"));
    cfg->hooks_path = get_str(root, "hooks_path", "hooks_path");
    fill_hooks_output(cfg, get(root, "hooks_output"));
    cfg->secrets_path = get_str(root, "secrets_path", "secrets_path");
    cfg->primary_role = get_str(root, "primary_role", "primary_role");
    cfg->minimum_version = dup_text(get(root, "minimum_version"));
    cfg->asset_path = dup_text(get(root, "asset_path"));
    cfg->error_pages_path = dup_text(get(root, "error_pages_path"));
    cfg->require_destination = get_bool(root, "require_destination", "require_destination");
    cfg->allow_empty_roles = get_bool(root, "allow_empty_roles", "allow_empty_roles");
    cfg->retain_containers = get_long(root, "retain_containers", "retain_containers");
    cfg->readiness_delay = get_long(root, "readiness_delay", "readiness_delay");
    cfg->deploy_timeout = get_long(root, "deploy_timeout", "deploy_timeout");
    cfg->drain_timeout = get_long(root, "drain_timeout", "drain_timeout");
    cfg->stop_timeout = get_long(root, "stop_timeout", NULL);
    kc_cfg_fill_proxy(&cfg->proxy, get(root, "proxy"));
    kc_cfg_fill_builder(cfg, get(root, "builder"));
    fill_output(&cfg->output, get(root, "output"));
}

void kc_cfg_release_root(struct kc_config *cfg)
{
    free(cfg->service);
    free(cfg->image);
    kc_cfg_release_registry(&cfg->registry);
    kc_kvlist_release(&cfg->labels);
    kc_strvec_release(&cfg->volumes);
    kc_env_release(&cfg->env);
    for (size_t i = 0; i < cfg->env_tag_keys.n; i++)
        kc_env_release(&cfg->env_tags[i]);
    free(cfg->env_tags);
    kc_strvec_release(&cfg->env_tag_keys);
    release_ssh(&cfg->ssh);
    kc_cfg_release_logging(&cfg->logging);
    kc_kvlist_release(&cfg->aliases);
    free(cfg->hooks_path);
    free(cfg->hooks_output);
    kc_kvlist_release(&cfg->hooks_output_by_hook);
    free(cfg->secrets_path);
    free(cfg->primary_role);
    free(cfg->minimum_version);
    free(cfg->asset_path);
    free(cfg->error_pages_path);
    kc_cfg_release_proxy(&cfg->proxy);
    kc_cfg_release_builder(&cfg->builder);
    free(cfg->output.file_path);
    free(cfg->output.otel_endpoint);
}

const char *kc_config_hooks_output(const struct kc_config *cfg, const char *hook)
{
    const char *level = kc_kvlist_get(&cfg->hooks_output_by_hook, hook);
    return level ? level : cfg->hooks_output;
}
