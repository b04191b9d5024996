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

static int compare_desc(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a);
}

/* The hash index of long vectors gives the same answers as a scan: the first
 * position of a value, duplicates kept, after growth, moves and sorting. */
static void test_strvec_index(void **state)
{
    (void)state;
    struct kc_strvec sv = KC_STRVEC_INIT;
    for (int i = 0; i < 1000; i++)
        kc_strvec_pushf(&sv, "10.0.%d.%d", i / 250, i % 250);
    kc_strvec_push(&sv, "10.0.0.5"); /* a duplicate: index() names the first */
    assert_non_null(sv.index);
    assert_int_equal(kc_strvec_index(&sv, "10.0.0.5"), 5);
    assert_int_equal(kc_strvec_index(&sv, "10.0.3.249"), 999);
    assert_int_equal(kc_strvec_index(&sv, "10.0.4.0"), -1);
    assert_false(kc_strvec_push_unique(&sv, "10.0.2.7"));
    assert_true(kc_strvec_push_unique(&sv, "10.0.9.9"));
    assert_int_equal(kc_strvec_index(&sv, "10.0.9.9"), 1001);

    struct kc_strvec all = KC_STRVEC_INIT;
    kc_strvec_push(&all, "first");
    kc_strvec_take_all(&all, &sv);
    assert_int_equal(sv.n, 0);
    assert_null(sv.index);
    assert_int_equal(kc_strvec_index(&all, "10.0.0.0"), 1);
    assert_int_equal(kc_strvec_index(&all, "10.0.9.9"), 1002);

    kc_strvec_sort(&all, compare_desc);
    assert_string_equal(all.v[0], "first");
    assert_int_equal(kc_strvec_index(&all, "first"), 0);
    assert_string_equal(all.v[kc_strvec_index(&all, "10.0.0.0")], "10.0.0.0");
    assert_int_equal(kc_strvec_index(&all, "10.0.0.0"), (ssize_t)all.n - 1);

    /* changed by hand: searched by a scan, never a stale answer */
    free(all.v[all.n - 1]);
    all.n--;
    assert_int_equal(kc_strvec_index(&all, "10.0.0.0"), -1);
    assert_int_equal(kc_strvec_index(&all, "first"), 0);
    kc_strvec_push(&all, "again");
    assert_int_equal(kc_strvec_index(&all, "again"), (ssize_t)all.n - 1);
    assert_int_equal(kc_strvec_index(&all, "10.0.0.1"), kc_strvec_index(&all, "10.0.0.1"));
    kc_strvec_release(&all);
    assert_null(all.index);
}

static void test_natural_cmp(void **state)
{
    (void)state;
    assert_true(kc_natural_cmp("10.0.0.9", "10.0.0.10") < 0);
    assert_true(kc_natural_cmp("10.0.1.2", "10.0.0.10") > 0);
    assert_true(kc_natural_cmp("web-2", "web-10") < 0);
    assert_true(kc_natural_cmp("web-02", "web-2") == 0);
    assert_true(kc_natural_cmp("web", "web-1") < 0);
    assert_true(kc_natural_cmp("b", "a10") > 0);
    assert_int_equal(kc_natural_cmp("h1", "h1"), 0);
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
        cmocka_unit_test(test_buf_cap),      cmocka_unit_test(test_strvec_split_join),
        cmocka_unit_test(test_strvec_index), cmocka_unit_test(test_natural_cmp),
        cmocka_unit_test(test_sha256),       cmocka_unit_test(test_base64_mime),
        cmocka_unit_test(test_nearest),      cmocka_unit_test(test_err_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
