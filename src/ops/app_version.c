/* app_version.c - which version the app verbs boot (Kamal's app boot:
 * --version, else latest[-DEST]; kamal-c also takes $VERSION). The build verbs
 * use kc_version_resolve, which falls back to git HEAD instead. */
#include "kamal-c/ops_app.h"

#include <stdlib.h>

const char *kc_app_version(const struct kc_ctx *ctx)
{
    if (ctx->g.version && *ctx->g.version)
        return ctx->g.version;
    const char *env = getenv("VERSION");
    if (env && *env)
        return env;
    return ctx->cfg->latest_tag;
}
