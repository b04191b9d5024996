/* test_output_redact.c - the output sink: secrets never printed, JSON shape,
 * summary line, quiet mode. */
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
}

static void test_secrets_never_printed(void **state)
{
    (void)state;
    struct sink s;
    open_sink(&s, KC_FMT_TEXT, 1);
    kc_out_add_secret(&s.o, "hunter2-secret");
    kc_out_add_secret(&s.o, "ab"); /* too short to redact: ignored */
    kc_out_msg(&s.o, KC_LVL_INFO, "h1", "password is hunter2-secret");
    kc_out_trace_cmd(&s.o, "h1", "echo hunter2-secret");
    kc_out_trace_output(&s.o, "h1", "out hunter2-secret\n", true);
    kc_out_planned(&s.o, "h1", "docker login -p hunter2-secret");
    kc_out_result(&s.o, "h1", "db", "failed", "because hunter2-secret");
    kc_out_block(&s.o, "Host", "h1", "x hunter2-secret y");
    struct kc_err e = KC_ERR_INIT;
    kc_err_set(&e, KC_EREMOTE, "boom hunter2-secret");
    kc_err_set_remote(&e, "stderr hunter2-secret");
    kc_err_set_command(&e, "cmd hunter2-secret");
    kc_out_host_error(&s.o, "h1", &e);
    kc_out_error(&s.o, &e);
    kc_out_finish(&s.o, 1, &e);
    kc_err_release(&e);
    fflush(s.out);
    fflush(s.err);
    assert_null(strstr(s.obuf, "hunter2"));
    assert_null(strstr(s.ebuf, "hunter2"));
    assert_non_null(strstr(s.obuf, "[REDACTED]"));
    close_sink(&s);
    free(s.obuf);
    free(s.ebuf);
}

/* A value that holds another (the JSON of `secrets fetch` holds each value)
 * is replaced whole, whatever the order they were registered in; `secrets`
 * verbs reveal on purpose. */
static void test_longest_secret_first_and_reveal(void **state)
{
    (void)state;
    struct sink s;
    open_sink(&s, KC_FMT_TEXT, 0);
    kc_out_add_secret(&s.o, "inner-value");
    kc_out_add_secret(&s.o, "{\"k\":\"inner-value\"}");
    char *r = kc_out_redact(&s.o, "x {\"k\":\"inner-value\"} y inner-value");
    assert_string_equal(r, "x [REDACTED] y [REDACTED]");
    free(r);
    kc_out_reveal(&s.o, "inner-value\n", false);
    fflush(s.out);
    assert_string_equal(s.obuf, "inner-value\n");
    close_sink(&s);
    free(s.obuf);
    free(s.ebuf);
}

static void test_json_document(void **state)
{
    (void)state;
    struct sink s;
    open_sink(&s, KC_FMT_JSON, 0);
    kc_out_set_command(&s.o, "accessory boot");
    kc_out_add_secret(&s.o, "topsecret");
    kc_out_result(&s.o, "h1", "db", "booted", "docker run");
    kc_out_result(&s.o, "h2", "db", "unchanged", NULL);
    kc_out_planned(&s.o, "h2", "docker run topsecret");
    assert_int_equal(kc_out_finish(&s.o, 0, NULL), 0);
    fflush(s.out);
    assert_non_null(strstr(s.obuf, "\"command\":\t\"accessory boot\""));
    assert_non_null(strstr(s.obuf, "\"outcome\":\t\"booted\""));
    assert_non_null(strstr(s.obuf, "\"unchanged\":\t1"));
    assert_null(strstr(s.obuf, "topsecret"));
    close_sink(&s);
    free(s.obuf);
    free(s.ebuf);
}

static void test_summary_and_quiet(void **state)
{
    (void)state;
    struct sink s;
    open_sink(&s, KC_FMT_TEXT, -1);
    kc_out_msg(&s.o, KC_LVL_INFO, NULL, "chatty");
    kc_out_result(&s.o, "h1", "db", "unchanged", NULL);
    kc_out_result(&s.o, "h2", "db", "unchanged", NULL);
    kc_out_result(&s.o, "h3", "db", "booted", NULL);
    kc_out_finish(&s.o, 0, NULL);
    fflush(s.out);
    assert_null(strstr(s.obuf, "chatty"));
    assert_non_null(strstr(s.obuf, "3 hosts: 2 unchanged, 1 booted ("));
    close_sink(&s);
    free(s.obuf);
    free(s.ebuf);
    /* an outcome ending in "in" did read "3 logged in in 0.2 s" */
    open_sink(&s, KC_FMT_TEXT, 0);
    kc_out_result(&s.o, "h1", "registry", "logged in", NULL);
    kc_out_finish(&s.o, 0, NULL);
    fflush(s.out);
    assert_non_null(strstr(s.obuf, "1 host: 1 logged in ("));
    assert_null(strstr(s.obuf, "in in"));
    close_sink(&s);
    free(s.obuf);
    free(s.ebuf);
}

/* -q drops success lines only: problems (drift, failed, unreachable,
 * interrupted) stay, so a quiet run still says which accessory drifted. */
static void test_quiet_keeps_problem_lines(void **state)
{
    (void)state;
    struct sink s;
    open_sink(&s, KC_FMT_TEXT, -1);
    kc_out_result(&s.o, "h1", "db", "unchanged", NULL);
    kc_out_result(&s.o, "h1", "redis", "booted", "docker run");
    kc_out_result(&s.o, "h2", "db", "drift", "differs from deploy.yml: memory: 64m -> 128m");
    kc_out_result(&s.o, "h3", "db", "failed", "boom");
    kc_out_result(&s.o, "h4", "db", "unreachable", "gone");
    kc_out_result(&s.o, "h5", "db", "interrupted", NULL);
    kc_out_finish(&s.o, 1, NULL);
    fflush(s.out);
    assert_null(strstr(s.obuf, "unchanged\n"));
    assert_null(strstr(s.obuf, "redis: booted"));
    assert_non_null(
        strstr(s.obuf, "[h2] db: drift - differs from deploy.yml: memory: 64m -> 128m"));
    assert_non_null(strstr(s.obuf, "[h3] db: failed - boom"));
    assert_non_null(strstr(s.obuf, "[h4] db: unreachable - gone"));
    assert_non_null(strstr(s.obuf, "[h5] db: interrupted"));
    close_sink(&s);
    free(s.obuf);
    free(s.ebuf);
}

/* -q drops block headers, unless the verb keeps them (details and audit of
 * several hosts: without them nobody can tell the hosts apart). */
static void test_quiet_block_headers(void **state)
{
    (void)state;
    struct sink s;
    open_sink(&s, KC_FMT_TEXT, -1);
    kc_out_block(&s.o, "Host", "h1", "one\n");
    s.o.keep_headers = true;
    kc_out_block(&s.o, "Host", "h2", "two\n");
    fflush(s.out);
    assert_string_equal(s.obuf, "one\nHost h2:\ntwo\n");
    close_sink(&s);
    free(s.obuf);
    free(s.ebuf);
}

static void free_sink(struct sink *s)
{
    close_sink(s);
    free(s->obuf);
    free(s->ebuf);
}

/* A large fleet: the summary counts results by outcome and names only the
 * hosts of the outcomes someone has to act on, at most KC_OUT_NAMED each;
 * JSON lists every host of every outcome. */
static void test_summary_groups_hosts(void **state)
{
    (void)state;
    struct sink s;
    open_sink(&s, KC_FMT_TEXT, -1);
    char host[32];
    for (int i = 1; i <= 97; i++) {
        snprintf(host, sizeof host, "h%d", i);
        kc_out_result(&s.o, host, "db", "unchanged", NULL);
        kc_out_result(&s.o, host, "cache", "unchanged", NULL);
    }
    kc_out_result(&s.o, "h98", "db", "failed", "docker run failed");
    kc_out_result(&s.o, "h98", "cache", "failed", "docker run failed");
    kc_out_result(&s.o, "h99", "db", "failed", NULL);
    kc_out_result(&s.o, "h100", "db", "drift", "memory: 64m -> 128m");
    struct kc_err e = KC_ERR_INIT;
    kc_err_set(&e, KC_EREMOTE, "docker run failed");
    kc_out_host_error(&s.o, "h98", &e); /* already counted by its results */
    kc_err_release(&e);
    kc_out_finish(&s.o, 1, NULL);
    fflush(s.out);
    assert_non_null(
        strstr(s.obuf, "100 hosts: 194 unchanged, 3 failed: h98, h99; 1 drift: h100 ("));
    free_sink(&s);

    open_sink(&s, KC_FMT_TEXT, 0);
    for (int i = 14; i >= 1; i--) { /* in the order they finished: sorted in the summary */
        snprintf(host, sizeof host, "10.0.0.%d", i);
        kc_out_result(&s.o, host, "web", "unreachable", NULL);
    }
    kc_out_finish(&s.o, 4, NULL);
    fflush(s.out);
    assert_non_null(strstr(s.obuf, "14 hosts: 14 unreachable: 10.0.0.1, 10.0.0.2, 10.0.0.3, "
                                   "10.0.0.4, 10.0.0.5, 10.0.0.6, 10.0.0.7, 10.0.0.8, "
                                   "10.0.0.9, 10.0.0.10 and 4 more ("));
    free_sink(&s);

    open_sink(&s, KC_FMT_JSON, 0);
    for (int i = 1; i <= 14; i++) {
        snprintf(host, sizeof host, "h%d", i);
        kc_out_result(&s.o, host, "web", i > 12 ? "failed" : "booted", NULL);
    }
    kc_out_finish(&s.o, 1, NULL);
    fflush(s.out);
    assert_non_null(strstr(s.obuf, "\"booted\":\t12"));
    assert_non_null(strstr(s.obuf, "\"booted\":\t[\"h1\", \"h2\", \"h3\", \"h4\", \"h5\", \"h6\", "
                                   "\"h7\", \"h8\", \"h9\", \"h10\", \"h11\", \"h12\"]"));
    assert_non_null(strstr(s.obuf, "\"failed\":\t[\"h13\", \"h14\"]"));
    free_sink(&s);
}

/* Hosts without results (server exec): a failed host counts under its error
 * and the others as "ok", in the summary instead of "Finished in"; with no
 * failure it stays "Finished in". */
static void test_summary_without_results(void **state)
{
    (void)state;
    struct sink s;
    open_sink(&s, KC_FMT_TEXT, 0);
    s.o.show_finished = true;
    kc_out_block(&s.o, "Host", "h1", "up\n");
    kc_out_block(&s.o, "Host", "h2", "up\n");
    struct kc_err e = KC_ERR_INIT;
    kc_err_set(&e, KC_EREMOTE, "'true' exited with status 1");
    kc_out_host_error(&s.o, "h3", &e);
    kc_err_release(&e);
    kc_err_set(&e, KC_EUNREACHABLE, "connection refused");
    kc_out_host_error(&s.o, "h4", &e);
    kc_err_release(&e);
    kc_out_finish(&s.o, 4, NULL);
    fflush(s.out);
    assert_non_null(strstr(s.obuf, "4 hosts: 2 ok, 1 failed: h3; 1 unreachable: h4 ("));
    assert_null(strstr(s.obuf, "Finished in"));
    free_sink(&s);

    open_sink(&s, KC_FMT_TEXT, 0);
    s.o.show_finished = true;
    kc_out_block(&s.o, "Host", "h1", "up\n");
    kc_out_finish(&s.o, 0, NULL);
    fflush(s.out);
    assert_non_null(strstr(s.obuf, "Finished in"));
    assert_null(strstr(s.obuf, "1 host"));
    free_sink(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secrets_never_printed),
        cmocka_unit_test(test_longest_secret_first_and_reveal),
        cmocka_unit_test(test_json_document),
        cmocka_unit_test(test_summary_and_quiet),
        cmocka_unit_test(test_quiet_keeps_problem_lines),
        cmocka_unit_test(test_quiet_block_headers),
        cmocka_unit_test(test_summary_groups_hosts),
        cmocka_unit_test(test_summary_without_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
