/* app_version.c - which version the app verbs boot (to be shared with the
 * build verbs): --version, else $VERSION, else latest[-DEST]. */
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
