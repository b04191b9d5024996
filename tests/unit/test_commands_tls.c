/* test_commands_tls.c - custom TLS certificate paths and commands (exact
 * strings), and the deploy flags Kamal passes for them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/app.h"
#include "kamal-c/tls.h"

static const char deploy_yml[] = "service: app\n"
                                 "image: demo/app\n"
                                 "servers: [1.1.1.1, 1.1.1.2]\n"
                                 "registry: {server: reg:5443, username: u, password: [PW]}\n"
                                 "builder: {arch: amd64}\n"
                                 "proxy:\n"
                                 "  host: app.example.com\n"
                                 "  ssl: {certificate_pem: CERT, private_key_pem: KEY}\n";

#include "config_fixture.h"

static void test_paths_and_commands(void **state)
{
    (void)state;
    const struct kc_role *web = kc_config_role(&cfg, "web");
    char *p = kc_tls_host_path(&cfg, web, "key.pem");
    assert_string_equal(p, ".kamal/proxy/apps-config/app/tls/web/key.pem");
    free(p);
    p = kc_tls_proxy_path(&cfg, web, "cert.pem");
    assert_string_equal(p, "/home/kamal-proxy/.apps-config/app/tls/web/cert.pem");
    free(p);
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_tls_proxy_gid(&c);
    char *s = show(&c);
    assert_string_equal(s, "docker exec kamal-proxy id -g");
    free(s);
    kc_cmd_tls_key_group(&c, &cfg, web, "1001");
    s = show(&c);
    assert_string_equal(s, "docker exec --user 0 kamal-proxy chgrp 1001 "
                           "/home/kamal-proxy/.apps-config/app/tls/web/key.pem");
    free(s);
    kc_cmd_tls_sums(&c, &cfg, web);
    s = show(&c);
    assert_string_equal(s, "sha256sum .kamal/proxy/apps-config/app/tls/web/cert.pem "
                           ".kamal/proxy/apps-config/app/tls/web/key.pem");
    free(s);
    s = kc_tls_sums_want(&cfg, web, "", "");
    assert_string_equal(s, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 "
                           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    free(s);
}

static void test_deploy_flags(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_app_deploy(&c, &cfg, kc_config_role(&cfg, "web"), "abc");
    char *s = show(&c);
    assert_non_null(strstr(s, " --host=app.example.com --tls "
                              "--tls-certificate-path=/home/kamal-proxy/.apps-config/app/tls/web/"
                              "cert.pem --tls-private-key-path=/home/kamal-proxy/.apps-config/"
                              "app/tls/web/key.pem --deploy-timeout=30s"));
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths_and_commands),
        cmocka_unit_test(test_deploy_flags),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
