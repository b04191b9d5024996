/* test_config_dotenv.c - the dotenv dialect of .kamal/secrets (Ruby dotenv 3
 * with Kamal's command substitution), with a fake command runner. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kamal-c/secrets.h"

/* The fake runner: "echo WORDS" prints WORDS and a newline, "fail" exits 3,
 * "twolines" prints two newlines at the end; every command is recorded. */
struct fake {
    struct kc_strvec ran;
};

static int fake_run(void *ud, const char *command, struct kc_buf *out, struct kc_err *err)
{
    struct fake *f = ud;
    kc_strvec_push(&f->ran, command);
    if (kc_starts_with(command, "echo ")) {
        kc_buf_addf(out, "%s\n", command + 5);
        return 0;
    }
    if (strcmp(command, "twolines") == 0) {
        kc_buf_adds(out, "x\n\n");
        return 0;
    }
    if (strcmp(command, "crlf") == 0) {
        kc_buf_adds(out, "y\r\n");
        return 0;
    }
    return kc_err_set(err, KC_ECONFIG, "exited with status 3");
}

struct parsed {
    struct kc_kvlist vars;
    struct kc_err err;
    struct fake fake;
    int rc;
};

static void parse_opts(struct parsed *p, const char *text, bool process_env)
{
    struct kc_dotenv_opts opts = {
        .run = fake_run, .ud = &p->fake, .lookup_process_env = process_env};
    p->rc = kc_dotenv_parse(text, strlen(text), ".kamal/secrets", &p->vars, &opts, &p->err);
}

static void parse(struct parsed *p, const char *text)
{
    memset(p, 0, sizeof *p);
    parse_opts(p, text, true);
}

static void done(struct parsed *p)
{
    kc_kvlist_release(&p->vars);
    kc_err_release(&p->err);
    kc_strvec_release(&p->fake.ran);
}

static const char *get(struct parsed *p, const char *key)
{
    const char *v = kc_kvlist_get(&p->vars, key);
    if (v == NULL)
        fail_msg("%s not set", key);
    return v;
}

/* One entry "KEY=<line>" must give want. */
static void check_value(const char *text, const char *key, const char *want)
{
    struct parsed p;
    parse(&p, text);
    if (p.rc)
        fail_msg("parse of '%s' failed: %s", text, p.err.msg);
    assert_string_equal(get(&p, key), want);
    done(&p);
}

static void expect_error(const char *text, int line, const char *want)
{
    struct parsed p;
    parse(&p, text);
    assert_int_equal(p.rc, KC_ECONFIG);
    if (p.err.msg == NULL || strstr(p.err.msg, want) == NULL)
        fail_msg("message '%s' lacks '%s'", p.err.msg ? p.err.msg : "(null)", want);
    assert_string_equal(p.err.file, ".kamal/secrets");
    assert_int_equal(p.err.line, line);
    done(&p);
}

static int setup_env(void **state)
{
    (void)state;
    setenv("KC_T_HOME", "/home/me", 1);
    setenv("KC_T_SHADOW", "from-env", 1);
    unsetenv("KC_T_UNSET");
    unsetenv("DOTENV_LINEBREAK_MODE");
    return 0;
}

static void test_basic_lines(void **state)
{
    (void)state;
    struct parsed p;
    parse(&p, "A=1\n"
              "export B=2\n"
              "  C = 3  \n"
              "D=\n"
              "E: yaml style\n"
              "F.G=dotted\n"
              "\n"
              "   \n"
              "# comment line\n"
              "  # indented comment\n"
              "H=last");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.vars.n, 7);
    assert_string_equal(get(&p, "A"), "1");
    assert_string_equal(get(&p, "B"), "2");
    assert_string_equal(get(&p, "C"), "3");
    assert_string_equal(get(&p, "D"), "");
    assert_string_equal(get(&p, "E"), "yaml style");
    assert_string_equal(get(&p, "F.G"), "dotted");
    assert_string_equal(get(&p, "H"), "last");
    done(&p);
    /* a later key replaces an earlier one */
    check_value("A=1\nA=2\n", "A", "2");
    /* CRLF and lone CR line ends */
    parse(&p, "A=1\r\nB=2\rC=3\r\nD=$(fail)\r\n");
    assert_int_equal(p.rc, KC_ECONFIG);
    assert_string_equal(get(&p, "C"), "3");
    assert_int_equal(p.err.line, 4);
    done(&p);
}

static void test_comments(void **state)
{
    (void)state;
    check_value("A=bar # a comment\n", "A", "bar");
    /* dotenv 3: '#' ends an unquoted value even without a blank before it */
    check_value("A=abc#123\n", "A", "abc");
    check_value("A=\"abc#123\" # c\n", "A", "abc#123");
    check_value("A='abc#123'   # c\n", "A", "abc#123");
    check_value("A= \"bar#baz\" # c\n", "A", "bar#baz");
    check_value("A=#only a comment\n", "A", "");
    check_value("# A=1\nA=2\n", "A", "2");
}

static void test_single_quotes(void **state)
{
    (void)state;
    check_value("A='$KC_T_HOME \\n $(echo x) \\' ${B}'\n", "A",
                "$KC_T_HOME \\n $(echo x) \\' ${B}");
    check_value("A='line 1\nline 2\nline 3'\nB=after\n", "A", "line 1\nline 2\nline 3");
    check_value("A='line 1\nline 2'\nB=after\n", "B", "after");
    check_value("A='  padded  '\n", "A", "  padded  ");
    /* a quote that never closes is an unquoted value */
    check_value("A='abc\n", "A", "'abc");
    /* text after the closing quote: the whole thing is unquoted */
    check_value("A='a' b\n", "A", "'a' b");
}

static void test_double_quotes(void **state)
{
    (void)state;
    check_value("A=\"escaped\\\"bar\"\n", "A", "escaped\"bar");
    check_value("A=\"back\\\\slash\"\n", "A", "back\\slash");
    check_value("A=\"a\\tb\"\n", "A", "atb");
    /* dotenv 3 keeps \n and \r as two characters... */
    check_value("A=\"bar\\nbaz\"\n", "A", "bar\\nbaz");
    check_value("A=\"bar\\rbaz\"\n", "A", "bar\\rbaz");
    /* ...unless DOTENV_LINEBREAK_MODE=legacy (in the file or the env) */
    check_value("DOTENV_LINEBREAK_MODE=legacy\nA=\"bar\\nbaz\\rx\"\n", "A", "bar\nbaz\rx");
    setenv("DOTENV_LINEBREAK_MODE", "legacy", 1);
    check_value("A=\"bar\\nbaz\"\n", "A", "bar\nbaz");
    unsetenv("DOTENV_LINEBREAK_MODE");
    check_value("A=\"line one\nthis is \\\"quoted\\\"\none more\"\nB=x\n", "A",
                "line one\nthis is \"quoted\"\none more");
    check_value("A=\"  padded  \"\n", "A", "  padded  ");
    check_value("A=\"bar\\$ \\$\\$\"\n", "A", "bar$ $$");
    check_value("A=\"bar $ \"\n", "A", "bar $ ");
    check_value("A=\"\"\n", "A", "");
}

static void test_unquoted_escapes(void **state)
{
    (void)state;
    check_value("A=bar\\ bar\n", "A", "bar bar");
    check_value("A=a\\nb\n", "A", "anb");
    check_value("A=it's \"fine\"\n", "A", "it's \"fine\"");
}

static void test_interpolation(void **state)
{
    (void)state;
    struct parsed p;
    parse(&p, "A=one\n"
              "B=$A\n"
              "C=${A}two\n"
              "D=\"x $A y\"\n"
              "E=$KC_T_HOME/bin\n"
              "F=$KC_T_UNSET|\n"
              "G=\\$A \\${A}\n"
              "H=$ alone\n"
              "KC_T_SHADOW=mine\n"
              "I=$KC_T_SHADOW\n"
              "J=$later\n"
              "later=late\n"
              "K=$a1_\n"
              "a1_=lower\n"
              "L=$a1_.x\n"
              "M=${A\n"
              "N='$A'\n");
    assert_int_equal(p.rc, 0);
    assert_string_equal(get(&p, "B"), "one");
    assert_string_equal(get(&p, "C"), "onetwo");
    assert_string_equal(get(&p, "D"), "x one y");
    assert_string_equal(get(&p, "E"), "/home/me/bin");
    assert_string_equal(get(&p, "F"), "|");
    assert_string_equal(get(&p, "G"), "$A ${A}");
    assert_string_equal(get(&p, "H"), "$ alone");
    assert_string_equal(get(&p, "I"), "mine"); /* the file wins over ENV */
    assert_string_equal(get(&p, "J"), "");     /* not defined yet */
    assert_string_equal(get(&p, "K"), "");
    assert_string_equal(get(&p, "L"), "lower.x");
    assert_string_equal(get(&p, "M"), "one"); /* dotenv: the braces are optional */
    assert_string_equal(get(&p, "N"), "$A");
    done(&p);

    /* values already in vars (earlier files) are visible and overridable */
    memset(&p, 0, sizeof p);
    kc_kvlist_set(&p.vars, "PRE", "earlier");
    parse_opts(&p, "A=$PRE\nPRE=now\nB=$PRE\n", true);
    assert_int_equal(p.rc, 0);
    assert_string_equal(get(&p, "A"), "earlier");
    assert_string_equal(get(&p, "B"), "now");
    done(&p);

    /* without the process environment */
    memset(&p, 0, sizeof p);
    parse_opts(&p, "A=$KC_T_HOME|\n", false);
    assert_int_equal(p.rc, 0);
    assert_string_equal(get(&p, "A"), "|");
    done(&p);
}

static void test_commands(void **state)
{
    (void)state;
    struct parsed p;
    parse(&p, "V=var1\n"
              "A=$(echo hello)\n"
              "B=$(echo VAR is $V)\n"
              "C=\"pre $(echo mid) post\"\n"
              "D=$(echo \"$(echo \"$(echo nested)\")\")\n"
              "E=escaped-\\$(echo hello)\n"
              "F='$(echo never)'\n"
              "G=$(twolines)|\n"
              "H=$(crlf)|\n"
              "I=$(echo a)$(echo b)\n"
              "J=$()\n");
    if (p.rc)
        fail_msg("%s", p.err.msg);
    assert_string_equal(get(&p, "A"), "hello");
    assert_string_equal(get(&p, "B"), "VAR is var1");
    assert_string_equal(get(&p, "C"), "pre mid post");
    assert_string_equal(get(&p, "D"), "\"$(echo \"$(echo nested)\")\"");
    assert_string_equal(get(&p, "E"), "escaped-$(echo hello)");
    assert_string_equal(get(&p, "F"), "$(echo never)");
    assert_string_equal(get(&p, "G"), "x\n|"); /* Ruby's chomp drops one newline */
    assert_string_equal(get(&p, "H"), "y|");
    assert_string_equal(get(&p, "I"), "ab");
    assert_string_equal(get(&p, "J"), "$()");
    /* the whole balanced command reaches the runner, variables expanded */
    assert_int_equal(p.fake.ran.n, 8);
    assert_string_equal(p.fake.ran.v[1], "echo VAR is var1");
    assert_string_equal(p.fake.ran.v[3], "echo \"$(echo \"$(echo nested)\")\"");
    done(&p);
}

static void test_command_errors(void **state)
{
    (void)state;
    expect_error("A=1\n\nB=$(fail)\n", 3, "command substitution in B failed: exited with status 3");
    expect_error("A=1\nB=\"x\ny\"\nC=$(echo oops\n", 4, "unterminated $( in the value of C");
    expect_error("A=$(echo (unbalanced)\n", 1, "unterminated $(");
    /* an escaped unterminated $( is just text, backslash included */
    check_value("A=\\$(echo\n", "A", "\\$(echo");
}

/* `$(kamal secrets ...)` goes to the runner like any command (kamal-c's own
 * runner runs it in-process), with the variables in it already expanded,
 * and shell-escaped parentheses in them are no parentheses (Kamal's rule). */
static void test_secrets_commands_reach_the_runner(void **state)
{
    (void)state;
    struct parsed p;
    parse(&p, "SECRETS='\\{\\\"V/I/A\\\":\\\"x\\)y\\\"\\}'\n" /* as fetch gives it */
              "A=$(kamal secrets extract A $SECRETS)\n"
              "B=\"$(  kamal-c  secrets fetch -a test B)\"\n");
    assert_int_equal(p.rc, KC_ECONFIG); /* the fake runner knows no such command */
    assert_int_equal(p.fake.ran.n, 1);
    assert_string_equal(p.fake.ran.v[0],
                        "kamal secrets extract A \\{\\\"V/I/A\\\":\\\"x\\)y\\\"\\}");
    done(&p);
    assert_true(kc_dotenv_is_secrets_command("kamal secrets fetch"));
    assert_true(kc_dotenv_is_secrets_command("  kamal-c\tsecrets  extract A B"));
    assert_false(kc_dotenv_is_secrets_command("kamal secrets"));
    assert_false(kc_dotenv_is_secrets_command("kamalx secrets fetch"));
    assert_false(kc_dotenv_is_secrets_command("echo kamal secrets fetch"));
    /* the default (/bin/sh) runner refuses them: nothing runs */
    struct kc_buf out = KC_BUF_INIT;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_dotenv_run_sh(NULL, "kamal secrets print", &out, &err), KC_ECONFIG);
    assert_non_null(strstr(err.msg, "runs inside kamal-c"));
    kc_err_release(&err);
    kc_buf_release(&out);
}

static void test_bad_lines(void **state)
{
    (void)state;
    expect_error("A=1\nlol$wut\n", 2, "expected KEY=value");
    expect_error("A=1\n\n  just words\n", 3, "expected KEY=value");
    expect_error("BAD-KEY=1\n", 1, "expected KEY=value");
    expect_error("=value\n", 1, "expected KEY=value");
    expect_error("A=1\nexport A B\n", 2, "export of an unset variable B");
    struct parsed p;
    parse(&p, "A=1\nexport A\n");
    assert_int_equal(p.rc, 0);
    done(&p);
}

/* Found by tests/fuzz/fuzz_dotenv (a timeout): a variable repeated on each
 * line doubled the value each time, and every unclosed "$(" was scanned to
 * the end of the value, which made long values quadratic. */
static void test_expansion_is_bounded(void **state)
{
    (void)state;
    struct kc_buf text = KC_BUF_INIT;
    kc_buf_adds(&text, "A=x\n");
    for (int i = 0; i < 40; i++)
        kc_buf_adds(&text, "A=$A$A\n");
    /* 2 + 4 + ... bytes so far: the line that crosses 1 MiB is the 20th A=$A$A */
    expect_error(text.data, 21, "variables in the value of A expand to more than 1048576 bytes");
    kc_buf_reset(&text);
    kc_buf_adds(&text, "A=");
    for (int i = 0; i < 200000; i++)
        kc_buf_adds(&text, "\\$(");
    kc_buf_adds(&text, "\nB=$(echo (x)) \\$( $(echo y)\n");
    struct parsed p;
    parse(&p, text.data);
    assert_int_equal(p.rc, 0);
    assert_int_equal(strlen(get(&p, "A")), 3 * 200000);
    assert_string_equal(get(&p, "B"), "(x) \\$( y");
    done(&p);
    kc_buf_release(&text);
}

static void test_shell_runner(void **state)
{
    (void)state;
    struct kc_buf out = KC_BUF_INIT;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_dotenv_run_sh(NULL, "printf 'a\\n'; echo err >&2", &out, &err), 0);
    assert_string_equal(out.data, "a\n");
    kc_buf_reset(&out);
    assert_int_equal(kc_dotenv_run_sh(NULL, "true", &out, &err), 0);
    assert_string_equal(kc_buf_str(&out), "");
    assert_int_equal(kc_dotenv_run_sh(NULL, "echo partial; exit 3", &out, &err), KC_ECONFIG);
    assert_string_equal(err.msg, "exited with status 3");
    kc_buf_reset(&out);
    assert_int_equal(kc_dotenv_run_sh(NULL, "head -c 1100000 /dev/zero", &out, &err), KC_ECONFIG);
    assert_non_null(strstr(err.msg, "output larger than"));
    kc_buf_release(&out);
    kc_err_release(&err);

    /* NULL opts: the shell runner and the process environment */
    struct kc_kvlist vars = KC_KVLIST_INIT;
    const char *text = "A=$(printf '%s' \"$KC_T_HOME\")\nB=$(exit 7)\n";
    assert_int_equal(kc_dotenv_parse(text, strlen(text), "s", &vars, NULL, &err), KC_ECONFIG);
    assert_string_equal(kc_kvlist_get(&vars, "A"), "/home/me");
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "exited with status 7"));
    kc_kvlist_release(&vars);
    kc_err_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_lines),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_single_quotes),
        cmocka_unit_test(test_double_quotes),
        cmocka_unit_test(test_unquoted_escapes),
        cmocka_unit_test(test_interpolation),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_command_errors),
        cmocka_unit_test(test_secrets_commands_reach_the_runner),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_shell_runner),
        cmocka_unit_test(test_expansion_is_bounded),
    };
    return cmocka_run_group_tests(tests, setup_env, NULL);
}
