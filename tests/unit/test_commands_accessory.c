/* test_commands_accessory.c - accessory command lines (exact strings, as
 * Kamal's own command tests pin them), the env file, the probe parser and the
 * comparison of a container against deploy.yml. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/accessory.h"
#include "kamal-c/commands.h"

static struct kc_config cfg;

static int load(void **state)
{
    (void)state;
    struct kc_err err = KC_ERR_INIT;
    struct kc_load_opts o = {.config_file = KC_FIXTURES "/accessory/deploy.yml"};
    kc_config_init(&cfg);
    int rc = kc_config_load(&cfg, &o, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    kc_err_release(&err);
    return rc;
}

static int unload(void **state)
{
    (void)state;
    kc_config_release(&cfg);
    return 0;
}

static char *run_line(const char *name, const char *host, const char *digest)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_cmd_accessory_run(&c, &cfg, kc_config_accessory(&cfg, name), host,
                                          digest, &err),
                     0);
    char *s = kc_cmd_render_display(&c);
    kc_cmd_release(&c);
    return s;
}

static void test_run_mysql(void **state)
{
    (void)state;
    char *s = run_line("mysql", "1.1.1.5", NULL);
    assert_string_equal(s, "docker run --name app-mysql --detach --restart unless-stopped "
                           "--network kamal --log-opt max-size=10m --publish 3306:3306 "
                           "--env KAMAL_HOST=1.1.1.5 --env MYSQL_ROOT_HOST=% "
                           "--env-file .kamal/apps/app/env/accessories/mysql.env "
                           "--volume \"$PWD\"/app-mysql/etc/mysql/my.cnf:/etc/mysql/my.cnf "
                           "--volume \"$PWD\"/app-mysql/data:/var/lib/mysql "
                           "--label service=app-mysql --cpus 4 --memory 2GB mysql:8.0");
    free(s);
}

static void test_run_redis_cmd_and_options(void **state)
{
    (void)state;
    char *s = run_line("redis", "1.1.1.1", "abc");
    assert_string_equal(s, "docker run --name app-redis --detach --restart always "
                           "--network kamal --log-opt max-size=10m "
                           "--publish 127.0.0.1:6379:6379 --env KAMAL_HOST=1.1.1.1 "
                           "--env-file .kamal/apps/app/env/accessories/redis.env "
                           "--volume /var/lib/redis:/data --label service=app-redis "
                           "--label kamal-c.digest=abc "
                           "--label 'kamal-c.options={\"read-only\":true}' --read-only "
                           "redis:latest "
                           "redis-server --appendonly yes --save ''");
    free(s);
}

static void test_placement_and_registry(void **state)
{
    (void)state;
    const struct kc_accessory *box = kc_config_accessory(&cfg, "busybox");
    assert_int_equal(box->hosts.n, 1);
    assert_string_equal(box->hosts.v[0], "1.1.1.3");
    assert_string_equal(box->image, "other.registry/busybox:1");
    char *s = run_line("busybox", "1.1.1.3", NULL);
    assert_non_null(strstr(s, "--volume /srv/box:/box --label service=custom-box "
                              "--label team=ops other.registry/busybox:1"));
    free(s);
    const struct kc_accessory *redis = kc_config_accessory(&cfg, "redis");
    assert_int_equal(redis->hosts.n, 2);
}

static void test_digest_ignores_secrets_and_tracks_spec(void **state)
{
    (void)state;
    struct kc_err err = KC_ERR_INIT;
    char a[65], b[65], c[65];
    const struct kc_accessory *mysql = kc_config_accessory(&cfg, "mysql");
    assert_int_equal(kc_accessory_digest(&cfg, mysql, "1.1.1.5", a, &err), 0);
    assert_int_equal(kc_accessory_digest(&cfg, mysql, "1.1.1.5", b, &err), 0);
    assert_string_equal(a, b);
    assert_int_equal(kc_accessory_digest(&cfg, mysql, "1.1.1.6", c, &err), 0);
    assert_string_not_equal(a, c);
}

static void test_env_file(void **state)
{
    (void)state;
    const struct kc_accessory *mysql = kc_config_accessory(&cfg, "mysql");
    struct kc_kvlist values = KC_KVLIST_INIT;
    struct kc_buf out = KC_BUF_INIT;
    struct kc_err err = KC_ERR_INIT;
    kc_kvlist_set(&values, "MYSQL_ROOT_PASSWORD", "p\"a$s\\w#d");
    assert_int_equal(kc_accessory_env_content(mysql, &values, &out, &err), 0);
    /* docker reads env-file values literally: the value goes in as is */
    assert_string_equal(kc_buf_str(&out), "MYSQL_ROOT_PASSWORD=p\"a$s\\w#d\n");
    kc_buf_reset(&out);
    kc_kvlist_set(&values, "MYSQL_ROOT_PASSWORD", "two\nlines");
    assert_int_equal(kc_accessory_env_content(mysql, &values, &out, &err), KC_ECONFIG);
    assert_null(strstr(err.msg, "two"));
    kc_err_release(&err);
    kc_buf_reset(&out);
    const struct kc_accessory *redis = kc_config_accessory(&cfg, "redis");
    assert_int_equal(kc_accessory_env_content(redis, &values, &out, &err), 0);
    assert_string_equal(kc_buf_str(&out), "\n");
    kc_buf_release(&out);
    kc_kvlist_release(&values);
}

static void test_logs_line(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_err err = KC_ERR_INIT;
    struct kc_logs_opts o = {.since = "5m", .grep = "it's", .grep_options = "-C 2",
                             .timestamps = true};
    assert_int_equal(kc_cmd_accessory_logs(&c, kc_config_accessory(&cfg, "mysql"), &o, &err), 0);
    char *s = kc_cmd_render_display(&c);
    assert_string_equal(s, "docker logs app-mysql --since 5m --timestamps 2>&1 | grep -C 2 -- "
                           "'it'\\''s'");
    free(s);
    kc_cmd_release(&c);
    struct kc_logs_opts d = {.timestamps = true};
    assert_int_equal(kc_cmd_accessory_logs(&c, kc_config_accessory(&cfg, "mysql"), &d, &err), 0);
    s = kc_cmd_render_display(&c);
    assert_string_equal(s, "docker logs app-mysql --tail 100 --timestamps 2>&1");
    free(s);
    kc_cmd_release(&c);
}

static void test_lock_and_audit(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_lock_acquire(&c, &cfg, "TG9ja2Vk\nYnk=");
    char *s = kc_cmd_render_display(&c);
    assert_string_equal(s, "mkdir -p .kamal && mkdir .kamal/lock-app && echo 'TG9ja2Vk\nYnk=' > "
                           ".kamal/lock-app/details");
    free(s);
    kc_cmd_release(&c);
    kc_cmd_audit_record(&c, &cfg, "2026-11-26T11:29:44Z", "me@example.com", NULL,
                        "Booted db accessory");
    s = kc_cmd_render_display(&c);
    assert_string_equal(s, "mkdir -p .kamal && echo '[2026-11-26T11:29:44Z] [me@example.com] "
                           "Booted db accessory' >> .kamal/app-audit.log");
    free(s);
    kc_cmd_release(&c);
    /* removes the lock only while its details are exactly the ones given */
    kc_cmd_lock_release_if(&c, &cfg, "TG9ja2Vk\nYnk=\n");
    s = kc_cmd_render_display(&c);
    assert_string_equal(s, "cmp -s .kamal/lock-app/details - && rm -f .kamal/lock-app/details && "
                           "rm -r .kamal/lock-app");
    assert_int_equal(c.stdin_len, strlen("TG9ja2Vk\nYnk=\n"));
    assert_memory_equal(c.stdin_data, "TG9ja2Vk\nYnk=\n", c.stdin_len);
    free(s);
    kc_cmd_release(&c);
    char *d = kc_lock_details("Ann", "2026-11-26T11:29:44Z", "abc", "Automatic deploy lock");
    assert_string_equal(d, "Locked by: Ann at 2026-11-26T11:29:44Z\nVersion: abc\n"
                           "Message: Automatic deploy lock");
    free(d);
}

static void expect_cmd(struct kc_cmd *c, const char *want)
{
    char *s = kc_cmd_render_display(c);
    assert_string_equal(s, want);
    free(s);
    kc_cmd_release(c);
}

/* The builders any verb's steps use (ops/steps.c). */
static void test_generic_steps(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_image_pull(&c, "mysql:8.0");
    expect_cmd(&c, "docker image pull mysql:8.0");
    kc_cmd_container_state(&c, "app-mysql");
    expect_cmd(&c, "docker inspect --type container --format '{{.State.Status}} "
                   "{{.RestartCount}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none"
                   "{{end}}' app-mysql");
    kc_cmd_container_last_logs(&c, "app-mysql", 20);
    expect_cmd(&c, "docker logs --tail 20 app-mysql 2>&1");
    kc_cmd_mkdir_parent(&c, ".kamal/apps/app/env/accessories/mysql.env");
    expect_cmd(&c, "mkdir -p .kamal/apps/app/env/accessories");
    kc_cmd_mkdir_parent(&c, "app-mysql/etc/my.cnf");
    expect_cmd(&c, "mkdir -p app-mysql/etc");
    kc_cmd_network_create(&c, "kamal");
    expect_cmd(&c, "docker network create kamal");
}

static void test_registry_login_uses_stdin(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_registry_login(&c, &cfg.registry, "dhh", "s3cret", false);
    char *s = kc_cmd_render_exec(&c);
    assert_string_equal(s, "docker login private.registry -u dhh --password-stdin");
    assert_string_equal(c.stdin_data, "s3cret");
    assert_true(c.stdin_secret);
    free(s);
    kc_cmd_release(&c);
}

#define MARK "@@kamal-c-probe@@\n"

static const char *container_json =
    "{\"Name\":\"/app-mysql\",\"State\":{\"Status\":\"running\"},"
    "\"Config\":{\"Image\":\"mysql:8.0\",\"Cmd\":[\"mysqld\"],"
    "\"Env\":[\"MYSQL_ROOT_HOST=%\",\"KAMAL_HOST=1.1.1.5\",\"MYSQL_ROOT_PASSWORD=x\","
    "\"PATH=/usr/bin\",\"OLD=1\"],"
    "\"Labels\":{\"service\":\"app-mysql\"}},"
    "\"HostConfig\":{\"PortBindings\":{\"3306/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"3306\"}]},"
    "\"Binds\":[\"/root/app-mysql/etc/mysql/my.cnf:/etc/mysql/my.cnf\","
    "\"/root/app-mysql/data:/var/lib/mysql\"],"
    "\"RestartPolicy\":{\"Name\":\"unless-stopped\",\"MaximumRetryCount\":0},"
    "\"NetworkMode\":\"kamal\",\"LogConfig\":{\"Type\":\"json-file\","
    "\"Config\":{\"max-size\":\"10m\"}}}}";

static const char *image_json =
    "{\"RepoTags\":[\"mysql:8.0\"],\"Config\":{\"Env\":[\"PATH=/usr/bin\"],"
    "\"Cmd\":[\"mysqld\"],\"Labels\":null}}";

static const char *network_json = "{\"Name\":\"kamal\",\"Driver\":\"bridge\"}";

static void probe_text(struct kc_buf *b, bool with_container)
{
    kc_buf_adds(b, "/root\n" MARK);
    kc_buf_adds(b, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  "
                   ".kamal/apps/app/env/accessories/mysql.env\n" MARK);
    kc_buf_adds(b, "600 root:root 0:0 .kamal/apps/app/env/accessories/mysql.env\n" MARK);
    kc_buf_addf(b, "[%s%s%s,%s]\n" MARK, with_container ? container_json : "",
                with_container ? "," : "", image_json, network_json);
}

static void test_probe_parse_and_compare(void **state)
{
    (void)state;
    const struct kc_accessory *mysql = kc_config_accessory(&cfg, "mysql");
    const struct kc_accessory *accs[] = {mysql};
    struct kc_buf text = KC_BUF_INIT;
    probe_text(&text, true);
    struct kc_host_probe hp;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_accessory_probe_parse(kc_buf_str(&text), "", &cfg, accs, 1, &hp, &err),
                     0);
    assert_null(hp.docker_error);
    assert_string_equal(hp.home, "/root");
    assert_true(hp.network_exists);
    assert_true(hp.acc[0].exists);
    assert_string_equal(hp.acc[0].status, "running");
    assert_true(hp.acc[0].image_present);
    struct kc_acc_desired want = {NULL,
                                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                  KC_KVLIST_INIT};
    struct kc_strvec diffs = KC_STRVEC_INIT;
    bool managed = true;
    kc_accessory_compare(&cfg, mysql, "1.1.1.5", &hp, &hp.acc[0], &want, &diffs, &managed);
    assert_false(managed);
    /* OLD=1 was set by an earlier deploy.yml; my.cnf was never uploaded */
    char *all = kc_strvec_join(&diffs, "|");
    assert_non_null(strstr(all, "env: OLD"));
    assert_non_null(strstr(all, "file app-mysql/etc/mysql/my.cnf is missing"));
    assert_null(strstr(all, "image"));
    assert_null(strstr(all, "ports"));
    assert_null(strstr(all, "volumes"));
    free(all);
    kc_strvec_release(&diffs);
    kc_host_probe_release(&hp);
    kc_buf_release(&text);
}

static void test_probe_missing_container_and_docker_down(void **state)
{
    (void)state;
    const struct kc_accessory *accs[] = {kc_config_accessory(&cfg, "mysql")};
    struct kc_buf text = KC_BUF_INIT;
    probe_text(&text, false);
    struct kc_host_probe hp;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_accessory_probe_parse(kc_buf_str(&text),
                                              "Error: No such object: app-mysql\n", &cfg, accs, 1,
                                              &hp, &err),
                     0);
    assert_null(hp.docker_error);
    assert_false(hp.acc[0].exists);
    assert_true(hp.acc[0].image_present);
    kc_host_probe_release(&hp);
    assert_int_equal(kc_accessory_probe_parse("/root\n" MARK MARK MARK "[]\n" MARK,
                                              "Cannot connect to the Docker daemon at "
                                              "unix:///x.sock. Is the docker daemon running?\n",
                                              &cfg, accs, 1, &hp, &err),
                     0);
    assert_non_null(strstr(hp.docker_error, "Cannot connect"));
    assert_false(hp.network_exists);
    kc_host_probe_release(&hp);
    /* a truncated reply is an error, not a guess */
    assert_int_equal(kc_accessory_probe_parse("/root\n" MARK, "", &cfg, accs, 1, &hp, &err),
                     KC_EREMOTE);
    kc_err_release(&err);
    kc_host_probe_release(&hp);
    kc_buf_release(&text);
}

/* Found by tests/fuzz/fuzz_probe: arrays where docker sends objects made the
 * comparison read member names that are NULL (a crash for Labels, "(null)"
 * in the diff for PortBindings and LogConfig.Config), and a retry count no
 * int holds was converted anyway (undefined behaviour). */
static void test_compare_odd_inspect_json(void **state)
{
    (void)state;
    const struct kc_accessory *mysql = kc_config_accessory(&cfg, "mysql");
    const struct kc_accessory *accs[] = {mysql};
    struct kc_buf text = KC_BUF_INIT;
    kc_buf_adds(&text, "/root\n" MARK MARK MARK);
    kc_buf_addf(&text,
                "[{\"Name\":\"/app-mysql\",\"State\":{\"Status\":\"running\"},"
                "\"Config\":{\"Image\":\"mysql:8.0\",\"Labels\":[\"service=app-mysql\"]},"
                "\"HostConfig\":{\"PortBindings\":[[{\"HostPort\":\"1\"}]],"
                "\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":1e300},"
                "\"LogConfig\":{\"Type\":\"json-file\",\"Config\":[\"max-size=10m\"]}}},%s]\n" MARK,
                image_json);
    struct kc_host_probe hp;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_accessory_probe_parse(kc_buf_str(&text), "", &cfg, accs, 1, &hp, &err),
                     0);
    assert_true(hp.acc[0].exists);
    struct kc_acc_desired want = {NULL, NULL, KC_KVLIST_INIT};
    struct kc_strvec diffs = KC_STRVEC_INIT;
    bool managed = true;
    kc_accessory_compare(&cfg, mysql, "1.1.1.5", &hp, &hp.acc[0], &want, &diffs, &managed);
    assert_false(managed);
    char *all = kc_strvec_join(&diffs, "|");
    assert_null(strstr(all, "(null)"));
    /* what could not be read counts as absent */
    assert_non_null(strstr(all, "ports: add 3306:3306"));
    assert_non_null(strstr(all, "restart: on-failure -> unless-stopped"));
    assert_non_null(strstr(all, "labels: add service=app-mysql"));
    assert_non_null(strstr(all, "log options: add max-size=10m"));
    free(all);
    kc_strvec_release(&diffs);
    kc_host_probe_release(&hp);
    kc_buf_release(&text);
}

/* The mysql container of the fixture, booted by kamal-c with digest "old",
 * its labels, port binding and Cmd as given, my.cnf on the host with sha
 * file_sha; compared with deploy.yml (digest "new", my.cnf want_sha). */
static char *drift_of(const char *labels, const char *host_port, const char *cmd_json,
                      const char *file_sha, const char *want_sha)
{
    const struct kc_accessory *mysql = kc_config_accessory(&cfg, "mysql");
    const struct kc_accessory *accs[] = {mysql};
    struct kc_buf text = KC_BUF_INIT;
    kc_buf_adds(&text, "/root\n" MARK);
    kc_buf_addf(&text,
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  "
                ".kamal/apps/app/env/accessories/mysql.env\n%s  app-mysql/etc/mysql/my.cnf\n" MARK,
                file_sha);
    kc_buf_adds(&text, "600 root:root 0:0 .kamal/apps/app/env/accessories/mysql.env\n"
                       "755 root:root 0:0 app-mysql/etc/mysql/my.cnf\n" MARK);
    kc_buf_addf(&text,
                "[{\"Name\":\"/app-mysql\",\"State\":{\"Status\":\"running\"},"
                "\"Config\":{\"Image\":\"mysql:8.0\",\"Cmd\":%s,"
                "\"Env\":[\"MYSQL_ROOT_HOST=%%\",\"KAMAL_HOST=1.1.1.5\",\"PATH=/usr/bin\"],"
                "\"Labels\":{\"service\":\"app-mysql\",\"kamal-c.digest\":\"old\"%s}},"
                "\"HostConfig\":{\"PortBindings\":{\"3306/tcp\":[{\"HostIp\":\"\","
                "\"HostPort\":\"%s\"}]},"
                "\"Binds\":[\"/root/app-mysql/etc/mysql/my.cnf:/etc/mysql/my.cnf\","
                "\"/root/app-mysql/data:/var/lib/mysql\"],"
                "\"RestartPolicy\":{\"Name\":\"unless-stopped\",\"MaximumRetryCount\":0},"
                "\"NetworkMode\":\"kamal\",\"LogConfig\":{\"Type\":\"json-file\","
                "\"Config\":{\"max-size\":\"10m\"}}}},%s,%s]\n" MARK,
                cmd_json, labels, host_port, image_json, network_json);
    struct kc_host_probe hp;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_accessory_probe_parse(kc_buf_str(&text), "", &cfg, accs, 1, &hp, &err),
                     0);
    struct kc_acc_desired want = {
        "new", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", KC_KVLIST_INIT};
    kc_kvlist_set(&want.files, "app-mysql/etc/mysql/my.cnf", want_sha);
    struct kc_strvec diffs = KC_STRVEC_INIT;
    bool managed = false;
    kc_accessory_compare(&cfg, mysql, "1.1.1.5", &hp, &hp.acc[0], &want, &diffs, &managed);
    assert_true(managed);
    char *all = kc_strvec_join(&diffs, "; ");
    char *advice = kc_accessory_drift_advice("mysql", &diffs);
    char *out = kc_xasprintf("%s | %s", all, advice);
    free(all);
    free(advice);
    kc_kvlist_release(&want.files);
    kc_strvec_release(&diffs);
    kc_host_probe_release(&hp);
    kc_buf_release(&text);
    return out;
}

#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define OPTIONS(json) ",\"kamal-c.options\":\"" json "\""

/* Issue 8 item 7: ports as written, every changed option with old -> new,
 * cmd with its quoting, and upload + restart for a files-only drift. */
static void test_drift_names_each_change(void **state)
{
    (void)state;
    /* a port change and a memory change: both, the port as written */
    char *d = drift_of(OPTIONS("{\\\"cpus\\\":[\\\"4\\\"],\\\"memory\\\":[\\\"1GB\\\"]}"), "3307",
                       "[\"mysqld\"]", SHA_B, SHA_B);
    assert_string_equal(d, "ports: 3307:3306 -> 3306:3306; memory: 1GB -> 2GB | run 'kamal-c "
                           "accessory reboot mysql' to apply");
    free(d);
    /* memory alone names memory; an option added or removed says (none) */
    d = drift_of(OPTIONS("{\\\"memory\\\":[\\\"1GB\\\"],\\\"privileged\\\":true}"), "3306",
                 "[\"mysqld\"]", SHA_B, SHA_B);
    assert_string_equal(d, "cpus: (none) -> 4; memory: 1GB -> 2GB; privileged: on -> (none) | "
                           "run 'kamal-c accessory reboot mysql' to apply");
    free(d);
    /* no record of the options (an older kamal-c): said so, not guessed */
    d = drift_of("", "3306", "[\"mysqld\"]", SHA_B, SHA_B);
    assert_non_null(strstr(d, "options: changed (this container was booted without"));
    free(d);
    /* a files-only drift: upload and restart, no reboot */
    d = drift_of(OPTIONS("{\\\"cpus\\\":[\\\"4\\\"],\\\"memory\\\":[\\\"2GB\\\"]}"), "3306",
                 "[\"mysqld\"]", SHA_B, SHA_C);
    assert_string_equal(d, "the docker run line changed; file app-mysql/etc/mysql/my.cnf changed | "
                           "run 'kamal-c accessory reboot mysql' to apply");
    free(d);
}

static void test_drift_advice_and_cmd_quoting(void **state)
{
    (void)state;
    struct kc_strvec diffs = KC_STRVEC_INIT;
    kc_strvec_push(&diffs, "file app-mysql/etc/mysql/my.cnf changed");
    kc_strvec_push(&diffs, "file app-mysql/etc/mysql/my.cnf: mode 644 -> 755");
    assert_true(kc_accessory_drift_files_only(&diffs));
    char *a = kc_accessory_drift_advice("db", &diffs);
    assert_string_equal(a, "run 'kamal-c accessory upload db' and then 'kamal-c accessory restart "
                           "db' to apply (the container is kept: no reboot needed)");
    free(a);
    kc_strvec_push(&diffs, "secret env changed");
    assert_false(kc_accessory_drift_files_only(&diffs));
    kc_strvec_release(&diffs);
    /* the container's cmd quoted back; deploy.yml's as written */
    char *d = drift_of(OPTIONS("{\\\"cpus\\\":[\\\"4\\\"],\\\"memory\\\":[\\\"2GB\\\"]}"), "3306",
                       "[\"sh\",\"-c\",\"echo hi; mysqld\"]", SHA_B, SHA_B);
    assert_string_equal(d, "cmd: sh -c 'echo hi; mysqld' -> mysqld | run 'kamal-c accessory "
                           "reboot mysql' to apply");
    free(d);
}

/* Every row of boot's convergence table. */
static void test_convergence_table(void **state)
{
    (void)state;
    assert_int_equal(kc_accessory_action(NULL, false), KC_ACT_BOOT);
    assert_int_equal(kc_accessory_action("running", false), KC_ACT_NONE);
    assert_int_equal(kc_accessory_action("running", true), KC_ACT_FAIL);
    assert_int_equal(kc_accessory_action("created", false), KC_ACT_START);
    assert_int_equal(kc_accessory_action("exited", false), KC_ACT_START);
    assert_int_equal(kc_accessory_action("paused", false), KC_ACT_UNPAUSE);
    assert_int_equal(kc_accessory_action("dead", false), KC_ACT_REPLACE);
    assert_int_equal(kc_accessory_action("restarting", false), KC_ACT_FAIL);
    assert_int_equal(kc_accessory_action("removing", false), KC_ACT_FAIL);
    assert_int_equal(kc_accessory_action("something-new", false), KC_ACT_FAIL);
    assert_false(kc_accessory_action_changes(KC_ACT_NONE));
    assert_false(kc_accessory_action_changes(KC_ACT_FAIL));
    assert_true(kc_accessory_action_changes(KC_ACT_REPLACE));
    assert_true(kc_accessory_action_changes(KC_ACT_START));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_mysql),
        cmocka_unit_test(test_generic_steps),
        cmocka_unit_test(test_run_redis_cmd_and_options),
        cmocka_unit_test(test_placement_and_registry),
        cmocka_unit_test(test_digest_ignores_secrets_and_tracks_spec),
        cmocka_unit_test(test_env_file),
        cmocka_unit_test(test_logs_line),
        cmocka_unit_test(test_lock_and_audit),
        cmocka_unit_test(test_registry_login_uses_stdin),
        cmocka_unit_test(test_convergence_table),
        cmocka_unit_test(test_drift_names_each_change),
        cmocka_unit_test(test_drift_advice_and_cmd_quoting),
        cmocka_unit_test(test_probe_parse_and_compare),
        cmocka_unit_test(test_probe_missing_container_and_docker_down),
        cmocka_unit_test(test_compare_odd_inspect_json),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
