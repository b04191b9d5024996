/* test_remote_hostkey.c - known_hosts names and the changed-key message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../src/remote/session_int.h"

static void test_known_hosts_name(void **state)
{
    (void)state;
    char *n = kc_knownhosts_name("10.0.0.1", 22);
    assert_string_equal(n, "10.0.0.1");
    free(n);
    n = kc_knownhosts_name("10.0.0.1", 2222);
    assert_string_equal(n, "[10.0.0.1]:2222");
    free(n);
}

static void test_changed_message(void **state)
{
    (void)state;
    struct kc_err err = KC_ERR_INIT;
    kc_hostkey_changed_err(&err, "10.0.0.1", "10.0.0.1", 22, "ssh-ed25519 SHA256:abc",
                           "/root/.ssh/known_hosts", false);
    assert_int_equal(err.code, KC_EUNREACHABLE);
    assert_string_equal(err.msg, "host key for 10.0.0.1 has changed (offered ssh-ed25519 "
                                 "SHA256:abc)");
    assert_string_equal(err.hint, "if this is expected, remove the old key with: ssh-keygen -R "
                                  "10.0.0.1 -f /root/.ssh/known_hosts");
    kc_err_release(&err);
}

static void test_changed_message_port_alias_quoting(void **state)
{
    (void)state;
    struct kc_err err = KC_ERR_INIT;
    kc_hostkey_changed_err(&err, "web1", "10.0.0.1", 2222, "ssh-rsa SHA256:x/y+z",
                           "/home/o'neil/kh", false);
    assert_string_equal(err.msg,
                        "host key for 10.0.0.1 port 2222 (web1) has changed (offered ssh-rsa "
                        "SHA256:x/y+z)");
    assert_string_equal(err.hint, "if this is expected, remove the old key with: ssh-keygen -R "
                                  "'[10.0.0.1]:2222' -f '/home/o'\\''neil/kh'");
    kc_err_release(&err);
}

static void test_other_type_message(void **state)
{
    (void)state;
    struct kc_err err = KC_ERR_INIT;
    kc_hostkey_changed_err(&err, "10.0.0.1", "10.0.0.1", 22, "ssh-ed25519 SHA256:abc", "/kh", true);
    assert_non_null(strstr(err.msg, "does not match the key of another type recorded in /kh"));
    assert_non_null(strstr(err.msg, "(offered ssh-ed25519 SHA256:abc)"));
    kc_err_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_hosts_name),
        cmocka_unit_test(test_changed_message),
        cmocka_unit_test(test_changed_message_port_alias_quoting),
        cmocka_unit_test(test_other_type_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
