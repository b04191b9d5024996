/* test_util_proc.c - the child-process API: capture, stdin, lines, env,
 * caps, start failures and cancellation, with real programs (sh, cat). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/proc.h"

static int run_sh(const char *script, struct kc_proc *p, struct kc_proc_result *res)
{
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    p->argv = argv;
    return kc_proc_run(p, res);
}

static void test_stdout_and_stderr_apart(void **state)
{
    (void)state;
    struct kc_buf out = KC_BUF_INIT, err = KC_BUF_INIT;
    struct kc_proc p = KC_PROC_INIT;
    struct kc_proc_result res;
    p.out = &out;
    p.err = &err;
    assert_int_equal(run_sh("echo hello; echo oops >&2; exit 3", &p, &res), 0);
    assert_int_equal(res.status, 3);
    assert_string_equal(kc_buf_str(&out), "hello\n");
    assert_string_equal(kc_buf_str(&err), "oops\n");
    assert_false(res.cancelled);
    assert_false(res.truncated);
    kc_buf_release(&out);
    kc_buf_release(&err);
}

static void test_merge(void **state)
{
    (void)state;
    struct kc_buf out = KC_BUF_INIT;
    struct kc_proc p = KC_PROC_INIT;
    struct kc_proc_result res;
    p.out = &out;
    p.stderr_mode = KC_PROC_ERR_MERGE;
    assert_int_equal(run_sh("echo a; echo b >&2; echo c", &p, &res), 0);
    assert_string_equal(kc_buf_str(&out), "a\nb\nc\n");
    kc_buf_release(&out);
}

/* More than a pipe buffer each way: stdin is fed while output is read. */
static void test_stdin_large(void **state)
{
    (void)state;
    size_t n = 300 * 1024;
    char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    struct kc_buf out = KC_BUF_INIT;
    struct kc_proc p = KC_PROC_INIT;
    struct kc_proc_result res;
    const char *argv[] = {"cat", NULL};
    p.argv = argv;
    p.stdin_data = data;
    p.stdin_len = n;
    p.out = &out;
    assert_int_equal(kc_proc_run(&p, &res), 0);
    assert_int_equal(res.status, 0);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.data, data, n);
    kc_buf_release(&out);
    free(data);
}

static void test_stdin_not_read(void **state)
{
    (void)state;
    struct kc_proc p = KC_PROC_INIT;
    struct kc_proc_result res;
    static char big[256 * 1024];
    p.stdin_data = big;
    p.stdin_len = sizeof big;
    assert_int_equal(run_sh("exit 0", &p, &res), 0);
    assert_int_equal(res.status, 0);
}

struct seen {
    struct kc_strvec lines;
    const char *stop_at;
};

static int on_line(void *ud, const char *line, size_t len, bool is_stderr)
{
    struct seen *s = ud;
    kc_strvec_pushf(&s->lines, "%s%.*s", is_stderr ? "! " : "| ", (int)len, line);
    return s->stop_at && strncmp(line, s->stop_at, len) == 0;
}

static void test_lines(void **state)
{
    (void)state;
    struct seen s = {KC_STRVEC_INIT, NULL};
    struct kc_proc p = KC_PROC_INIT;
    struct kc_proc_result res;
    p.on_line = on_line;
    p.ud = &s;
    assert_int_equal(run_sh("echo one; echo two >&2; printf last", &p, &res), 0);
    assert_int_equal(s.lines.n, 3);
    assert_true(kc_strvec_contains(&s.lines, "| one"));
    assert_true(kc_strvec_contains(&s.lines, "! two"));
    assert_true(kc_strvec_contains(&s.lines, "| last"));
    kc_strvec_release(&s.lines);
}

static void test_line_callback_stops(void **state)
{
    (void)state;
    struct seen s = {KC_STRVEC_INIT, "ready"};
    struct kc_proc p = KC_PROC_INIT;
    struct kc_proc_result res;
    p.on_line = on_line;
    p.ud = &s;
    double t0 = kc_now();
    assert_int_equal(run_sh("echo ready; exec sleep 20", &p, &res), 0);
    assert_true(kc_now() - t0 < 5);
    assert_true(res.cancelled);
    assert_int_equal(res.status, 128 + SIGTERM);
    kc_strvec_release(&s.lines);
}

static void test_env(void **state)
{
    (void)state;
    struct kc_buf out = KC_BUF_INIT;
    struct kc_proc p = KC_PROC_INIT;
    struct kc_proc_result res;
    char v1[] = "KC_TEST_VALUE=from env", v2[] = "PATH=/usr/bin:/bin";
    char *envp[] = {v1, v2, NULL};
    p.envp = envp;
    p.out = &out;
    assert_int_equal(run_sh("echo \"$KC_TEST_VALUE\"", &p, &res), 0);
    assert_string_equal(kc_buf_str(&out), "from env\n");
    kc_buf_release(&out);
}

static void test_cap(void **state)
{
    (void)state;
    struct kc_buf out = KC_BUF_INIT;
    struct kc_proc p = KC_PROC_INIT;
    struct kc_proc_result res;
    p.out = &out;
    p.cap = 10;
    assert_int_equal(run_sh("echo 0123456789abcdef; echo more", &p, &res), 0);
    assert_int_equal(res.status, 0);
    assert_true(res.truncated);
    assert_int_equal(out.len, 10);
    kc_buf_release(&out);
}

static void test_not_found(void **state)
{
    (void)state;
    struct kc_proc p = KC_PROC_INIT;
    struct kc_proc_result res;
    const char *argv[] = {"kc-no-such-program", NULL};
    p.argv = argv;
    errno = 0;
    assert_int_equal(kc_proc_run(&p, &res), -1);
    assert_int_equal(errno, ENOENT);
}

static void test_cancel_term(void **state)
{
    (void)state;
    volatile sig_atomic_t cancel = 1;
    struct kc_proc p = KC_PROC_INIT;
    struct kc_proc_result res;
    p.cancel = &cancel;
    double t0 = kc_now();
    assert_int_equal(run_sh("exec sleep 20", &p, &res), 0);
    assert_true(kc_now() - t0 < 5);
    assert_true(res.cancelled);
    assert_int_equal(res.status, 128 + SIGTERM);
}

static void test_cancel_kill(void **state)
{
    (void)state;
    struct seen s = {KC_STRVEC_INIT, "ready"};
    struct kc_proc p = KC_PROC_INIT;
    struct kc_proc_result res;
    p.on_line = on_line;
    p.ud = &s;
    p.kill_after_ms = 300;
    double t0 = kc_now();
    /* the shell ignores SIGTERM (from "ready" on) and keeps its stdout open */
    assert_int_equal(run_sh("trap '' TERM; echo ready; while :; do sleep 0.1; done", &p, &res), 0);
    kc_strvec_release(&s.lines);
    assert_true(kc_now() - t0 < 5);
    assert_true(res.cancelled);
    assert_int_equal(res.status, 128 + SIGKILL);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as the dispatcher does */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stdout_and_stderr_apart),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_stdin_large),
        cmocka_unit_test(test_stdin_not_read),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_line_callback_stops),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_cancel_term),
        cmocka_unit_test(test_cancel_kill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
