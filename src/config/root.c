/* root.c - ssh, sshkit, boot, aliases and the root scalars. */
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

void kc_cfg_release_ssh(struct kc_ssh *ssh)
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

void kc_cfg_fill_root(struct kc_config *cfg)
{
    const struct kc_node *root = cfg->tree.root;
    cfg->service = dup_text(get(root, "service"));
    kc_cfg_fill_registry(&cfg->registry, get(root, "registry"));
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
