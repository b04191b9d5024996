/* test_cli_parse.c - the dispatcher's parsing: globals anywhere, verbs and
 * sub-verbs, arity, unknown options with suggestions, --, and the remote
 * commands of exec-like verbs (known options anywhere, unknown ones kept). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../src/cli/parse.h"

struct parsed_case {
    struct kc_parsed p;
    struct kc_err err;
    int rc;
};

static void parse(struct parsed_case *c, const char *line)
{
    struct kc_strvec words = KC_STRVEC_INIT;
    kc_strvec_push(&words, "kamal-c");
    assert_int_equal(kc_shell_split(line, &words), 0);
    kc_parsed_init(&c->p);
    memset(&c->err, 0, sizeof c->err);
    c->rc = kc_parse_argv(&c->p, (int)words.n, words.v, &c->err);
    if (c->rc == 0 && c->p.verb)
        c->rc = kc_check_arity(&c->p, &c->err);
    /* the parsed values point into words: keep them for the test's life */
    static struct kc_strvec keep[64];
    static size_t nkeep;
    kc_strvec_release(&keep[nkeep % 64]);
    keep[nkeep++ % 64] = words;
}

static void done(struct parsed_case *c)
{
    kc_parsed_release(&c->p);
    kc_err_release(&c->err);
}

static void test_globals_before_and_after(void **state)
{
    (void)state;
    struct parsed_case a, b;
    parse(&a, "accessory boot db -d staging -v");
    parse(&b, "-d staging -v accessory boot db");
    assert_int_equal(a.rc, 0);
    assert_int_equal(b.rc, 0);
    assert_string_equal(a.p.g.destination, "staging");
    assert_string_equal(b.p.g.destination, "staging");
    assert_int_equal(a.p.g.verbosity, 1);
    assert_string_equal(a.p.verb->name, "boot");
    assert_string_equal(a.p.args.pos.v[0], "db");
    done(&a);
    done(&b);
}

static void test_option_spellings(void **state)
{
    (void)state;
    struct parsed_case a;
    parse(&a, "accessory logs db --lines=5 -g err --since 1h -T --skip_hooks --hosts=web*");
    assert_int_equal(a.rc, 0);
    assert_string_equal(kc_args_value(&a.p.args, "lines"), "5");
    assert_string_equal(kc_args_value(&a.p.args, "grep"), "err");
    assert_string_equal(kc_args_value(&a.p.args, "since"), "1h");
    assert_true(kc_args_flag(&a.p.args, "skip-timestamps"));
    assert_true(a.p.g.skip_hooks);
    assert_string_equal(a.p.g.hosts, "web*");
    done(&a);
}

static void test_unknown_option_suggests(void **state)
{
    (void)state;
    struct parsed_case a;
    parse(&a, "accessory boot db --fail-on-drfit");
    assert_int_equal(a.rc, KC_EUSAGE);
    assert_non_null(strstr(a.err.msg, "--fail-on-drfit"));
    assert_non_null(strstr(a.err.hint, "--fail-on-drift"));
    done(&a);
}

static void test_unknown_verb_suggests(void **state)
{
    (void)state;
    struct parsed_case a;
    parse(&a, "accessory bot db");
    assert_int_equal(a.rc, KC_EUSAGE);
    assert_non_null(strstr(a.err.hint, "boot"));
    done(&a);
    /* an unknown root word may be an alias: the dispatcher decides */
    parse(&a, "cnofig");
    assert_int_equal(a.rc, 0);
    assert_string_equal(a.p.alias_name, "cnofig");
    done(&a);
}

static void test_arity(void **state)
{
    (void)state;
    struct parsed_case a;
    parse(&a, "accessory boot");
    assert_int_equal(a.rc, KC_EUSAGE);
    assert_non_null(strstr(a.err.msg, "NAME"));
    done(&a);
    parse(&a, "accessory boot db redis");
    assert_int_equal(a.rc, KC_EUSAGE);
    assert_non_null(strstr(a.err.msg, "redis"));
    done(&a);
    parse(&a, "version now");
    assert_int_equal(a.rc, KC_EUSAGE);
    done(&a);
}

/* Thor's rule, as in Kamal: kamal-c's known options anywhere, after the
 * command's words too; dash-words it does not know stay in the command. */
static void test_exec_takes_known_options_anywhere(void **state)
{
    (void)state;
    struct parsed_case a;
    parse(&a, "server exec 'sh -c \"touch /root/x\"' --dry-run");
    assert_int_equal(a.rc, 0);
    assert_true(a.p.g.dry_run);
    assert_int_equal(a.p.args.pos.n, 1);
    assert_string_equal(a.p.args.pos.v[0], "sh -c \"touch /root/x\"");
    done(&a);
    /* -q is kamal-c's (Kamal's) quiet option, wherever it is */
    parse(&a, "server exec docker ps -q");
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.p.g.verbosity, -1);
    assert_int_equal(a.p.args.pos.n, 2);
    done(&a);
    /* -l, --norc, -la: unknown to kamal-c, so the command's, in place */
    parse(&a, "server exec ls -l /tmp -la --norc");
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.p.args.pos.n, 5);
    assert_string_equal(a.p.args.pos.v[1], "-l");
    assert_string_equal(a.p.args.pos.v[3], "-la");
    assert_string_equal(a.p.args.pos.v[4], "--norc");
    done(&a);
    /* verb options after the command too; a value option takes its value */
    parse(&a, "accessory exec db bash --norc -v --reuse -h 10.0.0.1");
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.p.g.verbosity, 1);
    assert_true(kc_args_flag(&a.p.args, "reuse"));
    assert_string_equal(a.p.g.hosts, "10.0.0.1");
    assert_int_equal(a.p.args.pos.n, 3);
    assert_string_equal(a.p.args.pos.v[2], "--norc");
    done(&a);
    parse(&a, "-q accessory exec -i db bash");
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.p.g.verbosity, -1);
    assert_true(kc_args_flag(&a.p.args, "interactive"));
    done(&a);
    /* before the command's first word an unknown option is still a typo */
    parse(&a, "accessory exec --reuze db ls");
    assert_int_equal(a.rc, KC_EUSAGE);
    assert_non_null(strstr(a.err.hint, "--reuse"));
    done(&a);
    parse(&a, "server exec --dyr-run ls");
    assert_int_equal(a.rc, KC_EUSAGE);
    done(&a);
}

static void test_double_dash(void **state)
{
    (void)state;
    struct parsed_case a;
    parse(&a, "server exec -- -weird --thing");
    assert_int_equal(a.rc, 0);
    assert_string_equal(a.p.args.pos.v[0], "-weird");
    done(&a);
    /* `--` ends kamal-c's options for whatever follows, known ones too */
    parse(&a, "server exec -v -- docker ps -q --dry-run");
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.p.g.verbosity, 1);
    assert_false(a.p.g.dry_run);
    assert_int_equal(a.p.args.pos.n, 4);
    assert_string_equal(a.p.args.pos.v[2], "-q");
    assert_string_equal(a.p.args.pos.v[3], "--dry-run");
    done(&a);
    parse(&a, "accessory exec db -- psql -v ON_ERROR_STOP=1");
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.p.g.verbosity, 0);
    assert_int_equal(a.p.args.pos.n, 4);
    done(&a);
}

/* Issue 8 item 12: Kamal's commands kamal-c does not have yet say so. */
static void test_kamal_commands_not_yet_implemented(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "upgrade", "accessory upgrade db", "registry setup"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        struct parsed_case a;
        parse(&a, lines[i]);
        assert_int_equal(a.rc, KC_EUSAGE);
        assert_non_null(
            strstr(a.err.msg, "is a Kamal command that kamal-c does not implement yet"));
        assert_null(strstr(a.err.hint, "did you mean"));
        done(&a);
    }
    struct parsed_case a;
    parse(&a, "upgrade");
    assert_string_equal(a.err.msg,
                        "'upgrade' is a Kamal command that kamal-c does not implement yet");
    done(&a);
    /* secrets is here now: -a is fetch's --adapter, JSON operands are words */
    parse(&a, "secrets fetch -a test --from V/I A B");
    assert_int_equal(a.rc, 0);
    assert_string_equal(kc_args_value(&a.p.args, "adapter"), "test");
    assert_string_equal(kc_args_value(&a.p.args, "from"), "V/I");
    assert_int_equal(a.p.args.pos.n, 2);
    done(&a);
    parse(&a, "secrets extract A {\"V/I/A\":\"x\"}");
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.p.args.pos.n, 2);
    done(&a);
    parse(&a, "accessory upgrade db");
    assert_string_equal(
        a.err.msg, "'accessory upgrade' is a Kamal command that kamal-c does not implement yet");
    done(&a);
    /* a word that is neither stays a possible alias */
    parse(&a, "my-alias x");
    assert_int_equal(a.rc, 0);
    assert_string_equal(a.p.alias_name, "my-alias");
    done(&a);
}

/* Every alias in the `init` template expands to a command kamal-c has. */
static void test_init_template_aliases_work(void **state)
{
    (void)state;
    char dir[] = "/tmp/kc-init-aliases-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct kc_strvec created = KC_STRVEC_INIT;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_init_project(dir, &created, &err), 0);
    char *path = kc_xasprintf("%s/config/deploy.yml", dir);
    struct kc_buf text = KC_BUF_INIT;
    assert_int_equal(kc_read_file(path, 0, &text), 0);
    const char *p = strstr(kc_buf_str(&text), "# aliases:\n");
    assert_non_null(p);
    p = strchr(p, '\n') + 1;
    size_t n = 0;
    /* "#   NAME: COMMAND" lines, until the block ends */
    while (strncmp(p, "#   ", 4) == 0) {
        const char *colon = strchr(p, ':');
        char *command = kc_xstrndup(colon + 2, strcspn(colon + 2, "\n"));
        struct parsed_case a;
        parse(&a, command);
        assert_int_equal(a.rc, 0);
        assert_null(a.p.alias_name);
        assert_non_null(a.p.verb);
        done(&a);
        free(command);
        n++;
        p = strchr(p, '\n') + 1;
    }
    assert_true(n > 0);
    kc_buf_release(&text);
    free(path);
    char *cmd = kc_xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    kc_strvec_release(&created);
}

static void test_bare_version_is_usage_error(void **state)
{
    (void)state;
    struct parsed_case a;
    parse(&a, "--version");
    assert_int_equal(a.rc, KC_EUSAGE);
    assert_non_null(strstr(a.err.hint, "kamal-c version"));
    done(&a);
    parse(&a, "--version accessory boot db");
    assert_int_equal(a.rc, KC_EUSAGE);
    done(&a);
    parse(&a, "accessory boot db --version=abc123");
    assert_int_equal(a.rc, 0);
    assert_string_equal(a.p.g.version, "abc123");
    done(&a);
}

static void test_format_and_lock_options(void **state)
{
    (void)state;
    struct parsed_case a;
    parse(&a, "lock status --format json --lock-wait --lock-wait-timeout 30");
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.p.g.format, KC_FMT_JSON);
    assert_true(a.p.g.lock_wait);
    assert_int_equal(a.p.g.lock_wait_timeout, 30);
    done(&a);
    parse(&a, "lock status --format xml");
    assert_int_equal(a.rc, KC_EUSAGE);
    done(&a);
    parse(&a, "lock status --lock-wait-timeout=soon");
    assert_int_equal(a.rc, KC_EUSAGE);
    done(&a);
}

static void test_flag_with_value_rejected(void **state)
{
    (void)state;
    struct parsed_case a;
    parse(&a, "accessory boot db --dry-run=yes");
    assert_int_equal(a.rc, KC_EUSAGE);
    done(&a);
    parse(&a, "accessory logs db --lines");
    assert_int_equal(a.rc, KC_EUSAGE);
    done(&a);
}

/* docs [SECTION]: a verb now, not a pending Kamal command; the hidden
 * helpers parse but are no suggestion for a typo. */
static void test_docs_and_hidden_verbs(void **state)
{
    (void)state;
    struct parsed_case a;
    parse(&a, "docs proxy");
    assert_int_equal(a.rc, 0);
    assert_string_equal(a.p.verb->name, "docs");
    assert_string_equal(a.p.args.pos.v[0], "proxy");
    done(&a);
    parse(&a, "docs");
    assert_int_equal(a.rc, 0);
    done(&a);
    parse(&a, "docs proxy role");
    assert_int_equal(a.rc, KC_EUSAGE);
    done(&a);
    parse(&a, "__complete hosts -c x.yml -d staging");
    assert_int_equal(a.rc, 0);
    assert_string_equal(a.p.verb->name, "__complete");
    assert_string_equal(a.p.g.config_file, "x.yml");
    assert_string_equal(a.p.g.destination, "staging");
    done(&a);
    parse(&a, "__man");
    assert_int_equal(a.rc, KC_EUSAGE);
    done(&a);
}

/* Issue 13: the deploy verbs and their options. */
static void test_deploy_verbs(void **state)
{
    (void)state;
    struct parsed_case a;
    parse(&a, "deploy -P --version v2");
    assert_int_equal(a.rc, 0);
    assert_string_equal(a.p.verb->name, "deploy");
    assert_true(kc_args_flag(&a.p.args, "skip-push"));
    assert_string_equal(a.p.g.version, "v2");
    done(&a);
    parse(&a, "rollback v1");
    assert_int_equal(a.rc, 0);
    assert_string_equal(a.p.args.pos.v[0], "v1");
    done(&a);
    parse(&a, "rollback v1 v2");
    assert_int_equal(a.rc, KC_EUSAGE);
    done(&a);
    parse(&a, "prune containers --retain 2");
    assert_int_equal(a.rc, 0);
    assert_string_equal(kc_args_value(&a.p.args, "retain"), "2");
    done(&a);
    parse(&a, "remove -y");
    assert_int_equal(a.rc, 0);
    assert_true(kc_args_flag(&a.p.args, "confirmed"));
    done(&a);
    const char *const more[] = {"setup --skip-push", "redeploy --no-cache", "details",
                                "prune all", "prune images"};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        parse(&a, more[i]);
        assert_int_equal(a.rc, 0);
        done(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_globals_before_and_after),
        cmocka_unit_test(test_option_spellings),
        cmocka_unit_test(test_unknown_option_suggests),
        cmocka_unit_test(test_unknown_verb_suggests),
        cmocka_unit_test(test_arity),
        cmocka_unit_test(test_exec_takes_known_options_anywhere),
        cmocka_unit_test(test_double_dash),
        cmocka_unit_test(test_kamal_commands_not_yet_implemented),
        cmocka_unit_test(test_init_template_aliases_work),
        cmocka_unit_test(test_bare_version_is_usage_error),
        cmocka_unit_test(test_format_and_lock_options),
        cmocka_unit_test(test_flag_with_value_rejected),
        cmocka_unit_test(test_docs_and_hidden_verbs),
        cmocka_unit_test(test_deploy_verbs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
