/* test_ops_secrets.c - every secrets adapter over a scripted vendor CLI (the
 * local choke point's transport seam): the exact argv of each call (and the
 * variables added to its environment), the parsing of the CLI's JSON (our own
 * fixtures, shaped as the vendors document it, in tests/fixtures/secrets/
 * vendors), the errors; `extract`'s rules; and secrets files that use
 * `$(kamal secrets ...)` as Kamal's docs write them, parsed in-process. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/cmd.h"
#include "kamal-c/local.h"
#include "kamal-c/ops_secrets.h"

#define VENDORS KC_FIXTURES "/secrets/vendors/"

/* One scripted call: the argv (each word shell-quoted, joined by spaces) it
 * answers, its exit status (-1: the program is not installed) and stdout
 * ("@file" reads a fixture). Steps are used once each, in order. */
struct step {
    const char *argv;
    int status;
    const char *out;
};

struct fake {
    const struct step *steps;
    size_t n;
    bool *used;
    struct kc_strvec ran; /* every argv, rendered; "ENV K=V" lines before it */
};

static char *render_argv(const char *const *argv)
{
    struct kc_buf b = KC_BUF_INIT;
    for (size_t i = 0; argv[i]; i++) {
        if (i)
            kc_buf_addc(&b, ' ');
        kc_shell_quote(&b, argv[i]);
    }
    return kc_buf_detach(&b);
}

static int fake_run(void *ud, const char *const *argv, const struct kc_kvlist *env, const void *in,
                    size_t in_len, struct kc_exec_result *res)
{
    (void)in;
    (void)in_len;
    struct fake *f = ud;
    char *line = render_argv(argv);
    for (size_t i = 0; env && i < env->n; i++)
        kc_strvec_pushf(&f->ran, "ENV %s=%s", env->v[i].key, env->v[i].value);
    kc_strvec_push(&f->ran, line);
    for (size_t i = 0; i < f->n; i++) {
        if (f->used[i] || strcmp(f->steps[i].argv, line) != 0)
            continue;
        f->used[i] = true;
        free(line);
        if (f->steps[i].status < 0) {
            errno = ENOENT;
            return -1;
        }
        res->status = f->steps[i].status;
        const char *o = f->steps[i].out ? f->steps[i].out : "";
        if (o[0] == '@') {
            char *path = kc_xasprintf("%s%s", VENDORS, o + 1);
            assert_int_equal(kc_read_file(path, 0, &res->out), 0);
            free(path);
        } else {
            kc_buf_adds(&res->out, o);
        }
        return 0;
    }
    fail_msg("unexpected command: %s", line);
    return -1;
}

/* A context with no configuration whose local programs are the script. */
struct env {
    struct kc_out out;
    struct kc_ctx ctx;
    struct fake fake;
    struct kc_local_transport t;
    struct kc_kvlist results;
    struct kc_err err;
    FILE *null;
};

static void env_init(struct env *e, const struct step *steps, size_t n)
{
    memset(e, 0, sizeof *e);
    e->null = fopen("/dev/null", "w");
    kc_out_init(&e->out, KC_FMT_TEXT, 0, e->null, e->null);
    kc_ctx_init(&e->ctx, &e->out, NULL);
    e->fake.steps = steps;
    e->fake.n = n;
    e->fake.used = kc_xcalloc(n ? n : 1, sizeof(bool));
    e->t.run = fake_run;
    e->t.ud = &e->fake;
    e->ctx.local_transport = &e->t;
}

static void env_done(struct env *e)
{
    for (size_t i = 0; i < e->fake.n; i++)
        if (!e->fake.used[i])
            fail_msg("scripted command never ran: %s", e->fake.steps[i].argv);
    free(e->fake.used);
    kc_strvec_release(&e->fake.ran);
    kc_kvlist_release(&e->results);
    kc_err_release(&e->err);
    kc_ctx_release(&e->ctx);
    kc_out_release(&e->out);
    fclose(e->null);
}

#define SCRIPT(...)                                                                                \
    static const struct step steps[] = {__VA_ARGS__};                                              \
    struct env e;                                                                                  \
    env_init(&e, steps, sizeof steps / sizeof steps[0])

/* Runs a fetch; names are a space-separated list ("" for none). */
static int fetch(struct env *e, const char *adapter, const char *account, const char *from,
                 const char *names)
{
    struct kc_strvec v = KC_STRVEC_INIT;
    kc_strvec_split(&v, names, " ");
    struct kc_secrets_fetch_request req = {adapter, account, from, &v};
    int rc = kc_secrets_fetch(&e->ctx, &req, &e->results, &e->err);
    kc_strvec_release(&v);
    return rc;
}

static void assert_json(struct env *e, const char *want)
{
    char *json = kc_secrets_json(&e->results);
    assert_string_equal(json, want);
    free(json);
}

static void assert_ran(struct env *e, size_t i, const char *want)
{
    if (i >= e->fake.ran.n)
        fail_msg("only %zu commands ran, wanted [%zu] %s", e->fake.ran.n, i, want);
    assert_string_equal(e->fake.ran.v[i], want);
}

static void assert_err(struct env *e, int code, const char *msg)
{
    assert_int_equal(e->err.code, code);
    if (e->err.msg == NULL || strstr(e->err.msg, msg) == NULL)
        fail_msg("error [%s] lacks [%s]", e->err.msg ? e->err.msg : "(none)", msg);
}

/* ---- adapter selection and the common checks ---- */

static void test_test_adapter_and_lookup(void **state)
{
    (void)state;
    SCRIPT({"unused", 0, ""});
    e.fake.used[0] = true;
    assert_int_equal(fetch(&e, "test", "acct", NULL, "foo bar baz"), 0);
    assert_json(&e, "{\"foo\":\"oof\",\"bar\":\"rab\",\"baz\":\"zab\"}");
    kc_kvlist_release(&e.results);
    assert_int_equal(fetch(&e, "TEST", "acct", "Vault/Item", "KEYLPARENxRPAREN"), 0);
    assert_json(&e, "{\"Vault/Item/KEYLPARENxRPAREN\":\")x(YEK/metI/tluaV\"}");
    /* a value fetched is redacted at once */
    char *r = kc_out_redact(&e.out, "got )x(YEK/metI/tluaV");
    assert_string_equal(r, "got [REDACTED]");
    free(r);
    assert_int_equal(fetch(&e, "test", NULL, NULL, "foo"), KC_EUSAGE);
    assert_err(&e, KC_EUSAGE, "test: --account is required");
    kc_err_release(&e.err);
    assert_int_equal(fetch(&e, "keepass", NULL, NULL, "foo"), KC_EUSAGE);
    assert_err(&e, KC_EUSAGE, "unknown secrets adapter 'keepass'");
    assert_non_null(strstr(e.err.hint, "1password, bitwarden, bitwarden-sm"));
    kc_err_release(&e.err);
    assert_int_equal(fetch(&e, NULL, NULL, NULL, "foo"), KC_EUSAGE);
    assert_err(&e, KC_EUSAGE, "needs --adapter");
    assert_int_equal(e.fake.ran.n, 0);
    env_done(&e);
}

static void test_missing_cli_is_named(void **state)
{
    (void)state;
    SCRIPT({"op --version", -1, NULL}, {"gcloud --version", 1, NULL},
           {"enpass-cli version", -1, NULL});
    assert_int_equal(fetch(&e, "one_password", "my", NULL, "V/I/F"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "1password: the 1Password CLI (op) is not installed");
    assert_int_equal(e.fake.ran.n, 1); /* nothing else was tried */
    kc_err_release(&e.err);
    assert_int_equal(fetch(&e, "gcp_secret_manager", "default", NULL, "x"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "gcp: the gcloud CLI does not work: 'gcloud --version' failed");
    kc_err_release(&e.err);
    assert_int_equal(fetch(&e, "enpass", NULL, "/vault", "x"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "enpass: the Enpass CLI (enpass-cli) is not installed");
    env_done(&e);
}

/* ---- 1password ---- */

static void test_onepassword_fields_across_items(void **state)
{
    (void)state;
    SCRIPT({"op --version", 0, "2.30.0\n"}, {"op account get --account my", 0, "{}"},
           {"op item get Web --vault Prod --format json --account my --fields "
            "label=db.DB_PASSWORD,label=db.DB_USER",
            0, "@op-item-fields.json"},
           {"op item get Registry --vault Prod --format json --account my --fields "
            "label=password",
            0, "@op-item-password.json"});
    assert_int_equal(
        fetch(&e, "1password", "my", "op://Prod", "Web/db/DB_PASSWORD Web/db/DB_USER Registry"), 0);
    assert_json(&e, "{\"Prod/Web/db/DB_PASSWORD\":\"db-pw-from-op\",\"Prod/Web/db/DB_USER\":"
                    "\"web\",\"Prod/Registry\":\"registry-pw-from-op\"}");
    env_done(&e);
}

static void test_onepassword_signin_session_and_all_fields(void **state)
{
    (void)state;
    SCRIPT({"op --version", 0, "2.30.0\n"}, {"op account get --account my", 1, ""},
           {"op signin --account my --force --raw", 0, "session-token-123\n"},
           {"op item get Web --vault Prod --format json --account my --session "
            "session-token-123",
            0, "@op-item-all.json"});
    assert_int_equal(fetch(&e, "1password", "my", "op://Prod/Web", ""), 0);
    assert_json(&e, "{\"Prod/Web/username\":\"deploy\",\"Prod/Web\":\"web-login-pw\","
                    "\"Prod/Web/notesPlain\":\"\"}");
    char *r = kc_out_redact(&e.out, "--session session-token-123");
    assert_string_equal(r, "--session [REDACTED]");
    free(r);
    env_done(&e);
}

static void test_onepassword_errors(void **state)
{
    (void)state;
    SCRIPT({"op --version", 0, ""}, {"op account get --account my", 1, ""},
           {"op signin --account my --force --raw", 1, ""}, {"op --version", 0, ""},
           {"op account get --account my", 0, ""},
           {"op item get Web --vault Prod --format json --account my --fields label=X", 1, ""},
           {"op --version", 0, ""}, {"op account get --account my", 0, ""});
    assert_int_equal(fetch(&e, "1password", "my", NULL, "Prod/Web/X"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "1password: failed to sign in to 1Password");
    kc_err_release(&e.err);
    assert_int_equal(fetch(&e, "1password", "my", NULL, "Prod/Web/X"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "could not read X from Web in the Prod 1Password vault");
    kc_err_release(&e.err);
    assert_int_equal(fetch(&e, "1password", "my", NULL, "JustOneWord"), KC_EUSAGE);
    assert_err(&e, KC_EUSAGE, "'JustOneWord' names no item");
    env_done(&e);
}

/* ---- bitwarden ---- */

static void test_bitwarden_unlock_session_and_items(void **state)
{
    (void)state;
    SCRIPT({"bw --version", 0, "2025.1.0\n"},
           {"bw status", 0, "{\"serverUrl\":null,\"status\":\"unauthenticated\"}"},
           {"bw login me@example.com", 0, ""},
           {"bw status", 0, "{\"status\":\"locked\",\"userEmail\":\"me@example.com\"}"},
           {"bw unlock --raw", 0, "bw-session-456"}, {"bw status", 0, "{\"status\":\"unlocked\"}"},
           {"bw sync", 0, "Syncing complete."}, {"bw get item registry", 0, "@bw-item-login.json"},
           {"bw get item app-env", 0, "@bw-item-note.json"});
    assert_int_equal(
        fetch(&e, "bitwarden", "me@example.com", NULL, "registry registry/token app-env"), 0);
    assert_json(&e, "{\"registry/token\":\"registry-token-bw\",\"registry\":\"registry-pw-bw\","
                    "\"app-env/SECRET_KEY_BASE\":\"skb-from-bw\",\"app-env/SMTP_PASSWORD\":"
                    "\"smtp-from-bw\"}");
    /* the session goes in BW_SESSION, from the status after unlocking on */
    assert_ran(&e, 4, "bw unlock --raw");
    assert_ran(&e, 5, "ENV BW_SESSION=bw-session-456");
    assert_ran(&e, 6, "bw status");
    assert_ran(&e, 8, "bw sync");
    assert_ran(&e, 10, "bw get item registry");
    env_done(&e);
}

static void test_bitwarden_errors(void **state)
{
    (void)state;
    SCRIPT({"bw --version", 0, ""}, {"bw status", 0, "{\"status\":\"unlocked\"}"},
           {"bw sync", 0, ""}, {"bw get item memo", 0, "@bw-item-empty-note.json"},
           {"bw --version", 0, ""}, {"bw status", 0, "{\"status\":\"unlocked\"}"},
           {"bw sync", 0, ""}, {"bw get item registry", 0, "@bw-item-login.json"},
           {"bw --version", 0, ""}, {"bw status", 0, "{\"status\":\"locked\"}"},
           {"bw unlock --raw", 1, ""}, {"bw status", 0, "{\"status\":\"locked\"}"});
    assert_int_equal(fetch(&e, "bitwarden", "me", NULL, "memo"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "item memo is not a login item and no fields were named");
    kc_err_release(&e.err);
    assert_int_equal(fetch(&e, "bitwarden", "me", "registry", "nope"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "could not find field nope in item registry in Bitwarden");
    kc_err_release(&e.err);
    assert_int_equal(fetch(&e, "bitwarden", "me", NULL, "x"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "failed to log in to and unlock Bitwarden (bw status: locked)");
    env_done(&e);
}

/* ---- bitwarden-sm ---- */

static void test_bitwarden_sm(void **state)
{
    (void)state;
    SCRIPT({"bws --version", 0, "bws 1.0.0"}, {"bws project list", 0, "[]"},
           {"bws secret list", 0, "@bws-list.json"}, {"bws --version", 0, ""},
           {"bws project list", 0, "[]"},
           {"bws secret list e325ea69-a3ab-4dff-836f-b02e013fe530", 0, "@bws-list.json"},
           {"bws --version", 0, ""}, {"bws project list", 0, "[]"},
           {"bws secret get be8e0ad8-d545-4017-a55a-b02f014d4158", 0, "@bws-secret.json"},
           {"bws --version", 0, ""}, {"bws project list", 1, "Error: access token"},
           {"bws --version", 0, ""}, {"bws project list", 0, "[]"});
    assert_int_equal(fetch(&e, "bitwarden-sm", NULL, NULL, "all"), 0);
    assert_json(&e, "{\"DATABASE_URL\":\"postgres://app:pw-bws@db/app\",\"MULTI_LINE\":\"line "
                    "one\\nline \\\"two\\\"\"}");
    kc_kvlist_release(&e.results);
    assert_int_equal(
        fetch(&e, "bitwarden_secrets_manager", NULL, "e325ea69-a3ab-4dff-836f-b02e013fe530", "all"),
        0);
    kc_kvlist_release(&e.results);
    assert_int_equal(fetch(&e, "bitwarden-sm", NULL, NULL, "be8e0ad8-d545-4017-a55a-b02f014d4158"),
                     0);
    assert_json(&e, "{\"DATABASE_URL\":\"postgres://app:pw-bws@db/app\"}");
    assert_int_equal(fetch(&e, "bitwarden-sm", NULL, NULL, "all"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "could not authenticate to Bitwarden Secrets Manager");
    kc_err_release(&e.err);
    assert_int_equal(fetch(&e, "bitwarden-sm", NULL, NULL, ""), KC_EUSAGE);
    assert_err(&e, KC_EUSAGE, "name what to fetch");
    env_done(&e);
}

/* ---- lastpass ---- */

static void test_lastpass(void **state)
{
    (void)state;
    SCRIPT({"lpass --version", 0, "LastPass CLI v1.6.1"},
           {"lpass status --color never", 1, "Not logged in.\n"},
           {"lpass login me@example.com", 0, ""},
           {"lpass show REGISTRY Shared-Prod/DB --json", 0, "@lpass-show.json"},
           {"lpass --version", 0, ""},
           {"lpass status --color never", 0, "Logged in as me@example.com.\n"},
           {"lpass show Shared-Prod/DB Shared-Prod/GONE --json", 0, "@lpass-show.json"});
    assert_int_equal(fetch(&e, "lastpass", "me@example.com", NULL, "REGISTRY Shared-Prod/DB"), 0);
    assert_json(&e, "{\"REGISTRY\":\"registry-pw-lpass\",\"Shared-Prod/DB\":\"db-pw-lpass\"}");
    assert_int_equal(fetch(&e, "last_pass", "me@example.com", "Shared-Prod", "DB GONE"),
                     KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "lastpass: could not find Shared-Prod/GONE in LastPass");
    env_done(&e);
}

/* ---- aws_secrets_manager ---- */

static void test_aws(void **state)
{
    (void)state;
    SCRIPT({"aws --version", 0, "aws-cli/1.46.2"},
           {"aws secretsmanager batch-get-secret-value --secret-id-list prod/web prod/api-key "
            "prod/quoted --output json",
            0, "@aws-batch.json"},
           {"aws --version", 0, ""},
           {"aws secretsmanager batch-get-secret-value --secret-id-list prod/missing --profile "
            "staging --output json",
            0, "@aws-errors.json"},
           {"aws --version", 0, ""},
           {"aws secretsmanager batch-get-secret-value --secret-id-list prod/x --output json", 255,
            ""});
    assert_int_equal(fetch(&e, "aws_secrets_manager", NULL, "prod", "web api-key quoted"), 0);
    assert_json(&e, "{\"prod/web/DB_PASSWORD\":\"db-pw-aws\",\"prod/web/PORT\":\"5432\","
                    "\"prod/web/TLS\":\"true\",\"prod/web/RATIO\":\"0.5\",\"prod/web/NONE\":"
                    "\"null\",\"prod/web/REPLICA\":\"{\\\"host\\\":\\\"r1\\\",\\\"port\\\":5433}"
                    "\",\"prod/web/ZONES\":\"[\\\"a\\\",\\\"b\\\"]\",\"prod/api-key\":\"plain-api-"
                    "key\",\"prod/quoted\":\"a json string\"}");
    assert_int_equal(fetch(&e, "aws_secrets_manager", "staging", NULL, "prod/missing"), KC_EREMOTE);
    assert_string_equal(e.err.msg, "aws_secrets_manager: prod/missing: Secrets Manager can't "
                                   "find the specified secret.");
    kc_err_release(&e.err);
    assert_int_equal(fetch(&e, "aws_secrets_manager", NULL, NULL, "prod/x"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "could not read prod/x from AWS Secrets Manager");
    env_done(&e);
}

/* ---- gcp ---- */

static void test_gcp(void **state)
{
    (void)state;
    SCRIPT({"gcloud --version", 0, "Google Cloud SDK 500.0.0"},
           {"gcloud auth list --format=json", 0, "[{\"account\":\"me@example.com\"}]"},
           {"gcloud secrets versions access latest --secret=db-password --format=json", 0,
            "@gcp-access.json"});
    assert_int_equal(fetch(&e, "gcp", "default", NULL, "db-password"), 0);
    assert_json(&e, "{\"default/db-password\":\"db-pw-gcp\"}");
    env_done(&e);
}

static void test_gcp_projects_and_login(void **state)
{
    (void)state;
    SCRIPT({"gcloud --version", 0, ""},
           {"gcloud auth list --format=json", 0, "[{\"account\":\"me@example.com\"}]"},
           {"gcloud secrets versions access 4 --secret=db-password --project=other "
            "--account=me@example.com --impersonate-service-account=sa@p.iam,sb@p.iam "
            "--format=json",
            0, "@gcp-access.json"},
           {"gcloud --version", 0, ""}, {"gcloud auth list --format=json", 0, "[]"},
           {"gcloud auth login", 0, ""}, {"gcloud auth list --format=json", 0, "[]"});
    assert_int_equal(fetch(&e, "gcp", "me@example.com|sa@p.iam,sb@p.iam", "other", "db-password/4"),
                     0);
    assert_json(&e, "{\"other/db-password\":\"db-pw-gcp\"}");
    assert_int_equal(fetch(&e, "gcp", "default", NULL, "x"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "gcp: could not log in to gcloud");
    env_done(&e);
}

/* ---- doppler ---- */

static void test_doppler(void **state)
{
    (void)state;
    SCRIPT({"doppler --version", 0, "v3.70.0"}, {"doppler me --json", 0, "{}"},
           {"doppler secrets get DB_PASSWORD API_KEY --json -p web -c prd", 0, "@doppler-get.json"},
           {"doppler --version", 0, ""}, {"doppler me --json", 1, ""}, {"doppler login -y", 0, ""},
           {"doppler secrets get DB_PASSWORD API_KEY --json -p web -c prd", 0, "@doppler-get.json"},
           {"doppler --version", 0, ""}, {"doppler me --json", 0, ""}, {"doppler --version", 0, ""},
           {"doppler me --json", 0, ""},
           {"doppler secrets get DB_PASSWORD API_KEY GONE --json -p web -c prd", 0,
            "@doppler-get.json"});
    assert_int_equal(fetch(&e, "doppler", NULL, "web/prd", "DB_PASSWORD API_KEY"), 0);
    assert_json(&e, "{\"DB_PASSWORD\":\"db-pw-doppler\",\"API_KEY\":\"api-key-doppler\"}");
    kc_kvlist_release(&e.results);
    assert_int_equal(fetch(&e, "doppler", NULL, NULL, "web/prd/DB_PASSWORD web/prd/API_KEY"), 0);
    assert_int_equal(fetch(&e, "doppler", NULL, NULL, "DB_PASSWORD"), KC_EUSAGE);
    assert_err(&e, KC_EUSAGE, "missing project or config: use --from PROJECT/CONFIG");
    kc_err_release(&e.err);
    assert_int_equal(fetch(&e, "doppler", NULL, "web/prd", "DB_PASSWORD API_KEY GONE"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "could not find GONE in Doppler");
    env_done(&e);
}

static void test_doppler_service_token(void **state)
{
    (void)state;
    setenv("DOPPLER_TOKEN", "dp.st.prd.xxxxxxxx", 1);
    SCRIPT({"doppler --version", 0, ""}, {"doppler me --json", 0, "{}"},
           {"doppler secrets get DB_PASSWORD API_KEY --json", 0, "@doppler-get.json"});
    assert_int_equal(fetch(&e, "doppler", NULL, NULL, "DB_PASSWORD API_KEY"), 0);
    unsetenv("DOPPLER_TOKEN");
    env_done(&e);
}

/* ---- enpass ---- */

static void test_enpass(void **state)
{
    (void)state;
    SCRIPT({"enpass-cli version", 0, "1.6.0"},
           {"enpass-cli -json -vault /vaults/primary show Web", 0, "@enpass-show.json"},
           {"enpass-cli version", 0, ""},
           {"enpass-cli -json -vault /vaults/primary show Web Mail", 0, "@enpass-show.json"},
           {"enpass-cli version", 0, ""});
    assert_int_equal(fetch(&e, "enpass", NULL, "/vaults/primary", "Web/DB_PASSWORD Web"), 0);
    assert_json(&e, "{\"Web/DB_PASSWORD\":\"db-pw-enpass\",\"Web/API_KEY\":\"api-key-enpass\","
                    "\"Web\":\"web-main-enpass\"}");
    kc_kvlist_release(&e.results);
    assert_int_equal(fetch(&e, "enpass", NULL, "/vaults/primary", "Web/API_KEY Mail/NOPE"),
                     KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "could not find Mail/NOPE in the Enpass vault");
    kc_err_release(&e.err);
    assert_int_equal(fetch(&e, "enpass", NULL, NULL, "Web"), KC_EUSAGE);
    assert_err(&e, KC_EUSAGE, "give the vault's path with --from");
    env_done(&e);
}

/* ---- passbolt ---- */

static void test_passbolt_root_level(void **state)
{
    (void)state;
    SCRIPT({"passbolt --version", 0, ""}, {"passbolt verify", 0, ""},
           {"passbolt list resources --filter 'Name == \"DB_PASSWORD\" || Name == \"API_KEY\"' "
            "--column name --column password --json",
            0, "@passbolt-resources.json"});
    assert_int_equal(fetch(&e, "passbolt", NULL, NULL, "DB_PASSWORD API_KEY"), 0);
    assert_json(&e, "{\"DB_PASSWORD\":\"db-pw-passbolt\",\"API_KEY\":\"api-key-passbolt\"}");
    env_done(&e);
}

static void test_passbolt_nested_folders(void **state)
{
    (void)state;
    SCRIPT(
        {"passbolt --version", 0, ""}, {"passbolt verify", 0, ""},
        {"passbolt list folders --filter 'Name == \"prod\"' --json", 0, "@passbolt-folders.json"},
        {"passbolt list folders --filter 'Name == \"web\" && FolderParentID == "
         "\"7f3c5e1a-0b2d-4c6e-9f8a-1b2c3d4e5f60\"' --json",
         0, "@passbolt-subfolders.json"},
        {"passbolt list resources --filter '(Name == \"DB_PASSWORD\" && FolderParentID == "
         "\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\") || (Name == \"API_KEY\" && FolderParentID "
         "== \"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\")' --folder "
         "7f3c5e1a-0b2d-4c6e-9f8a-1b2c3d4e5f60 --folder 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d "
         "--column name --column password --json",
         0, "@passbolt-resources.json"});
    assert_int_equal(fetch(&e, "passbolt", NULL, "prod/web", "DB_PASSWORD API_KEY"), 0);
    assert_json(&e, "{\"DB_PASSWORD\":\"db-pw-passbolt\",\"API_KEY\":\"api-key-passbolt\"}");
    env_done(&e);
}

static void test_passbolt_errors(void **state)
{
    (void)state;
    SCRIPT({"passbolt --version", 0, ""}, {"passbolt verify", 0, ""},
           {"passbolt list folders --filter 'Name == \"nope\"' --json", 0, "[]"},
           {"passbolt --version", 0, ""}, {"passbolt verify", 0, ""},
           {"passbolt list resources --filter 'Name == \"DB_PASSWORD\" || Name == \"GONE\"' "
            "--column name --column password --json",
            0, "@passbolt-resources.json"},
           {"passbolt --version", 0, ""}, {"passbolt verify", 1, "no key"});
    assert_int_equal(fetch(&e, "passbolt", NULL, "nope", "X"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "could not find the following folders in Passbolt: nope");
    kc_err_release(&e.err);
    assert_int_equal(fetch(&e, "passbolt", NULL, NULL, "DB_PASSWORD GONE"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "could not find the following secrets in Passbolt: GONE");
    kc_err_release(&e.err);
    assert_int_equal(fetch(&e, "passbolt", NULL, NULL, "X"), KC_EREMOTE);
    assert_err(&e, KC_EREMOTE, "passbolt: failed to log in to Passbolt");
    env_done(&e);
}

/* ---- extract ---- */

static void test_extract_rules(void **state)
{
    (void)state;
    struct kc_err err = KC_ERR_INIT;
    char *v = NULL;
    const char *json = "{\"V/I/foo\":\"suffix\",\"foo\":\"exact\",\"bar\":\"rab\",\"n\":5,"
                       "\"nul\":null}";
    assert_int_equal(kc_secrets_extract("foo", json, &v, &err), 0);
    assert_string_equal(v, "exact"); /* an exact key wins over a suffix */
    free(v);
    assert_int_equal(kc_secrets_extract("foo", "{\"abc/foo\":\"oof\",\"x/foo\":\"2\"}", &v, &err),
                     0);
    assert_string_equal(v, "oof"); /* else the first key ending in /NAME */
    free(v);
    assert_int_equal(kc_secrets_extract("n", json, &v, &err), 0);
    assert_string_equal(v, "5");
    free(v);
    assert_int_equal(kc_secrets_extract("oo", json, &v, &err), KC_EREMOTE);
    assert_string_equal(err.msg, "could not find secret oo"); /* no partial-name match */
    assert_null(v);
    kc_err_release(&err);
    assert_int_equal(kc_secrets_extract("nul", json, &v, &err), KC_EREMOTE);
    kc_err_release(&err);
    assert_int_equal(kc_secrets_extract("foo", "not json", &v, &err), KC_EUSAGE);
    kc_err_release(&err);
    assert_int_equal(kc_secrets_extract("foo", "[\"foo\"]", &v, &err), KC_EUSAGE);
    kc_err_release(&err);
}

/* ---- secrets files as Kamal's docs write them ---- */

static void parse_file(struct env *e, const char *text, struct kc_kvlist *vars, int want)
{
    struct kc_dotenv_opts o = {.run = kc_ctx_run_dotenv, .ud = &e->ctx, .lookup_process_env = true};
    int rc = kc_dotenv_parse(text, strlen(text), ".kamal/secrets", vars, &o, &e->err);
    if (rc != want)
        fail_msg("parse gave %d (%s), wanted %d", rc, e->err.msg ? e->err.msg : "", want);
}

static void test_docs_examples_parse(void **state)
{
    (void)state;
    SCRIPT({"op --version", 0, ""}, {"op account get --account your-account", 0, ""},
           {"op item get Web --vault Prod --format json --account your-account --fields "
            "label=db.DB_PASSWORD,label=db.DB_USER",
            0, "@op-item-fields.json"},
           {"aws --version", 0, ""},
           {"aws secretsmanager batch-get-secret-value --secret-id-list prod/web prod/api-key "
            "prod/quoted --output json",
            0, "@aws-batch.json"});
    struct kc_kvlist vars = KC_KVLIST_INIT;
    parse_file(&e,
               "SECRETS=$(kamal secrets fetch --adapter 1password --account your-account "
               "--from Prod/Web db/DB_PASSWORD db/DB_USER)\n"
               "DB_PASSWORD=$(kamal secrets extract DB_PASSWORD $SECRETS)\n"
               "DB_USER=$(kamal secrets extract db/DB_USER ${SECRETS})\n"
               "AWS=$(kamal-c secrets fetch -a aws_secrets_manager --from=prod web api-key "
               "quoted --inline)\n"
               "PORT=\"$(kamal secrets extract PORT $AWS)\"\n"
               "REPLICA=$(kamal secrets extract REPLICA $AWS)\n"
               "KEY=$(kamal secrets extract prod/api-key $AWS)\n",
               &vars, 0);
    assert_string_equal(kc_kvlist_get(&vars, "DB_PASSWORD"), "db-pw-from-op");
    assert_string_equal(kc_kvlist_get(&vars, "DB_USER"), "web");
    assert_string_equal(kc_kvlist_get(&vars, "PORT"), "5432");
    assert_string_equal(kc_kvlist_get(&vars, "REPLICA"), "{\"host\":\"r1\",\"port\":5433}");
    assert_string_equal(kc_kvlist_get(&vars, "KEY"), "plain-api-key");
    /* what SECRETS holds is what Kamal's `fetch --inline` gives: shell-escaped JSON */
    assert_string_equal(kc_kvlist_get(&vars, "SECRETS"),
                        "\\{\\\"Prod/Web/db/DB_PASSWORD\\\":\\\"db-pw-from-op\\\",\\\"Prod/Web/db/"
                        "DB_USER\\\":\\\"web\\\"\\}");
    kc_kvlist_release(&vars);
    env_done(&e);
}

/* Values with what a shell and the dotenv parser treat specially survive
 * fetch | extract intact: quotes, parentheses, $, #, backslashes, blanks,
 * newlines, UTF-8. */
static void test_hostile_values_round_trip(void **state)
{
    (void)state;
    SCRIPT({"bws --version", 0, ""}, {"bws project list", 0, "[]"},
           {"bws secret list", 0,
            "[{\"key\":\"A\",\"value\":\"p)a(s$HOME `x` 'q' \\\"d\\\" #h \\\\ \\n2 é\"}]"});
    struct kc_kvlist vars = KC_KVLIST_INIT;
    parse_file(&e,
               "S=$(kamal secrets fetch -a bitwarden-sm all)\n"
               "A=$(kamal secrets extract A $S)\n",
               &vars, 0);
    assert_string_equal(kc_kvlist_get(&vars, "A"), "p)a(s$HOME `x` 'q' \"d\" #h \\ \n2 é");
    kc_kvlist_release(&vars);
    env_done(&e);
}

static void test_inline_errors_name_the_problem(void **state)
{
    (void)state;
    SCRIPT({"op --version", -1, NULL});
    struct kc_kvlist vars = KC_KVLIST_INIT;
    parse_file(&e, "SECRETS=$(kamal secrets fetch --adapter 1password --account a --from V/I X)\n",
               &vars, KC_ECONFIG);
    assert_int_equal(e.err.line, 1);
    assert_err(&e, KC_ECONFIG,
               "command substitution in SECRETS failed: 1password: the "
               "1Password CLI (op) is not installed");
    kc_err_release(&e.err);
    parse_file(&e, "A=$(kamal secrets extract A '{\"B\":\"x\"}')\n", &vars, KC_ECONFIG);
    assert_err(&e, KC_ECONFIG, "could not find secret A");
    kc_err_release(&e.err);
    parse_file(&e, "A=$(kamal secrets print)\n", &vars, KC_ECONFIG);
    assert_err(&e, KC_ECONFIG, "'secrets print' cannot run inside a secrets file");
    kc_err_release(&e.err);
    parse_file(&e, "A=$(kamal secrets fetch -a test --account a --bogus x)\n", &vars, KC_ECONFIG);
    assert_err(&e, KC_ECONFIG, "unknown option '--bogus'");
    kc_kvlist_release(&vars);
    env_done(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_test_adapter_and_lookup),
        cmocka_unit_test(test_missing_cli_is_named),
        cmocka_unit_test(test_onepassword_fields_across_items),
        cmocka_unit_test(test_onepassword_signin_session_and_all_fields),
        cmocka_unit_test(test_onepassword_errors),
        cmocka_unit_test(test_bitwarden_unlock_session_and_items),
        cmocka_unit_test(test_bitwarden_errors),
        cmocka_unit_test(test_bitwarden_sm),
        cmocka_unit_test(test_lastpass),
        cmocka_unit_test(test_aws),
        cmocka_unit_test(test_gcp),
        cmocka_unit_test(test_gcp_projects_and_login),
        cmocka_unit_test(test_doppler),
        cmocka_unit_test(test_doppler_service_token),
        cmocka_unit_test(test_enpass),
        cmocka_unit_test(test_passbolt_root_level),
        cmocka_unit_test(test_passbolt_nested_folders),
        cmocka_unit_test(test_passbolt_errors),
        cmocka_unit_test(test_extract_rules),
        cmocka_unit_test(test_docs_examples_parse),
        cmocka_unit_test(test_hostile_values_round_trip),
        cmocka_unit_test(test_inline_errors_name_the_problem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
