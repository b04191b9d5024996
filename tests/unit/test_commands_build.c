/* test_commands_build.c - the version rule, image and clone names, the build
 * command lines (buildx and plain docker build), what needs buildx, the
 * .dockerignore translation and ssh:// URLs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/commands_build.h"

static const char *const base_yml = "service: app\n"
                                    "image: acme/app\n"
                                    "servers: [1.1.1.1]\n"
                                    "registry: {server: reg.example:5443, username: u, "
                                    "password: [KAMAL_REGISTRY_PASSWORD]}\n";

static int load_text(struct kc_config *cfg, const char *yml, const char *dest)
{
    struct kc_err err = KC_ERR_INIT;
    struct kc_load_opts o = {.destination = dest};
    kc_config_init(cfg);
    int rc = kc_config_load_text(cfg, yml, strlen(yml), "deploy.yml", &o, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    kc_err_release(&err);
    return rc;
}

static char *yml_with(const char *builder)
{
    return kc_xasprintf("%sbuilder:\n%s", base_yml, builder);
}

static void test_version_rule(void **state)
{
    (void)state;
    struct kc_err err = KC_ERR_INIT;
    char *v = NULL;
    struct kc_version_facts f = {.declared = "v1", .env_version = "v2", .git_used = true,
                                 .head = "abc", .dirty = true, .git_clone = false,
                                 .random_hex = "0123456789abcdef", .pwd = "/w"};
    assert_int_equal(kc_version_pick(&f, &v, &err), 0);
    assert_string_equal(v, "v1");
    free(v);
    f.declared = NULL;
    assert_int_equal(kc_version_pick(&f, &v, &err), 0);
    assert_string_equal(v, "v2");
    free(v);
    f.env_version = NULL;
    assert_int_equal(kc_version_pick(&f, &v, &err), 0);
    assert_string_equal(v, "abc_uncommitted_0123456789abcdef");
    free(v);
    f.git_clone = true; /* a clean clone ignores the dirty tree */
    assert_int_equal(kc_version_pick(&f, &v, &err), 0);
    assert_string_equal(v, "abc");
    free(v);
    f.git_clone = false;
    f.dirty = false;
    assert_int_equal(kc_version_pick(&f, &v, &err), 0);
    assert_string_equal(v, "abc");
    free(v);
    f.git_used = false;
    assert_int_equal(kc_version_pick(&f, &v, &err), KC_ECONFIG);
    assert_null(v);
    assert_non_null(strstr(err.msg, "no git repository found in /w"));
    assert_non_null(strstr(err.hint, "--version"));
    kc_err_release(&err);
}

static void test_image_names(void **state)
{
    (void)state;
    struct kc_config cfg;
    char *yml = yml_with("  arch: amd64\n");
    assert_int_equal(load_text(&cfg, yml, NULL), 0);
    free(yml);
    char *s = kc_config_image(&cfg, "abc");
    assert_string_equal(s, "reg.example:5443/acme/app:abc");
    free(s);
    s = kc_config_image(&cfg, NULL);
    assert_string_equal(s, "reg.example:5443/acme/app:latest");
    free(s);
    s = kc_build_clone_dir(&cfg, "/tmp/x/", "/work/app");
    char hex[65];
    kc_sha256_hex("/work/app", 9, hex);
    char *want = kc_xasprintf("/tmp/x/kamal-clones/app-%.13s", hex);
    assert_string_equal(s, want);
    free(want);
    free(s);
    s = kc_build_clone_dir(&cfg, NULL, "/w");
    assert_non_null(strstr(s, "/tmp/kamal-clones/app-"));
    assert_int_equal(strlen(strrchr(s, '-') + 1), 13);
    free(s);
    s = kc_build_builder_name(&cfg, false);
    assert_string_equal(s, "kamal-local-docker-container");
    free(s);
    kc_config_release(&cfg);
}

static char *build_line(struct kc_config *cfg, bool buildx, const char *builder)
{
    struct kc_build_spec s = {.cfg = cfg,
                              .tag = "R:v1",
                              .latest_tag = "R:latest",
                              .dockerfile = "Dockerfile",
                              .context = ".",
                              .buildx = buildx,
                              .builder = builder,
                              .push = true};
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_build(&c, &s);
    char *line = kc_cmd_render_display(&c);
    kc_cmd_release(&c);
    return line;
}

static void test_build_lines(void **state)
{
    (void)state;
    struct kc_config cfg;
    char *yml = yml_with("  arch: amd64\n  args: {RUBY: '3.3', X: 'a b'}\n  target: prod\n");
    assert_int_equal(load_text(&cfg, yml, NULL), 0);
    char *s = build_line(&cfg, false, NULL);
    assert_string_equal(s, "docker build -t R:v1 -t R:latest --label service=app --build-arg "
                           "<secret:builder.args.RUBY> --build-arg <secret:builder.args.X> "
                           "--file Dockerfile --target prod .");
    free(s);
    s = build_line(&cfg, true, "kamal-local-docker-container");
    assert_string_equal(s, "docker buildx build --output=type=registry --platform linux/amd64 "
                           "--builder kamal-local-docker-container -t R:v1 -t R:latest --label "
                           "service=app --build-arg <secret:builder.args.RUBY> --build-arg "
                           "<secret:builder.args.X> --file Dockerfile --target prod .");
    free(s);
    /* the exact line keeps the values, quoted */
    struct kc_build_spec sp = {.cfg = &cfg, .tag = "R:v1", .latest_tag = "R:latest",
                               .dockerfile = "Dockerfile", .context = "-"};
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_build(&c, &sp);
    s = kc_cmd_render_exec(&c);
    assert_non_null(strstr(s, "--build-arg 'X=a b'"));
    assert_non_null(strstr(s, "--build-arg RUBY=3.3"));
    assert_non_null(strstr(s, " -"));
    free(s);
    kc_cmd_release(&c);
    assert_null(kc_build_needs_buildx(&cfg));
    kc_config_release(&cfg);
    free(yml);
}

static void test_secrets_and_buildx_keys(void **state)
{
    (void)state;
    struct kc_config cfg;
    char *yml = yml_with("  arch: amd64\n  secrets: [GITHUB_TOKEN]\n");
    assert_int_equal(load_text(&cfg, yml, NULL), 0);
    assert_string_equal(kc_build_needs_buildx(&cfg), "builder.secrets");
    char *s = build_line(&cfg, true, NULL);
    assert_non_null(strstr(s, "--secret id=GITHUB_TOKEN,env=GITHUB_TOKEN "));
    free(s);
    s = build_line(&cfg, false, NULL);
    assert_null(strstr(s, "--secret"));
    free(s);
    kc_config_release(&cfg);
    free(yml);
    const struct {
        const char *builder, *key;
    } cases[] = {
        {"  arch: [amd64, arm64]\n", "builder.arch"},
        {"  arch: amd64\n  cache: {type: registry}\n", "builder.cache"},
        {"  arch: amd64\n  driver: docker-container\n", "builder.driver"},
        {"  arch: amd64\n  driver: docker\n", NULL},
        {"  arch: amd64\n  ssh: default\n", "builder.ssh"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        yml = yml_with(cases[i].builder);
        assert_int_equal(load_text(&cfg, yml, NULL), 0);
        const char *k = kc_build_needs_buildx(&cfg);
        if (cases[i].key)
            assert_string_equal(k, cases[i].key);
        else
            assert_null(k);
        kc_config_release(&cfg);
        free(yml);
    }
}

static void test_destination_latest(void **state)
{
    (void)state;
    struct kc_config cfg;
    char *yml = yml_with("  arch: amd64\n");
    /* no destination file on disk: latest stays "latest" */
    assert_int_equal(load_text(&cfg, yml, NULL), 0);
    assert_string_equal(cfg.latest_tag, "latest");
    kc_config_release(&cfg);
    free(yml);
}

static void test_dockerignore(void **state)
{
    (void)state;
    struct kc_strvec ex = KC_STRVEC_INIT;
    int unsupported = 0;
    kc_dockerignore_excludes("# c\n.git\n/config/\n./tmp/*.log\n\n  .kamal  \n!keep\n", &ex,
                             &unsupported);
    assert_int_equal(unsupported, 1);
    assert_int_equal(ex.n, 4);
    assert_string_equal(ex.v[0], "--exclude=./.git");
    assert_string_equal(ex.v[1], "--exclude=./config");
    assert_string_equal(ex.v[2], "--exclude=./tmp/*.log");
    assert_string_equal(ex.v[3], "--exclude=./.kamal");
    kc_strvec_release(&ex);
}

static void test_pull_line(void **state)
{
    (void)state;
    struct kc_config cfg;
    char *yml = yml_with("  arch: amd64\n");
    assert_int_equal(load_text(&cfg, yml, NULL), 0);
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_pull_unless_present(&c, &cfg, "R:v1", "2026-01-01T00:00:00Z", "me@x",
                               "Pulled image with version v1");
    char *s = kc_cmd_render_display(&c);
    assert_string_equal(
        s, "docker image inspect --format '{{index .Config.Labels \"service\"}}' R:v1 "
           "2>/dev/null || ( mkdir -p .kamal && echo '[2026-01-01T00:00:00Z] [me@x] Pulled image "
           "with version v1' >> .kamal/app-audit.log && docker image pull --quiet R:v1 "
           ">/dev/null && echo kc-pulled && docker image inspect --format '{{index "
           ".Config.Labels \"service\"}}' R:v1 )");
    free(s);
    kc_cmd_release(&c);
    kc_config_release(&cfg);
    free(yml);
}

static void test_ssh_url(void **state)
{
    (void)state;
    char *user, *host;
    int port;
    assert_true(kc_build_parse_ssh_url("ssh://root@10.0.0.1", &user, &host, &port));
    assert_string_equal(user, "root");
    assert_string_equal(host, "10.0.0.1");
    assert_int_equal(port, 0);
    free(user);
    free(host);
    assert_true(kc_build_parse_ssh_url("ssh://b.example:2222", &user, &host, &port));
    assert_null(user);
    assert_string_equal(host, "b.example");
    assert_int_equal(port, 2222);
    free(host);
    assert_false(kc_build_parse_ssh_url("tcp://1.2.3.4:2375", &user, &host, &port));
    assert_false(kc_build_parse_ssh_url("ssh://", &user, &host, &port));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_rule),
        cmocka_unit_test(test_image_names),
        cmocka_unit_test(test_build_lines),
        cmocka_unit_test(test_secrets_and_buildx_keys),
        cmocka_unit_test(test_destination_latest),
        cmocka_unit_test(test_dockerignore),
        cmocka_unit_test(test_pull_line),
        cmocka_unit_test(test_ssh_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
