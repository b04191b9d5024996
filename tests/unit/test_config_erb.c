/* test_config_erb.c - the ERB subset: expressions, tags, trimming, the line
 * map, and an error for everything outside the subset. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kamal-c/erb.h"

struct rendered {
    struct kc_buf out;
    struct kc_intvec map;
    struct kc_err err;
    int rc;
};

static void render(struct rendered *r, const char *text)
{
    memset(r, 0, sizeof *r);
    r->rc = kc_erb_render(text, strlen(text), "config/deploy.yml", &r->out, &r->map, &r->err);
}

static void done(struct rendered *r)
{
    kc_buf_release(&r->out);
    kc_intvec_release(&r->map);
    kc_err_release(&r->err);
}

static void expect_output(const char *text, const char *want)
{
    struct rendered r;
    render(&r, text);
    if (r.rc)
        fail_msg("render of '%s' failed: %s", text, r.err.msg);
    assert_string_equal(kc_buf_str(&r.out), want);
    done(&r);
}

static void expect_map(const char *text, const int *want, size_t n)
{
    struct rendered r;
    render(&r, text);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.map.n, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(r.map.v[i], want[i]);
    done(&r);
}

static void expect_error(const char *text, int line, int col, const char *want)
{
    struct rendered r;
    render(&r, text);
    assert_int_equal(r.rc, KC_ECONFIG);
    assert_non_null(r.err.msg);
    assert_string_equal(r.err.msg, want);
    assert_string_equal(r.err.file, "config/deploy.yml");
    assert_int_equal(r.err.line, line);
    assert_int_equal(r.err.col, col);
    done(&r);
}

static int setup_env(void **state)
{
    (void)state;
    setenv("KC_T_SVC", "web", 1);
    setenv("KC_T_EMPTY", "", 1);
    setenv("KC_T_MULTI", "one\ntwo", 1);
    unsetenv("KC_T_UNSET");
    unsetenv("KC_T_UNSET2");
    return 0;
}

static void test_plain_text(void **state)
{
    (void)state;
    expect_output("", "");
    expect_output("service: app\nimage: x\n", "service: app\nimage: x\n");
    expect_output("a < b and 100% sure %> fine\n", "a < b and 100% sure %> fine\n");
    expect_output("no newline at end", "no newline at end");
    int m[] = {1, 2, 3};
    expect_map("a\nb\nc", m, 3);
    expect_map("a\nb\nc\n", m, 3);
    expect_map("", m, 0);
}

static void test_env_lookups(void **state)
{
    (void)state;
    expect_output("s: <%= ENV[\"KC_T_SVC\"] %>\n", "s: web\n");
    expect_output("s: <%= ENV['KC_T_SVC'] %>\n", "s: web\n");
    expect_output("s: <%=ENV[ 'KC_T_SVC' ]%>\n", "s: web\n");
    expect_output("s: '<%= ENV[\"KC_T_UNSET\"] %>'\n", "s: ''\n");
    expect_output("s: <%= ENV.fetch(\"KC_T_SVC\") %>\n", "s: web\n");
    expect_output("s: <%= ENV.fetch('KC_T_UNSET', 'dflt') %>\n", "s: dflt\n");
    expect_output("s: <%= ENV.fetch('KC_T_SVC', 'dflt') %>\n", "s: web\n");
    expect_output("s: <%= ENV.fetch('KC_T_UNSET', ENV['KC_T_UNSET2'] || \"x\") %>\n", "s: x\n");
    expect_output("s: <%= ENV.fetch('KC_T_UNSET', nil) %>|\n", "s: |\n");
    expect_output("s: <%= ENV[\"KC_T_MULTI\"] %>\n", "s: one\ntwo\n");
}

static void test_or_and_parentheses(void **state)
{
    (void)state;
    expect_output("<%= ENV[\"KC_T_UNSET\"] || \"b\" %>", "b");
    expect_output("<%= ENV[\"KC_T_SVC\"] || \"b\" %>", "web");
    /* Ruby: "" is truthy, only nil falls through */
    expect_output("<%= ENV[\"KC_T_EMPTY\"] || \"b\" %>", "");
    expect_output("<%= ENV['KC_T_UNSET'] || ENV['KC_T_UNSET2'] || 'c' %>", "c");
    expect_output("<%= (ENV['KC_T_UNSET'] || nil) || ('d') %>", "d");
    expect_output("<%= nil %>", "");
    /* the right side is not evaluated when the left is not nil */
    expect_output("<%= 'a' || ENV.fetch('KC_T_UNSET') %>", "a");
}

static void test_string_literals(void **state)
{
    (void)state;
    expect_output("<%= \"a\\tb\\\"c\\\\d\\ne\" %>", "a\tb\"c\\d\ne");
    expect_output("<%= 'it\\'s a \\\\ and \\n' %>", "it's a \\ and \\n");
    expect_output("<%= \"50% off\" %>", "50% off");
    expect_output("<%= \"\\$HOME \\#x\" %>", "$HOME #x");
    expect_output("<%= '' %>|<%= \"\" %>", "|");
}

static void test_tags_and_trimming(void **state)
{
    (void)state;
    expect_output("<%# a comment %>x\n", "x\n");
    expect_output("<%# a comment -%>\nx\n", "x\n");
    expect_output("a: <%= 'v' -%>\nb: 1\n", "a: vb: 1\n");
    expect_output("a: <%= 'v' -%> tail\n", "a: v tail\n");
    expect_output("a\n   <%- %>\nb\n", "a\n\nb\n");
    expect_output("a\n  <%- -%>\nb\n", "a\nb\n");
    /* <%- after other text on its line keeps the blanks */
    expect_output("x  <%- %>|\n", "x  |\n");
    expect_output("<%% literal %>\n", "<% literal %>\n");
    expect_output("<%= '%%>' %>", "%>");
    expect_output("<% %>|<%- -%>\n|", "||");
    expect_output("<%#\nmulti-line\ncomment\n%>x", "x");
}

static void test_line_map(void **state)
{
    (void)state;
    int a[] = {2, 3, 4, 5, 6, 7};
    expect_map("<%# header comment -%>\n"
               "service: <%= ENV[\"KC_T_SVC\"] || 'dflt' %>\n"
               "image: <%= ENV.fetch(\"IMG\", \"x/y\") %>\n"
               "  <%- %>\n"
               "lit: <%% not a tag %>\n"
               "v: \"<%= 'a' -%>\"\n"
               "last: 1\n",
               a, 6);
    /* a trimmed newline joins two source lines: the joined line maps to the
     * line it starts on */
    int b[] = {1, 3};
    expect_map("a: <%= 'v' -%>\nb: 1\nc: 2\n", b, 2);
    /* a value with newlines: every output line maps to the tag's line */
    int c[] = {1, 2, 2, 3};
    expect_map("x\ns: <%= ENV['KC_T_MULTI'] %>\ny\n", c, 4);
    /* a multi-line comment tag */
    int d[] = {4, 5};
    expect_map("<%#\n\n-%>\na\nb\n", d, 2);
}

static void test_fetch_missing(void **state)
{
    (void)state;
    expect_error("a: 1\nb: <%= ENV.fetch(\"KC_T_UNSET\") %>\n", 2, 4,
                 "key not found: \"KC_T_UNSET\"");
    /* method arguments are evaluated before the call, as in Ruby */
    expect_error("<%= ENV.fetch('KC_T_SVC', ENV.fetch('KC_T_UNSET2')) %>", 1, 1,
                 "key not found: \"KC_T_UNSET2\"");
    expect_error("<%= ENV['KC_T_UNSET'] || ENV.fetch('KC_T_UNSET2') %>", 1, 1,
                 "key not found: \"KC_T_UNSET2\"");
}

static void test_unsupported(void **state)
{
    (void)state;
    expect_error("a: <%= `git rev-parse HEAD` %>\n", 1, 4, "unsupported ERB: `git rev-parse HEAD`");
    expect_error("x\n  a: <%= %x(aws ecr get-login-password) %>\n", 2, 6,
                 "unsupported ERB: %x(aws ecr get-login-password)");
    expect_error("arch: <%= Kamal::Utils.docker_arch %>", 1, 7,
                 "unsupported ERB: Kamal::Utils.docker_arch");
    expect_error("<% if ENV['X'] -%>\nx\n<% end -%>\n", 1, 1, "unsupported ERB: if ENV['X']");
    expect_error("<%- if true %>", 1, 1, "unsupported ERB: if true");
    expect_error("<%= ENV['KC_T_SVC'].to_s %>", 1, 1, "unsupported ERB: ENV['KC_T_SVC'].to_s");
    expect_error("<%= ENV.fetch('X') { 'd' } %>", 1, 1, "unsupported ERB: ENV.fetch('X') { 'd' }");
    expect_error("<%= \"#{ENV['X']}\" %>", 1, 1, "unsupported ERB: \"#{ENV['X']}\"");
    expect_error("<%= \"\\u00e9\" %>", 1, 1, "unsupported ERB: \"\\u00e9\"");
    expect_error("<%= 'a' 'b' %>", 1, 1, "unsupported ERB: 'a' 'b'");
    expect_error("<%= 'open %>", 1, 1, "unsupported ERB: 'open");
    expect_error("<%= ENV %>", 1, 1, "unsupported ERB: ENV");
    expect_error("<%= ENVX['A'] %>", 1, 1, "unsupported ERB: ENVX['A']");
    expect_error("<%= nilly %>", 1, 1, "unsupported ERB: nilly");
    expect_error("<%= %>", 1, 1, "unsupported ERB: ");
    expect_error("<%== 'x' %>", 1, 1, "unsupported ERB: = 'x'");
    expect_error("<%-= 'x' %>", 1, 1, "unsupported ERB: = 'x'");
    expect_error("<%= 'x' ||  %>", 1, 1, "unsupported ERB: 'x' ||");
    expect_error("<%= ('x' %>", 1, 1, "unsupported ERB: ('x'");
    expect_error("a: 1\nb: <%= ENV['A']\nc: 2\n", 2, 4,
                 "unsupported ERB: unterminated tag <%= ENV['A']");
}

/* Found by tests/fuzz/fuzz_erb: nesting was unbounded recursion, and a
 * deploy.yml of 1 MiB of "(" overflowed the stack. */
static void test_nesting_is_bounded(void **state)
{
    (void)state;
    expect_output("<%= ((((('deep'))))) %>", "deep");
    size_t n = 300000;
    struct kc_buf text = KC_BUF_INIT;
    kc_buf_adds(&text, "a: <%= ");
    for (size_t i = 0; i < n; i++)
        kc_buf_addc(&text, '(');
    kc_buf_adds(&text, "'x'");
    for (size_t i = 0; i < n; i++)
        kc_buf_addc(&text, ')');
    kc_buf_adds(&text, " %>\n");
    expect_error(text.data, 1, 4, "unsupported ERB: expression nested deeper than 64 levels");
    kc_buf_reset(&text);
    kc_buf_adds(&text, "<%= ");
    for (size_t i = 0; i < 100000; i++)
        kc_buf_adds(&text, "ENV.fetch('KC_T_UNSET', ");
    kc_buf_adds(&text, "'d' %>");
    expect_error(text.data, 1, 1, "unsupported ERB: expression nested deeper than 64 levels");
    kc_buf_release(&text);
}

static void test_intvec(void **state)
{
    (void)state;
    struct kc_intvec iv = KC_INTVEC_INIT;
    for (int i = 0; i < 100; i++)
        kc_intvec_push(&iv, i * 2);
    assert_int_equal(iv.n, 100);
    assert_int_equal(iv.v[99], 198);
    kc_intvec_release(&iv);
    assert_null(iv.v);
    kc_intvec_release(NULL);
    /* a NULL line map is allowed */
    struct kc_buf out = KC_BUF_INIT;
    assert_int_equal(kc_erb_render("a\n", 2, "f", &out, NULL, NULL), 0);
    assert_string_equal(out.data, "a\n");
    kc_buf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text),
        cmocka_unit_test(test_env_lookups),
        cmocka_unit_test(test_or_and_parentheses),
        cmocka_unit_test(test_string_literals),
        cmocka_unit_test(test_tags_and_trimming),
        cmocka_unit_test(test_line_map),
        cmocka_unit_test(test_fetch_missing),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_nesting_is_bounded),
        cmocka_unit_test(test_intvec),
    };
    return cmocka_run_group_tests(tests, setup_env, NULL);
}
