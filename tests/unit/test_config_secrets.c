/* test_config_secrets.c - .kamal/secrets* layering, the destination rule,
 * lazy loading and Kamal's missing-secret messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kamal-c/config.h"
#include "kamal-c/secrets.h"

#define LAYERED KC_FIXTURES "/secrets/layered/secrets"

static int count_runs(void *ud, const char *command, struct kc_buf *out, struct kc_err *err)
{
    (void)command;
    (void)err;
    (*(int *)ud)++;
    kc_buf_adds(out, "ran\n");
    return 0;
}

/* A scratch directory we chdir into, so the default ".kamal/secrets" path
 * is exercised as Kamal uses it. */
struct scratch {
    char old[PATH_MAX];
    char dir[64];
};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int scratch_setup(void **state)
{
    struct scratch *s = calloc(1, sizeof *s);
    if (getcwd(s->old, sizeof s->old) == NULL)
        return -1;
    strcpy(s->dir, "/tmp/kc-secrets-XXXXXX");
    if (mkdtemp(s->dir) == NULL || chdir(s->dir) != 0)
        return -1;
    *state = s;
    return 0;
}

static int scratch_teardown(void **state)
{
    struct scratch *s = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    int rc = chdir(s->old);
    if (system(cmd) != 0)
        rc = -1;
    free(s);
    return rc;
}

static void test_layering_without_destination(void **state)
{
    (void)state;
    struct kc_secrets s;
    kc_secrets_init(&s, LAYERED, NULL);
    assert_int_equal(s.files.n, 2);
    assert_true(kc_ends_with(s.files.v[0], "/secrets-common"));
    assert_true(kc_ends_with(s.files.v[1], "/layered/secrets"));
    assert_false(s.loaded);
    assert_null(kc_secrets_get(&s, "SHARED"));
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_secrets_load(&s, NULL, &err), 0);
    assert_true(s.loaded);
    assert_string_equal(kc_secrets_get(&s, "SHARED"), "common");
    assert_string_equal(kc_secrets_get(&s, "OVERRIDDEN"), "plain");
    assert_string_equal(kc_secrets_get(&s, "ONLY_PLAIN"), "1");
    /* each file is parsed on its own, as Kamal does */
    assert_string_equal(kc_secrets_get(&s, "CROSS"), "[]");
    assert_string_equal(kc_secrets_get(&s, "OWN"), "plain-x");
    assert_null(kc_secrets_get(&s, "DB_PASSWORD"));
    const char *v = NULL;
    assert_int_equal(kc_secrets_require(&s, "REGISTRY_USER", &v, &err), 0);
    assert_string_equal(v, "deployer");
    kc_secrets_release(&s);
    kc_secrets_release(NULL);
    kc_err_release(&err);
}

static void test_destination_replaces_plain_file(void **state)
{
    (void)state;
    struct kc_secrets s;
    struct kc_err err = KC_ERR_INIT;
    kc_secrets_init(&s, LAYERED, "staging");
    assert_true(kc_ends_with(s.files.v[1], "/secrets.staging"));
    assert_int_equal(kc_secrets_load(&s, NULL, &err), 0);
    assert_string_equal(kc_secrets_get(&s, "OVERRIDDEN"), "staging");
    assert_string_equal(kc_secrets_get(&s, "DB_PASSWORD"), "s3cr3t#1");
    assert_string_equal(kc_secrets_get(&s, "SHARED"), "common");
    assert_null(kc_secrets_get(&s, "ONLY_PLAIN")); /* the plain file is not read */
    kc_secrets_release(&s);

    /* a destination without its own file: only the common file */
    kc_secrets_init(&s, LAYERED, "production");
    assert_int_equal(kc_secrets_load(&s, NULL, &err), 0);
    assert_int_equal(s.files.n, 1);
    assert_string_equal(kc_secrets_get(&s, "OVERRIDDEN"), "common");
    assert_null(kc_secrets_get(&s, "ONLY_PLAIN"));
    const char *v = "untouched";
    assert_int_equal(kc_secrets_require(&s, "NOPE", &v, &err), KC_ECONFIG);
    assert_null(v);
    char *want = kc_xasprintf("secret 'NOPE' not found in %s-common", LAYERED);
    assert_string_equal(err.msg, want);
    free(want);
    kc_secrets_release(&s);
    kc_err_release(&err);
}

static void test_missing_secret_messages(void **state)
{
    (void)state;
    struct kc_err err = KC_ERR_INIT;
    struct kc_secrets s;
    const char *v;

    /* no files at all */
    kc_secrets_init(&s, NULL, NULL);
    assert_int_equal(kc_secrets_load(&s, NULL, &err), 0);
    assert_int_equal(s.files.n, 0);
    assert_int_equal(kc_secrets_require(&s, "X", &v, &err), KC_ECONFIG);
    assert_string_equal(err.msg, "secret 'X' not found, no secret files (.kamal/secrets-common, "
                                 ".kamal/secrets) provided");
    kc_secrets_release(&s);
    kc_secrets_init(&s, NULL, "staging");
    assert_int_equal(kc_secrets_load(&s, NULL, &err), 0);
    assert_int_equal(kc_secrets_require(&s, "X", &v, &err), KC_ECONFIG);
    assert_string_equal(err.msg, "secret 'X' not found, no secret files (.kamal/secrets-common, "
                                 ".kamal/secrets.staging) provided");
    kc_secrets_release(&s);

    /* both files */
    assert_int_equal(mkdir(".kamal", 0700), 0);
    write_file(".kamal/secrets-common", "A=1\n");
    write_file(".kamal/secrets", "B=2\n");
    kc_secrets_init(&s, NULL, NULL);
    assert_int_equal(kc_secrets_load(&s, NULL, &err), 0);
    assert_int_equal(kc_secrets_require(&s, "X", &v, &err), KC_ECONFIG);
    assert_string_equal(err.msg, "secret 'X' not found in .kamal/secrets-common, .kamal/secrets");
    assert_int_equal(kc_secrets_require(&s, "B", &v, &err), 0);
    assert_string_equal(v, "2");
    kc_secrets_release(&s);

    /* only the plain file */
    assert_int_equal(unlink(".kamal/secrets-common"), 0);
    kc_secrets_init(&s, NULL, NULL);
    assert_int_equal(kc_secrets_load(&s, NULL, &err), 0);
    assert_int_equal(kc_secrets_require(&s, "X", &v, &err), KC_ECONFIG);
    assert_string_equal(err.msg, "secret 'X' not found in .kamal/secrets");
    kc_secrets_release(&s);

    /* asking before loading is a programming error, reported as such */
    kc_secrets_init(&s, NULL, NULL);
    assert_int_equal(kc_secrets_require(&s, "B", &v, &err), KC_ECONFIG);
    assert_non_null(strstr(err.msg, "before the secrets were loaded"));
    kc_secrets_release(&s);
    kc_err_release(&err);
}

static void test_load_errors_and_laziness(void **state)
{
    (void)state;
    struct kc_err err = KC_ERR_INIT;
    struct kc_secrets s;
    assert_int_equal(mkdir(".kamal", 0700), 0);

    /* loaded once: a second load runs nothing */
    write_file(".kamal/secrets", "A=$(something)\n");
    int runs = 0;
    struct kc_dotenv_opts opts = {.run = count_runs, .ud = &runs, .lookup_process_env = true};
    kc_secrets_init(&s, NULL, NULL);
    assert_int_equal(runs, 0);
    assert_int_equal(kc_secrets_load(&s, &opts, &err), 0);
    assert_int_equal(kc_secrets_load(&s, &opts, &err), 0);
    assert_int_equal(runs, 1);
    assert_string_equal(kc_secrets_get(&s, "A"), "ran");
    kc_secrets_release(&s);

    /* a parse error names the file and line, and leaves nothing loaded */
    write_file(".kamal/secrets-common", "OK=1\n");
    write_file(".kamal/secrets", "A=1\nnot a line\n");
    kc_secrets_init(&s, NULL, NULL);
    assert_int_equal(kc_secrets_load(&s, &opts, &err), KC_ECONFIG);
    assert_string_equal(err.file, ".kamal/secrets");
    assert_int_equal(err.line, 2);
    assert_false(s.loaded);
    assert_null(kc_secrets_get(&s, "OK"));
    kc_secrets_release(&s);

    /* a file that exists but cannot be read (here: a directory) */
    assert_int_equal(unlink(".kamal/secrets"), 0);
    assert_int_equal(mkdir(".kamal/secrets", 0700), 0);
    kc_secrets_init(&s, NULL, NULL);
    assert_int_equal(kc_secrets_load(&s, &opts, &err), KC_ECONFIG);
    assert_string_equal(err.file, ".kamal/secrets");
    assert_non_null(strstr(err.msg, "cannot read the secrets file"));
    kc_secrets_release(&s);
    kc_err_release(&err);
}

/* Registry credentials: an empty secret (an unset variable in the secrets
 * file) is a configuration error naming the key, not an empty docker login
 * password (issue 8, item 10). */
static void test_registry_credentials(void **state)
{
    (void)state;
    char reg_path[] = "registry";
    char server[] = "ghcr.io";
    char user_ci[] = "ci";
    char pw_secret[] = "KAMAL_REGISTRY_PASSWORD";
    char token[] = "TOKEN";
    char acc_path[] = "accessories.db.registry";
    char pw_inline[] = "pw";
    char nope[] = "NOPE";
    char local_server[] = "localhost:5555";
    struct kc_err err = KC_ERR_INIT;
    struct kc_secrets s;
    const char *user, *pass;
    struct kc_registry reg = {.path = reg_path,
                              .server = server,
                              .username = user_ci,
                              .password = pw_secret,
                              .password_is_secret = true};
    assert_int_equal(mkdir(".kamal", 0700), 0);
    unsetenv("KC_T_UNSET_REGISTRY_PW");
    write_file(".kamal/secrets", "KAMAL_REGISTRY_PASSWORD=$KC_T_UNSET_REGISTRY_PW\nTOKEN=t0k\n");
    kc_secrets_init(&s, NULL, NULL);
    assert_int_equal(kc_secrets_load(&s, NULL, &err), 0);
    assert_int_equal(kc_registry_credentials(&reg, &s, &user, &pass, &err), KC_ECONFIG);
    assert_string_equal(err.msg,
                        "registry.password: the secret 'KAMAL_REGISTRY_PASSWORD' is empty");
    assert_non_null(err.hint);
    /* a value: borrowed from deploy.yml or the secrets */
    reg.password = token;
    assert_int_equal(kc_registry_credentials(&reg, &s, &user, &pass, &err), 0);
    assert_string_equal(user, "ci");
    assert_string_equal(pass, "t0k");
    /* an empty username secret, on an accessory's registry */
    struct kc_registry acc = {
        .path = acc_path, .username = pw_secret, .username_is_secret = true, .password = pw_inline};
    assert_int_equal(kc_registry_credentials(&acc, &s, &user, &pass, &err), KC_ECONFIG);
    assert_string_equal(err.msg, "accessories.db.registry.username: the secret "
                                 "'KAMAL_REGISTRY_PASSWORD' is empty");
    /* a missing secret names the key too */
    acc.username = nope;
    assert_int_equal(kc_registry_credentials(&acc, &s, &user, &pass, &err), KC_ECONFIG);
    assert_string_equal(err.msg, "accessories.db.registry.username: secret 'NOPE' not found in "
                                 ".kamal/secrets");
    /* a local registry needs none */
    struct kc_registry local = {.path = reg_path, .server = local_server, .local = true};
    assert_int_equal(kc_registry_credentials(&local, &s, &user, &pass, &err), 0);
    assert_null(user);
    assert_null(pass);
    kc_secrets_release(&s);
    kc_err_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layering_without_destination),
        cmocka_unit_test(test_destination_replaces_plain_file),
        cmocka_unit_test_setup_teardown(test_missing_secret_messages, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_load_errors_and_laziness, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_registry_credentials, scratch_setup, scratch_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
