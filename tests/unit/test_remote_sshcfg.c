/* test_remote_sshcfg.c - the ssh_config reader for StrictHostKeyChecking,
 * ProxyJump and ProxyCommand (the values libssh cannot report back). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/remote/session_int.h"

static char dir[64];

static char *write_cfg(const char *name, const char *text)
{
    char *p = kc_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/kc-sshcfg-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = kc_xasprintf("rm -rf '%s'", dir);
    int rc = system(cmd);
    free(cmd);
    return rc == 0 ? 0 : -1;
}

static const char *const keys[] = {"StrictHostKeyChecking", "ProxyJump", "ProxyCommand"};

/* vals for host in the given files */
static void lookup1(const char *file, const char *host, char *vals[3])
{
    const char *files[] = {file};
    kc_sshcfg_lookup(files, 1, host, keys, vals, 3);
}

static void free3(char *vals[3])
{
    for (int i = 0; i < 3; i++)
        free(vals[i]);
}

static void test_patterns(void **state)
{
    (void)state;
    assert_true(kc_sshcfg_match_pattern("*", "anything"));
    assert_true(kc_sshcfg_match_pattern("web?", "web1"));
    assert_false(kc_sshcfg_match_pattern("web?", "web10"));
    assert_true(kc_sshcfg_match_pattern("10.0.*.5", "10.0.12.5"));
    assert_true(kc_sshcfg_match_pattern("WEB*", "web-1"));
    assert_false(kc_sshcfg_match_pattern("db*", "web1"));
    assert_true(kc_sshcfg_match_pattern("a**b", "ab"));
    assert_true(kc_sshcfg_match_list("db* web*", "web1"));
    assert_true(kc_sshcfg_match_list("db*,web*", "web1"));
    assert_false(kc_sshcfg_match_list("* !web1", "web1"));
    assert_false(kc_sshcfg_match_list("!web1 *", "web1"));
    assert_true(kc_sshcfg_match_list("* !web1", "web2"));
    assert_false(kc_sshcfg_match_list("!web1", "web2")); /* only a negation: no match */
}

static void test_first_value_wins(void **state)
{
    (void)state;
    char *f = write_cfg("c1", "# comment\n"
                              "Host web*\n"
                              "    StrictHostKeyChecking yes\n"
                              "    ProxyJump deploy@bastion:2222\n"
                              "Host *\n"
                              "    StrictHostKeyChecking no\n"
                              "    ProxyCommand ssh -W %h:%p gw\n");
    char *v[3];
    lookup1(f, "web1", v);
    assert_string_equal(v[0], "yes");
    assert_string_equal(v[1], "deploy@bastion:2222");
    assert_string_equal(v[2], "ssh -W %h:%p gw");
    free3(v);
    lookup1(f, "db1", v);
    assert_string_equal(v[0], "no");
    assert_null(v[1]);
    free3(v);
    free(f);
}

static void test_syntax_variants(void **state)
{
    (void)state;
    char *f = write_cfg("c2", "StrictHostKeyChecking=accept-new\n"
                              "host = web1\n"
                              "\tproxyjump   \"j@h\"  \n");
    char *v[3];
    lookup1(f, "web1", v);
    assert_string_equal(v[0], "accept-new"); /* top level applies to every host */
    assert_string_equal(v[1], "j@h");
    assert_null(v[2]);
    free3(v);
    free(f);
}

static void test_match(void **state)
{
    (void)state;
    char *f = write_cfg("c3", "Match host web*,!web9\n"
                              "  StrictHostKeyChecking yes\n"
                              "Match exec \"true\"\n" /* not evaluated: skipped */
                              "  ProxyJump never\n"
                              "Match all\n"
                              "  ProxyCommand none\n");
    char *v[3];
    lookup1(f, "web1", v);
    assert_string_equal(v[0], "yes");
    assert_null(v[1]);
    assert_string_equal(v[2], "none");
    free3(v);
    lookup1(f, "web9", v);
    assert_null(v[0]);
    free3(v);
    free(f);
}

static void test_include_and_files_order(void **state)
{
    (void)state;
    char *inc = write_cfg("inc.conf", "Host web1\n  StrictHostKeyChecking yes\n");
    char *main_text = kc_xasprintf("Host db1\n  Include %s/inc*.conf\nHost *\n"
                                   "  Include %s/inc.conf\n",
                                   dir, dir);
    char *f = write_cfg("c4", main_text);
    char *v[3];
    lookup1(f, "web1", v); /* included under Host *, the file's own Host web1 matches */
    assert_string_equal(v[0], "yes");
    free3(v);
    char *other = write_cfg("c5", "Host *\n  StrictHostKeyChecking no\n");
    const char *files[] = {other, f};
    kc_sshcfg_lookup(files, 2, "web1", keys, v, 3); /* the first file wins */
    assert_string_equal(v[0], "no");
    free3(v);
    const char *missing[] = {"/nonexistent/kc/config", f};
    kc_sshcfg_lookup(missing, 2, "web1", keys, v, 3);
    assert_string_equal(v[0], "yes");
    free3(v);
    free(other);
    free(f);
    free(main_text);
    free(inc);
}

static void test_include_loop_is_bounded(void **state)
{
    (void)state;
    char *text = kc_xasprintf("Include %s/loop\nStrictHostKeyChecking yes\n", dir);
    char *f = write_cfg("loop", text);
    char *v[3];
    lookup1(f, "x", v);
    assert_string_equal(v[0], "yes");
    free3(v);
    free(f);
    free(text);
}

static void test_strict_values(void **state)
{
    (void)state;
    assert_true(kc_sshcfg_strict_yes("yes"));
    assert_true(kc_sshcfg_strict_yes("YES"));
    assert_true(kc_sshcfg_strict_yes("true"));
    assert_false(kc_sshcfg_strict_yes("no"));
    assert_false(kc_sshcfg_strict_yes("accept-new"));
    assert_false(kc_sshcfg_strict_yes("ask"));
    assert_false(kc_sshcfg_strict_yes(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_first_value_wins),
        cmocka_unit_test(test_syntax_variants),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_include_and_files_order),
        cmocka_unit_test(test_include_loop_is_bounded),
        cmocka_unit_test(test_strict_values),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
