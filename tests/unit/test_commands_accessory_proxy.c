/* test_commands_accessory_proxy.c - the kamal-proxy command lines of a
 * proxied accessory (exact strings) and its flags digest. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/accessory_proxy.h"

static const char deploy_yml[] = "service: app\n"
                                 "image: demo/app\n"
                                 "servers: [1.1.1.1]\n"
                                 "registry: {server: reg:5443, username: u, password: [PW]}\n"
                                 "builder: {arch: amd64}\n"
                                 "accessories:\n"
                                 "  site:\n"
                                 "    image: nginx\n"
                                 "    host: 1.1.1.1\n"
                                 "    proxy:\n"
                                 "      host: site.example.com\n"
                                 "      app_port: 8080\n"
                                 "      ssl: true\n"
                                 "      healthcheck: {path: /ping}\n"
                                 "  db:\n"
                                 "    image: postgres\n"
                                 "    host: 1.1.1.1\n"
                                 "    proxy:\n"
                                 "      host: db.example.com\n"
                                 "      app_port: 8080\n"
                                 "      ssl: true\n"
                                 "      healthcheck: {path: /ping}\n";

#include "config_fixture.h"

static void test_deploy_remove(void **state)
{
    (void)state;
    const struct kc_accessory *acc = kc_config_accessory(&cfg, "site");
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_accessory_proxy_deploy(&c, &cfg, acc, "4f1c2d3e5a6b");
    char *s = show(&c);
    assert_string_equal(s, "docker exec kamal-proxy kamal-proxy deploy app-site "
                           "--target=4f1c2d3e5a6b:8080 --host=site.example.com --tls "
                           "--deploy-timeout=30s --drain-timeout=30s --health-check-path=/ping "
                           "--buffer-requests --buffer-responses "
                           "--log-request-header=Cache-Control "
                           "--log-request-header=Last-Modified --log-request-header=User-Agent");
    free(s);
    kc_cmd_accessory_proxy_remove(&c, acc);
    s = show(&c);
    assert_string_equal(s, "docker exec kamal-proxy kamal-proxy remove app-site");
    free(s);
    kc_cmd_accessory_proxy_id(&c, acc);
    s = show(&c);
    assert_string_equal(s, "docker container ls --all --filter 'name=^app-site$' --quiet");
    free(s);
    kc_cmd_accessory_proxy_forget(&c, &cfg, acc);
    s = show(&c);
    assert_string_equal(s, "rm -f .kamal/apps/app/proxy/accessories/site.flags");
    free(s);
}

static void test_digest(void **state)
{
    (void)state;
    char a[65], b[65], a2[65];
    kc_accessory_proxy_digest(&cfg, kc_config_accessory(&cfg, "site"), a);
    kc_accessory_proxy_digest(&cfg, kc_config_accessory(&cfg, "site"), a2);
    kc_accessory_proxy_digest(&cfg, kc_config_accessory(&cfg, "db"), b);
    assert_int_equal(strlen(a), 64);
    assert_string_equal(a, a2);
    assert_string_not_equal(a, b); /* other service, other hosts */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deploy_remove),
        cmocka_unit_test(test_digest),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
