/* test_ops_progress.c - live progress from the ops layer: docker's pull
 * messages counted into layers seen, downloaded and extracted
 * (kc_pull_watch_line). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "kamal-c/steps.h"

static bool feed(struct kc_pull_watch *w, const char *line)
{
    return kc_pull_watch_line(w, line, strlen(line));
}

/* docker pull without a terminal: no progress bars, one line per change */
static void test_pull_transcript(void **state)
{
    (void)state;
    struct kc_pull_watch w;
    kc_pull_watch_init(&w, NULL);
    assert_false(feed(&w, "2: Pulling from kc/web"));
    assert_true(feed(&w, "a3ed95caeb02: Already exists"));
    assert_true(feed(&w, "5b7339215d1d: Pulling fs layer"));
    assert_true(feed(&w, "14ca88e9f672: Pulling fs layer\r"));
    assert_int_equal(w.layers.n, 3);
    assert_int_equal(w.downloaded.n, 1);
    assert_int_equal(w.done.n, 1);
    assert_false(feed(&w, "5b7339215d1d: Verifying Checksum"));
    assert_true(feed(&w, "5b7339215d1d: Download complete"));
    assert_int_equal(w.downloaded.n, 2);
    assert_int_equal(w.done.n, 1);
    assert_true(feed(&w, "5b7339215d1d: Pull complete"));
    assert_false(feed(&w, "5b7339215d1d: Pull complete")); /* counted once */
    assert_true(feed(&w, "14ca88e9f672: Pull complete"));
    assert_false(feed(&w, "Digest: sha256:0123456789abcdef0123456789abcdef"));
    assert_false(feed(&w, "Status: Downloaded newer image for 10.213.0.1:5443/kc/web:2"));
    assert_false(feed(&w, "Unable to find image 'x:1' locally"));
    assert_false(feed(&w, "abc: Pull complete")); /* too short for a layer id */
    assert_false(feed(&w, ""));
    assert_int_equal(w.layers.n, 3);
    assert_int_equal(w.downloaded.n, 3);
    assert_int_equal(w.done.n, 3);
    kc_pull_watch_release(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pull_transcript),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
