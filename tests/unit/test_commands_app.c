/* test_commands_app.c - app and proxy command lines (exact strings, as
 * Kamal's own command tests pin them), the probe parsers and the digests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/app.h"
#include "kamal-c/proxy.h"

static const char deploy_yml[] = "service: app\n"
                                 "image: demo/app\n"
                                 "servers:\n"
                                 "  web:\n"
                                 "    - 1.1.1.1\n"
                                 "    - 1.1.1.2\n"
                                 "registry: {server: reg:5443, username: u, password: [PW]}\n"
                                 "builder: {arch: amd64}\n"
                                 "env:\n"
                                 "  clear: {RAILS_ENV: production}\n"
                                 "  secret: [DB_PASSWORD]\n"
                                 "proxy:\n"
                                 "  host: app.example.com\n"
                                 "  app_port: 3000\n"
                                 "  healthcheck: {path: /health, interval: 2}\n"
                                 "  buffering: {requests: false}\n"
                                 "  run: {registry: reg:5443, log_max_size: 20m, debug: true}\n";

#include "config_fixture.h"

static void test_app_run(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_cmd_app_run(&c, &cfg, kc_config_role(&cfg, "web"), "1.1.1.1", "abc",
                                    "1.1.1.1-0123456789ab", "d1", "p1", &err),
                     0);
    char *s = show(&c);
    assert_string_equal(s, "docker run --detach --restart unless-stopped --name app-web-abc "
                           "--network kamal --hostname 1.1.1.1-0123456789ab "
                           "--env KAMAL_CONTAINER_NAME=app-web-abc --env KAMAL_VERSION=abc "
                           "--env KAMAL_HOST=1.1.1.1 --env RAILS_ENV=production "
                           "--env-file .kamal/apps/app/env/roles/web.env "
                           "--log-opt max-size=10m --label service=app --label role=web "
                           "--label destination --label kamal-c.digest=d1 "
                           "--label kamal-c.proxy=p1 reg:5443/demo/app:abc");
    free(s);
}

static void test_app_deploy(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_app_deploy(&c, &cfg, kc_config_role(&cfg, "web"), "4f1c2d3e5a6b");
    char *s = show(&c);
    assert_string_equal(s, "docker exec kamal-proxy kamal-proxy deploy app-web "
                           "--target=4f1c2d3e5a6b:3000 --host=app.example.com "
                           "--deploy-timeout=30s --drain-timeout=30s "
                           "--health-check-interval=2s --health-check-path=/health "
                           "--buffer-requests=false --buffer-responses "
                           "--log-request-header=Cache-Control "
                           "--log-request-header=Last-Modified --log-request-header=User-Agent");
    free(s);
    kc_cmd_app_proxy_stop(&c, kc_config_role(&cfg, "web"), 10, "back soon");
    s = show(&c);
    assert_string_equal(s, "docker exec kamal-proxy kamal-proxy stop app-web "
                           "--drain-timeout=10s '--message=back soon'");
    free(s);
}

static void test_proxy_run(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_cmd_proxy_run(&c, &cfg, "1.1.1.1", NULL, NULL, &err), 0);
    char *s = show(&c);
    assert_string_equal(s, "docker run --name kamal-proxy --network kamal --detach "
                           "--restart unless-stopped "
                           "--volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy "
                           "--volume \"$PWD\"/.kamal/proxy/apps-config:/home/kamal-proxy/"
                           ".apps-config --publish 80:80 --publish 443:443 "
                           "--log-opt max-size=20m reg:5443/basecamp/kamal-proxy:v0.9.2 "
                           "kamal-proxy run --debug");
    free(s);
}

static void test_proxy_boot_files(void **state)
{
    (void)state;
    struct kc_proxy_boot_opts o = {.publish = true, .http_port = 8080, .https_port = 443,
                                   .log_max_size = "10m", .registry = "reg:5443",
                                   .metrics_port = 9090};
    struct kc_proxy_files f;
    kc_proxy_boot_files(&o, &f);
    assert_string_equal(f.options,
                        "--publish 8080:80 --publish 443:443 --log-opt max-size=10m --expose=9090");
    assert_string_equal(f.image, "reg:5443/basecamp/kamal-proxy");
    assert_null(f.image_version);
    assert_string_equal(f.run_command, "kamal-proxy run --metrics-port \"9090\"");
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_err err = KC_ERR_INIT;
    f.image_version = kc_xstrdup("v0.9.3");
    /* no proxy.run for this host: the files decide */
    assert_int_equal(kc_cmd_proxy_run(&c, &cfg, "9.9.9.9", &f, NULL, &err), 0);
    char *s = show(&c);
    assert_non_null(strstr(s, "--publish 8080:80 --publish 443:443 --log-opt max-size=10m "
                              "--expose=9090 reg:5443/basecamp/kamal-proxy:v0.9.3 kamal-proxy "
                              "run --metrics-port 9090"));
    free(s);
    kc_proxy_files_release(&f);
    struct kc_proxy_boot_opts d = {.publish = true, .http_port = 80, .https_port = 443,
                                   .log_max_size = "10m"};
    kc_proxy_boot_files(&d, &f);
    assert_null(f.options);
    assert_null(f.image);
    assert_null(f.run_command);
    kc_proxy_files_release(&f);
}

static void test_tag_latest(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_app_tag_latest(&c, &cfg, "abc");
    char *s = show(&c);
    assert_string_equal(s, "docker tag reg:5443/demo/app:abc reg:5443/demo/app:latest");
    free(s);
}

static void test_versions(void **state)
{
    (void)state;
    assert_string_equal(kc_image_tag("reg:5443/basecamp/kamal-proxy:v0.8.7"), "v0.8.7");
    assert_null(kc_image_tag("reg:5443/basecamp/kamal-proxy"));
    assert_true(kc_proxy_too_old("v0.8.7"));
    assert_false(kc_proxy_too_old("v0.9.2"));
    assert_false(kc_proxy_too_old("v0.10.0"));
    assert_false(kc_proxy_too_old("latest"));
}

static void test_probe_parse(void **state)
{
    (void)state;
    const char *out = "abc\n\n@@kamal-c-app@@\n"
                      "[{\"Id\":\"4f1c2d3e5a6b77\",\"Name\":\"/app-web-v1\",\"Image\":\"sha256:1\","
                      "\"State\":{\"Status\":\"running\"},\"Config\":{\"Env\":[\"A=1\"]}},"
                      "{\"Id\":\"sha256:1\",\"RepoTags\":[\"reg/app:v1\"],\"Config\":{\"Env\":"
                      "[\"PATH=/bin\"]}},"
                      "{\"Id\":\"ff\",\"Name\":\"/kamal-proxy\",\"State\":{\"Status\":\"running\"},"
                      "\"Config\":{\"Image\":\"reg/basecamp/kamal-proxy:v0.9.2\"}}]\n"
                      "\n@@kamal-c-app@@\n"
                      "Service  Host  Path  Target              State    TLS\n"
                      "app-web  *           4f1c2d3e5a6b:80     running  no\n"
                      "\n@@kamal-c-app@@\n";
    struct kc_app_probe p;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_app_probe_parse(out, "", 1, &p, &err), 0);
    assert_string_equal(p.flags.v[0], "abc");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(p.containers, "app-web-v1"));
    assert_non_null(p.image);
    assert_true(p.proxy_exists);
    const struct kc_app_route *r = kc_app_route(&p, "app-web");
    assert_non_null(r);
    assert_string_equal(r->target, "4f1c2d3e5a6b:80");
    assert_string_equal(r->state, "running");
    kc_app_probe_release(&p);
}

static void test_probe_parse_state_file(void **state)
{
    (void)state;
    const char *out = "@@kamal-c-absent@@\n\n@@kamal-c-app@@\n[]\n\n@@kamal-c-app@@\n"
                      "@@kamal-c-proxy-state@@\n"
                      "[{\"name\":\"app-web\",\"active_targets\":[\"4f1c2d3e5a6b:80\"],"
                      "\"pause_controller\":{\"state\":2}},"
                      "{\"name\":\"other\",\"active_targets\":[]}]\n\n@@kamal-c-app@@\n";
    struct kc_app_probe p;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_app_probe_parse(out, "", 1, &p, &err), 0);
    assert_string_equal(p.flags.v[0], "");
    assert_false(p.proxy_exists);
    const struct kc_app_route *r = kc_app_route(&p, "app-web");
    assert_non_null(r);
    assert_string_equal(r->target, "4f1c2d3e5a6b:80");
    assert_string_equal(r->state, "stopped");
    assert_null(kc_app_route(&p, "other"));
    kc_app_probe_release(&p);
}

static void test_running_parse(void **state)
{
    (void)state;
    struct kc_app_probe p;
    memset(&p, 0, sizeof p);
    kc_app_running_parse("4f1c2d3e5a6b app-web-v1 web\n0a1b2c3d4e5f app-jobs-v0 jobs\n", &p);
    assert_int_equal(p.running.n, 2);
    assert_string_equal(p.running.v[1], "app-jobs-v0");
    assert_string_equal(p.running_roles.v[1], "jobs");
    assert_string_equal(p.running_ids.v[0], "4f1c2d3e5a6b");
    kc_app_probe_release(&p);
}

/* A probe whose inspect holds the kamal network with the given attached
 * containers ("ID NAME" pairs) and a route of app-web to 4f1c2d3e5a6b. */
static void probe_with_network(struct kc_app_probe *p, const char *containers)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    fprintf(f, "@@kamal-c-absent@@\n\n@@kamal-c-app@@\n"
               "[{\"Id\":\"img\",\"RepoTags\":[\"kamal:latest\"]},"
               "{\"Name\":\"kamal\",\"Driver\":\"bridge\",\"Containers\":{%s}}]\n\n"
               "@@kamal-c-app@@\n@@kamal-c-proxy-state@@\n"
               "[{\"name\":\"app-web\",\"active_targets\":[\"4f1c2d3e5a6b:80\"]}]\n\n"
               "@@kamal-c-app@@\n",
            containers);
    fclose(f);
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_app_probe_parse(out, "", 1, p, &err), 0);
    free(out);
}

static void test_probe_net_clear(void **state)
{
    (void)state;
    const struct kc_role *web = kc_config_role(&cfg, "web");
    struct kc_app_probe p;
    probe_with_network(&p, "\"aaaa00000000ffff\":{\"Name\":\"app-web-v2\"},"
                           "\"bbbb00000000ffff\":{\"Name\":\"app-webhooks-v1\"},"
                           "\"cccc00000000ffff\":{\"Name\":\"kamal-proxy\"}");
    assert_true(p.net_seen);
    assert_int_equal(p.net_names.n, 3);
    assert_null(p.image); /* kamal:latest answered for the network: not the app's image */
    assert_true(kc_app_probe_net_clear(&p, &web, 1, "v2"));
    assert_false(kc_app_probe_net_clear(&p, &web, 1, "v3")); /* v2 would be stale */
    /* a role on a network of its own: the kamal network cannot tell */
    struct kc_role own = *web;
    char key[] = "network";
    struct kc_docker_option net = {.key = key, .values = KC_STRVEC_INIT};
    own.docker_options.v = &net;
    own.docker_options.n = 1;
    const struct kc_role *ownp = &own;
    assert_false(kc_app_probe_net_clear(&p, &ownp, 1, "v2"));
    kc_app_probe_release(&p);
    /* the routed container is not stale, whatever its name */
    probe_with_network(&p, "\"4f1c2d3e5a6b0000\":{\"Name\":\"app-web-v1\"},"
                           "\"aaaa00000000ffff\":{\"Name\":\"app-web-v2\"}");
    assert_true(kc_app_probe_net_clear(&p, &web, 1, "v2"));
    kc_app_probe_release(&p);
    /* Kamal's renamed leftovers look like the role's */
    probe_with_network(&p, "\"aaaa00000000ffff\":{\"Name\":\"app-web-v1_replaced_ab\"}");
    assert_false(kc_app_probe_net_clear(&p, &web, 1, "v2"));
    kc_app_probe_release(&p);
    /* no network in the answer: no conclusion */
    const char *out = "@@kamal-c-absent@@\n\n@@kamal-c-app@@\n[]\n\n@@kamal-c-app@@\n"
                      "@@kamal-c-proxy-state@@\n[]\n\n@@kamal-c-app@@\n";
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_app_probe_parse(out, "", 1, &p, &err), 0);
    assert_false(p.net_seen);
    assert_false(kc_app_probe_net_clear(&p, &web, 1, "v2"));
    kc_app_probe_release(&p);
}

static void test_probe_inspects_network_when_asked(void **state)
{
    (void)state;
    const struct kc_role *web = kc_config_role(&cfg, "web");
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_app_probe(&c, &cfg, &web, 1, "v1", false);
    char *plain = kc_cmd_render_exec(&c);
    kc_cmd_release(&c);
    kc_cmd_app_probe(&c, &cfg, &web, 1, "v1", true);
    char *with = kc_cmd_render_exec(&c);
    kc_cmd_release(&c);
    assert_null(strstr(plain, "kamal-proxy kamal ;"));
    assert_non_null(strstr(with, "reg:5443/demo/app:v1 kamal-proxy kamal ;"));
    assert_null(strstr(with, "docker ps")); /* one docker call */
    kc_cmd_app_running(&c, &cfg);
    char *ps = kc_cmd_render_exec(&c);
    kc_cmd_release(&c);
    assert_string_equal(ps, "docker ps --filter status=running --filter label=service=app "
                            "--filter label=destination= --format "
                            "'{{.ID}} {{.Names}} {{.Label \"role\"}}'");
    free(plain);
    free(with);
    free(ps);
}

static void test_env_sha(void **state)
{
    (void)state;
    struct kc_strvec have = KC_STRVEC_INIT, want = KC_STRVEC_INIT;
    kc_strvec_push(&have, "PATH=/bin");
    kc_strvec_push(&have, "KAMAL_VERSION=abc");
    kc_strvec_push(&have, "RAILS_ENV=production");
    kc_strvec_push(&have, "DB_PASSWORD=x");
    cJSON *img = cJSON_Parse("[\"PATH=/bin\"]");
    kc_app_env_lines(&cfg, kc_config_role(&cfg, "web"), "1.1.1.1", "DB_PASSWORD=x\n", &want);
    char a[65], b[65];
    kc_app_env_sha(&have, img, a);
    kc_app_env_sha(&want, img, b);
    assert_string_equal(a, b);
    kc_strvec_release(&want);
    kc_app_env_lines(&cfg, kc_config_role(&cfg, "web"), "1.1.1.1", "DB_PASSWORD=y\n", &want);
    kc_app_env_sha(&want, img, b);
    assert_string_not_equal(a, b);
    cJSON_Delete(img);
    kc_strvec_release(&have);
    kc_strvec_release(&want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_run),         cmocka_unit_test(test_app_deploy),
        cmocka_unit_test(test_proxy_run),       cmocka_unit_test(test_proxy_boot_files),
        cmocka_unit_test(test_versions),        cmocka_unit_test(test_probe_parse),
        cmocka_unit_test(test_env_sha),         cmocka_unit_test(test_probe_parse_state_file),
        cmocka_unit_test(test_tag_latest),
        cmocka_unit_test(test_running_parse),
        cmocka_unit_test(test_probe_net_clear),
        cmocka_unit_test(test_probe_inspects_network_when_asked),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
