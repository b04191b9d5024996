/* test_config_erb.c - the ERB subset: expressions, tags, trimming, the line
 * map, and an error for everything outside the subset. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kamal-c/erb.h"

struct rendered {
    struct kc_buf out;
    struct kc_intvec map;
    struct kc_err err;
    int rc;
};

/* The commands ERB runs go to this runner: "false" fails as a shell would,
 * anything else prints "ran: COMMAND" and a newline. */
struct runs {
    int n;
    char last[256];
};
static struct runs runs;

static int fake_run(void *ud, const char *command, struct kc_buf *out, struct kc_err *err)
{
    struct runs *r = ud;
    r->n++;
    snprintf(r->last, sizeof r->last, "%s", command);
    if (strcmp(command, "false") == 0)
        return kc_err_set(err, KC_ECONFIG, "exited with status 1");
    kc_buf_addf(out, "ran: %s\n", command);
    return 0;
}

static void render(struct rendered *r, const char *text)
{
    struct kc_erb_opts opts = {fake_run, &runs};
    memset(r, 0, sizeof *r);
    r->rc =
        kc_erb_render(text, strlen(text), "config/deploy.yml", &opts, &r->out, &r->map, &r->err);
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

/* What stays outside the subset: the message names the code, the hint says
 * what to do instead. */
static void expect_unsupported(const char *text, int line, int col, const char *want)
{
    struct rendered r;
    render(&r, text);
    assert_int_equal(r.rc, KC_ECONFIG);
    assert_string_equal(r.err.msg, want);
    assert_int_equal(r.err.line, line);
    assert_int_equal(r.err.col, col);
    assert_non_null(r.err.hint);
    assert_non_null(strstr(r.err.hint, "environment variable"));
    assert_non_null(strstr(r.err.hint, "Render the file"));
    done(&r);
}

static void test_unsupported(void **state)
{
    (void)state;
    expect_unsupported("arch: <%= Kamal::Utils.docker_arch %>", 1, 7,
                       "unsupported ERB: Kamal::Utils.docker_arch");
    expect_unsupported("v: <%= Gem::Specification.load('x.gemspec').version %>", 1, 4,
                       "unsupported ERB: Gem::Specification.load('x.gemspec').version");
    expect_unsupported("e: <%= RUBY_ENGINE %>", 1, 4, "unsupported ERB: RUBY_ENGINE");
    expect_unsupported("<% require_relative '../lib/app/version' %>", 1, 1,
                       "unsupported ERB: require_relative '../lib/app/version'");
    expect_unsupported("<% require './config/app' %>", 1, 1,
                       "unsupported ERB: require './config/app'");
    expect_unsupported("<% require 'dotenv'; Rails.env %>", 1, 1,
                       "unsupported ERB: require 'dotenv'; Rails.env");
    expect_unsupported("<% if ENV['X'] -%>\nx\n<% end -%>\n", 1, 1, "unsupported ERB: if ENV['X']");
    expect_unsupported("<%- if true %>", 1, 1, "unsupported ERB: if true");
    expect_unsupported("<%= ENV['KC_T_SVC'].to_sym %>", 1, 1,
                       "unsupported ERB: ENV['KC_T_SVC'].to_sym");
    expect_unsupported("<%= ENV.fetch('X') { |k| k } %>", 1, 1,
                       "unsupported ERB: ENV.fetch('X') { |k| k }");
    expect_unsupported("<%= \"#@x\" %>", 1, 1, "unsupported ERB: \"#@x\"");
    expect_unsupported("<%= \"\\u00e9\" %>", 1, 1, "unsupported ERB: \"\\u00e9\"");
    expect_unsupported("<%= 'a' 'b' %>", 1, 1, "unsupported ERB: 'a' 'b'");
    expect_unsupported("<%= 'open %>", 1, 1, "unsupported ERB: 'open");
    expect_unsupported("<%= `open %>", 1, 1, "unsupported ERB: `open");
    expect_unsupported("<%= %x(a (b) %>", 1, 1, "unsupported ERB: %x(a (b)");
    expect_unsupported("<%= ENV %>", 1, 1, "unsupported ERB: ENV");
    expect_unsupported("<%= ENVX['A'] %>", 1, 1, "unsupported ERB: ENVX['A']");
    expect_unsupported("<%= File.write('x', 'y') %>", 1, 1,
                       "unsupported ERB: File.write('x', 'y')");
    expect_unsupported("<%= nilly %>", 1, 1, "unsupported ERB: nilly");
    expect_unsupported("<%= %>", 1, 1, "unsupported ERB: ");
    expect_unsupported("<%== 'x' %>", 1, 1, "unsupported ERB: = 'x'");
    expect_unsupported("<%-= 'x' %>", 1, 1, "unsupported ERB: = 'x'");
    expect_unsupported("<%= 'x' ||  %>", 1, 1, "unsupported ERB: 'x' ||");
    expect_unsupported("<%= ('x' %>", 1, 1, "unsupported ERB: ('x'");
    expect_unsupported("<%= 'a' == 'b' == 'c' %>", 1, 1, "unsupported ERB: 'a' == 'b' == 'c'");
    expect_unsupported("<%= 'a' ? 'b' %>", 1, 1, "unsupported ERB: 'a' ? 'b'");
    expect_error("a: 1\nb: <%= ENV['A']\nc: 2\n", 2, 4,
                 "unsupported ERB: unterminated tag <%= ENV['A']");
}

/* `cmd` and %x(cmd) run at load through the runner; output kept as is. */
static void test_commands(void **state)
{
    (void)state;
    runs.n = 0;
    expect_output("v: <%= `git rev-parse --short HEAD` %>", "v: ran: git rev-parse --short HEAD\n");
    assert_string_equal(runs.last, "git rev-parse --short HEAD");
    expect_output("v: <%= `git rev-parse --short HEAD`.strip %>|",
                  "v: ran: git rev-parse --short HEAD|");
    expect_output("p: <%= %x(aws ecr get-login-password).chomp %>|",
                  "p: ran: aws ecr get-login-password|");
    expect_output("<%= %x{echo {a}}.strip %>|<%= %x[b].strip %>|<%= %x|c|.strip %>",
                  "ran: echo {a}|ran: b|ran: c");
    expect_output("<%= %x(echo (nested)).strip %>", "ran: echo (nested)");
    runs.n = 0;
    expect_output("<%= `echo #{ENV['KC_T_SVC']}`.strip %>", "ran: echo web");
    assert_string_equal(runs.last, "echo web");
    /* a command's newlines become lines, each mapped to the tag's line */
    int m[] = {1, 1, 2};
    expect_map("a: <%= `x` %>\nb: 1\n", m, 3);
    /* a short circuit does not run what it skips */
    runs.n = 0;
    expect_output("<%= ENV['KC_T_SVC'] || `never` %>", "web");
    expect_output("<%= ENV['KC_T_UNSET'] && `never` %>", "");
    expect_output("<%= ENV['KC_T_SVC'] == 'x' ? `never` : 'no' %>", "no");
    assert_int_equal(runs.n, 0);
    /* a failing command stops the load, at the tag */
    expect_error("a: 1\nb: <%= `false` %>\n", 2, 4, "command `false` failed: exited with status 1");
    /* the whole file is checked first: nothing runs when a later tag is bad */
    runs.n = 0;
    expect_unsupported("a: <%= `first` %>\nb: <%= RUBY_ENGINE %>\n", 2, 4,
                       "unsupported ERB: RUBY_ENGINE");
    assert_int_equal(runs.n, 0);
}

static void test_interpolation_and_methods(void **state)
{
    (void)state;
    expect_output("<%= \"#{ENV['KC_T_SVC']}-app\" %>", "web-app");
    expect_output("<%= \"a#{\"b#{'c'}\"}d\" %>", "abcd");
    expect_output("<%= \"[#{ENV['KC_T_UNSET']}]\" %>", "[]");
    expect_output("<%= \"#{ENV['KC_T_UNSET'].nil?}\" %>", "true");
    expect_output("<%= \"50% #x \\#{no}\" %>", "50% #x #{no}");
    expect_output("<%= '  a b \t'.strip %>|<%= ' a '.lstrip %>|<%= ' a '.rstrip %>|", "a b|a | a|");
    expect_output("<%= \"x\\r\\n\".chomp %>|<%= 'Web'.downcase %><%= 'Web'.upcase() %>",
                  "x|webWEB");
    expect_output("<%= ENV['KC_T_EMPTY'].presence || 'dflt' %>", "dflt");
    expect_output("<%= ENV['KC_T_SVC'].presence || 'dflt' %>", "web");
    expect_output("<%= ENV['KC_T_UNSET'].presence %>|", "|");
    expect_output("<%= ENV['KC_T_UNSET'].to_s.empty? %>", "true");
    expect_output("<%= ENV['KC_T_EMPTY'].blank? %> <%= ENV['KC_T_SVC'].present? %>", "true true");
    expect_error("<%= ENV['KC_T_UNSET'].strip %>", 1, 1, "undefined method 'strip' for nil");
    expect_error("<%= ENV[ENV['KC_T_UNSET']] %>", 1, 1,
                 "ENV: no implicit conversion of nil into String");
}

static void test_equality_and_ternary(void **state)
{
    (void)state;
    expect_output("<%= ENV['KC_T_SVC'] == 'web' ? 'yes' : 'no' %>", "yes");
    expect_output("<%= ENV['KC_T_SVC'] != 'web' ? 'yes' : 'no' %>", "no");
    expect_output("<%= ENV['KC_T_UNSET'] ? 'set' : 'unset' %>", "unset");
    expect_output("<%= ENV['KC_T_EMPTY'] ? 'set' : 'unset' %>", "set"); /* "" is truthy */
    expect_output("<%= ENV['KC_T_UNSET'] == nil %>", "true");
    expect_output("<%= !ENV['KC_T_UNSET'] %> <%= !!ENV['KC_T_SVC'] %>", "true true");
    expect_output("<%= ENV['KC_T_SVC'] == 'x' ? 'a' : ENV['KC_T_SVC'] == 'web' ? 'b' : 'c' %>",
                  "b");
    expect_output("<%= (ENV['KC_T_SVC'] == 'web') && 'both' %>", "both");
    expect_output("<%= ENV.key?('KC_T_SVC') ? ENV['KC_T_SVC'].upcase : 'none' %>", "WEB");
    expect_output("<%= false || nil %>|<%= true %>", "|true");
}

static void test_fetch_block(void **state)
{
    (void)state;
    runs.n = 0;
    expect_output("<%= ENV.fetch(\"KC_T_UNSET\") { \"default\" } %>", "default");
    expect_output("<%= ENV.fetch('KC_T_SVC') { `never` } %>", "web");
    assert_int_equal(runs.n, 0);
}

/* The scratch directory of the File.read and Dotenv tests. */
static char scratch[64];
static char cwd[4096];

static int in_scratch(void **state)
{
    (void)state;
    snprintf(scratch, sizeof scratch, "/tmp/kc-erb-XXXXXX");
    assert_non_null(mkdtemp(scratch));
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(scratch), 0);
    return 0;
}

static int out_of_scratch(void **state)
{
    (void)state;
    assert_int_equal(chdir(cwd), 0);
    char *cmd = kc_xasprintf("rm -rf '%s'", scratch);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_file_read(void **state)
{
    (void)state;
    write_file(".ruby-version", "3.3.0\n");
    expect_output("ruby: <%= File.read('.ruby-version').strip %>", "ruby: 3.3.0");
    expect_output("<%= File.exist?('.ruby-version') %> <%= File.exist?('nope') %>", "true false");
    expect_output("<%= File.exist?('.v') ? File.read('.v') : 'none' %>", "none");
    expect_error("a:\n  <%= File.read('.node-version') %>", 2, 3,
                 "File.read('.node-version'): No such file or directory");
}

static void test_dotenv(void **state)
{
    (void)state;
    unsetenv("KC_T_DOT");
    unsetenv("KC_T_DOT2");
    unsetenv("KC_T_DOTCMD");
    write_file(".env", "KC_T_DOT=from-dotenv\nKC_T_SVC=not-overridden\nKC_T_DOTCMD=$(hostname)\n"
                       "# a comment\nexport KC_T_DOT2=\"${KC_T_DOT}-2\"\n");
    runs.n = 0;
    expect_output("<% require \"dotenv\"; Dotenv.load %>"
                  "<%= ENV['KC_T_DOT'] %>|<%= ENV['KC_T_SVC'] %>|<%= ENV['KC_T_DOTCMD'] %>|"
                  "<%= ENV['KC_T_DOT2'] %>",
                  "from-dotenv|web|ran: hostname|from-dotenv-2");
    assert_int_equal(runs.n, 1); /* $(...) in the file, through the same runner */
    /* an existing variable keeps its value and its line is not evaluated */
    runs.n = 0;
    expect_output("<% require 'dotenv/load' %><%= ENV['KC_T_DOTCMD'] %>", "ran: hostname");
    assert_int_equal(runs.n, 0);
    /* overload overwrites; several statements on lines of their own */
    write_file(".env.production", "KC_T_DOT=production\n");
    expect_output("<%\n  require 'dotenv'\n  Dotenv.overload('.env.production')\n-%>\n"
                  "<%= ENV['KC_T_DOT'] %>",
                  "production");
    /* Ruby comments in code tags */
    expect_output("<%\n  # load the local settings\n  Dotenv.load # .env\n%>ok", "ok");
    expect_output("<% # nothing to do %>ok", "ok");
    /* missing files: skipped by load, an error for load! */
    expect_output("<% Dotenv.load('.env.missing', '.env') %>ok", "ok");
    expect_error("x\n<% Dotenv.load!('.env.missing') %>", 2, 1,
                 "Dotenv: cannot read .env.missing: No such file or directory");
    /* a bad line in the dotenv file names it */
    write_file(".env.bad", "GOOD=1\nnot a line\n");
    expect_error("<% Dotenv.load('.env.bad') %>", 1, 1, "Dotenv: .env.bad:2:1: expected KEY=value");
    unsetenv("KC_T_DOT");
    unsetenv("KC_T_DOT2");
    unsetenv("KC_T_DOTCMD");
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
    assert_int_equal(kc_erb_render("a\n", 2, "f", NULL, &out, NULL, NULL), 0);
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
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_interpolation_and_methods),
        cmocka_unit_test(test_equality_and_ternary),
        cmocka_unit_test(test_fetch_block),
        cmocka_unit_test_setup_teardown(test_file_read, in_scratch, out_of_scratch),
        cmocka_unit_test_setup_teardown(test_dotenv, in_scratch, out_of_scratch),
        cmocka_unit_test(test_nesting_is_bounded),
        cmocka_unit_test(test_intvec),
    };
    return cmocka_run_group_tests(tests, setup_env, NULL);
}
