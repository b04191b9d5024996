/* error_pages.c - error page paths and commands (see error_pages.h). */
#include "kamal-c/error_pages.h"
#include "kamal-c/util.h"

#include <stdlib.h>

char *kc_error_pages_host_dir(const struct kc_config *cfg, const char *version)
{
    return kc_xasprintf("%s/error_pages/%s", cfg->proxy_app_dir, version);
}

void kc_cmd_error_pages_flag(struct kc_cmd *c, const struct kc_config *cfg, const char *version)
{
    if (cfg->error_pages_path && *cfg->error_pages_path)
        kc_cmd_argf(c, "--error-pages=%s/error_pages/%s", cfg->proxy_app_container_dir, version);
}

void kc_cmd_error_pages_clean(struct kc_cmd *c, const struct kc_config *cfg, const char *version)
{
    char *dir = kc_xasprintf("%s/error_pages", cfg->proxy_app_dir);
    kc_cmd_args(c, "find", dir, "-mindepth", "1", "-maxdepth", "1", "!", "-name", version, "-exec",
                "rm", "-rf", "{}", "+", NULL);
    free(dir);
}
