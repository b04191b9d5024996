/* test_remote_jumpspec.c - parsing ssh.proxy / ProxyJump "[user@]host[:port]". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../src/remote/session_int.h"

static void expect_ok(const char *spec, const char *user, const char *host, int port)
{
    char *u = NULL, *h = NULL;
    int p = -1;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_jump_parse(spec, &u, &h, &p, &err), 0);
    if (user)
        assert_string_equal(u, user);
    else
        assert_null(u);
    assert_string_equal(h, host);
    assert_int_equal(p, port);
    free(u);
    free(h);
    kc_err_release(&err);
}

static void expect_bad(const char *spec, const char *needle)
{
    char *u = NULL, *h = NULL;
    int p = -1;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_jump_parse(spec, &u, &h, &p, &err), KC_ECONFIG);
    assert_null(u);
    assert_null(h);
    assert_non_null(err.msg);
    assert_non_null(strstr(err.msg, needle));
    kc_err_release(&err);
}

static void test_forms(void **state)
{
    (void)state;
    expect_ok("bastion", NULL, "bastion", 0);
    expect_ok("root@bastion", "root", "bastion", 0);
    expect_ok("deploy@10.0.0.1:2222", "deploy", "10.0.0.1", 2222);
    expect_ok("10.0.0.1:22", NULL, "10.0.0.1", 22);
    expect_ok("ssh://app@jump.example.com:2200", "app", "jump.example.com", 2200);
    expect_ok("me@[2001:db8::1]:2022", "me", "2001:db8::1", 2022);
    expect_ok("[::1]", NULL, "::1", 0);
    expect_ok("fe80::1", NULL, "fe80::1", 0); /* bare IPv6: no port */
    expect_ok("a@b@host", "a@b", "host", 0);  /* the last @ separates */
}

static void test_bad(void **state)
{
    (void)state;
    expect_bad("", "empty jump host");
    expect_bad("@host", "empty user");
    expect_bad("host:0", "invalid port");
    expect_bad("host:70000", "invalid port");
    expect_bad("host:ssh", "invalid port");
    expect_bad("host:", "invalid port");
    expect_bad(":22", "invalid jump host");
    expect_bad("user@", "no host");
    expect_bad("a@j1,b@j2", "one [user@]host[:port]");
    expect_bad("[::1", "invalid jump host");
    expect_bad("[::1]x", "invalid jump host");
    expect_bad("host name", "one [user@]host[:port]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
