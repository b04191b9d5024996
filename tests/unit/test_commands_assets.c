/* test_commands_assets.c - asset bridging commands (exact strings). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/app.h"
#include "kamal-c/assets.h"

static const char deploy_yml[] = "service: app\n"
                                 "image: demo/app\n"
                                 "asset_path: /app/public/assets\n"
                                 "servers:\n"
                                 "  web: [1.1.1.1]\n"
                                 "  admin:\n"
                                 "    hosts: [1.1.1.2]\n"
                                 "    asset_path: /srv/assets:ro\n"
                                 "    proxy: true\n"
                                 "registry: {server: reg:5443, username: u, password: [PW]}\n"
                                 "builder: {arch: amd64}\n";

#include "config_fixture.h"

static const struct kc_role *role(const char *name)
{
    for (size_t i = 0; i < cfg.nroles; i++)
        if (strcmp(cfg.roles[i].name, name) == 0)
            return &cfg.roles[i];
    fail();
    return NULL;
}

static void test_dirs_and_volume(void **state)
{
    (void)state;
    char *d = kc_assets_dir(&cfg, "extracted", role("web"), "v1");
    assert_string_equal(d, ".kamal/apps/app/assets/extracted/web-v1");
    free(d);
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_assets_volume(&c, &cfg, role("web"), "v1");
    char *s = show(&c);
    assert_string_equal(
        s, "--volume \"$PWD\"/.kamal/apps/app/assets/volumes/web-v1:/app/public/assets");
    free(s);
    kc_cmd_assets_volume(&c, &cfg, role("admin"), "v2");
    s = show(&c);
    assert_string_equal(s,
                        "--volume \"$PWD\"/.kamal/apps/app/assets/volumes/admin-v2:/srv/assets:ro");
    free(s);
}

static void test_run_mounts_the_volume_after_the_root_volumes(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(
        0, kc_cmd_app_run(&c, &cfg, role("web"), "1.1.1.1", "v1", NULL, NULL, NULL, &err));
    char *s = show(&c);
    assert_non_null(strstr(s, "--log-opt max-size=10m --volume "
                              "\"$PWD\"/.kamal/apps/app/assets/volumes/web-v1:/app/public/assets "
                              "--label service=app"));
    free(s);
}

static void test_extract(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_assets_extract(&c, &cfg, role("web"), "v1");
    char *s = show(&c);
    assert_string_equal(s, "mkdir -p .kamal/apps/app/assets/extracted/web-v1 && "
                           "( docker container rm app-web-assets 2>/dev/null || true ) && "
                           "docker container create --name app-web-assets reg:5443/demo/app:v1 && "
                           "docker container cp -L app-web-assets:/app/public/assets/. "
                           ".kamal/apps/app/assets/extracted/web-v1 && "
                           "docker container rm app-web-assets");
    free(s);
}

static void test_sync(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_assets_sync(&c, &cfg, role("web"), "v2", NULL);
    char *s = show(&c);
    assert_string_equal(s, "mkdir -p .kamal/apps/app/assets/volumes/web-v2 && "
                           "cp -rnT .kamal/apps/app/assets/extracted/web-v2 "
                           ".kamal/apps/app/assets/volumes/web-v2");
    free(s);
    kc_cmd_assets_sync(&c, &cfg, role("web"), "v2", "v1");
    s = show(&c);
    assert_string_equal(s, "mkdir -p .kamal/apps/app/assets/volumes/web-v2 && "
                           "cp -rnT .kamal/apps/app/assets/extracted/web-v2 "
                           ".kamal/apps/app/assets/volumes/web-v2 && "
                           "( cp -rnT .kamal/apps/app/assets/extracted/web-v2 "
                           ".kamal/apps/app/assets/volumes/web-v1 || true ) && "
                           "( cp -rnT .kamal/apps/app/assets/extracted/web-v1 "
                           ".kamal/apps/app/assets/volumes/web-v2 || true )");
    free(s);
}

static void test_clean(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_assets_clean(&c, &cfg, role("web"), "v2");
    char *s = show(&c);
    assert_string_equal(s, "find .kamal/apps/app/assets/extracted -maxdepth 1 -name 'web-*' '!' "
                           "-name web-v2 -exec rm -rf '{}' + ; "
                           "find .kamal/apps/app/assets/volumes -maxdepth 1 -name 'web-*' '!' "
                           "-name web-v2 -exec rm -rf '{}' +");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dirs_and_volume),
        cmocka_unit_test(test_run_mounts_the_volume_after_the_root_volumes),
        cmocka_unit_test(test_extract),
        cmocka_unit_test(test_sync),
        cmocka_unit_test(test_clean),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
