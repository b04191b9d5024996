/* accessory_proxy.c - kamal-proxy commands of proxied accessories (see
 * accessory_proxy.h). */
#include "kamal-c/accessory_proxy.h"
#include "kamal-c/app.h"
#include "kamal-c/proxy.h"
#include "kamal-c/util.h"

#include <stdlib.h>
#include <string.h>

static void proxy_exec(struct kc_cmd *c, const char *verb, const struct kc_accessory *acc)
{
    kc_cmd_args(c, "docker", "exec", KC_PROXY_CONTAINER, "kamal-proxy", verb, acc->service,
                NULL);
}

void kc_cmd_accessory_proxy_deploy(struct kc_cmd *c, const struct kc_config *cfg,
                                   const struct kc_accessory *acc, const char *target_id)
{
    proxy_exec(c, "deploy", acc);
    kc_cmd_argf(c, "--target=%s:%ld", target_id, acc->proxy.app_port);
    kc_cmd_proxy_deploy_flags(c, cfg, &acc->proxy, NULL);
}

void kc_cmd_accessory_proxy_remove(struct kc_cmd *c, const struct kc_accessory *acc)
{
    proxy_exec(c, "remove", acc);
}

void kc_accessory_proxy_digest(const struct kc_config *cfg, const struct kc_accessory *acc,
                               char out[65])
{
    struct kc_cmd c = KC_CMD_INIT;
    proxy_exec(&c, "deploy", acc);
    kc_cmd_argf(&c, "--app-port=%ld", acc->proxy.app_port);
    kc_cmd_proxy_deploy_flags(&c, cfg, &acc->proxy, NULL);
    char *line = kc_cmd_render_display(&c);
    kc_sha256_hex(line, strlen(line), out);
    free(line);
    kc_cmd_release(&c);
}

char *kc_accessory_proxy_flags_file(const struct kc_config *cfg, const struct kc_accessory *acc)
{
    return kc_xasprintf("%s/proxy/accessories/%s.flags", cfg->app_dir, acc->name);
}

void kc_cmd_accessory_proxy_forget(struct kc_cmd *c, const struct kc_config *cfg,
                                   const struct kc_accessory *acc)
{
    char *f = kc_accessory_proxy_flags_file(cfg, acc);
    kc_cmd_args(c, "rm", "-f", f, NULL);
    free(f);
}

void kc_cmd_accessory_proxy_id(struct kc_cmd *c, const struct kc_accessory *acc)
{
    kc_cmd_args(c, "docker", "container", "ls", "--all", "--filter", NULL);
    kc_cmd_argf(c, "name=^%s$", acc->service);
    kc_cmd_arg(c, "--quiet");
}
