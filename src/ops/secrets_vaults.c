/* secrets_vaults.c - the password-manager adapters: 1Password (op),
 * Bitwarden (bw), LastPass (lpass), Enpass (enpass-cli) and Passbolt
 * (passbolt), each following Kamal's adapter of the same name: its login
 * check, its arguments, the keys of its result. */
#include "secrets_int.h"

#include <stdlib.h>
#include <string.h>

static void trim(struct kc_buf *b)
{
    kc_buf_rtrim(b);
    size_t i = 0;
    while (i < b->len && (b->data[i] == ' ' || b->data[i] == '\n' || b->data[i] == '\t'))
        i++;
    if (i) {
        memmove(b->data, b->data + i, b->len - i + 1);
        b->len -= i;
    }
}

/* ---- 1password: op item get ITEM --vault VAULT --format json ... ---- */

struct op_item {
    char *vault, *item;
    struct kc_strvec fields; /* labels: section.field, "password" by default */
};

struct op_items {
    struct op_item *v;
    size_t n;
};

static struct op_item *op_item_for(struct op_items *items, const char *vault, const char *item)
{
    for (size_t i = 0; i < items->n; i++)
        if (strcmp(items->v[i].vault, vault) == 0 && strcmp(items->v[i].item, item) == 0)
            return &items->v[i];
    items->v = kc_xrealloc(items->v, (items->n + 1) * sizeof *items->v);
    struct op_item *it = &items->v[items->n++];
    it->vault = kc_xstrdup(vault);
    it->item = kc_xstrdup(item);
    it->fields = (struct kc_strvec)KC_STRVEC_INIT;
    return it;
}

static void op_items_release(struct op_items *items)
{
    for (size_t i = 0; i < items->n; i++) {
        free(items->v[i].vault);
        free(items->v[i].item);
        kc_strvec_release(&items->v[i].fields);
    }
    free(items->v);
}

static const char *strip_op(const char *s)
{
    return kc_starts_with(s, "op://") ? s + 5 : s;
}

/* VAULT/ITEM[/SECTION]/FIELD references, grouped by vault and item. */
static int op_group(struct kc_sec_call *c, const struct kc_strvec *secrets, struct op_items *items,
                    struct kc_err *err)
{
    for (size_t i = 0; i < secrets->n; i++) {
        struct kc_strvec p = KC_STRVEC_INIT;
        kc_sec_split_path(strip_op(secrets->v[i]), &p);
        if (p.n < 2) {
            kc_strvec_release(&p);
            return kc_sec_usage(c, err,
                                "'%s' names no item: write VAULT/ITEM[/FIELD] (or "
                                "--from VAULT/ITEM with field names)",
                                secrets->v[i]);
        }
        struct op_item *it = op_item_for(items, p.v[0], p.v[1]);
        if (p.n == 2) {
            kc_strvec_push(&it->fields, "password");
        } else {
            struct kc_buf label = KC_BUF_INIT;
            for (size_t j = 2; j < p.n; j++)
                kc_buf_addf(&label, "%s%s", j > 2 ? "." : "", p.v[j]);
            kc_strvec_push_nodup(&it->fields, kc_buf_detach(&label));
        }
        kc_strvec_release(&p);
    }
    return 0;
}

/* Each field's reference (op://vault/item/[section/]field) without op:// and
 * a trailing /password is its key. */
static void op_put_fields(struct kc_sec_call *c, const cJSON *fields)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, fields)
    {
        const char *ref = kc_sec_str(f, "reference");
        if (ref == NULL)
            continue;
        char *key = kc_xstrdup(strip_op(ref));
        if (kc_ends_with(key, "/password"))
            key[strlen(key) - 9] = '\0';
        const char *value = kc_sec_str(f, "value");
        kc_sec_put(c, key, value ? value : "");
        free(key);
    }
}

static int op_item_get(struct kc_sec_call *c, const struct op_item *it, const char *session,
                       struct kc_err *err)
{
    struct kc_cmd cmd = KC_CMD_INIT;
    kc_cmd_args(&cmd, "op", "item", "get", it->item, "--vault", it->vault, "--format", "json",
                "--account", c->account, NULL);
    if (session) {
        kc_cmd_arg(&cmd, "--session");
        kc_cmd_secret_arg(&cmd, session, "op-session");
    }
    struct kc_buf labels = KC_BUF_INIT;
    for (size_t i = 0; i < it->fields.n; i++)
        kc_buf_addf(&labels, "%slabel=%s", i ? "," : "", it->fields.v[i]);
    if (it->fields.n)
        kc_cmd_args(&cmd, "--fields", kc_buf_str(&labels), NULL);
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_sec_run(c, &cmd, KC_SEC_SECRET, &res, err);
    char *fields = kc_sec_list(&it->fields);
    if (rc == 0 && res.status != 0)
        rc = kc_sec_fail(c, &res, err, "could not read %s%sfrom %s in the %s 1Password vault",
                         fields, it->fields.n ? " " : "", it->item, it->vault);
    cJSON *j = rc ? NULL : kc_sec_parse(c, &res, it->item, err);
    if (rc == 0 && j == NULL)
        rc = KC_EREMOTE;
    if (rc == 0 && it->fields.n == 0) {
        op_put_fields(c, cJSON_GetObjectItemCaseSensitive(j, "fields"));
    } else if (rc == 0 && cJSON_IsObject(j)) { /* one field asked for: op prints it alone */
        cJSON *one = cJSON_CreateArray();
        cJSON_AddItemReferenceToArray(one, j);
        op_put_fields(c, one);
        cJSON_Delete(one);
    } else if (rc == 0) {
        op_put_fields(c, j);
    }
    cJSON_Delete(j);
    free(fields);
    kc_exec_result_release(&res);
    kc_buf_release(&labels);
    kc_cmd_release(&cmd);
    return rc;
}

/* Signed in already (op account get), else op signin: its stdout is the
 * session token (empty with the desktop app's integration). */
static int op_login(struct kc_sec_call *c, char **session, struct kc_err *err)
{
    *session = NULL;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_sec_runv(c, KC_SEC_SECRET, &res, err, "op", "account", "get", "--account",
                         c->account, NULL);
    if (rc == 0 && res.status != 0) {
        rc = kc_sec_runv(c, KC_SEC_SECRET | KC_SEC_LOGIN, &res, err, "op", "signin", "--account",
                         c->account, "--force", "--raw", NULL);
        if (rc == 0 && res.status != 0)
            rc = kc_sec_fail(c, &res, err, "failed to sign in to 1Password");
        trim(&res.out);
        if (rc == 0 && res.out.len) {
            *session = kc_xstrdup(kc_buf_str(&res.out));
            kc_out_add_secret(c->ctx->out, *session);
        }
    }
    kc_exec_result_release(&res);
    return rc;
}

static int op_fetch(struct kc_sec_call *c, struct kc_err *err)
{
    char *session = NULL;
    struct op_items items = {NULL, 0};
    struct kc_strvec secrets = KC_STRVEC_INIT;
    int rc = op_login(c, &session, err);
    if (rc == 0 && c->names->n == 0) { /* every field of --from VAULT/ITEM */
        struct kc_strvec p = KC_STRVEC_INIT;
        kc_sec_split_path(strip_op(c->from ? c->from : ""), &p);
        if (p.n < 2)
            rc = kc_sec_usage(c, err,
                              "name the secrets, or give --from VAULT/ITEM for all of "
                              "an item's fields");
        else
            op_item_for(&items, p.v[0], p.v[1]);
        kc_strvec_release(&p);
    } else if (rc == 0) {
        kc_sec_prefixed(c, &secrets);
        rc = op_group(c, &secrets, &items, err);
    }
    for (size_t i = 0; rc == 0 && i < items.n; i++)
        rc = op_item_get(c, &items.v[i], session, err);
    op_items_release(&items);
    kc_strvec_release(&secrets);
    free(session);
    return rc;
}

const struct kc_sec_adapter kc_sec_onepassword = {
    .name = "1password",
    .alias = "one_password",
    .cli = "op",
    .product = "1Password CLI",
    .version_arg = "--version",
    .requires_account = true,
    .fetch = op_fetch,
};

/* ---- bitwarden: bw get item ITEM (BW_SESSION in the environment) ---- */

static int bw_status(struct kc_sec_call *c, char **status, struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_sec_runv(c, KC_SEC_SECRET, &res, err, "bw", "status", NULL);
    cJSON *j = rc ? NULL : kc_sec_parse(c, &res, "status", err);
    if (rc == 0 && j == NULL)
        rc = KC_EREMOTE;
    const char *s = kc_sec_str(j, "status");
    free(*status);
    *status = kc_xstrdup(s ? s : "");
    cJSON_Delete(j);
    kc_exec_result_release(&res);
    return rc;
}

/* Logs in when unauthenticated, unlocks when locked (the session token goes
 * into BW_SESSION for every later bw), then syncs. */
static int bw_login(struct kc_sec_call *c, struct kc_err *err)
{
    char *status = NULL;
    int rc = bw_status(c, &status, err);
    if (rc == 0 && strcmp(status, "unauthenticated") == 0) {
        rc = kc_sec_runv(c, KC_SEC_SECRET | KC_SEC_LOGIN, NULL, err, "bw", "login", c->account,
                         NULL);
        if (rc == 0)
            rc = bw_status(c, &status, err);
    }
    if (rc == 0 && strcmp(status, "locked") == 0) {
        struct kc_exec_result res;
        kc_exec_result_init(&res);
        rc = kc_sec_runv(c, KC_SEC_SECRET | KC_SEC_LOGIN, &res, err, "bw", "unlock", "--raw", NULL);
        trim(&res.out);
        if (rc == 0 && res.out.len) {
            kc_kvlist_set(&c->env, "BW_SESSION", kc_buf_str(&res.out));
            kc_out_add_secret(c->ctx->out, kc_buf_str(&res.out));
        }
        kc_exec_result_release(&res);
        if (rc == 0)
            rc = bw_status(c, &status, err);
    }
    if (rc == 0 && strcmp(status, "unlocked") != 0)
        rc = kc_sec_fail(c, NULL, err, "failed to log in to and unlock Bitwarden (bw status: %s)",
                         status);
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    if (rc == 0)
        rc = kc_sec_runv(c, KC_SEC_SECRET, &res, err, "bw", "sync", NULL);
    if (rc == 0 && res.status != 0)
        rc = kc_sec_fail(c, &res, err, "failed to sync Bitwarden");
    kc_exec_result_release(&res);
    free(status);
    return rc;
}

/* The fields named (ITEM/FIELD), else the login's password, else every
 * custom field. */
static int bw_put_item(struct kc_sec_call *c, const char *item, const struct kc_strvec *fields,
                       bool bare, const cJSON *j, struct kc_err *err)
{
    const cJSON *custom = cJSON_GetObjectItemCaseSensitive(j, "fields");
    const char *password = kc_sec_str(cJSON_GetObjectItemCaseSensitive(j, "login"), "password");
    for (size_t i = 0; i < fields->n; i++) {
        const cJSON *f, *found = NULL;
        cJSON_ArrayForEach(f, custom) if (!found && kc_streq(kc_sec_str(f, "name"), fields->v[i]))
            found = f;
        if (found == NULL)
            return kc_sec_fail(c, NULL, err, "could not find field %s in item %s in Bitwarden",
                               fields->v[i], item);
        char *key = kc_xasprintf("%s/%s", item, fields->v[i]);
        const char *v = kc_sec_str(found, "value");
        kc_sec_put(c, key, v ? v : "");
        free(key);
    }
    if (fields->n && !bare)
        return 0;
    if (password) {
        kc_sec_put(c, item, password);
    } else if (cJSON_GetArraySize(custom) > 0 && fields->n == 0) {
        const cJSON *f;
        cJSON_ArrayForEach(f, custom)
        {
            const char *name = kc_sec_str(f, "name"), *v = kc_sec_str(f, "value");
            char *key = kc_xasprintf("%s/%s", item, name ? name : "");
            kc_sec_put(c, key, v ? v : "");
            free(key);
        }
    } else {
        return kc_sec_fail(c, NULL, err,
                           "item %s is not a login item and no fields were named (use %s/FIELD)",
                           item, item);
    }
    return 0;
}

static int bw_fetch(struct kc_sec_call *c, struct kc_err *err)
{
    int rc = bw_login(c, err);
    struct kc_strvec secrets = KC_STRVEC_INIT, items = KC_STRVEC_INIT;
    kc_sec_prefixed(c, &secrets);
    for (size_t i = 0; i < secrets.n; i++) {
        struct kc_strvec p = KC_STRVEC_INIT;
        kc_sec_split_path(secrets.v[i], &p);
        kc_strvec_push_unique(&items, p.n ? p.v[0] : "");
        kc_strvec_release(&p);
    }
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    for (size_t i = 0; rc == 0 && i < items.n; i++) {
        const char *item = items.v[i];
        struct kc_strvec fields = KC_STRVEC_INIT;
        bool bare = false;
        for (size_t k = 0; k < secrets.n; k++) { /* ITEM/FIELD (what follows is ignored) */
            struct kc_strvec p = KC_STRVEC_INIT;
            kc_sec_split_path(secrets.v[k], &p);
            if (p.n && strcmp(p.v[0], item) == 0) {
                if (p.n > 1)
                    kc_strvec_push_unique(&fields, p.v[1]);
                else
                    bare = true;
            }
            kc_strvec_release(&p);
        }
        rc = kc_sec_runv(c, KC_SEC_SECRET, &res, err, "bw", "get", "item", item, NULL);
        if (rc == 0 && res.status != 0)
            rc = kc_sec_fail(c, &res, err, "could not read %s from Bitwarden", item);
        cJSON *j = rc ? NULL : kc_sec_parse(c, &res, item, err);
        if (rc == 0 && j == NULL)
            rc = KC_EREMOTE;
        if (rc == 0)
            rc = bw_put_item(c, item, &fields, bare, j, err);
        cJSON_Delete(j);
        kc_strvec_release(&fields);
    }
    kc_exec_result_release(&res);
    kc_strvec_release(&items);
    kc_strvec_release(&secrets);
    return rc;
}

const struct kc_sec_adapter kc_sec_bitwarden = {
    .name = "bitwarden",
    .cli = "bw",
    .product = "Bitwarden CLI",
    .version_arg = "--version",
    .requires_account = true,
    .fetch = bw_fetch,
};

/* ---- lastpass: lpass show NAMES... --json ---- */

static int lpass_login(struct kc_sec_call *c, struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_sec_runv(c, KC_SEC_SECRET, &res, err, "lpass", "status", "--color", "never", NULL);
    trim(&res.out);
    char *want = kc_xasprintf("Logged in as %s.", c->account);
    if (rc == 0 && strcmp(kc_buf_str(&res.out), want) != 0) {
        rc = kc_sec_runv(c, KC_SEC_SECRET | KC_SEC_LOGIN, &res, err, "lpass", "login", c->account,
                         NULL);
        if (rc == 0 && res.status != 0)
            rc = kc_sec_fail(c, &res, err, "failed to log in to LastPass");
    }
    free(want);
    kc_exec_result_release(&res);
    return rc;
}

static int lpass_fetch(struct kc_sec_call *c, struct kc_err *err)
{
    int rc = lpass_login(c, err);
    struct kc_strvec secrets = KC_STRVEC_INIT, missing = KC_STRVEC_INIT;
    kc_sec_prefixed(c, &secrets);
    struct kc_cmd cmd = KC_CMD_INIT;
    kc_cmd_args(&cmd, "lpass", "show", NULL);
    for (size_t i = 0; i < secrets.n; i++)
        kc_cmd_arg(&cmd, secrets.v[i]);
    kc_cmd_arg(&cmd, "--json");
    char *list = kc_sec_list(&secrets);
    cJSON *j = NULL;
    if (rc == 0)
        rc = kc_sec_read_json(c, &cmd, list, "LastPass", "show", &j, err);
    const cJSON *item;
    cJSON_ArrayForEach(item, (rc ? NULL : j))
    {
        const char *name = kc_sec_str(item, "fullname"), *pw = kc_sec_str(item, "password");
        if (name)
            kc_sec_put(c, name, pw ? pw : "");
    }
    for (size_t i = 0; rc == 0 && i < secrets.n; i++)
        if (kc_kvlist_get(c->results, secrets.v[i]) == NULL)
            kc_strvec_push(&missing, secrets.v[i]);
    if (rc == 0)
        rc = kc_sec_none_missing(c, &missing, "LastPass", err);
    cJSON_Delete(j);
    free(list);
    kc_cmd_release(&cmd);
    kc_strvec_release(&missing);
    kc_strvec_release(&secrets);
    return rc;
}

const struct kc_sec_adapter kc_sec_lastpass = {
    .name = "lastpass",
    .alias = "last_pass",
    .cli = "lpass",
    .product = "LastPass CLI",
    .version_arg = "--version",
    .requires_account = true,
    .fetch = lpass_fetch,
};

/* ---- enpass: enpass-cli -json -vault VAULT show TITLES... ---- */

/* A name is TITLE (every password of the item) or TITLE/LABEL (one). */
static bool enpass_matched(const struct kc_kvlist *results, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < results->n; i++) {
        const char *k = results->v[i].key;
        if (strcmp(k, name) == 0 || (strncmp(k, name, n) == 0 && k[n] == '/'))
            return true;
    }
    return false;
}

static int enpass_put(struct kc_sec_call *c, const cJSON *items, struct kc_err *err)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        const char *title = kc_sec_str(it, "title"), *label = kc_sec_str(it, "label");
        const char *pw = kc_sec_str(it, "password");
        if (title == NULL || pw == NULL || *pw == '\0')
            continue;
        char *key = label && *label ? kc_xasprintf("%s/%s", title, label) : kc_xstrdup(title);
        int rc = 0;
        if (kc_strvec_contains(c->names, title) || kc_strvec_contains(c->names, key)) {
            if (kc_kvlist_get(c->results, key))
                rc = kc_sec_fail(c, NULL, err, "%s is present more than once", key);
            else
                kc_sec_put(c, key, pw);
        }
        free(key);
        if (rc)
            return rc;
    }
    return 0;
}

static int enpass_fetch(struct kc_sec_call *c, struct kc_err *err)
{
    if (c->from == NULL)
        return kc_sec_usage(c, err, "give the vault's path with --from");
    struct kc_strvec titles = KC_STRVEC_INIT, missing = KC_STRVEC_INIT;
    for (size_t i = 0; i < c->names->n; i++) {
        const char *slash = strrchr(c->names->v[i], '/');
        char *t = slash ? kc_xstrndup(c->names->v[i], (size_t)(slash - c->names->v[i]))
                        : kc_xstrdup(c->names->v[i]);
        kc_strvec_push_unique(&titles, t);
        free(t);
    }
    struct kc_cmd cmd = KC_CMD_INIT;
    kc_cmd_args(&cmd, "enpass-cli", "-json", "-vault", c->from, "show", NULL);
    for (size_t i = 0; i < titles.n; i++)
        kc_cmd_arg(&cmd, titles.v[i]);
    char *list = kc_sec_list(&titles);
    cJSON *j;
    int rc = kc_sec_read_json(c, &cmd, list, "the Enpass vault", "show", &j, err);
    if (rc == 0)
        rc = enpass_put(c, j, err);
    for (size_t i = 0; rc == 0 && i < c->names->n; i++)
        if (!enpass_matched(c->results, c->names->v[i]))
            kc_strvec_push(&missing, c->names->v[i]);
    if (rc == 0)
        rc = kc_sec_none_missing(c, &missing, "the Enpass vault", err);
    cJSON_Delete(j);
    free(list);
    kc_cmd_release(&cmd);
    kc_strvec_release(&missing);
    kc_strvec_release(&titles);
    return rc;
}

const struct kc_sec_adapter kc_sec_enpass = {
    .name = "enpass",
    .cli = "enpass-cli",
    .product = "Enpass CLI",
    .version_arg = "version",
    .fetch = enpass_fetch,
};
