/* secrets_adapter.c - what every secrets adapter shares (running the vendor
 * CLI, errors, JSON), and the adapters for cloud secret stores: AWS Secrets
 * Manager, Google Secret Manager, Doppler, Bitwarden Secrets Manager, plus
 * Kamal's `test` adapter. Each follows Kamal's adapter of the same name
 * (lib/kamal/secrets/adapters/): the same CLI arguments and the same keys in
 * the result. */
#include "secrets_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared ---- */

int kc_sec_run(struct kc_sec_call *c, const struct kc_cmd *cmd, unsigned how,
               struct kc_exec_result *res, struct kc_err *err)
{
    struct kc_local_opts o = {
        .env = c->env.n ? &c->env : NULL,
        .stderr_to_terminal = (how & KC_SEC_LOGIN) != 0,
        .stdin_from_terminal = (how & KC_SEC_LOGIN) != 0,
    };
    unsigned flags = KC_PROBE | ((how & KC_SEC_SECRET) ? KC_SECRET_OUTPUT : 0);
    struct kc_err e = KC_ERR_INIT;
    int rc = kc_local_run(c->ctx, cmd, flags, &o, res, &e);
    if (rc == KC_EREMOTE) /* it could not start (no KC_CHECK): "could not run 'op': ..." */
        kc_sec_fail(c, NULL, err, "%s", e.msg);
    else if (rc)
        kc_err_move(err, &e);
    kc_err_release(&e);
    return rc;
}

int kc_sec_runv(struct kc_sec_call *c, unsigned how, struct kc_exec_result *res, struct kc_err *err,
                ...)
{
    struct kc_cmd cmd = KC_CMD_INIT;
    va_list ap;
    va_start(ap, err);
    for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
        kc_cmd_arg(&cmd, a);
    va_end(ap);
    int rc = kc_sec_run(c, &cmd, how, res, err);
    kc_cmd_release(&cmd);
    return rc;
}

static int vfail(struct kc_sec_call *c, int code, struct kc_err *err, const char *fmt, va_list ap)
    KC_PRINTF(4, 0);

static int vfail(struct kc_sec_call *c, int code, struct kc_err *err, const char *fmt, va_list ap)
{
    char *msg = kc_xvasprintf(fmt, ap);
    kc_err_set(err, code, "%s: %s", c->ad->name, msg);
    free(msg);
    return code;
}

int kc_sec_fail(struct kc_sec_call *c, const struct kc_exec_result *res, struct kc_err *err,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(c, KC_EREMOTE, err, fmt, ap);
    va_end(ap);
    if (res && res->err.len)
        kc_err_set_remote(err, kc_buf_str(&res->err));
    if (res && res->status)
        kc_err_set_hint(err, "%s exited with status %d", c->ad->cli, res->status);
    return KC_EREMOTE;
}

int kc_sec_usage(struct kc_sec_call *c, struct kc_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(c, KC_EUSAGE, err, fmt, ap);
    va_end(ap);
    return KC_EUSAGE;
}

cJSON *kc_sec_parse(struct kc_sec_call *c, const struct kc_exec_result *res, const char *what,
                    struct kc_err *err)
{
    cJSON *j = cJSON_ParseWithOpts(kc_buf_str(&res->out), NULL, true);
    if (j == NULL)
        kc_sec_fail(c, res, err, "%s printed no JSON for %s", c->ad->cli, what);
    return j;
}

int kc_sec_read_json(struct kc_sec_call *c, const struct kc_cmd *cmd, const char *what,
                     const char *where, const char *sub, cJSON **out, struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    *out = NULL;
    int rc = kc_sec_run(c, cmd, KC_SEC_SECRET, &res, err);
    if (rc == 0 && res.status != 0)
        rc = kc_sec_fail(c, &res, err, "could not read %s from %s", what, where);
    if (rc == 0 && (*out = kc_sec_parse(c, &res, sub, err)) == NULL)
        rc = KC_EREMOTE;
    kc_exec_result_release(&res);
    return rc;
}

int kc_sec_none_missing(struct kc_sec_call *c, const struct kc_strvec *missing, const char *where,
                        struct kc_err *err)
{
    if (missing->n == 0)
        return 0;
    char *names = kc_sec_list(missing);
    int rc = kc_sec_fail(c, NULL, err, "could not find %s in %s", names, where);
    free(names);
    return rc;
}

const char *kc_sec_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

char *kc_sec_stringify(const cJSON *v)
{
    if (cJSON_IsString(v))
        return kc_xstrdup(v->valuestring);
    char *s = cJSON_PrintUnformatted(v); /* NULL only when out of memory */
    char *r = kc_xstrdup(s ? s : "");
    cJSON_free(s);
    return r;
}

void kc_sec_put(struct kc_sec_call *c, const char *key, const char *value)
{
    kc_kvlist_set(c->results, key, value);
    kc_out_add_secret(c->ctx->out, value);
}

void kc_sec_prefixed(const struct kc_sec_call *c, struct kc_strvec *out)
{
    for (size_t i = 0; i < c->names->n; i++) {
        if (c->from)
            kc_strvec_pushf(out, "%s/%s", c->from, c->names->v[i]);
        else
            kc_strvec_push(out, c->names->v[i]);
    }
}

char *kc_sec_list(const struct kc_strvec *v)
{
    return kc_strvec_join(v, ", ");
}

void kc_sec_split_path(const char *s, struct kc_strvec *parts)
{
    for (const char *p = s;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        kc_strvec_push_nodup(parts, kc_xstrndup(p, n));
        if (slash == NULL)
            break;
        p = slash + 1;
    }
    while (parts->n && parts->v[parts->n - 1][0] == '\0') /* Ruby drops trailing empties */
        free(parts->v[--parts->n]);
}

/* ---- test: each value is its prefixed name reversed (Kamal's docs and tests) ---- */

static int test_fetch(struct kc_sec_call *c, struct kc_err *err)
{
    (void)err;
    struct kc_strvec names = KC_STRVEC_INIT;
    kc_sec_prefixed(c, &names);
    for (size_t i = 0; i < names.n; i++) {
        const char *n = names.v[i];
        struct kc_buf v = KC_BUF_INIT;
        kc_buf_add(&v, "", 0);
        for (size_t j = 0; n[j];) { /* LPAREN and RPAREN stand for ( and ) */
            if (strncmp(n + j, "LPAREN", 6) == 0 || strncmp(n + j, "RPAREN", 6) == 0) {
                kc_buf_addc(&v, n[j] == 'L' ? '(' : ')');
                j += 6;
            } else {
                kc_buf_addc(&v, n[j++]);
            }
        }
        for (size_t a = 0, b = v.len; b > a + 1; a++, b--) {
            char t = v.data[a];
            v.data[a] = v.data[b - 1];
            v.data[b - 1] = t;
        }
        kc_sec_put(c, n, kc_buf_str(&v));
        kc_buf_release(&v);
    }
    kc_strvec_release(&names);
    return 0;
}

const struct kc_sec_adapter kc_sec_test = {
    .name = "test",
    .product = "test adapter",
    .requires_account = true,
    .fetch = test_fetch,
};

/* ---- aws_secrets_manager: aws secretsmanager batch-get-secret-value ---- */

/* A SecretString: a JSON object gives NAME/KEY for each member, any other
 * JSON value or plain text gives NAME. */
static void aws_put_secret(struct kc_sec_call *c, const char *name, const char *text)
{
    cJSON *j = cJSON_ParseWithOpts(text, NULL, true);
    if (cJSON_IsObject(j)) {
        const cJSON *m;
        cJSON_ArrayForEach(m, j)
        {
            char *key = kc_xasprintf("%s/%s", name, m->string);
            char *v = kc_sec_stringify(m);
            kc_sec_put(c, key, v);
            free(v);
            free(key);
        }
    } else if (j) {
        char *v = kc_sec_stringify(j);
        kc_sec_put(c, name, v);
        free(v);
    } else {
        kc_sec_put(c, name, text);
    }
    cJSON_Delete(j);
}

static int aws_errors(struct kc_sec_call *c, const cJSON *errors, struct kc_err *err)
{
    struct kc_strvec msgs = KC_STRVEC_INIT;
    const cJSON *e;
    cJSON_ArrayForEach(e, errors)
    {
        const char *id = kc_sec_str(e, "SecretId"), *msg = kc_sec_str(e, "Message");
        kc_strvec_pushf(&msgs, "%s: %s", id ? id : "?", msg ? msg : "error");
    }
    char *all = kc_strvec_join(&msgs, " ");
    kc_sec_fail(c, NULL, err, "%s", all);
    free(all);
    kc_strvec_release(&msgs);
    return KC_EREMOTE;
}

static int aws_fetch(struct kc_sec_call *c, struct kc_err *err)
{
    struct kc_strvec ids = KC_STRVEC_INIT;
    kc_sec_prefixed(c, &ids);
    if (ids.n == 0) {
        kc_strvec_release(&ids);
        return kc_sec_usage(c, err, "name the secrets to fetch");
    }
    struct kc_cmd cmd = KC_CMD_INIT;
    kc_cmd_args(&cmd, "aws", "secretsmanager", "batch-get-secret-value", "--secret-id-list", NULL);
    for (size_t i = 0; i < ids.n; i++)
        kc_cmd_arg(&cmd, ids.v[i]);
    if (c->account)
        kc_cmd_args(&cmd, "--profile", c->account, NULL);
    kc_cmd_args(&cmd, "--output", "json", NULL);
    char *list = kc_sec_list(&ids);
    cJSON *j;
    int rc = kc_sec_read_json(c, &cmd, list, "AWS Secrets Manager", "batch-get-secret-value", &j,
                              err);
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(j, "Errors");
    if (rc == 0 && cJSON_GetArraySize(errors) > 0)
        rc = aws_errors(c, errors, err);
    const cJSON *s;
    cJSON_ArrayForEach(s, (rc ? NULL : cJSON_GetObjectItemCaseSensitive(j, "SecretValues")))
    {
        const char *name = kc_sec_str(s, "Name"), *text = kc_sec_str(s, "SecretString");
        if (name && text) {
            aws_put_secret(c, name, text);
        } else {
            rc = kc_sec_fail(c, NULL, err,
                             "%s has no SecretString (binary secrets are not "
                             "supported)",
                             name ? name : "a secret");
            break;
        }
    }
    cJSON_Delete(j);
    free(list);
    kc_cmd_release(&cmd);
    kc_strvec_release(&ids);
    return rc;
}

const struct kc_sec_adapter kc_sec_aws = {
    .name = "aws_secrets_manager",
    .cli = "aws",
    .product = "AWS CLI",
    .version_arg = "--version",
    .fetch = aws_fetch,
};

/* ---- gcp: gcloud secrets versions access ---- */

static int gcp_logged_in(struct kc_sec_call *c, bool *in, struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc =
        kc_sec_runv(c, KC_SEC_SECRET, &res, err, "gcloud", "auth", "list", "--format=json", NULL);
    cJSON *j = rc ? NULL : cJSON_Parse(kc_buf_str(&res.out));
    *in = rc == 0 && res.status == 0 && cJSON_GetArraySize(j) > 0;
    cJSON_Delete(j);
    kc_exec_result_release(&res);
    return rc;
}

static int gcp_login(struct kc_sec_call *c, struct kc_err *err)
{
    bool in = false;
    int rc = gcp_logged_in(c, &in, err);
    if (rc || in)
        return rc;
    rc = kc_sec_runv(c, KC_SEC_LOGIN, NULL, err, "gcloud", "auth", "login", NULL);
    if (rc == 0)
        rc = gcp_logged_in(c, &in, err);
    if (rc == 0 && !in)
        rc = kc_sec_fail(c, NULL, err, "could not log in to gcloud");
    return rc;
}

/* NAME, PROJECT/NAME or PROJECT/NAME/VERSION ("default" project, "latest"). */
static int gcp_fetch_one(struct kc_sec_call *c, const char *secret, const char *user,
                         const char *impersonate, struct kc_err *err)
{
    struct kc_strvec p = KC_STRVEC_INIT;
    kc_sec_split_path(secret, &p);
    size_t at = p.n == 1 ? 0 : 1;
    const char *project = p.n == 1 ? "default" : p.v[0];
    const char *name = p.n > at ? p.v[at] : "";
    const char *version = p.n > at + 1 ? p.v[at + 1] : "latest";
    char *item = kc_xasprintf("%s/%s", project, name);
    struct kc_cmd cmd = KC_CMD_INIT;
    kc_cmd_args(&cmd, "gcloud", "secrets", "versions", "access", version, NULL);
    kc_cmd_argf(&cmd, "--secret=%s", name);
    if (strcmp(project, "default") != 0)
        kc_cmd_argf(&cmd, "--project=%s", project);
    if (strcmp(user, "default") != 0)
        kc_cmd_argf(&cmd, "--account=%s", user);
    if (impersonate)
        kc_cmd_argf(&cmd, "--impersonate-service-account=%s", impersonate);
    kc_cmd_arg(&cmd, "--format=json");
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_sec_run(c, &cmd, KC_SEC_SECRET, &res, err);
    if (rc == 0 && res.status != 0)
        rc = kc_sec_fail(c, &res, err, "could not read %s from Google Secret Manager", item);
    cJSON *j = rc ? NULL : kc_sec_parse(c, &res, item, err);
    const char *data = kc_sec_str(cJSON_GetObjectItemCaseSensitive(j, "payload"), "data");
    struct kc_buf value = KC_BUF_INIT;
    if (rc == 0 && j == NULL)
        rc = KC_EREMOTE;
    else if (rc == 0 && (data == NULL || kc_base64_decode(data, &value) != 0))
        rc = kc_sec_fail(c, NULL, err, "no base64 payload.data in gcloud's answer for %s", item);
    if (rc == 0)
        kc_sec_put(c, item, kc_buf_str(&value));
    kc_buf_release(&value);
    cJSON_Delete(j);
    kc_exec_result_release(&res);
    kc_cmd_release(&cmd);
    free(item);
    kc_strvec_release(&p);
    return rc;
}

/* --account: USER[|SERVICE_ACCOUNT[,DELEGATE...]], USER "default" for
 * gcloud's active account. */
static int gcp_fetch(struct kc_sec_call *c, struct kc_err *err)
{
    int rc = gcp_login(c, err);
    const char *bar = strchr(c->account, '|');
    char *user = bar ? kc_xstrndup(c->account, (size_t)(bar - c->account)) : kc_xstrdup(c->account);
    struct kc_strvec secrets = KC_STRVEC_INIT;
    kc_sec_prefixed(c, &secrets);
    for (size_t i = 0; rc == 0 && i < secrets.n; i++)
        rc = gcp_fetch_one(c, secrets.v[i], user, bar ? bar + 1 : NULL, err);
    kc_strvec_release(&secrets);
    free(user);
    return rc;
}

const struct kc_sec_adapter kc_sec_gcp = {
    .name = "gcp",
    .alias = "gcp_secret_manager",
    .cli = "gcloud",
    .product = "gcloud CLI",
    .version_arg = "--version",
    .requires_account = true,
    .fetch = gcp_fetch,
};

/* ---- doppler: doppler secrets get ---- */

static int doppler_login(struct kc_sec_call *c, struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_sec_runv(c, KC_SEC_SECRET, &res, err, "doppler", "me", "--json", NULL);
    if (rc == 0 && res.status != 0) {
        rc = kc_sec_runv(c, KC_SEC_LOGIN, &res, err, "doppler", "login", "-y", NULL);
        if (rc == 0 && res.status != 0)
            rc = kc_sec_fail(c, &res, err, "failed to log in to Doppler");
    }
    kc_exec_result_release(&res);
    return rc;
}

/* A service token (dp.st.*) knows its project and config; otherwise the
 * first name says them: --from PROJECT/CONFIG. */
static int doppler_project(struct kc_sec_call *c, const struct kc_strvec *secrets,
                           struct kc_cmd *cmd, struct kc_err *err)
{
    const char *token = getenv("DOPPLER_TOKEN");
    if (token && strncmp(token, "dp.st", 5) == 0)
        return 0;
    struct kc_strvec p = KC_STRVEC_INIT;
    if (secrets->n)
        kc_sec_split_path(secrets->v[0], &p);
    int rc = 0;
    if (p.n < 2)
        rc = kc_sec_usage(c, err, "missing project or config: use --from PROJECT/CONFIG");
    else
        kc_cmd_args(cmd, "-p", p.v[0], "-c", p.v[1], NULL);
    kc_strvec_release(&p);
    return rc;
}

static int doppler_fetch(struct kc_sec_call *c, struct kc_err *err)
{
    int rc = doppler_login(c, err);
    struct kc_strvec secrets = KC_STRVEC_INIT, names = KC_STRVEC_INIT;
    kc_sec_prefixed(c, &secrets);
    struct kc_cmd cmd = KC_CMD_INIT;
    kc_cmd_args(&cmd, "doppler", "secrets", "get", NULL);
    for (size_t i = 0; i < secrets.n; i++) {
        const char *slash = strrchr(secrets.v[i], '/');
        kc_strvec_push(&names, slash ? slash + 1 : secrets.v[i]);
        kc_cmd_arg(&cmd, names.v[i]);
    }
    kc_cmd_arg(&cmd, "--json");
    if (rc == 0)
        rc = doppler_project(c, &secrets, &cmd, err);
    char *list = kc_sec_list(&names);
    cJSON *j = NULL;
    if (rc == 0)
        rc = kc_sec_read_json(c, &cmd, list, "Doppler", "secrets get", &j, err);
    for (size_t i = 0; rc == 0 && i < names.n; i++)
        if (!cJSON_GetObjectItemCaseSensitive(j, names.v[i]))
            rc = kc_sec_fail(c, NULL, err, "could not find %s in Doppler", names.v[i]);
    const cJSON *m;
    cJSON_ArrayForEach(m, (rc ? NULL : j))
    {
        const char *v = kc_sec_str(m, "computed");
        kc_sec_put(c, m->string, v ? v : "");
    }
    cJSON_Delete(j);
    free(list);
    kc_cmd_release(&cmd);
    kc_strvec_release(&names);
    kc_strvec_release(&secrets);
    return rc;
}

const struct kc_sec_adapter kc_sec_doppler = {
    .name = "doppler",
    .cli = "doppler",
    .product = "Doppler CLI",
    .version_arg = "--version",
    .fetch = doppler_fetch,
};

/* ---- bitwarden-sm: bws secret get ID / bws secret list [PROJECT] ---- */

static void bws_put(struct kc_sec_call *c, const cJSON *item)
{
    const char *key = kc_sec_str(item, "key"), *value = kc_sec_str(item, "value");
    if (key)
        kc_sec_put(c, key, value ? value : "");
}

/* `all` lists every secret, `PROJECT/all` a project's; anything else is a
 * list of secret ids. */
static int bws_fetch(struct kc_sec_call *c, struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_sec_runv(c, KC_SEC_SECRET, &res, err, "bws", "project", "list", NULL);
    if (rc == 0 && res.status != 0)
        rc = kc_sec_fail(c, &res, err,
                         "could not authenticate to Bitwarden Secrets Manager: is "
                         "BWS_ACCESS_TOKEN set to a valid access token?");
    struct kc_strvec ids = KC_STRVEC_INIT;
    kc_sec_prefixed(c, &ids);
    if (rc == 0 && ids.n == 0)
        rc = kc_sec_usage(c, err, "name what to fetch: secret ids, all, or PROJECT/all");
    bool all = ids.n == 1 && (strcmp(ids.v[0], "all") == 0 || kc_ends_with(ids.v[0], "/all"));
    struct kc_cmd cmd = KC_CMD_INIT;
    if (rc == 0 && all) {
        kc_cmd_args(&cmd, "bws", "secret", "list", NULL);
        if (strcmp(ids.v[0], "all") != 0)
            kc_cmd_argf(&cmd, "%.*s", (int)(strlen(ids.v[0]) - 4), ids.v[0]);
        rc = kc_sec_run(c, &cmd, KC_SEC_SECRET, &res, err);
        if (rc == 0 && res.status != 0)
            rc = kc_sec_fail(c, &res, err, "could not read secrets from Bitwarden Secrets Manager");
        cJSON *j = rc ? NULL : kc_sec_parse(c, &res, "secret list", err);
        const cJSON *item;
        cJSON_ArrayForEach(item, j) bws_put(c, item);
        if (rc == 0 && j == NULL)
            rc = KC_EREMOTE;
        cJSON_Delete(j);
    }
    for (size_t i = 0; rc == 0 && !all && i < ids.n; i++) {
        rc = kc_sec_runv(c, KC_SEC_SECRET, &res, err, "bws", "secret", "get", ids.v[i], NULL);
        if (rc == 0 && res.status != 0)
            rc = kc_sec_fail(c, &res, err, "could not read %s from Bitwarden Secrets Manager",
                             ids.v[i]);
        cJSON *j = rc ? NULL : kc_sec_parse(c, &res, ids.v[i], err);
        if (j)
            bws_put(c, j);
        else if (rc == 0)
            rc = KC_EREMOTE;
        cJSON_Delete(j);
    }
    kc_cmd_release(&cmd);
    kc_strvec_release(&ids);
    kc_exec_result_release(&res);
    return rc;
}

const struct kc_sec_adapter kc_sec_bws = {
    .name = "bitwarden-sm",
    .alias = "bitwarden_secrets_manager",
    .cli = "bws",
    .product = "Bitwarden Secrets Manager CLI",
    .version_arg = "--version",
    .fetch = bws_fetch,
};
