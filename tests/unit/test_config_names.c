/* test_config_names.c - names Docker would reject are refused at load. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/config.h"

static void test_image_refs(void **state)
{
    (void)state;
    const char *good[] = {
        "busybox",
        "busybox:1",
        "library/redis:7.2-alpine",
        "10.213.0.1:5443/kc/web:1",
        "ghcr.io/acme/app_x:v1.2",
        "localhost/x",
        "localhost:5000/a/b",
        "registry.example.com/a__b/c-d:t",
        "mysql@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "Registry.Example/x"};
    const char *bad[] = {
        "",          "Busybox", "busybox:", "a//b",        "a/",          ":tag", "web;rm -rf /",
        "img:$(id)", "img tag", "a/B/c",    "host:port/x", "x@sha256:zz", "-x"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_true(kc_image_ref_ok(good[i]) || (fprintf(stderr, "%s\n", good[i]), 0));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(kc_image_ref_ok(bad[i]) && (fprintf(stderr, "%s\n", bad[i]), 1));
}

static void test_container_names_and_paths(void **state)
{
    (void)state;
    assert_true(kc_docker_name_ok("app-db"));
    assert_true(kc_docker_name_ok("App.db_2"));
    assert_false(kc_docker_name_ok("-db"));
    assert_false(kc_docker_name_ok("db x"));
    assert_false(kc_docker_name_ok("db;x"));
    assert_false(kc_docker_name_ok(""));
    assert_true(kc_path_stays_inside("/etc/my.cnf"));
    assert_true(kc_path_stays_inside("data/..x"));
    assert_false(kc_path_stays_inside("/../../root/.ssh/authorized_keys"));
    assert_false(kc_path_stays_inside("a/.."));
    assert_false(kc_path_stays_inside(""));
}

static void expect_load_error(const char *yaml, const char *needle)
{
    struct kc_config cfg;
    struct kc_err err = KC_ERR_INIT;
    struct kc_load_opts o = {0};
    kc_config_init(&cfg);
    assert_int_equal(kc_config_load_text(&cfg, yaml, strlen(yaml), "deploy.yml", &o, &err),
                     KC_ECONFIG);
    char *msg = kc_err_format(&err);
    if (strstr(msg, needle) == NULL)
        fail_msg("%s: expected '%s'", msg, needle);
    free(msg);
    kc_err_release(&err);
    kc_config_release(&cfg);
}

#define BASE                                                                                       \
    "service: demo\nimage: x/y\nservers: [10.0.0.1]\n"                                             \
    "registry: {server: r.example, username: u, password: p}\nbuilder: {arch: amd64}\n"            \
    "accessories:\n"

static void test_refused_at_load(void **state)
{
    (void)state;
    expect_load_error(BASE "  \"../etc\":\n    image: busybox\n    host: 10.0.0.1\n",
                      "deploy.yml:7:3: accessories.../etc: an accessory name");
    expect_load_error(BASE
                      "  db:\n    service: \"my db\"\n    image: busybox\n    host: 10.0.0.1\n",
                      "deploy.yml:8:14: accessories.db.service: 'my db' is not a valid container");
    expect_load_error(BASE "  db:\n    image: \"busybox; reboot\"\n    host: 10.0.0.1\n",
                      "deploy.yml:8:12: accessories.db.image: 'busybox; reboot' is not a valid "
                      "image reference");
    expect_load_error(BASE "  db:\n    image: busybox\n    host: 10.0.0.1\n    files:\n"
                           "      - a.conf:/../../root/.ssh/authorized_keys\n",
                      "must be an absolute path without '..'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_refs),
        cmocka_unit_test(test_container_names_and_paths),
        cmocka_unit_test(test_refused_at_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
