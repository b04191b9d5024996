/* test_ops_build.c - the app version as kc_version_resolve gathers it from
 * git (scripted local programs), the app hosts, and what `build push`
 * refuses before it runs anything (exit 3). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/local.h"
#include "kamal-c/ops_build.h"

struct step {
    const char *argv; /* the rendered argv */
    int status;       /* -1: not installed */
    const char *out;
};

struct fake {
    const struct step *steps;
    size_t n;
    struct kc_strvec ran;
};

static int fake_run(void *ud, const char *const *argv, const struct kc_kvlist *env, const void *in,
                    size_t in_len, struct kc_exec_result *res)
{
    (void)env;
    (void)in;
    (void)in_len;
    struct fake *f = ud;
    struct kc_buf b = KC_BUF_INIT;
    for (size_t i = 0; argv[i]; i++) {
        if (i)
            kc_buf_addc(&b, ' ');
        kc_buf_adds(&b, argv[i]);
    }
    char *line = kc_buf_detach(&b);
    kc_strvec_push(&f->ran, line);
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->steps[i].argv, line) != 0)
            continue;
        free(line);
        if (f->steps[i].status < 0) {
            errno = ENOENT;
            return -1;
        }
        res->status = f->steps[i].status;
        kc_buf_adds(&res->out, f->steps[i].out ? f->steps[i].out : "");
        return 0;
    }
    free(line);
    res->status = 127; /* anything else: "not found" */
    return 0;
}

struct env {
    struct kc_out out;
    struct kc_ctx ctx;
    struct kc_config cfg;
    struct fake fake;
    struct kc_local_transport t;
    struct kc_err err;
    FILE *null;
};

static void env_init(struct env *e, const char *yml, const struct step *steps, size_t n)
{
    memset(e, 0, sizeof *e);
    unsetenv("VERSION");
    e->null = fopen("/dev/null", "w");
    kc_out_init(&e->out, KC_FMT_TEXT, 0, e->null, e->null);
    kc_ctx_init(&e->ctx, &e->out, NULL);
    kc_config_init(&e->cfg);
    struct kc_load_opts o = {0};
    assert_int_equal(kc_config_load_text(&e->cfg, yml, strlen(yml), "deploy.yml", &o, &e->err), 0);
    e->ctx.cfg = &e->cfg;
    kc_secrets_init(&e->ctx.secrets, e->cfg.secrets_path, NULL);
    e->fake.steps = steps;
    e->fake.n = n;
    e->t.run = fake_run;
    e->t.ud = &e->fake;
    e->ctx.local_transport = &e->t;
}

static void env_done(struct env *e)
{
    kc_strvec_release(&e->fake.ran);
    kc_err_release(&e->err);
    kc_ctx_release(&e->ctx);
    kc_config_release(&e->cfg);
    kc_out_release(&e->out);
    fclose(e->null);
}

static const char *const yml = "service: app\nimage: acme/app\n"
                               "servers:\n  web: [h1, h2]\n  jobs: [h3]\n"
                               "registry: {server: reg:5443, username: u, password: pw}\n"
                               "builder: {arch: amd64}\n"
                               "accessories:\n  db: {image: mysql:8, host: h9}\n";

static const char *const yml_context = "service: app\nimage: acme/app\nservers: [h1]\n"
                                       "registry: {server: reg:5443, username: u, password: pw}\n"
                                       "builder: {arch: amd64, context: .}\n";

static void test_version_from_git(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {"git rev-parse HEAD", 0, "0123abcd\n"},
        {"git status --porcelain", 0, " M app.sh\n"},
    };
    struct env e;
    env_init(&e, yml, steps, 2);
    char *v = NULL;
    /* the clean clone ignores the dirty tree */
    assert_int_equal(kc_version_resolve(&e.ctx, &v, &e.err), 0);
    assert_string_equal(v, "0123abcd");
    free(v);
    env_done(&e);

    env_init(&e, yml_context, steps, 2);
    assert_int_equal(kc_version_resolve(&e.ctx, &v, &e.err), 0);
    assert_int_equal(strncmp(v, "0123abcd_uncommitted_", 21), 0);
    assert_int_equal(strlen(v), 21 + 16);
    free(v);
    env_done(&e);
}

static void test_version_declared_and_env(void **state)
{
    (void)state;
    struct env e;
    env_init(&e, yml, NULL, 0);
    char *v = NULL;
    e.ctx.g.version = "v42";
    assert_int_equal(kc_version_resolve(&e.ctx, &v, &e.err), 0);
    assert_string_equal(v, "v42");
    free(v);
    assert_int_equal(e.fake.ran.n, 0); /* no git at all */
    e.ctx.g.version = NULL;
    setenv("VERSION", "from-env", 1);
    assert_int_equal(kc_version_resolve(&e.ctx, &v, &e.err), 0);
    assert_string_equal(v, "from-env");
    free(v);
    unsetenv("VERSION");
    /* no git repository (git exits 128) and nothing declared */
    assert_int_equal(kc_version_resolve(&e.ctx, &v, &e.err), KC_ECONFIG);
    assert_null(v);
    assert_non_null(strstr(e.err.msg, "no git repository"));
    env_done(&e);
}

static void test_app_hosts(void **state)
{
    (void)state;
    struct env e;
    env_init(&e, yml, NULL, 0);
    assert_int_equal(kc_ctx_select(&e.ctx, &e.err), 0);
    assert_true(kc_strvec_contains(&e.ctx.hosts, "h9"));
    struct kc_strvec app = KC_STRVEC_INIT;
    kc_ctx_app_hosts(&e.ctx, &app);
    assert_int_equal(app.n, 3);
    assert_false(kc_strvec_contains(&app, "h9"));
    kc_strvec_release(&app);
    env_done(&e);
}

static void test_push_refusals(void **state)
{
    (void)state;
    static const struct step steps[] = {
        {"git rev-parse HEAD", 0, "0123abcd\n"},
        {"git status --porcelain", 0, ""},
    };
    const char *secrets_yml = "service: app\nimage: acme/app\nservers: [h1]\n"
                              "registry: {server: reg:5443, username: u, password: pw}\n"
                              "builder: {arch: amd64, secrets: [TOKEN]}\n";
    struct env e;
    env_init(&e, secrets_yml, steps, 2);
    struct kc_build_request req = {0};
    assert_int_equal(kc_build_push(&e.ctx, &req, &e.err), KC_ECONFIG);
    assert_non_null(strstr(e.err.msg, "builder.secrets"));
    /* nothing but the probes ran: no login, no build */
    for (size_t i = 0; i < e.fake.ran.n; i++)
        assert_null(strstr(e.fake.ran.v[i], "login"));
    env_done(&e);

    const char *local_yml = "service: app\nimage: acme/app\nservers: [h1]\n"
                            "registry: {server: 'localhost:5000'}\n"
                            "builder: {arch: amd64}\n";
    env_init(&e, local_yml, steps, 2);
    assert_int_equal(kc_build_push(&e.ctx, &req, &e.err), KC_ECONFIG);
    assert_non_null(strstr(e.err.msg, "localhost:5000"));
    env_done(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_from_git),
        cmocka_unit_test(test_version_declared_and_env),
        cmocka_unit_test(test_app_hosts),
        cmocka_unit_test(test_push_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
