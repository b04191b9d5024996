/* test_commands_error_pages.c - error page paths and commands (exact strings). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/error_pages.h"

static const char deploy_yml[] = "service: app\n"
                                 "image: demo/app\n"
                                 "servers: [1.1.1.1]\n"
                                 "registry: {server: reg:5443, username: u, password: [PW]}\n"
                                 "builder: {arch: amd64}\n"
                                 "error_pages_path: public/errors\n";

#include "config_fixture.h"

static void test_error_pages(void **state)
{
    (void)state;
    char *d = kc_error_pages_host_dir(&cfg, "abc");
    assert_string_equal(d, ".kamal/proxy/apps-config/app/error_pages/abc");
    free(d);
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_error_pages_flag(&c, &cfg, "abc");
    char *s = show(&c);
    assert_string_equal(s, "--error-pages=/home/kamal-proxy/.apps-config/app/error_pages/abc");
    free(s);
    kc_cmd_error_pages_clean(&c, &cfg, "abc");
    s = show(&c);
    assert_string_equal(s, "find .kamal/proxy/apps-config/app/error_pages -mindepth 1 -maxdepth 1 "
                           "'!' -name abc -exec rm -rf '{}' +");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_pages),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
