/* test_commands_deploy.c - prune's listing command and its decision: the
 * retained stopped containers, images in use, the latest tag, untagged
 * images; rollback's listing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/commands_deploy.h"

static const char *const yml = "service: app\n"
                               "image: acme/app\n"
                               "servers: [1.1.1.1]\n"
                               "registry: {server: reg.example:5443, username: u, "
                               "password: [KAMAL_REGISTRY_PASSWORD]}\n"
                               "builder: {arch: amd64}\n";

static void load(struct kc_config *cfg)
{
    struct kc_err err = KC_ERR_INIT;
    struct kc_load_opts o = {.destination = NULL};
    kc_config_init(cfg);
    assert_int_equal(kc_config_load_text(cfg, yml, strlen(yml), "deploy.yml", &o, &err), 0);
    kc_err_release(&err);
}

static void assert_cmd(struct kc_cmd *c, const char *want)
{
    char *got = kc_cmd_render_exec(c);
    assert_string_equal(got, want);
    free(got);
    kc_cmd_release(c);
}

static void test_commands(void **state)
{
    (void)state;
    struct kc_config cfg;
    load(&cfg);
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_prune_probe(&c, &cfg);
    assert_cmd(&c, "docker ps --all --no-trunc --format "
                   "'C|{{.ID}}|{{.State}}|{{.Image}}|svc={{.Label \"service\"}}' && "
                   "docker image ls --no-trunc --filter label=service=app --format "
                   "'I|{{.ID}}|{{.Repository}}:{{.Tag}}'");
    struct kc_strvec v = KC_STRVEC_INIT;
    kc_strvec_push(&v, "a b");
    kc_strvec_push(&v, "c");
    kc_cmd_prune_containers(&c, &v);
    assert_cmd(&c, "docker rm 'a b' c");
    kc_cmd_prune_images(&c, &v);
    assert_cmd(&c, "docker rmi 'a b' c");
    kc_strvec_release(&v);
    kc_cmd_rollback_probe(&c, &cfg);
    assert_cmd(&c, "docker container ls --all --filter label=service=app --filter "
                   "label=destination= --format '{{.Names}}|{{.State}}'");
    kc_config_release(&cfg);
}

static const char *const listing =
    "C|r1|running|reg.example:5443/acme/app:v5|svc=app\n"
    "C|s1|exited|reg.example:5443/acme/app:v4|svc=app\n"
    "C|s2|exited|reg.example:5443/acme/app:v3|svc=app\n"
    "C|o1|exited|postgres:16|svc=db\n"
    "C|s3|created|sha256:img2|svc=app\n"
    "C|s4|dead|reg.example:5443/acme/app:v1|svc=app\n"
    "I|sha256:img5|reg.example:5443/acme/app:v5\n"
    "I|sha256:img5|reg.example:5443/acme/app:latest\n"
    "I|sha256:img4|reg.example:5443/acme/app:v4\n"
    "I|sha256:img3|reg.example:5443/acme/app:v3\n"
    "I|sha256:img2|reg.example:5443/acme/app:v2\n"
    "I|sha256:img1|reg.example:5443/acme/app:v1\n"
    "I|sha256:img0|<none>:<none>\n";

static char *joined(struct kc_strvec *v)
{
    char *s = kc_strvec_join(v, " ");
    kc_strvec_release(v);
    return s;
}

static void decide(bool keep_c, bool keep_i, long retain, const char *want_c, const char *want_i)
{
    struct kc_config cfg;
    load(&cfg);
    struct kc_strvec rc = KC_STRVEC_INIT, ri = KC_STRVEC_INIT;
    kc_prune_decide(&cfg, listing, keep_c, keep_i, retain, &rc, &ri);
    char *c = joined(&rc), *i = joined(&ri);
    assert_string_equal(c, want_c);
    assert_string_equal(i, want_i);
    free(c);
    free(i);
    kc_config_release(&cfg);
}

static void test_decide(void **state)
{
    (void)state;
    /* retain 2: s1, s2 kept (newest first), s3 and s4 go; other services never */
    decide(false, false, 2, "s3 s4",
           "reg.example:5443/acme/app:v2 reg.example:5443/acme/app:v1 sha256:img0");
    /* retain 5: no container goes; images of stopped containers stay (by tag or ID) */
    decide(false, false, 5, "", "sha256:img0");
    /* retain 1 */
    decide(false, false, 1, "s2 s3 s4",
           "reg.example:5443/acme/app:v3 reg.example:5443/acme/app:v2 "
           "reg.example:5443/acme/app:v1 sha256:img0");
    /* containers only / images only */
    decide(false, true, 2, "s3 s4", "");
    decide(true, false, 1, "", "sha256:img0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_decide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
