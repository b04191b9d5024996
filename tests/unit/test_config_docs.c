/* test_config_docs.c - the `kamal-c docs` sections against the schema table:
 * every section the schema names has a text, every key of a section is in
 * its text, every text is YAML whose keys the schema knows, the overview is
 * a whole valid deploy.yml; the key walk; and the names completion reads
 * from a deploy.yml (without running its commands). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kamal-c/config.h"
#include "kamal-c/docs.h"

#define COMPLETE_DIR KC_FIXTURES "/complete"

/* The sections Kamal 2.12's `docs` has, which kamal-c's must match. */
static const char *const kamal_sections[] = {
    "accessory", "alias", "boot",     "builder", "env", "logging", "output",
    "proxy",     "role",  "registry", "servers", "ssh", "sshkit",  NULL,
};

static void test_sections_are_kamals(void **state)
{
    (void)state;
    const char *const *s = kc_docs_sections();
    size_t n = 0;
    for (; s[n]; n++) {
        bool known = false;
        for (size_t i = 0; kamal_sections[i]; i++)
            known = known || strcmp(kamal_sections[i], s[n]) == 0;
        if (!known)
            fail_msg("section '%s' is not one of Kamal's", s[n]);
        assert_non_null(kc_docs_text(s[n]));
        if (n > 0 && strcmp(s[n - 1], s[n]) >= 0)
            fail_msg("sections not sorted at '%s'", s[n]);
    }
    assert_int_equal(n, KC_ARRAY_LEN(kamal_sections) - 1);
    assert_non_null(kc_docs_text(NULL)); /* the overview */
    assert_null(kc_docs_text("nope"));
}

static void collect_see(void *ud, const struct kc_schema_key *k)
{
    if (k->see)
        kc_strvec_push_unique(ud, k->see);
}

/* Every section a key refers to ("see proxy") has a text, and every
 * section is referred to from somewhere. */
static void test_sections_match_the_schema(void **state)
{
    (void)state;
    struct kc_strvec seen = KC_STRVEC_INIT;
    kc_schema_section_keys(NULL, collect_see, &seen);
    for (const char *const *s = kc_docs_sections(); *s; s++)
        assert_int_equal(kc_schema_section_keys(*s, collect_see, &seen), 0);
    for (size_t i = 0; i < seen.n; i++)
        if (kc_docs_text(seen.v[i]) == NULL)
            fail_msg("the schema refers to section '%s', which has no text", seen.v[i]);
    for (const char *const *s = kc_docs_sections(); *s; s++)
        if (!kc_strvec_contains(&seen, *s))
            fail_msg("no key refers to section '%s'", *s);
    kc_strvec_release(&seen);
    assert_int_equal(kc_schema_section_keys("nope", collect_see, &seen), -1);
}

struct key_check {
    const char *section;
    const char *text;
    int missing;
    int rows;
};

/* The leaf of "accessories.<name>.files[].mode" is "mode"; NULL for a
 * placeholder ("servers.<role>"). */
static char *leaf(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *name = dot ? dot + 1 : path;
    if (*name == '<')
        return NULL;
    return kc_xstrndup(name, strcspn(name, "["));
}

static void check_key_in_text(void *ud, const struct kc_schema_key *k)
{
    struct key_check *c = ud;
    c->rows++;
    char *name = leaf(k->path);
    if (name == NULL)
        return;
    char *as_key = kc_xasprintf("%s:", name);
    /* at the start of a YAML key: after blanks or "# " */
    bool found = false;
    for (const char *p = strstr(c->text, as_key); p && !found; p = strstr(p + 1, as_key))
        found = p == c->text || p[-1] == ' ' || p[-1] == '\n';
    if (!found) {
        print_error("docs %s: key %s is not in the text\n", c->section ? c->section : "(overview)",
                    k->path);
        c->missing++;
    }
    free(as_key);
    free(name);
}

static void test_every_key_is_described(void **state)
{
    (void)state;
    int missing = 0;
    struct key_check top = {NULL, kc_docs_text(NULL), 0, 0};
    kc_schema_section_keys(NULL, check_key_in_text, &top);
    missing += top.missing;
    assert_true(top.rows >= 31); /* Kamal 2.12 has 31 top-level keys */
    for (const char *const *s = kc_docs_sections(); *s; s++) {
        struct key_check c = {*s, kc_docs_text(*s), 0, 0};
        assert_int_equal(kc_schema_section_keys(*s, check_key_in_text, &c), 0);
        assert_true(c.rows >= 1);
        missing += c.missing;
    }
    assert_int_equal(missing, 0);
}

/* Every mapping key in the tree, as a dotted path, must be a schema key. */
static int unknown_keys(const struct kc_node *n, struct kc_buf *path, const char *section)
{
    int bad = 0;
    if (n == NULL)
        return 0;
    if (n->type == KC_NODE_SEQ)
        for (size_t i = 0; i < n->n; i++)
            bad += unknown_keys(n->items[i], path, section);
    for (size_t i = 0; n->type == KC_NODE_MAP && i < n->npairs; i++) {
        size_t old = path->len;
        kc_buf_adds(path, old ? "." : "");
        for (const char *c = n->pairs[i].key; *c; c++) /* a host's dots */
            kc_buf_addc(path, *c == '.' ? '_' : *c);
        if (!kc_schema_has_key(kc_buf_str(path))) {
            print_error("docs %s: %s is no key of deploy.yml\n", section, kc_buf_str(path));
            bad++;
        } else {
            bad += unknown_keys(n->pairs[i].value, path, section);
        }
        path->len = old;
        path->data[old] = '\0';
    }
    return bad;
}

static void test_texts_are_yaml_with_known_keys(void **state)
{
    (void)state;
    int bad = 0;
    const char *const *names = kc_docs_sections();
    for (size_t i = 0; i == 0 || names[i - 1]; i++) {
        const char *section = i == 0 ? NULL : names[i - 1];
        const char *text = kc_docs_text(section);
        struct kc_tree tree = KC_TREE_INIT;
        struct kc_err err = KC_ERR_INIT;
        if (kc_yaml_load(text, strlen(text), section ? section : "overview", NULL, 0, &tree,
                         &err) != 0)
            fail_msg("docs %s is not YAML: %s", section ? section : "overview", err.msg);
        assert_non_null(tree.root);
        struct kc_buf path = KC_BUF_INIT;
        bad += unknown_keys(tree.root, &path, section ? section : "overview");
        kc_buf_release(&path);
        kc_tree_release(&tree);
        kc_err_release(&err);
    }
    assert_int_equal(bad, 0);
}

/* The overview's example is a whole deploy.yml that loads. */
static void test_overview_is_a_valid_deploy_yml(void **state)
{
    (void)state;
    const char *text = kc_docs_text(NULL);
    struct kc_config cfg;
    kc_config_init(&cfg);
    struct kc_err err = KC_ERR_INIT;
    int rc = kc_config_load_text(&cfg, text, strlen(text), "overview.yml", NULL, &err);
    if (rc)
        fail_msg("the overview does not load: %s", err.msg);
    assert_string_equal(cfg.service, "shop");
    kc_config_release(&cfg);
    kc_err_release(&err);
}

static void test_render(void **state)
{
    (void)state;
    struct kc_buf out = KC_BUF_INIT;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_docs_render("proxy", &out, &err), 0);
    const char *s = kc_buf_str(&out);
    assert_true(kc_starts_with(s, kc_docs_text("proxy")));
    assert_non_null(strstr(s, "\n# The keys, as kamal-c checks them:\n"));
    assert_non_null(strstr(s, "#   proxy.healthcheck.path             string, default /up\n"));
    assert_non_null(strstr(s, "#   proxy.ssl.certificate_pem          string, required\n"));
    kc_buf_reset(&out);
    assert_int_equal(kc_docs_render("role", &out, &err), 0);
    assert_non_null(strstr(kc_buf_str(&out), "#   servers.<role>.proxy         "
                                             "boolean or mapping: see `kamal-c docs proxy`\n"));
    kc_buf_reset(&out);
    assert_int_equal(kc_docs_render(NULL, &out, &err), 0);
    assert_non_null(strstr(kc_buf_str(&out), "run_directory        string, accepted and ignored"));
    assert_non_null(strstr(kc_buf_str(&out), "hooks_output         string or mapping of strings: "
                                             "quiet or verbose\n"));
    /* the whole output is still YAML */
    struct kc_tree tree = KC_TREE_INIT;
    assert_int_equal(kc_yaml_load(out.data, out.len, "x", NULL, 0, &tree, &err), 0);
    kc_tree_release(&tree);
    kc_buf_release(&out);
}

static void test_unknown_section(void **state)
{
    (void)state;
    struct kc_buf out = KC_BUF_INIT;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_docs_render("proxi", &out, &err), KC_EUSAGE);
    assert_string_equal(err.msg, "no documentation section 'proxi'");
    assert_string_equal(err.hint, "did you mean 'proxy'? The sections: accessory, alias, boot, "
                                  "builder, env, logging, output, proxy, registry, role, "
                                  "servers, ssh, sshkit");
    kc_err_release(&err);
    assert_int_equal(kc_docs_render("overview", &out, &err), KC_EUSAGE);
    assert_non_null(strstr(err.hint, "(none: the overview)"));
    assert_int_equal(out.len, 0);
    kc_err_release(&err);
}

static void test_has_key(void **state)
{
    (void)state;
    assert_true(kc_schema_has_key("service"));
    assert_true(kc_schema_has_key("proxy.healthcheck.path"));
    assert_true(kc_schema_has_key("servers.web.proxy.ssl.certificate_pem"));
    assert_true(kc_schema_has_key("accessories.db.files.mode")); /* through the list */
    assert_true(kc_schema_has_key("env.clear.ANY"));
    assert_true(kc_schema_has_key("env.ANY")); /* the simple form */
    assert_true(kc_schema_has_key("labels.team"));
    assert_false(kc_schema_has_key("traefik"));
    assert_false(kc_schema_has_key("proxy.nope"));
    assert_false(kc_schema_has_key("service.x"));
    assert_false(kc_schema_has_key("accessories.db.nope"));
}

/* ---- names for completion ---- */

static char *names(enum kc_name_kind kind, const char *file, const char *dest)
{
    struct kc_strvec v = KC_STRVEC_INIT;
    kc_config_names(kind, file, dest, &v);
    char *s = kc_strvec_join(&v, " ");
    kc_strvec_release(&v);
    return s;
}

#define ASSERT_NAMES(kind, file, dest, want)                                                       \
    do {                                                                                           \
        char *got = names(kind, file, dest);                                                       \
        assert_string_equal(got, want);                                                            \
        free(got);                                                                                 \
    } while (0)

static void test_names(void **state)
{
    (void)state;
    const char *file = COMPLETE_DIR "/config/deploy.yml";
    ASSERT_NAMES(KC_NAMES_ACCESSORIES, file, NULL, "db redis");
    ASSERT_NAMES(KC_NAMES_ROLES, file, NULL, "web workers");
    ASSERT_NAMES(KC_NAMES_HOSTS, file, NULL,
                 "web1.example.com web2.example.com job1.example.com db1.example.com");
    ASSERT_NAMES(KC_NAMES_ALIASES, file, NULL, "shell dbc");
    ASSERT_NAMES(KC_NAMES_DESTINATIONS, file, NULL, "production staging");
    /* -d: the destination file merged over it */
    ASSERT_NAMES(KC_NAMES_ACCESSORIES, file, "staging", "db redis search");
    ASSERT_NAMES(KC_NAMES_HOSTS, file, "staging",
                 "staging-web.example.com job1.example.com db1.example.com "
                 "search1.example.com");
    ASSERT_NAMES(KC_NAMES_ALIASES, file, "production", "shell dbc prodlogs");
    /* -c: another file; the list form's one role */
    const char *other = COMPLETE_DIR "/config/other.yml";
    ASSERT_NAMES(KC_NAMES_ROLES, other, NULL, "web");
    ASSERT_NAMES(KC_NAMES_HOSTS, other, NULL, "other1.example.com");
    ASSERT_NAMES(KC_NAMES_DESTINATIONS, other, NULL, "");
    /* nothing to read: no names, no error */
    ASSERT_NAMES(KC_NAMES_ACCESSORIES, COMPLETE_DIR "/config/none.yml", NULL, "");
    ASSERT_NAMES(KC_NAMES_ACCESSORIES, file, "nowhere", "");
}

/* An ERB command in deploy.yml is not run to complete a word. */
static void test_names_run_nothing(void **state)
{
    (void)state;
    char dir[] = "/tmp/kc-names-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *file = kc_xasprintf("%s/deploy.yml", dir);
    char *marker = kc_xasprintf("%s/ran", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f, "service: x\nimage: <%%= `touch %s` %%>\naccessories:\n  db:\n    image: a\n",
            marker);
    fclose(f);
    ASSERT_NAMES(KC_NAMES_ACCESSORIES, file, NULL, "");
    assert_int_not_equal(access(marker, F_OK), 0);
    unlink(file);
    rmdir(dir);
    free(file);
    free(marker);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sections_are_kamals),
        cmocka_unit_test(test_sections_match_the_schema),
        cmocka_unit_test(test_every_key_is_described),
        cmocka_unit_test(test_texts_are_yaml_with_known_keys),
        cmocka_unit_test(test_overview_is_a_valid_deploy_yml),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_unknown_section),
        cmocka_unit_test(test_has_key),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_names_run_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
