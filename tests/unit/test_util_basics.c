/* test_util_basics.c - buffers, vectors, hashing, base64, suggestions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kamal-c/err.h"
#include "kamal-c/util.h"

static void test_buf_cap(void **state)
{
    (void)state;
    struct kc_buf b;
    kc_buf_init(&b, 8);
    assert_int_equal(kc_buf_adds(&b, "12345678"), 0);
    assert_int_equal(kc_buf_adds(&b, "9"), -1);
    assert_string_equal(kc_buf_str(&b), "12345678");
    kc_buf_release(&b);
    assert_string_equal(kc_buf_str(&b), "");
}

static void test_strvec_split_join(void **state)
{
    (void)state;
    struct kc_strvec sv = KC_STRVEC_INIT;
    kc_strvec_split(&sv, " a, b ,,c ", ",");
    assert_int_equal(sv.n, 3);
    char *j = kc_strvec_join(&sv, "|");
    assert_string_equal(j, "a|b|c");
    free(j);
    assert_null(sv.v[3]);
    kc_strvec_release(&sv);
}

static void test_sha256(void **state)
{
    (void)state;
    char hex[65];
    kc_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    kc_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    kc_sha256_hex(m, strlen(m), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_base64_mime(void **state)
{
    (void)state;
    char *s = kc_base64_mime("hello", 5);
    assert_string_equal(s, "aGVsbG8=\n");
    free(s);
    char long_in[100];
    memset(long_in, 'x', sizeof long_in);
    s = kc_base64_mime(long_in, sizeof long_in);
    /* Ruby's encode64 wraps at 60 output characters */
    assert_int_equal(strchr(s, '\n') - s, 60);
    free(s);
    /* and back (gcloud's payload.data): padding and line breaks allowed */
    struct kc_buf b = KC_BUF_INIT;
    assert_int_equal(kc_base64_decode("aGVs\nbG8=", &b), 0);
    assert_string_equal(kc_buf_str(&b), "hello");
    kc_buf_reset(&b);
    assert_int_equal(kc_base64_decode("", &b), 0);
    assert_string_equal(kc_buf_str(&b), "");
    kc_buf_reset(&b);
    assert_int_equal(kc_base64_decode("YQ", &b), 0);
    assert_string_equal(kc_buf_str(&b), "a");
    kc_buf_reset(&b);
    assert_int_equal(kc_base64_decode("a*b=", &b), -1);
    kc_buf_release(&b);
}

static void test_nearest(void **state)
{
    (void)state;
    const char *c[] = {"accessory", "audit", "config", "lock"};
    assert_string_equal(kc_nearest("acessory", c, 4), "accessory");
    assert_string_equal(kc_nearest("confg", c, 4), "config");
    assert_null(kc_nearest("zzzzzzzz", c, 4));
}

static void test_err_format(void **state)
{
    (void)state;
    struct kc_err e = KC_ERR_INIT;
    kc_err_at(&e, KC_ECONFIG, "config/deploy.yml", 14, 7, "accessories.db.port: bad");
    char *s = kc_err_format(&e);
    assert_string_equal(s, "config/deploy.yml:14:7: accessories.db.port: bad");
    free(s);
    assert_int_equal(kc_exit_status(e.code), 3);
    kc_err_release(&e);
    kc_err_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_cap), cmocka_unit_test(test_strvec_split_join),
        cmocka_unit_test(test_sha256),  cmocka_unit_test(test_base64_mime),
        cmocka_unit_test(test_nearest), cmocka_unit_test(test_err_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
