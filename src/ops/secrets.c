/* secrets.c - `secrets fetch|extract|print`, and `$(kamal secrets ...)` in
 * secrets files run in-process (Kamal's lib/kamal/cli/secrets.rb and
 * lib/kamal/secrets/dotenv/inline_command_substitution.rb). The adapters
 * are in secrets_adapter.c, secrets_vaults.c and secrets_passbolt.c. */
#include "secrets_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const struct kc_sec_adapter *const adapters[] = {
    &kc_sec_onepassword, &kc_sec_bitwarden, &kc_sec_bws,    &kc_sec_lastpass, &kc_sec_aws,
    &kc_sec_gcp,         &kc_sec_doppler,   &kc_sec_enpass, &kc_sec_passbolt, &kc_sec_test,
};

const char *const *kc_secrets_adapter_names(void)
{
    static const char *names[KC_ARRAY_LEN(adapters) + 1];
    for (size_t i = 0; i < KC_ARRAY_LEN(adapters); i++)
        names[i] = adapters[i]->name;
    return names;
}

/* By Kamal's names, its aliases (one_password, last_pass, gcp_secret_manager,
 * bitwarden_secrets_manager) and, as its lookup does, any case. */
static const struct kc_sec_adapter *find_adapter(const char *name)
{
    for (size_t i = 0; i < KC_ARRAY_LEN(adapters); i++)
        if (strcasecmp(adapters[i]->name, name) == 0 ||
            (adapters[i]->alias && strcasecmp(adapters[i]->alias, name) == 0))
            return adapters[i];
    return NULL;
}

static int unknown_adapter(const char *name, struct kc_err *err)
{
    const char *const *names = kc_secrets_adapter_names();
    struct kc_buf all = KC_BUF_INIT;
    for (size_t i = 0; names[i]; i++)
        kc_buf_addf(&all, "%s%s", i ? ", " : "", names[i]);
    kc_err_set(err, KC_EUSAGE, "unknown secrets adapter '%s'", name);
    kc_err_set_hint(err, "adapters: %s", kc_buf_str(&all));
    kc_buf_release(&all);
    return KC_EUSAGE;
}

/* `CLI --version` must run: a missing CLI is named, with the adapter. */
static int check_cli(struct kc_sec_call *c, struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    struct kc_err e = KC_ERR_INIT;
    int rc = kc_sec_runv(c, KC_SEC_PLAIN, &res, &e, c->ad->cli, c->ad->version_arg, NULL);
    if (rc == KC_EREMOTE) {
        kc_err_release(&e);
        rc = kc_sec_fail(c, NULL, err, "the %s (%s) is not installed: '%s' is not on PATH",
                         c->ad->product, c->ad->cli, c->ad->cli);
        kc_err_set_hint(err, "install %s, or fetch these secrets another way", c->ad->cli);
    } else if (rc) {
        kc_err_move(err, &e);
    } else if (res.status != 0) {
        rc = kc_sec_fail(c, &res, err, "the %s does not work: '%s %s' failed", c->ad->product,
                         c->ad->cli, c->ad->version_arg);
    }
    kc_err_release(&e);
    kc_exec_result_release(&res);
    return rc;
}

int kc_secrets_fetch(struct kc_ctx *ctx, const struct kc_secrets_fetch_request *req,
                     struct kc_kvlist *results, struct kc_err *err)
{
    const struct kc_sec_adapter *ad = find_adapter(req->adapter ? req->adapter : "");
    if (req->adapter == NULL || *req->adapter == '\0')
        return kc_err_set(err, KC_EUSAGE, "secrets fetch needs --adapter (-a)");
    if (ad == NULL)
        return unknown_adapter(req->adapter, err);
    struct kc_strvec none = KC_STRVEC_INIT;
    struct kc_sec_call c = {
        ctx, ad, req->account, req->from, req->names ? req->names : &none, results, KC_KVLIST_INIT};
    if (c.account && *c.account == '\0')
        c.account = NULL;
    if (c.from && *c.from == '\0')
        c.from = NULL;
    if (ad->requires_account && c.account == NULL)
        return kc_sec_usage(&c, err, "--account is required (the account identifier or user)");
    int rc = ad->cli ? check_cli(&c, err) : 0;
    if (rc == 0)
        rc = ad->fetch(&c, err);
    kc_kvlist_release(&c.env);
    return rc;
}

char *kc_secrets_json(const struct kc_kvlist *results)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < results->n; i++)
        cJSON_AddStringToObject(o, results->v[i].key, results->v[i].value);
    char *s = cJSON_PrintUnformatted(o); /* NULL only when out of memory */
    char *r = kc_xstrdup(s ? s : "{}");
    cJSON_free(s);
    cJSON_Delete(o);
    return r;
}

int kc_secrets_extract(const char *name, const char *json, char **value, struct kc_err *err)
{
    *value = NULL;
    cJSON *j = cJSON_ParseWithOpts(json, NULL, true);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        kc_err_set(err, KC_EUSAGE, "secrets extract: the secrets given are not a JSON object");
        kc_err_set_hint(err, "pass the output of 'secrets fetch', e.g. extract %s $SECRETS", name);
        return KC_EUSAGE;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    char *suffix = kc_xasprintf("/%s", name);
    const cJSON *m;
    cJSON_ArrayForEach(m, j) if ((v == NULL || cJSON_IsNull(v)) && kc_ends_with(m->string, suffix))
        v = m;
    free(suffix);
    int rc = 0;
    if (v == NULL || cJSON_IsNull(v))
        rc = kc_err_set(err, KC_EREMOTE, "could not find secret %s", name);
    else
        *value = kc_sec_stringify(v);
    cJSON_Delete(j);
    return rc;
}

/* ---- the verbs ---- */

int kc_secrets_fetch_verb(struct kc_ctx *ctx, const struct kc_secrets_fetch_request *req,
                          struct kc_err *err)
{
    struct kc_kvlist results = KC_KVLIST_INIT;
    int rc = kc_secrets_fetch(ctx, req, &results, err);
    if (rc == 0) {
        char *json = kc_secrets_json(&results);
        char *line = kc_xasprintf("%s\n", json);
        kc_out_reveal(ctx->out, line, true);
        free(line);
        free(json);
    }
    kc_kvlist_release(&results);
    return rc;
}

int kc_secrets_extract_verb(struct kc_ctx *ctx, const char *name, const char *json,
                            struct kc_err *err)
{
    char *value = NULL;
    int rc = kc_secrets_extract(name, json, &value, err);
    if (rc == 0 && ctx->g.format == KC_FMT_JSON) {
        struct kc_kvlist one = KC_KVLIST_INIT;
        kc_kvlist_set(&one, name, value);
        char *doc = kc_secrets_json(&one);
        char *line = kc_xasprintf("%s\n", doc);
        kc_out_reveal(ctx->out, line, true);
        free(line);
        free(doc);
        kc_kvlist_release(&one);
    } else if (rc == 0) {
        char *line = kc_xasprintf("%s\n", value);
        kc_out_reveal(ctx->out, line, false);
        free(line);
    }
    free(value);
    return rc;
}

int kc_secrets_print(struct kc_ctx *ctx, struct kc_err *err)
{
    int rc = kc_ctx_secrets(ctx, err);
    if (rc)
        return rc;
    const struct kc_kvlist *all = &ctx->secrets.values;
    if (ctx->g.format == KC_FMT_JSON) {
        char *doc = kc_secrets_json(all);
        char *line = kc_xasprintf("%s\n", doc);
        kc_out_reveal(ctx->out, line, true);
        free(line);
        free(doc);
        return 0;
    }
    struct kc_buf text = KC_BUF_INIT;
    kc_buf_add(&text, "", 0);
    for (size_t i = 0; i < all->n; i++)
        kc_buf_addf(&text, "%s=%s\n", all->v[i].key, all->v[i].value);
    kc_out_reveal(ctx->out, kc_buf_str(&text), false);
    kc_buf_release(&text);
    return 0;
}

/* ---- $(kamal secrets ...) in a secrets file ---- */

/* Ruby's Shellwords.escape, which `fetch --inline` applies to its JSON: a
 * backslash before every ASCII character other than [A-Za-z0-9_-.,:+/@],
 * a newline as '\n' in quotes. Not a quoting for a command line (nothing
 * runs it): it keeps the JSON one word through `extract NAME $SECRETS`, and
 * its \( \) are no parentheses to the dotenv parser. Bytes of UTF-8
 * sequences stay as they are (they split as ordinary characters). */
static void shellwords_escape(const char *s, struct kc_buf *out)
{
    if (*s == '\0')
        kc_buf_adds(out, "''");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\n')
            kc_buf_adds(out, "'\n'");
        else if (ch >= 0x80 || isalnum(ch) || strchr("_-.,:+/@", ch))
            kc_buf_addc(out, *s);
        else
            kc_buf_addf(out, "\\%c", *s);
    }
}

/* The options of an inline fetch, as the verb takes them: --NAME VALUE,
 * --NAME=VALUE (adapter, account, from), -a VALUE, -aVALUE; --inline (what
 * Kamal adds) is ignored. */
static int inline_fetch_args(const struct kc_strvec *argv, struct kc_secrets_fetch_request *req,
                             struct kc_strvec *names, struct kc_err *err)
{
    static const char *const opts[] = {"adapter", "account", "from"};
    const char **slots[] = {&req->adapter, &req->account, &req->from};
    for (size_t i = 3; i < argv->n; i++) {
        const char *a = argv->v[i], *key = "", *val = NULL;
        size_t klen = 0, k = 0;
        if (strcmp(a, "--inline") == 0)
            continue;
        if (a[0] != '-' || a[1] == '\0') {
            kc_strvec_push(names, a);
            continue;
        }
        if (a[1] == '-') {
            key = a + 2;
            klen = strcspn(key, "=");
            val = key[klen] == '=' ? key + klen + 1 : NULL;
        } else if (a[1] == 'a') {
            key = "adapter";
            klen = 7;
            val = a[2] == '=' ? a + 3 : a[2] ? a + 2 : NULL;
        }
        while (k < 3 && !(strlen(opts[k]) == klen && strncmp(key, opts[k], klen) == 0))
            k++;
        if (k == 3)
            return kc_err_set(err, KC_ECONFIG, "secrets fetch: unknown option '%s'", a);
        if (val == NULL && i + 1 >= argv->n)
            return kc_err_set(err, KC_ECONFIG, "secrets fetch: option '%s' needs a value", a);
        *slots[k] = val ? val : argv->v[++i];
    }
    req->names = names;
    return 0;
}

static int inline_fetch(struct kc_ctx *ctx, const struct kc_strvec *argv, struct kc_buf *out,
                        struct kc_err *err)
{
    struct kc_secrets_fetch_request req = {NULL, NULL, NULL, NULL};
    struct kc_strvec names = KC_STRVEC_INIT;
    struct kc_kvlist results = KC_KVLIST_INIT;
    int rc = inline_fetch_args(argv, &req, &names, err);
    if (rc == 0)
        rc = kc_secrets_fetch(ctx, &req, &results, err);
    if (rc == 0) {
        char *json = kc_secrets_json(&results);
        shellwords_escape(json, out);
        free(json);
    }
    kc_kvlist_release(&results);
    kc_strvec_release(&names);
    return rc;
}

static int inline_extract(const struct kc_strvec *argv, struct kc_buf *out, struct kc_err *err)
{
    struct kc_strvec pos = KC_STRVEC_INIT;
    for (size_t i = 3; i < argv->n; i++)
        if (strcmp(argv->v[i], "--inline") != 0)
            kc_strvec_push(&pos, argv->v[i]);
    int rc = 0;
    char *value = NULL;
    if (pos.n != 2)
        rc =
            kc_err_set(err, KC_ECONFIG,
                       "secrets extract takes NAME and the fetched JSON, got %zu arguments", pos.n);
    else
        rc = kc_secrets_extract(pos.v[0], pos.v[1], &value, err);
    if (rc == 0)
        kc_buf_adds(out, value);
    free(value);
    kc_strvec_release(&pos);
    return rc;
}

/* Runs `kamal secrets SUB ...` here, as Kamal's inline_secrets_command does
 * (shell-word split, the first word dropped). -v shows it, redacted: every
 * value parsed or fetched so far is registered. */
static int run_inline(struct kc_ctx *ctx, const char *command, struct kc_buf *out,
                      struct kc_err *err)
{
    struct kc_strvec argv = KC_STRVEC_INIT;
    int rc = 0;
    if (kc_shell_split(command, &argv) != 0)
        rc = kc_err_set(err, KC_ECONFIG, "unmatched quote in '%s'", command);
    if (rc == 0 && ctx->out->verbosity > 0) {
        char *line = kc_xasprintf("%s (in kamal-c)", command);
        kc_out_trace_cmd(ctx->out, "local", line);
        free(line);
    }
    const char *sub = argv.n > 2 ? argv.v[2] : "";
    if (rc == 0 && strcmp(sub, "fetch") == 0)
        rc = inline_fetch(ctx, &argv, out, err);
    else if (rc == 0 && strcmp(sub, "extract") == 0)
        rc = inline_extract(&argv, out, err);
    else if (rc == 0)
        rc = kc_err_set(err, KC_ECONFIG,
                        "'secrets %s' cannot run inside a secrets file (fetch and extract can)",
                        sub);
    kc_strvec_release(&argv);
    return rc ? KC_ECONFIG : 0;
}

int kc_ctx_run_dotenv(void *ud, const char *command, struct kc_buf *out, struct kc_err *err)
{
    if (kc_dotenv_is_secrets_command(command))
        return run_inline(ud, command, out, err);
    return kc_ctx_run_shell(ud, command, out, err);
}
