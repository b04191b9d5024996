/* derived.c - what Kamal derives from the configuration (reference §2.11):
 * all hosts, the primary host, the boot group size, names and the .kamal
 * paths on the hosts. */
#include "config_int.h"

#include <string.h>

void kc_cfg_fill_hosts(struct kc_config *cfg)
{
    for (size_t i = 0; i < cfg->nroles; i++)
        kc_cfg_push_role_hosts(&cfg->hosts, &cfg->roles[i]);
    for (size_t i = 0; i < cfg->naccessories; i++)
        for (size_t j = 0; j < cfg->accessories[i].hosts.n; j++)
            kc_strvec_push_unique(&cfg->hosts, cfg->accessories[i].hosts.v[j]);
    const struct kc_role *primary = kc_config_role(cfg, cfg->primary_role);
    if (primary && primary->hosts.n)
        cfg->primary_host = kc_xstrdup(primary->hosts.v[0]);
    else if (cfg->hosts.n)
        cfg->primary_host = kc_xstrdup(cfg->hosts.v[0]);
}

/* Kamal's Boot#limit: a percentage is of all hosts, at least 1. */
static void fill_boot_group_size(struct kc_config *cfg)
{
    if (cfg->boot_limit < 0)
        cfg->boot_group_size = 0;
    else if (!cfg->boot_limit_percent)
        cfg->boot_group_size = cfg->boot_limit;
    else if ((cfg->boot_group_size = (long)cfg->hosts.n * cfg->boot_limit / 100) < 1)
        cfg->boot_group_size = 1;
}

static void fill_role_names(struct kc_config *cfg, struct kc_role *r)
{
    if (cfg->destination)
        r->container_prefix = kc_xasprintf("%s-%s-%s", cfg->service, r->name, cfg->destination);
    else
        r->container_prefix = kc_xasprintf("%s-%s", cfg->service, r->name);
    r->env_file = kc_xasprintf("%s/roles/%s.env", cfg->env_dir, r->name);
}

void kc_cfg_fill_derived(struct kc_config *cfg)
{
    const char *svc_dest;
    if (cfg->destination)
        cfg->service_and_destination = kc_xasprintf("%s-%s", cfg->service, cfg->destination);
    else
        cfg->service_and_destination = kc_xstrdup(cfg->service);
    svc_dest = cfg->service_and_destination;
    fill_boot_group_size(cfg);
    if (cfg->registry.server)
        cfg->repository = kc_xasprintf("%s/%s", cfg->registry.server, cfg->image);
    else
        cfg->repository = kc_xstrdup(cfg->image ? cfg->image : "");
    if (cfg->destination)
        cfg->latest_tag = kc_xasprintf("latest-%s", cfg->destination);
    else
        cfg->latest_tag = kc_xstrdup("latest");
    cfg->run_dir = kc_xstrdup(".kamal");
    cfg->lock_dir = kc_xasprintf("%s/lock-%s", cfg->run_dir, svc_dest);
    cfg->audit_log = kc_xasprintf("%s/%s-audit.log", cfg->run_dir, svc_dest);
    cfg->app_dir = kc_xasprintf("%s/apps/%s", cfg->run_dir, svc_dest);
    cfg->env_dir = kc_xasprintf("%s/env", cfg->app_dir);
    cfg->accessory_env_dir = kc_xasprintf("%s/accessories", cfg->env_dir);
    cfg->assets_dir = kc_xasprintf("%s/assets", cfg->app_dir);
    cfg->proxy_dir = kc_xasprintf("%s/proxy", cfg->run_dir);
    cfg->proxy_apps_dir = kc_xasprintf("%s/apps-config", cfg->proxy_dir);
    cfg->proxy_app_dir = kc_xasprintf("%s/%s", cfg->proxy_apps_dir, svc_dest);
    cfg->proxy_app_container_dir = kc_xasprintf("/home/kamal-proxy/.apps-config/%s", svc_dest);
    for (size_t i = 0; i < cfg->nroles; i++)
        fill_role_names(cfg, &cfg->roles[i]);
}

void kc_cfg_release_derived(struct kc_config *cfg)
{
    free(cfg->primary_host);
    free(cfg->service_and_destination);
    free(cfg->repository);
    free(cfg->latest_tag);
    free(cfg->run_dir);
    free(cfg->lock_dir);
    free(cfg->audit_log);
    free(cfg->app_dir);
    free(cfg->env_dir);
    free(cfg->accessory_env_dir);
    free(cfg->assets_dir);
    free(cfg->proxy_dir);
    free(cfg->proxy_apps_dir);
    free(cfg->proxy_app_dir);
    free(cfg->proxy_app_container_dir);
}
