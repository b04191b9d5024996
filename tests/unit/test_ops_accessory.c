/* test_ops_accessory.c - the ops layer over scripted hosts (the fleet's
 * transport seam): `accessory boot` converging two hosts, one missing the
 * accessory and one unreachable, for real and under --dry-run, and the
 * registry login step. Everything above the transport is the real code: the
 * choke point's flags, the lock, the steps, the outcomes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kamal-c/ops.h"
#include "kamal-c/ops_accessory.h"
#include "kamal-c/steps.h"

#define H1   "10.0.0.1"
#define H2   "10.0.0.2"
#define MARK "@@kamal-c-probe@@\n"
#define PASS "s3cret-registry-pw"

static const char *deploy_yml = "service: app\n"
                                "image: app/web\n"
                                "servers:\n"
                                "  - " H1 "\n"
                                "  - " H2 "\n"
                                "registry:\n"
                                "  server: registry.example\n"
                                "  username: deploy\n"
                                "  password:\n"
                                "    - KAMAL_REGISTRY_PASSWORD\n"
                                "builder:\n"
                                "  arch: amd64\n"
                                "accessories:\n"
                                "  db:\n"
                                "    image: mysql:8.0\n"
                                "    hosts: [" H1 ", " H2 "]\n";

/* What the scripted hosts saw: "HOST: LINE" (uploads as "HOST: upload PATH
 * MODE"), and the stdin of every command. */
struct script {
    pthread_mutex_t mu;
    struct kc_strvec seen;
    struct kc_strvec stdins;
    bool h2_down;
};

static void record(struct script *s, const char *host, const char *what, const void *in,
                   size_t in_len)
{
    pthread_mutex_lock(&s->mu);
    kc_strvec_pushf(&s->seen, "%s: %s", host, what);
    if (in)
        kc_strvec_pushf(&s->stdins, "%.*s", (int)in_len, (const char *)in);
    pthread_mutex_unlock(&s->mu);
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A host with Docker and nothing of the accessory yet. */
static int fake_exec(void *ud, const char *host, const char *line, const void *in, size_t in_len,
                     struct kc_exec_result *res, struct kc_err *err)
{
    struct script *s = ud;
    record(s, host, line, in, in_len);
    if (s->h2_down && strcmp(host, H2) == 0)
        return kc_err_set(err, KC_EUNREACHABLE, "connection refused");
    if (starts(line, "pwd ;")) {
        kc_buf_adds(&res->out, "/root\n" MARK MARK MARK "[]\n" MARK);
        kc_buf_adds(&res->err, "Error: No such object: app-db\n"
                               "Error: No such object: mysql:8.0\n"
                               "Error: No such object: kamal\n");
    } else if (starts(line, "docker inspect --type container")) {
        kc_buf_adds(&res->out, "running 0 none\n");
    }
    return 0;
}

static int fake_upload(void *ud, const char *host, const char *path, const void *data, size_t len,
                       int mode, struct kc_err *err)
{
    (void)data;
    (void)len;
    (void)err;
    char *what = kc_xasprintf("upload %s %04o", path, mode);
    record(ud, host, what, NULL, 0);
    free(what);
    return 0;
}

struct world {
    char dir[64];
    char *old_cwd;
    struct script script;
    struct kc_transport transport;
    struct kc_out out;
    char *text;
    size_t text_len;
    FILE *stdout_mem;
    volatile sig_atomic_t cancel;
    struct kc_config cfg;
    struct kc_ctx ctx;
};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A project directory with deploy.yml and .kamal/secrets, a loaded
 * configuration and a context whose fleet talks to the script. */
static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "/tmp/kc-ops-test-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    w->old_cwd = getcwd(NULL, 0);
    assert_int_equal(chdir(w->dir), 0);
    mkdir("config", 0700);
    mkdir(".kamal", 0700);
    write_file("config/deploy.yml", deploy_yml);
    write_file(".kamal/secrets", "KAMAL_REGISTRY_PASSWORD=" PASS "\n");
    setenv("KAMAL_C_CONFIRM_MS", "0", 1);

    pthread_mutex_init(&w->script.mu, NULL);
    w->transport = (struct kc_transport){fake_exec, fake_upload, &w->script};
    w->stdout_mem = open_memstream(&w->text, &w->text_len);
    kc_out_init(&w->out, KC_FMT_TEXT, 0, w->stdout_mem, w->stdout_mem);
    kc_config_init(&w->cfg);
    struct kc_err err = KC_ERR_INIT;
    struct kc_load_opts lo = {0};
    assert_int_equal(kc_config_load(&w->cfg, &lo, &err), 0);
    kc_ctx_init(&w->ctx, &w->out, &w->cancel);
    w->ctx.cfg = &w->cfg;
    w->ctx.command = "accessory";
    w->ctx.subcommand = "boot";
    w->ctx.may_lock = true;
    w->ctx.transport = &w->transport;
    kc_secrets_init(&w->ctx.secrets, w->cfg.secrets_path, w->cfg.destination);
    *state = w;
    return 0;
}

/* Selection and fleet, once the test has set the global options. */
static void connect_world(struct world *w)
{
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_ctx_select(&w->ctx, &err), 0);
    assert_int_equal(kc_ctx_fleet(&w->ctx, &err), 0);
}

static int teardown(void **state)
{
    struct world *w = *state;
    kc_ctx_release(&w->ctx);
    kc_config_release(&w->cfg);
    kc_out_release(&w->out);
    fclose(w->stdout_mem);
    free(w->text);
    kc_strvec_release(&w->script.seen);
    kc_strvec_release(&w->script.stdins);
    pthread_mutex_destroy(&w->script.mu);
    assert_int_equal(chdir(w->old_cwd), 0);
    char *rm = kc_xasprintf("rm -rf '%s'", w->dir);
    assert_int_equal(system(rm), 0);
    free(rm);
    free(w->old_cwd);
    free(w);
    return 0;
}

static const char *output_of(struct world *w)
{
    fflush(w->stdout_mem);
    return w->text ? w->text : "";
}

/* The index of the first line seen that starts with prefix, or -1. */
static long seen_at(const struct world *w, const char *prefix)
{
    for (size_t i = 0; i < w->script.seen.n; i++)
        if (starts(w->script.seen.v[i], prefix))
            return (long)i;
    return -1;
}

static void test_boot_converges_with_one_host_down(void **state)
{
    struct world *w = *state;
    w->script.h2_down = true;
    connect_world(w);
    struct kc_acc_request req = {.name = "db", .allow_all = true};
    struct kc_err err = KC_ERR_INIT;
    int rc = kc_accessory_boot(&w->ctx, &req, &err);
    /* the unreachable host decides the exit; the other host still converged */
    assert_int_equal(rc, KC_EUNREACHABLE);
    const char *out = output_of(w);
    assert_non_null(strstr(out, "[" H1 "] db: booted"));
    assert_non_null(strstr(out, "[" H2 "] db: unreachable"));
    assert_true(w->ctx.lock_held); /* something had to change: the lock was taken */

    /* h1, in order: probe, lock, re-probe under the lock, then the boot */
    long probe = seen_at(w, H1 ": pwd ;");
    long lock = seen_at(w, H1 ": mkdir -p .kamal && mkdir .kamal/lock-app");
    long net = seen_at(w, H1 ": docker network create kamal");
    long login = seen_at(w, H1 ": docker login registry.example -u deploy --password-stdin");
    long env = seen_at(w, H1 ": upload .kamal/apps/app/env/accessories/db.env 0600");
    long run = seen_at(w, H1 ": docker run --name app-db");
    long wait = seen_at(w, H1 ": docker inspect --type container");
    long audit = seen_at(w, H1 ": mkdir -p .kamal && echo");
    assert_true(probe >= 0 && probe < lock);
    assert_true(lock < net && net < login && login < env && env < run && run < wait &&
                wait < audit);
    size_t probes = 0;
    for (size_t i = 0; i < w->script.seen.n; i++)
        probes += starts(w->script.seen.v[i], H1 ": pwd ;");
    assert_int_equal(probes, 2); /* phase 1, and again under the lock */
    /* the password went on stdin only */
    assert_true(kc_strvec_contains(&w->script.stdins, PASS));
    for (size_t i = 0; i < w->script.seen.n; i++)
        assert_null(strstr(w->script.seen.v[i], PASS));
    /* h2: the probe was tried, nothing else */
    assert_true(seen_at(w, H2 ": pwd ;") >= 0);
    assert_int_equal(seen_at(w, H2 ": docker"), -1);
    kc_err_release(&err);
}

static void test_boot_dry_run_sends_only_probes(void **state)
{
    struct world *w = *state;
    w->ctx.g.dry_run = true;
    connect_world(w);
    struct kc_acc_request req = {.name = "all", .allow_all = true};
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_accessory_boot(&w->ctx, &req, &err), 0);
    const char *out = output_of(w);
    assert_non_null(strstr(out, "[" H1 "] db: would boot"));
    assert_non_null(strstr(out, "[" H2 "] db: would boot"));
    assert_non_null(strstr(out, "[" H2 "] would run: docker run --name app-db"));
    assert_false(w->ctx.lock_held);
    /* every command the hosts received was read-only: the probe, the
     * lock check and the label check before a boot */
    for (size_t i = 0; i < w->script.seen.n; i++) {
        const char *line = strchr(w->script.seen.v[i], ' ') + 1;
        if (!starts(line, "pwd ;") && !starts(line, "test -d .kamal/lock-app") &&
            !starts(line, "docker ps -a --filter label=service=app-db"))
            fail_msg("a dry run sent '%s'", w->script.seen.v[i]);
    }
    assert_int_equal(w->script.stdins.n, 0);
    kc_err_release(&err);
}

static void test_registry_login_step(void **state)
{
    struct world *w = *state;
    connect_world(w);
    struct kc_err err = KC_ERR_INIT;
    struct kc_host *h = kc_ctx_host(&w->ctx, H2);
    assert_int_equal(kc_step_registry_login(&w->ctx, h, &w->cfg.registry, &err), 0);
    assert_int_equal(w->script.seen.n, 1);
    assert_string_equal(w->script.seen.v[0],
                        H2 ": docker login registry.example -u deploy --password-stdin");
    assert_string_equal(w->script.stdins.v[0], PASS);
    /* a host that refuses: the step says which registry */
    w->script.h2_down = true;
    assert_int_equal(kc_step_registry_login(&w->ctx, h, &w->cfg.registry, &err), KC_EUNREACHABLE);
    kc_err_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_boot_converges_with_one_host_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_dry_run_sends_only_probes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registry_login_step, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
