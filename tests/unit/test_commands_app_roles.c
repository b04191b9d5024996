/* test_commands_app_roles.c - boot groups (boot.limit slices), boot order
 * (primary-role hosts first), which roles wait for the primary one, which
 * roles run kamal-proxy, and the readiness of a role without kamal-proxy. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kamal-c/app.h"
#include "kamal-c/app_roles.h"

static const char deploy_yml[] = "service: app\n"
                                 "image: demo/app\n"
                                 "servers:\n"
                                 "  jobs:\n"
                                 "    hosts: [10.0.0.3, 10.0.0.1]\n"
                                 "    cmd: bin/jobs\n"
                                 "  web: [10.0.0.1, 10.0.0.2]\n"
                                 "  api:\n"
                                 "    hosts: [10.0.0.4]\n"
                                 "    proxy: true\n"
                                 "registry: {server: reg:5443, username: u, password: [PW]}\n"
                                 "builder: {arch: amd64}\n"
                                 "proxy: {host: app.example.com}\n";

#include "config_fixture.h"

static char *joined(const struct kc_strvec *v)
{
    return kc_strvec_join(v, ",");
}

static void test_groups(void **state)
{
    (void)state;
    struct kc_strvec hosts = KC_STRVEC_INIT;
    const char *h[] = {"a", "b", "c", "d", "e"};
    for (size_t i = 0; i < 5; i++)
        kc_strvec_push(&hosts, h[i]);
    struct kc_strvec *g;
    size_t n = kc_app_boot_groups(&hosts, 2, &g);
    assert_int_equal(n, 3);
    const char *want[] = {"a,b", "c,d", "e"};
    for (size_t i = 0; i < n; i++) {
        char *s = joined(&g[i]);
        assert_string_equal(s, want[i]);
        free(s);
    }
    kc_app_groups_release(g, n);
    n = kc_app_boot_groups(&hosts, 0, &g); /* no boot.limit: one group */
    assert_int_equal(n, 1);
    assert_int_equal(g[0].n, 5);
    kc_app_groups_release(g, n);
    n = kc_app_boot_groups(&hosts, 9, &g);
    assert_int_equal(n, 1);
    kc_app_groups_release(g, n);
    n = kc_app_boot_groups(&hosts, 1, &g);
    assert_int_equal(n, 5);
    assert_string_equal(g[4].v[0], "e");
    kc_app_groups_release(g, n);
    kc_strvec_release(&hosts);
    struct kc_strvec none = KC_STRVEC_INIT;
    n = kc_app_boot_groups(&none, 2, &g);
    assert_int_equal(n, 0);
    kc_app_groups_release(g, n);
}

static void test_order_and_roles(void **state)
{
    (void)state;
    struct kc_strvec hosts = KC_STRVEC_INIT, out = KC_STRVEC_INIT;
    const char *h[] = {"10.0.0.3", "10.0.0.4", "10.0.0.2", "10.0.0.1"};
    for (size_t i = 0; i < 4; i++)
        kc_strvec_push(&hosts, h[i]);
    kc_app_boot_order(&cfg, &hosts, &out);
    char *s = joined(&out);
    assert_string_equal(s, "10.0.0.2,10.0.0.1,10.0.0.3,10.0.0.4");
    free(s);
    kc_strvec_release(&out);
    kc_strvec_release(&hosts);

    /* the primary role first, then the others by name */
    assert_string_equal(cfg.roles[0].name, "web");
    assert_string_equal(cfg.roles[1].name, "api");
    assert_string_equal(cfg.roles[2].name, "jobs");
    const struct kc_role *roles[4];
    size_t n = kc_app_roles_on(&cfg, "10.0.0.1", roles);
    assert_int_equal(n, 2);
    assert_string_equal(roles[0]->name, "web");
    assert_string_equal(roles[1]->name, "jobs");

    const struct kc_role *web = kc_config_role(&cfg, "web");
    const struct kc_role *jobs = kc_config_role(&cfg, "jobs");
    const struct kc_role *api = kc_config_role(&cfg, "api");
    assert_false(kc_app_role_waits(web));
    assert_true(kc_app_role_waits(jobs));
    assert_true(kc_app_role_waits(api));
    /* Kamal: the primary role runs the proxy unless proxy: false; the others
     * only with proxy: true or a mapping */
    assert_true(web->runs_proxy);
    assert_false(jobs->runs_proxy);
    assert_true(api->runs_proxy);
    /* stop: drain_timeout for a role without the proxy, no -t for the others */
    assert_int_equal(jobs->docker_stop_timeout, 30);
    assert_int_equal(web->docker_stop_timeout, -1);
    assert_string_equal(jobs->cmd, "bin/jobs");
}

static enum kc_ready judge(const char *status, const char *health, bool restarted, double elapsed)
{
    struct kc_ready_look l = {status, health, restarted, elapsed, 7, 30};
    return kc_app_ready_judge(&l);
}

static void test_readiness(void **state)
{
    (void)state;
    /* no health check: running for the readiness delay */
    assert_int_equal(judge("running", "none", false, 0), KC_READY_WAIT);
    assert_int_equal(judge("running", "none", false, 6.9), KC_READY_WAIT);
    assert_int_equal(judge("running", "none", false, 7), KC_READY_OK);
    /* stopped or restarted: not ready */
    assert_int_equal(judge("exited", "none", false, 1), KC_READY_FAIL);
    assert_int_equal(judge("restarting", "none", false, 1), KC_READY_FAIL);
    assert_int_equal(judge("running", "none", true, 8), KC_READY_FAIL);
    /* a health check: healthy at once; starting/unhealthy wait up to deploy_timeout */
    assert_int_equal(judge("running", "healthy", false, 0.5), KC_READY_OK);
    assert_int_equal(judge("running", "starting", false, 20), KC_READY_WAIT);
    assert_int_equal(judge("running", "unhealthy", false, 20), KC_READY_WAIT);
    assert_int_equal(judge("running", "starting", false, 30), KC_READY_FAIL);
    /* a readiness delay longer than deploy_timeout is still waited for */
    struct kc_ready_look l = {"running", "none", false, 12, 20, 10};
    assert_int_equal(kc_app_ready_judge(&l), KC_READY_WAIT);
    l.elapsed = 20;
    assert_int_equal(kc_app_ready_judge(&l), KC_READY_OK);
}

static void test_role_run(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_cmd_app_run(&c, &cfg, kc_config_role(&cfg, "jobs"), "10.0.0.3", "v1", NULL,
                                    NULL, NULL, &err),
                     0);
    char *s = show(&c);
    assert_non_null(strstr(s, "--name app-jobs-v1 "));
    assert_non_null(strstr(s, "--label role=jobs "));
    const char *tail = " reg:5443/demo/app:v1 bin/jobs";
    assert_string_equal(s + strlen(s) - strlen(tail), tail);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_order_and_roles),
        cmocka_unit_test(test_readiness),
        cmocka_unit_test(test_role_run),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
