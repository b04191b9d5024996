/* test_util_cmd.c - the one quoting function and command rendering. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kamal-c/cmd.h"

static char *q(const char *s)
{
    struct kc_buf b = KC_BUF_INIT;
    kc_shell_quote(&b, s);
    return kc_buf_detach(&b);
}

static void expect_quote(const char *in, const char *out)
{
    char *s = q(in);
    assert_string_equal(s, out);
    free(s);
}

static void test_quote(void **state)
{
    (void)state;
    expect_quote("plain-word_1.2:3/x@y%z+=,", "plain-word_1.2:3/x@y%z+=,");
    expect_quote("", "''");
    expect_quote("two words", "'two words'");
    expect_quote("it's", "'it'\\''s'");
    expect_quote("$(rm -rf /)", "'$(rm -rf /)'");
    expect_quote("`id`;&&|>", "'`id`;&&|>'");
    expect_quote("a\nb", "'a\nb'");
    expect_quote("héllo", "'héllo'");
    expect_quote("-flag", "-flag");
}

static void test_render(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_args(&c, "docker", "login", "reg", "-u", NULL);
    kc_cmd_secret_arg(&c, "the user", "REG_USER");
    kc_cmd_op(&c, "&&");
    kc_cmd_pwd_arg(&c, "app-db/data:/var/lib/x");
    kc_cmd_user_shell(&c, "psql -c \"select 1\"");
    char *exec = kc_cmd_render_exec(&c);
    char *disp = kc_cmd_render_display(&c);
    assert_string_equal(exec, "docker login reg -u 'the user' && \"$PWD\"/app-db/data:/var/lib/x "
                              "psql -c \"select 1\"");
    assert_string_equal(disp, "docker login reg -u <secret:REG_USER> && "
                              "\"$PWD\"/app-db/data:/var/lib/x psql -c \"select 1\"");
    free(exec);
    free(disp);
    kc_cmd_release(&c);
}

static void test_stdin_never_rendered(void **state)
{
    (void)state;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_args(&c, "docker", "login", "--password-stdin", NULL);
    kc_cmd_set_stdin(&c, "hunter2", 7, true);
    char *disp = kc_cmd_render_display(&c);
    assert_null(strstr(disp, "hunter2"));
    free(disp);
    kc_cmd_release(&c);
}

static void test_shell_split(void **state)
{
    (void)state;
    struct kc_strvec v = KC_STRVEC_INIT;
    assert_int_equal(kc_shell_split("redis-server --save \"\" 'a b' c\\ d", &v), 0);
    assert_int_equal(v.n, 5);
    assert_string_equal(v.v[2], "");
    assert_string_equal(v.v[3], "a b");
    assert_string_equal(v.v[4], "c d");
    kc_strvec_release(&v);
    assert_int_equal(kc_shell_split("echo 'oops", &v), -1);
    kc_strvec_release(&v);
}

static void test_glob(void **state)
{
    (void)state;
    assert_true(kc_glob_match("10.0.0.*", "10.0.0.7"));
    assert_true(kc_glob_match("web{1,3}", "web3"));
    assert_false(kc_glob_match("web{1,3}", "web2"));
    assert_true(kc_glob_match("db[0-9]", "db4"));
    assert_true(kc_glob_match("{a,b{c,d}}x", "bdx"));
    assert_false(kc_glob_match("web?", "web10"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_stdin_never_rendered),
        cmocka_unit_test(test_shell_split),
        cmocka_unit_test(test_glob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
