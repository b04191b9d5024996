/* test_config_dump.c - `kamal-c config` output (YAML and JSON) has Kamal's
 * keys and never a secret value. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cJSON.h"
#include "kamal-c/config.h"

#define CONFIGS KC_FIXTURES "/configs/"

static void load(struct kc_config *cfg, const char *path)
{
    struct kc_err err = KC_ERR_INIT;
    struct kc_load_opts opts = {.config_file = path};
    kc_config_init(cfg);
    int rc = kc_config_load(cfg, &opts, &err);
    if (rc) {
        char *msg = kc_err_format(&err);
        print_error("%s\n", msg);
        free(msg);
    }
    kc_err_release(&err);
    assert_int_equal(rc, 0);
}

static char *dump(const char *path, const char *version, bool json)
{
    struct kc_config cfg;
    struct kc_buf out = KC_BUF_INIT;
    load(&cfg, path);
    if (json)
        kc_config_dump_json(&cfg, version, &out);
    else
        kc_config_dump_yaml(&cfg, version, &out);
    kc_config_release(&cfg);
    return kc_buf_detach(&out);
}

static void test_dump_yaml_simple(void **state)
{
    (void)state;
    char *got = dump(CONFIGS "simple.yml", "abc123", false);
    assert_string_equal(got, "roles:\n"
                             "  - web\n"
                             "hosts:\n"
                             "  - \"1.1.1.1\"\n"
                             "  - \"1.1.1.2\"\n"
                             "primary_host: \"1.1.1.1\"\n"
                             "version: abc123\n"
                             "repository: dhh/app\n"
                             "absolute_image: dhh/app:abc123\n"
                             "service_with_version: app-abc123\n"
                             "volume_args: []\n"
                             "ssh_options:\n"
                             "  user: root\n"
                             "  port: 22\n"
                             "  keepalive: true\n"
                             "  keepalive_interval: 30\n"
                             "  log_level: fatal\n"
                             "sshkit:\n"
                             "  max_concurrent_starts: 30\n"
                             "  pool_idle_timeout: 900\n"
                             "  dns_retries: 3\n"
                             "builder:\n"
                             "  arch: amd64\n"
                             "logging:\n"
                             "  - \"--log-opt\"\n"
                             "  - \"max-size=\\\"10m\\\"\"\n");
    free(got);
    /* without a version, the keys that need one are left out */
    got = dump(CONFIGS "simple.yml", NULL, false);
    assert_null(strstr(got, "version"));
    assert_null(strstr(got, "absolute_image"));
    assert_non_null(strstr(got, "repository: dhh/app\n"));
    free(got);
}

static const char *const secret_values[] = {
    "secret-in-plain-sight", /* app registry password, plain text */
    "plain-redis-pass",      /* accessory registry password, plain text */
    "OTHER_USER",            /* secret-backed accessory registry username */
    "OTHER_PASSWORD",
    "hunter2-from-env", /* a secret's value in the environment */
};

static void assert_no_secrets(const char *out)
{
    for (size_t i = 0; i < KC_ARRAY_LEN(secret_values); i++)
        if (strstr(out, secret_values[i])) {
            print_error("secret %s printed in:\n%s\n", secret_values[i], out);
            fail();
        }
}

static void test_dump_redacts(void **state)
{
    (void)state;
    setenv("MYSQL_ROOT_PASSWORD", "hunter2-from-env", 1);
    char *yaml = dump(CONFIGS "accessories.yml", "v1", false);
    char *json = dump(CONFIGS "accessories.yml", "v1", true);
    unsetenv("MYSQL_ROOT_PASSWORD");
    assert_no_secrets(yaml);
    assert_no_secrets(json);
    /* secret names are shown, credentials are replaced */
    assert_non_null(strstr(yaml, "- MYSQL_ROOT_PASSWORD\n"));
    assert_non_null(strstr(yaml, "      username: reg-user\n"
                                 "      password: \"[REDACTED]\"\n"));
    assert_non_null(strstr(yaml, "      username: \"[REDACTED]\"\n"
                                 "      password: \"[REDACTED]\"\n"));
    free(yaml);

    cJSON *doc = cJSON_Parse(json);
    assert_non_null(doc);
    cJSON *roles = cJSON_GetObjectItemCaseSensitive(doc, "roles");
    assert_int_equal(cJSON_GetArraySize(roles), 2);
    assert_string_equal(cJSON_GetArrayItem(roles, 1)->valuestring, "workers");
    cJSON *hosts = cJSON_GetObjectItemCaseSensitive(doc, "hosts");
    assert_int_equal(cJSON_GetArraySize(hosts), 4);
    cJSON *ssh = cJSON_GetObjectItemCaseSensitive(doc, "ssh_options");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ssh, "port")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ssh, "keepalive")));
    cJSON *redis = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "accessories"), "redis");
    cJSON *reg = cJSON_GetObjectItemCaseSensitive(redis, "registry");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(reg, "password")->valuestring,
                        "[REDACTED]");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(redis, "port")));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "absolute_image")->valuestring,
                        "private.registry/dhh/app:v1");
    cJSON_Delete(doc);
    free(json);
}

static void test_dump_ssh_and_logging(void **state)
{
    (void)state;
    char *got = dump(CONFIGS "everything.yml", NULL, false);
    assert_non_null(strstr(got, "volume_args:\n"
                                "  - \"--volume\"\n"
                                "  - /srv/shared:/shared:ro\n"));
    assert_non_null(strstr(got, "  user: deploy\n  port: 2222\n"
                                "  proxy: root@bastion.example.com\n"));
    assert_non_null(strstr(got, "  key_data:\n    - DEPLOY_KEY\n"));
    assert_non_null(strstr(got, "logging:\n"
                                "  - \"--log-driver\"\n"
                                "  - \"\\\"journald\\\"\"\n"
                                "  - \"--log-opt\"\n"
                                "  - \"tag=\\\"every-thing\\\"\"\n"));
    assert_non_null(strstr(got, "  max_concurrent_starts: 10\n"));
    free(got);
}

/* A private key written into deploy.yml (Kamal deprecates it) is not shown. */
static void test_dump_inline_key(void **state)
{
    (void)state;
    char path[] = "/tmp/kc-dump-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("service: app\nimage: a/app\nservers: [1.1.1.1]\n"
          "registry: {username: u, password: p4ssw0rd-inline}\n"
          "builder: {arch: amd64}\n"
          "ssh:\n  key_data:\n    - \"-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXk\\n\"\n"
          "    - KEY_FROM_SECRETS\n",
          f);
    fclose(f);
    char *got = dump(path, NULL, false);
    unlink(path);
    assert_null(strstr(got, "BEGIN"));
    assert_null(strstr(got, "b3BlbnNzaC1rZXk"));
    assert_null(strstr(got, "p4ssw0rd-inline"));
    assert_non_null(strstr(got, "  key_data:\n    - \"[REDACTED]\"\n    - KEY_FROM_SECRETS\n"));
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dump_yaml_simple),
        cmocka_unit_test(test_dump_redacts),
        cmocka_unit_test(test_dump_ssh_and_logging),
        cmocka_unit_test(test_dump_inline_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
