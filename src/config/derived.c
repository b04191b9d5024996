/* derived.c - what Kamal derives from the configuration: all hosts, the
 * primary host, service_and_destination and the .kamal paths. */
#include "config_int.h"

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

void kc_cfg_fill_derived(struct kc_config *cfg)
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
