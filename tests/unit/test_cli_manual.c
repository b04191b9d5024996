/* test_cli_manual.c - the man pages and completions are generated from the
 * tables: every visible verb and option of the live command table has its
 * man entry and its place in each completion script, every configuration
 * key its man(5) entry; hidden verbs are in neither; the table's texts are
 * complete enough to generate from (a summary per verb, help per option).
 * tests/checks/manual.sh drives the real shells and man. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../src/cli/parse.h"
#include "kamal-c/docs.h"

struct pages {
    struct kc_buf man1, man5, bash, zsh, fish;
};

static int setup(void **state)
{
    struct pages *p = kc_xcalloc(1, sizeof *p);
    assert_int_equal(kc_man_render(1, &p->man1), 0);
    assert_int_equal(kc_man_render(5, &p->man5), 0);
    assert_int_equal(kc_completion_render("bash", &p->bash), 0);
    assert_int_equal(kc_completion_render("zsh", &p->zsh), 0);
    assert_int_equal(kc_completion_render("fish", &p->fish), 0);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct pages *p = *state;
    kc_buf_release(&p->man1);
    kc_buf_release(&p->man5);
    kc_buf_release(&p->bash);
    kc_buf_release(&p->zsh);
    kc_buf_release(&p->fish);
    free(p);
    return 0;
}

/* "--dry-run" as roff writes it: "\-\-dry\-run" */
static char *roffed(const char *s)
{
    struct kc_buf b = KC_BUF_INIT;
    for (; *s; s++)
        kc_buf_adds(&b, *s == '-' ? "\\-" : (char[]){*s, 0});
    return kc_buf_detach(&b);
}

static int missing;

/* The body of a data function of a completion script. */
static char *function_body(const struct kc_buf *script, const char *name)
{
    const char *s = kc_buf_str(script);
    char *open = kc_xasprintf("\n%s() {\n", name);
    char *fish_open = kc_xasprintf("\nfunction %s\n", name);
    const char *start = strstr(s, open);
    const char *end = start ? strstr(start, "\n}\n") : NULL;
    if (start == NULL && (start = strstr(s, fish_open)) != NULL)
        end = strstr(start, "\nend\n");
    free(open);
    free(fish_open);
    assert_non_null(end);
    return kc_xstrndup(start, (size_t)(end - start));
}

static void expect_in_function(const struct kc_buf *script, const char *shell, const char *fn,
                               const char *needle)
{
    char *body = function_body(script, fn);
    if (strstr(body, needle) == NULL) {
        print_error("%s completion: %s has no %s\n", shell, fn, needle);
        missing++;
    }
    free(body);
}

static void expect(const struct kc_buf *doc, const char *what, const char *needle)
{
    if (strstr(kc_buf_str(doc), needle) == NULL) {
        print_error("%s: no '%s'\n", what, needle);
        missing++;
    }
}

static void expect_option(const struct pages *p, const char *verb, const struct kc_opt *o)
{
    if (o->help == NULL || *o->help == '\0') {
        print_error("%s --%s has no help text\n", verb, o->lname);
        missing++;
    }
    if (o->takes_value && (o->argname == NULL || *o->argname == '\0')) {
        print_error("%s --%s takes a value but names none\n", verb, o->lname);
        missing++;
    }
    char *name = roffed(o->lname);
    char *man = kc_xasprintf("\\fB\\-\\-%s\\fR", name);
    expect(&p->man1, "kamal-c.1", man);
    char *quoted = kc_xasprintf("'--%s'", o->lname);
    expect_in_function(&p->bash, "bash", "__kamal_c_opts", quoted);
    expect_in_function(&p->zsh, "zsh", "__kamal_c_opts", quoted);
    expect_in_function(&p->fish, "fish", "__kamal_c_opts", quoted);
    expect_in_function(&p->bash, "bash", "__kamal_c_optarg", quoted);
    expect_in_function(&p->fish, "fish", "__kamal_c_optarg", quoted);
    free(quoted);
    free(man);
    free(name);
}

/* Each visible leaf verb: a man section, a case in each script, its
 * options; each visible group: its commands listed. */
static void expect_verb(const struct pages *p, const struct kc_verb *const *path, size_t depth)
{
    const struct kc_verb *v = path[depth - 1];
    struct kc_buf name = KC_BUF_INIT;
    for (size_t i = 1; i < depth; i++)
        kc_buf_addf(&name, "%s%s", i > 1 ? " " : "", path[i]->name);
    if (v->summary == NULL || *v->summary == '\0') {
        print_error("'%s' has no summary\n", kc_buf_str(&name));
        missing++;
    }
    char *word = kc_xasprintf("'%s'", v->name);
    expect_in_function(&p->bash, "bash", "__kamal_c_subs", word);
    expect_in_function(&p->zsh, "zsh", "__kamal_c_subs", word);
    expect_in_function(&p->fish, "fish", "__kamal_c_subs", word);
    free(word);
    if (v->subs == NULL) {
        char *rname = roffed(kc_buf_str(&name));
        char *heading = kc_xasprintf(".SS kamal\\-c %s\n", rname);
        char *heading_usage = kc_xasprintf(".SS kamal\\-c %s ", rname);
        if (!strstr(kc_buf_str(&p->man1), heading) &&
            !strstr(kc_buf_str(&p->man1), heading_usage)) {
            print_error("kamal-c.1: no section for '%s'\n", kc_buf_str(&name));
            missing++;
        }
        free(heading);
        free(heading_usage);
        free(rname);
        for (const struct kc_opt *o = v->opts; o && o->lname; o++)
            expect_option(p, kc_buf_str(&name), o);
    }
    kc_buf_release(&name);
}

static void walk(const struct pages *p, const struct kc_verb **path, size_t depth, size_t *count)
{
    const struct kc_verb *v = path[depth - 1];
    if (depth >= KC_MAX_DEPTH) { /* the table is deeper than the parser allows */
        if (v->subs)
            fail_msg("'%s' has sub-verbs beyond KC_MAX_DEPTH", v->name);
        return;
    }
    for (size_t i = 0; v->subs && v->subs[i]; i++) {
        const struct kc_verb *sub = v->subs[i];
        if (sub->flags & KC_V_HIDDEN)
            continue;
        path[depth] = sub;
        expect_verb(p, path, depth + 1);
        (*count)++;
        walk(p, path, depth + 1, count);
    }
}

static void test_every_verb_and_option(void **state)
{
    const struct pages *p = *state;
    missing = 0;
    const struct kc_verb *path[KC_MAX_DEPTH] = {&kc_root_verb};
    size_t count = 0;
    walk(p, path, 1, &count);
    assert_true(count >= 20);
    for (const struct kc_opt *o = kc_global_opts(); o->lname; o++)
        expect_option(p, "(global)", o);
    assert_int_equal(missing, 0);
}

/* Hidden verbs (Kamal hides them too, and kamal-c's own __ helpers) are in
 * no page; the rest of the visible root is. */
static void test_hidden_verbs_stay_hidden(void **state)
{
    const struct pages *p = *state;
    for (size_t i = 0; kc_root_verb.subs[i]; i++) {
        const struct kc_verb *v = kc_root_verb.subs[i];
        char *quoted = kc_xasprintf("'%s'", v->name);
        bool in_bash = strstr(kc_buf_str(&p->bash), quoted) != NULL;
        assert_int_equal(in_bash, !(v->flags & KC_V_HIDDEN));
        free(quoted);
    }
    assert_null(strstr(kc_buf_str(&p->man1), "__complete"));
    assert_null(strstr(kc_buf_str(&p->man1), "accessory directories"));
    assert_null(strstr(kc_buf_str(&p->bash), "'directories'"));
}

static void test_man1_sections(void **state)
{
    const struct pages *p = *state;
    const char *man = kc_buf_str(&p->man1);
    assert_true(kc_starts_with(man, ".\\\" Generated from kamal-c's tables"));
    assert_non_null(strstr(man, ".TH KAMAL\\-C 1 \"\" \"kamal-c " KC_VERSION "\""));
    static const char *const sections[] = {
        ".SH NAME\n",           ".SH SYNOPSIS\n",    ".SH DESCRIPTION\n", ".SH COMMANDS\n",
        ".SH GLOBAL OPTIONS\n", ".SH EXIT STATUS\n", ".SH ENVIRONMENT\n", ".SH FILES\n",
        ".SH EXAMPLES\n",       ".SH SEE ALSO\n",
    };
    const char *at = man;
    for (size_t i = 0; i < KC_ARRAY_LEN(sections); i++) {
        const char *next = strstr(at, sections[i]);
        if (next == NULL)
            fail_msg("kamal-c.1: no %s (in this order)", sections[i]);
        at = next;
    }
    for (const struct kc_exit_doc *e = kc_exit_docs; e->meaning; e++) {
        char *entry = kc_xasprintf(".TP\n.B %d\n", e->status);
        assert_non_null(strstr(man, entry));
        free(entry);
    }
    /* the issue's environment variables */
    static const char *const vars[] = {"KAMAL_C_CONNECT_TIMEOUT",
                                       "NO_COLOR",
                                       "VERSION",
                                       "KAMAL_LOCK",
                                       "DOCKER_HOST",
                                       "DOCKER_CONFIG"};
    for (size_t i = 0; i < KC_ARRAY_LEN(vars); i++) {
        char *entry = kc_xasprintf(".TP\n.B %s\n", vars[i]);
        assert_non_null(strstr(man, entry));
        free(entry);
    }
    /* roff: a usage's placeholders in italics, an example kept as is */
    assert_non_null(strstr(man, ".SS kamal\\-c accessory boot \\fINAME\\fR|all\n"));
    assert_non_null(
        strstr(man, ".nf\nkamal\\-c accessory exec db \\(aqpsql \\-c \"select 1\"\\(aq\n"));
}

static void collect_man5(void *ud, const struct kc_schema_key *k)
{
    const struct pages *p = ud;
    char *entry = kc_xasprintf(".TP\n.B %s\n", k->path);
    char *rentry = roffed(entry);
    expect(&p->man5, "kamal-c-deploy.yml.5", rentry);
    free(rentry);
    free(entry);
}

static void test_man5_every_key(void **state)
{
    struct pages *p = *state;
    missing = 0;
    kc_schema_section_keys(NULL, collect_man5, p);
    for (const char *const *s = kc_docs_sections(); *s; s++) {
        char *upper = kc_xstrdup(*s);
        for (char *c = upper; *c; c++)
            *c = (char)(*c - 'a' + 'A');
        char *heading = kc_xasprintf(".SH %s\n", upper);
        expect(&p->man5, "kamal-c-deploy.yml.5", heading);
        free(heading);
        free(upper);
        kc_schema_section_keys(*s, collect_man5, p);
    }
    assert_int_equal(missing, 0);
    expect(&p->man5, "kamal-c-deploy.yml.5", ".B proxy.healthcheck.path\nstring, default /up.\n");
    expect(&p->man5, "kamal-c-deploy.yml.5",
           ".B servers.<role>.proxy\nboolean or mapping; see PROXY below.\n");
    assert_int_equal(missing, 0);
}

/* What a shell completes for operands and option values. */
static void test_completion_kinds(void **state)
{
    const struct pages *p = *state;
    const char *bash = kc_buf_str(&p->bash);
    assert_non_null(strstr(bash, "    'accessory boot')\n        _kc_r=('accessories' 'all')\n"));
    assert_non_null(strstr(bash, "    'accessory logs')\n        _kc_r=('accessories')\n"));
    assert_non_null(strstr(bash, "    'help')\n        _kc_r=('command')\n"));
    assert_non_null(strstr(bash, "    'docs')\n        _kc_r=('text' 'accessory' 'alias' 'boot'"));
    assert_non_null(strstr(bash, "    '--format')\n        _kc_r=('text' 'text' 'json')\n"));
    assert_non_null(strstr(bash, "    '--hosts'|'-h')\n        _kc_r=('hosts')\n"));
    assert_non_null(strstr(bash, "    '--config-file'|'-c')\n        _kc_r=('config')\n"));
    assert_non_null(strstr(bash, "    '--destination'|'-d')\n        _kc_r=('destinations')\n"));
    assert_non_null(strstr(bash, "    '--dry-run')\n        _kc_r=('flag')\n"));
    assert_non_null(strstr(bash, "complete -F _kamal_c kamal-c\n"));
    assert_true(kc_starts_with(kc_buf_str(&p->zsh), "#compdef kamal-c\n"));
    assert_non_null(strstr(kc_buf_str(&p->fish), "    case 'accessory boot'\n"
                                                 "        printf '%s\\n' 'accessories' 'all'\n"));
    /* quoting: a quote in a summary */
    assert_non_null(strstr(bash, "'Show kamal-c'\\''s version"));
    assert_non_null(strstr(kc_buf_str(&p->fish), "'Show kamal-c\\'s version"));
}

static void test_unknown_targets(void **state)
{
    (void)state;
    struct kc_buf b = KC_BUF_INIT;
    assert_int_equal(kc_man_render(2, &b), -1);
    assert_int_equal(kc_completion_render("tcsh", &b), -1);
    assert_int_equal(kc_complete_names("nope", NULL, NULL, &b), -1);
    assert_int_equal(b.len, 0);
}

static void test_commands_list(void **state)
{
    (void)state;
    struct kc_buf b = KC_BUF_INIT;
    assert_int_equal(kc_complete_names("commands", NULL, NULL, &b), 0);
    const char *s = kc_buf_str(&b);
    assert_true(kc_starts_with(s, "accessory boot --fail-on-drift\n"));
    assert_non_null(strstr(s, "\naccessory logs --since --lines --grep --grep-options --follow "
                              "--skip-timestamps\n"));
    assert_non_null(strstr(s, "\ndocs\n"));
    assert_null(strstr(s, "__"));
    assert_null(strstr(s, "directories"));
    kc_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_verb_and_option),
        cmocka_unit_test(test_hidden_verbs_stay_hidden),
        cmocka_unit_test(test_man1_sections),
        cmocka_unit_test(test_man5_every_key),
        cmocka_unit_test(test_completion_kinds),
        cmocka_unit_test(test_unknown_targets),
        cmocka_unit_test(test_commands_list),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
