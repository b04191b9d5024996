/* cmd_manual.c - `docs [SECTION]`, and the hidden verbs behind the man
 * pages and the shell completions: `__man 1|5` and `__completion SHELL`
 * (run at build time), `__complete KIND` (run by the completions). */
#include "kamal-c/docs.h"
#include "verbs.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

struct docs_page {
    const char *section; /* NULL: the overview */
    const char *text;
};

static void docs_text(const void *ud, struct kc_buf *out)
{
    kc_buf_adds(out, ((const struct docs_page *)ud)->text);
}

static void docs_json(const void *ud, struct kc_buf *out)
{
    const struct docs_page *page = ud;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddItemToObject(doc, "section",
                          page->section ? cJSON_CreateString(page->section) : cJSON_CreateNull());
    cJSON_AddStringToObject(doc, "text", page->text);
    char *json = cJSON_Print(doc);
    kc_buf_addf(out, "%s\n", json);
    free(json);
    cJSON_Delete(doc);
}

static int docs_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    const char *section = args->pos.n ? args->pos.v[0] : NULL;
    struct kc_buf text = KC_BUF_INIT;
    int rc = kc_docs_render(section, &text, err);
    if (rc == 0) {
        struct docs_page page = {section, kc_buf_str(&text)};
        struct kc_out_doc doc = {.text = docs_text, .json = docs_json, .ud = &page};
        kc_out_doc(ctx->out, &doc);
    }
    kc_buf_release(&text);
    return rc;
}

const struct kc_verb kc_verb_docs = {
    .name = "docs",
    .summary = "Show the configuration documentation (a section, or the overview)",
    .usage = "[SECTION]",
    .max_args = 1,
    .exec = docs_exec,
    .operand = KC_COMPLETE_DOCS,
    .help = "Prints a section of deploy.yml as YAML with comments: what each key does in\n"
            "kamal-c, where kamal-c differs from Kamal, then every key of the section with\n"
            "its type and default. Without a section, the overview, which names the\n"
            "sections. The same texts make the kamal-c-deploy.yml(5) man page.",
};

/* ---- hidden: what the build and the completions call ---------------------- */

static int print_generated(struct kc_ctx *ctx, int rc, struct kc_buf *text, const char *what,
                           const char *arg, struct kc_err *err)
{
    if (rc != 0)
        rc = kc_err_set(err, KC_EUSAGE, "no %s '%s'", what, arg);
    else
        kc_out_data(ctx->out, kc_buf_str(text), false);
    kc_buf_release(text);
    return rc;
}

static int man_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    const char *section = args->pos.v[0];
    struct kc_buf text = KC_BUF_INIT;
    int n = strcmp(section, "1") == 0 ? 1 : strcmp(section, "5") == 0 ? 5 : 0;
    return print_generated(ctx, kc_man_render(n, &text), &text, "man page section", section, err);
}

const struct kc_verb kc_verb_man = {
    .name = "__man",
    .summary = "Print the kamal-c(1) or kamal-c-deploy.yml(5) man page (roff)",
    .usage = "1|5",
    .min_args = 1,
    .max_args = 1,
    .flags = KC_V_HIDDEN,
    .exec = man_exec,
};

static int completion_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    struct kc_buf text = KC_BUF_INIT;
    const char *shell = args->pos.v[0];
    return print_generated(ctx, kc_completion_render(shell, &text), &text, "completion for", shell,
                           err);
}

const struct kc_verb kc_verb_completion = {
    .name = "__completion",
    .summary = "Print the completion script for a shell",
    .usage = "bash|zsh|fish",
    .min_args = 1,
    .max_args = 1,
    .flags = KC_V_HIDDEN,
    .exec = completion_exec,
};

/* Quiet by design: a completion shows nothing but the names, so a config
 * that cannot be read gives none, and status 0. */
static int complete_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    struct kc_buf names = KC_BUF_INIT;
    const char *kind = args->pos.v[0];
    int rc = kc_complete_names(kind, ctx->g.config_file, ctx->g.destination, &names);
    return print_generated(ctx, rc, &names, "completion kind", kind, err);
}

const struct kc_verb kc_verb_complete = {
    .name = "__complete",
    .summary = "Print names for a shell completion, from the deploy.yml -c/-d select",
    .usage = "accessories|roles|hosts|destinations|aliases|commands",
    .min_args = 1,
    .max_args = 1,
    .flags = KC_V_HIDDEN,
    .exec = complete_exec,
};
