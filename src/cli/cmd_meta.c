/* cmd_meta.c - verbs about kamal-c itself: version, help, config, init. */
#include "kamal-c/config.h"
#include "parse.h"
#include "verbs.h"

#include <stdlib.h>
#include <string.h>

static int version_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    (void)args;
    (void)err;
    kc_out_version(ctx->out, KC_VERSION, KC_KAMAL_COMPAT_VERSION);
    return 0;
}

const struct kc_verb kc_verb_version = {
    .name = "version",
    .summary = "Show kamal-c's version and the Kamal configuration it implements",
    .max_args = 0,
    .exec = version_exec,
};

/* help [COMMAND [SUBCOMMAND]]: walks the table like the parser does. */
static int help_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    const struct kc_verb *path[KC_MAX_DEPTH] = {&kc_root_verb};
    size_t depth = 1;
    for (size_t i = 0; i < args->pos.n; i++) {
        const struct kc_verb *group = path[depth - 1];
        const struct kc_verb *next = NULL;
        for (size_t j = 0; group->subs && group->subs[j]; j++)
            if (strcmp(group->subs[j]->name, args->pos.v[i]) == 0)
                next = group->subs[j];
        if (next == NULL || depth >= KC_MAX_DEPTH)
            return kc_err_set(err, KC_EUSAGE, "no help for unknown command '%s'", args->pos.v[i]);
        path[depth++] = next;
    }
    kc_help_out(ctx->out, path, depth);
    return 0;
}

const struct kc_verb kc_verb_help = {
    .name = "help",
    .summary = "Describe the commands, or one command",
    .usage = "[COMMAND [SUBCOMMAND]]",
    .max_args = 2,
    .exec = help_exec,
    .operand = KC_COMPLETE_COMMAND,
};

/* The configuration as YAML (text) or JSON: the output target picks. */
static void dump_yaml(const void *ud, struct kc_buf *out)
{
    const struct kc_ctx *ctx = ud;
    kc_config_dump_yaml(ctx->cfg, ctx->g.version, out);
}

static void dump_json(const void *ud, struct kc_buf *out)
{
    const struct kc_ctx *ctx = ud;
    kc_config_dump_json(ctx->cfg, ctx->g.version, out);
}

static int config_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    (void)args;
    (void)err;
    const struct kc_out_doc doc = {.text = dump_yaml, .json = dump_json, .ud = ctx};
    kc_out_doc(ctx->out, &doc);
    return 0;
}

const struct kc_verb kc_verb_config = {
    .name = "config",
    .summary = "Show the combined configuration (secrets redacted)",
    .max_args = 0,
    .flags = KC_V_CONFIG,
    .exec = config_exec,
    .help = "Loads config/deploy.yml (with -d, also config/deploy.DEST.yml), validates it and "
            "prints the\nresolved configuration: roles, hosts, primary host, image, "
            "accessories, ssh options.\nSecret values are never shown. --format json prints "
            "JSON.",
};

static int init_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    (void)args;
    struct kc_strvec created = KC_STRVEC_INIT;
    int rc = kc_init_project(".", &created, err);
    for (size_t i = 0; rc == 0 && i < created.n; i++)
        kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "Created %s", created.v[i]);
    kc_strvec_release(&created);
    return rc;
}

const struct kc_verb kc_verb_init = {
    .name = "init",
    .summary = "Create config/deploy.yml, .kamal/secrets and sample hooks",
    .max_args = 0,
    .exec = init_exec,
    .help = "Writes a commented config/deploy.yml, .kamal/secrets and .kamal/hooks/*.sample.\n"
            "Refuses to overwrite: when any of them exists, nothing is written.",
};
