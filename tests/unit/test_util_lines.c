/* test_util_lines.c - splitting streamed output into lines. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kamal-c/util.h"

struct seen {
    struct kc_strvec v;
    const char *stop_at;
};

static int collect(void *ud, const char *line, size_t len)
{
    struct seen *s = ud;
    char *l = kc_xstrndup(line, len);
    int stop = s->stop_at && strcmp(l, s->stop_at) == 0;
    kc_strvec_push_nodup(&s->v, l);
    return stop;
}

static void test_split_across_chunks(void **state)
{
    (void)state;
    struct kc_lines l;
    struct seen s = {KC_STRVEC_INIT, NULL};
    kc_lines_init(&l, false, 0);
    assert_int_equal(kc_lines_feed(&l, "one\ntw", 6, collect, &s), 0);
    assert_int_equal(kc_lines_feed(&l, "o\n\nthree", 8, collect, &s), 0);
    assert_int_equal(s.v.n, 3);
    assert_int_equal(kc_lines_flush(&l, collect, &s), 0);
    assert_int_equal(s.v.n, 4);
    assert_string_equal(s.v.v[0], "one");
    assert_string_equal(s.v.v[1], "two");
    assert_string_equal(s.v.v[2], "");
    assert_string_equal(s.v.v[3], "three");
    assert_int_equal(kc_lines_flush(&l, collect, &s), 0); /* nothing left */
    assert_int_equal(s.v.n, 4);
    kc_strvec_release(&s.v);
    kc_lines_release(&l);
}

static void test_strip_cr(void **state)
{
    (void)state;
    struct kc_lines l;
    struct seen s = {KC_STRVEC_INIT, NULL};
    kc_lines_init(&l, true, 0);
    kc_lines_feed(&l, "a\r\nb\r", 5, collect, &s);
    kc_lines_feed(&l, "\nc\rd\r\n", 6, collect, &s);
    assert_int_equal(s.v.n, 3);
    assert_string_equal(s.v.v[0], "a");
    assert_string_equal(s.v.v[1], "b");
    assert_string_equal(s.v.v[2], "c\rd"); /* only a \r before \n goes */
    kc_strvec_release(&s.v);
    kc_lines_release(&l);

    kc_lines_init(&l, false, 0); /* without a pty a \r is data */
    kc_lines_feed(&l, "x\r\n", 3, collect, &s);
    assert_string_equal(s.v.v[0], "x\r");
    kc_strvec_release(&s.v);
    kc_lines_release(&l);
}

static void test_long_line_in_pieces(void **state)
{
    (void)state;
    struct kc_lines l;
    struct seen s = {KC_STRVEC_INIT, NULL};
    kc_lines_init(&l, false, 4);
    kc_lines_feed(&l, "abcdefghij\nxy\n", 14, collect, &s);
    assert_int_equal(s.v.n, 4);
    assert_string_equal(s.v.v[0], "abcd");
    assert_string_equal(s.v.v[1], "efgh");
    assert_string_equal(s.v.v[2], "ij");
    assert_string_equal(s.v.v[3], "xy");
    kc_strvec_release(&s.v);
    kc_lines_release(&l);
}

static void test_stop(void **state)
{
    (void)state;
    struct kc_lines l;
    struct seen s = {KC_STRVEC_INIT, "two"};
    kc_lines_init(&l, false, 0);
    assert_int_equal(kc_lines_feed(&l, "one\ntwo\nthree\n", 14, collect, &s), 1);
    assert_int_equal(s.v.n, 2);
    kc_strvec_release(&s.v);
    kc_lines_release(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_across_chunks),
        cmocka_unit_test(test_strip_cr),
        cmocka_unit_test(test_long_line_in_pieces),
        cmocka_unit_test(test_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
