/* test_output_targets.c - the text and JSON targets behind one interface:
 * help, version and a two-way document (config) rendered by the target; the
 * live-progress calls are no-ops off a terminal. (The live target itself is
 * tested in a real terminal: tests/e2e/test_live.sh.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/output.h"

struct sink {
    FILE *out, *err;
    char *obuf, *ebuf;
    size_t olen, elen;
    struct kc_out o;
};

static void open_sink(struct sink *s, enum kc_format f, int verbosity)
{
    s->out = open_memstream(&s->obuf, &s->olen);
    s->err = open_memstream(&s->ebuf, &s->elen);
    kc_out_init(&s->o, f, verbosity, s->out, s->err);
}

static void close_sink(struct sink *s)
{
    kc_out_release(&s->o);
    fclose(s->out);
    fclose(s->err);
    free(s->obuf);
    free(s->ebuf);
}

static void as_yaml(const void *ud, struct kc_buf *out)
{
    kc_buf_addf(out, "service: %s\n", (const char *)ud);
}

static void as_json(const void *ud, struct kc_buf *out)
{
    kc_buf_addf(out, "{\"service\": \"%s\"}\n", (const char *)ud);
}

static const char *run_doc(struct sink *s, enum kc_format f)
{
    open_sink(s, f, 0);
    kc_out_add_secret(&s->o, "hidden-name");
    const struct kc_out_doc doc = {as_yaml, as_json, "hidden-name"};
    kc_out_doc(&s->o, &doc);
    kc_out_finish(&s->o, 0, NULL);
    fflush(s->out);
    return s->obuf;
}

static void test_doc_by_target(void **state)
{
    (void)state;
    struct sink s;
    assert_string_equal(run_doc(&s, KC_FMT_TEXT), "service: [REDACTED]\n");
    close_sink(&s);
    /* the verb's own document: no run document after it */
    assert_string_equal(run_doc(&s, KC_FMT_JSON), "{\"service\": \"[REDACTED]\"}\n");
    close_sink(&s);
}

static void test_version_by_target(void **state)
{
    (void)state;
    struct sink s;
    open_sink(&s, KC_FMT_TEXT, 0);
    kc_out_version(&s.o, "1.2.3", "2.12");
    fflush(s.out);
    assert_string_equal(s.obuf, "kamal-c 1.2.3 (Kamal 2.12 configuration)\n");
    close_sink(&s);
    open_sink(&s, KC_FMT_JSON, 0);
    kc_out_version(&s.o, "1.2.3", "2.12");
    kc_out_finish(&s.o, 0, NULL);
    fflush(s.out);
    assert_string_equal(s.obuf, "{\"version\": \"1.2.3\", \"kamal_config\": \"2.12\"}\n");
    close_sink(&s);
}

/* help has no JSON form: the same text in both */
static void test_help_is_text(void **state)
{
    (void)state;
    struct sink s;
    for (int f = KC_FMT_TEXT; f <= KC_FMT_JSON; f++) {
        open_sink(&s, (enum kc_format)f, 0);
        kc_out_help(&s.o, "Usage: kamal-c COMMAND\n");
        fflush(s.out);
        assert_string_equal(s.obuf, "Usage: kamal-c COMMAND\n");
        close_sink(&s);
    }
}

/* off a terminal, steps and progress print nothing and change nothing */
static void test_progress_is_noop_off_terminal(void **state)
{
    (void)state;
    struct sink s;
    open_sink(&s, KC_FMT_TEXT, 0);
    assert_false(kc_out_is_live(&s.o));
    kc_out_step(&s.o, "h1", "pull kc/web:2");
    kc_out_progress(&s.o, "h1", "1/3 layers");
    kc_out_result(&s.o, "h1", "db", "booted", NULL);
    kc_out_signal_reset(&s.o);
    fflush(s.out);
    assert_string_equal(s.obuf, "[h1] db: booted\n");
    close_sink(&s);
    open_sink(&s, KC_FMT_JSON, 0);
    assert_false(kc_out_is_live(&s.o));
    kc_out_step(&s.o, "h1", "pull kc/web:2");
    kc_out_progress(&s.o, "h1", NULL);
    fflush(s.out);
    assert_int_equal(s.olen, 0);
    close_sink(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_by_target),
        cmocka_unit_test(test_version_by_target),
        cmocka_unit_test(test_help_is_text),
        cmocka_unit_test(test_progress_is_noop_off_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
