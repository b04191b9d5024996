/* test_config_yaml.c - YAML loading (anchors, aliases, merge keys, errors
 * with locations), scalar typing, deep merge and the YAML emitter. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kamal-c/node.h"

struct loaded {
    struct kc_tree tree;
    struct kc_err err;
    int rc;
};

static void load_map(struct loaded *l, const char *text, const int *map, size_t n)
{
    memset(l, 0, sizeof *l);
    l->rc = kc_yaml_load(text, strlen(text), "deploy.yml", map, n, &l->tree, &l->err);
}

static void load(struct loaded *l, const char *text)
{
    load_map(l, text, NULL, 0);
}

static void done(struct loaded *l)
{
    kc_tree_release(&l->tree);
    kc_err_release(&l->err);
}

/* Loads text that must fail; checks the message contains want and the
 * location. */
static void expect_error(const char *text, int line, int col, const char *want)
{
    struct loaded l;
    load(&l, text);
    assert_int_equal(l.rc, KC_ECONFIG);
    assert_int_equal(l.err.code, KC_ECONFIG);
    assert_non_null(l.err.msg);
    if (strstr(l.err.msg, want) == NULL)
        fail_msg("message '%s' lacks '%s'", l.err.msg, want);
    assert_string_equal(l.err.file, "deploy.yml");
    assert_int_equal(l.err.line, line);
    if (col)
        assert_int_equal(l.err.col, col);
    done(&l);
}

static const char *text_at(const struct kc_node *root, const char *key)
{
    return kc_node_text(kc_map_get(root, key));
}

static void test_scalar_typing(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "a: yes\nb: \"yes\"\nc: Off\nd: TRUE\ne: 'on'\nf: ~\ng:\nh: NULL\ni: 42\n"
             "j: -7\nk: 0x1F\nl: 017\nm: 1_000\nn: 1:30\no: 0b101\np: 0800\nq: 1.5\n"
             "r: hello\ns: !!str yes\nt: y\nu: \"42\"\nv: +3\nw: .inf\nx: 1,000\n");
    assert_int_equal(l.rc, 0);
    const struct kc_node *r = l.tree.root;
    bool b = false;
    long v = 0;
    assert_true(kc_node_bool(kc_map_get(r, "a"), &b));
    assert_true(b);
    assert_false(kc_node_bool(kc_map_get(r, "b"), &b));
    assert_string_equal(kc_node_kind(kc_map_get(r, "b")), "a string");
    assert_true(kc_node_bool(kc_map_get(r, "c"), &b));
    assert_false(b);
    assert_string_equal(text_at(r, "a"), "true");
    assert_string_equal(text_at(r, "c"), "false");
    assert_string_equal(text_at(r, "d"), "true");
    assert_string_equal(text_at(r, "e"), "on");
    assert_true(kc_node_is_null(kc_map_get(r, "f")));
    assert_true(kc_node_is_null(kc_map_get(r, "g")));
    assert_true(kc_node_is_null(kc_map_get(r, "h")));
    assert_true(kc_node_is_null(kc_map_get(r, "absent")));
    assert_null(text_at(r, "f"));
    assert_string_equal(kc_node_kind(kc_map_get(r, "g")), "null");

    struct {
        const char *key;
        long want;
    } ints[] = {{"i", 42}, {"j", -7}, {"k", 31}, {"l", 15},  {"m", 1000},
                {"n", 90}, {"o", 5},  {"v", 3},  {"x", 1000}};
    for (size_t i = 0; i < KC_ARRAY_LEN(ints); i++) {
        assert_true(kc_node_long(kc_map_get(r, ints[i].key), &v));
        assert_int_equal(v, ints[i].want);
        assert_string_equal(kc_node_kind(kc_map_get(r, ints[i].key)), "an integer");
    }
    const char *strings[] = {"p", "r", "s", "t", "u"};
    for (size_t i = 0; i < KC_ARRAY_LEN(strings); i++) {
        assert_false(kc_node_long(kc_map_get(r, strings[i]), &v));
        assert_false(kc_node_bool(kc_map_get(r, strings[i]), &b));
        assert_string_equal(kc_node_kind(kc_map_get(r, strings[i])), "a string");
    }
    assert_string_equal(text_at(r, "s"), "yes");
    assert_string_equal(kc_node_kind(kc_map_get(r, "q")), "a float");
    assert_string_equal(kc_node_kind(kc_map_get(r, "w")), "a float");
    assert_string_equal(kc_node_kind(r), "a mapping");
    done(&l);
}

static void test_marks_and_lookup(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "service: myapp\nservers:\n  - 1.2.3.4\n  - 5.6.7.8\n");
    assert_int_equal(l.rc, 0);
    const struct kc_pair *p = kc_map_pair(l.tree.root, "service");
    assert_non_null(p);
    assert_int_equal(p->key_mark.line, 1);
    assert_int_equal(p->key_mark.col, 1);
    assert_int_equal(p->value->mark.line, 1);
    assert_int_equal(p->value->mark.col, 10);
    assert_string_equal(p->value->mark.file, "deploy.yml");
    const struct kc_node *s = kc_map_get(l.tree.root, "servers");
    assert_int_equal(s->type, KC_NODE_SEQ);
    assert_int_equal(s->n, 2);
    assert_int_equal(s->items[1]->mark.line, 4);
    assert_int_equal(s->items[1]->mark.col, 5);
    assert_null(kc_map_get(s, "x"));
    assert_null(kc_map_pair(NULL, "x"));
    /* file names are interned once */
    assert_ptr_equal(kc_tree_file(&l.tree, "deploy.yml"), p->value->mark.file);
    assert_int_equal(l.tree.files.n, 1);
    done(&l);
}

static void test_aliases_are_copies(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "db_host: &h 10.0.0.2\nreplica: *h\nx: &m {a: 1, b: [2, 3]}\ny: *m\n");
    assert_int_equal(l.rc, 0);
    const struct kc_node *r = l.tree.root;
    assert_string_equal(text_at(r, "replica"), "10.0.0.2");
    const struct kc_node *x = kc_map_get(r, "x"), *y = kc_map_get(r, "y");
    assert_ptr_not_equal(x, y);
    assert_int_equal(y->type, KC_NODE_MAP);
    assert_int_equal(kc_map_get(y, "b")->n, 2);
    assert_ptr_not_equal(kc_map_get(x, "b"), kc_map_get(y, "b"));
    /* anchors may be redefined; an alias takes the latest definition */
    done(&l);
    load(&l, "a: &v one\nb: *v\nc: &v two\nd: *v\n");
    assert_int_equal(l.rc, 0);
    assert_string_equal(text_at(l.tree.root, "b"), "one");
    assert_string_equal(text_at(l.tree.root, "d"), "two");
    done(&l);
}

static void test_merge_keys(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "x-defaults: &defaults\n"
             "  image: mysql:8\n"
             "  retain: 5\n"
             "  opts: {a: 1}\n"
             "db:\n"
             "  <<: *defaults\n"
             "  retain: 10\n"
             "early:\n"
             "  retain: 1\n"
             "  <<: *defaults\n"
             "redis:\n"
             "  <<: [*defaults, {extra: 1, retain: 99}]\n"
             "inline:\n"
             "  <<: {k: v}\n"
             "  z: 1\n");
    assert_int_equal(l.rc, 0);
    const struct kc_node *r = l.tree.root;
    const struct kc_node *db = kc_map_get(r, "db");
    assert_int_equal(db->npairs, 3);
    assert_string_equal(db->pairs[0].key, "retain");
    assert_string_equal(text_at(db, "retain"), "10");
    assert_string_equal(text_at(db, "image"), "mysql:8");
    assert_int_equal(kc_map_get(db, "opts")->type, KC_NODE_MAP);
    assert_null(kc_map_get(db, "<<"));
    /* explicit keys win wherever they are written (YAML merge spec) */
    assert_string_equal(text_at(kc_map_get(r, "early"), "retain"), "1");
    /* with a sequence, earlier sources win */
    const struct kc_node *redis = kc_map_get(r, "redis");
    assert_string_equal(text_at(redis, "retain"), "5");
    assert_string_equal(text_at(redis, "extra"), "1");
    assert_int_equal(redis->npairs, 4);
    const struct kc_node *in = kc_map_get(r, "inline");
    assert_string_equal(in->pairs[0].key, "z");
    assert_string_equal(text_at(in, "k"), "v");
    done(&l);
}

static void test_merge_nested_and_anchored_sources(void **state)
{
    (void)state;
    struct loaded l;
    /* a merged mapping that itself merges; an anchor defined inside a merge
     * value and used afterwards; a quoted "<<" is an ordinary key */
    load(&l, "base: &b {a: 1}\n"
             "mid: &m\n"
             "  <<: *b\n"
             "  c: 3\n"
             "top:\n"
             "  <<: [*m, &extra {d: 4}]\n"
             "again: *extra\n"
             "q:\n"
             "  \"<<\": literal\n");
    assert_int_equal(l.rc, 0);
    const struct kc_node *top = kc_map_get(l.tree.root, "top");
    assert_string_equal(text_at(top, "a"), "1");
    assert_string_equal(text_at(top, "c"), "3");
    assert_string_equal(text_at(top, "d"), "4");
    assert_string_equal(text_at(kc_map_get(l.tree.root, "again"), "d"), "4");
    assert_string_equal(text_at(kc_map_get(l.tree.root, "q"), "<<"), "literal");
    done(&l);
}

static void test_alias_errors(void **state)
{
    (void)state;
    expect_error("a: &x {b: *x}\n", 1, 11, "recursive alias 'x'");
    expect_error("a: &x\n  - 1\n  - *x\n", 3, 5, "recursive alias");
    expect_error("a: &x\n  <<: *x\n", 2, 7, "recursive alias");
    expect_error("a: 1\nb: *nope\n", 2, 4, "undefined alias 'nope'");
}

static void test_merge_errors(void **state)
{
    (void)state;
    expect_error("s: &s hi\nm:\n  <<: *s\n", 3, 7, "merge key '<<' needs a mapping");
    expect_error("m:\n  <<: 42\n", 2, 7, "not an integer");
    expect_error("a: &a {x: 1}\nm:\n  <<: [*a, plain]\n", 3, 12, "not a string");
    expect_error("m:\n  <<:\n", 2, 6, "not null");
}

static void test_duplicate_and_bad_keys(void **state)
{
    (void)state;
    expect_error("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key 'a' (first defined on line 1)");
    expect_error("x:\n  k: 1\n  k: 2\n", 3, 3, "duplicate key 'k'");
    expect_error("? [a, b]\n: 1\n", 1, 3, "mapping key must be a scalar");
    expect_error("a: &m {x: 1}\n*m : 2\n", 2, 1, "mapping key must be a scalar");
    /* an alias to a scalar is a fine key */
    struct loaded l;
    load(&l, "k: &k name\n*k : v\n");
    assert_int_equal(l.rc, 0);
    assert_string_equal(text_at(l.tree.root, "name"), "v");
    done(&l);
    /* an anchor on a key can be used as a value */
    load(&l, "&a app: 1\nname: *a\n");
    assert_int_equal(l.rc, 0);
    assert_string_equal(text_at(l.tree.root, "name"), "app");
    done(&l);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    /* a tab used as indentation */
    expect_error("a:\n\tb: 1\n", 2, 1, "found character that cannot start any token");
    expect_error("a: [1, 2\nb: 3\n", 2, 2,
                 "did not find expected ',' or ']' (while parsing a flow sequence at line 1 "
                 "column 4)");
    expect_error("a: \"abc\n", 2, 1, "while scanning a quoted scalar at line 1 column 4");
    expect_error("a: b: c\n", 1, 5, "mapping values are not allowed");
    expect_error("a: 1\nb: \xff\n", 2, 4, "invalid leading UTF-8 octet");
    expect_error("a: 1\n\x01\n", 2, 1, "control characters are not allowed");
    /* tabs inside values and before comments are fine */
    struct loaded l;
    load(&l, "a: \"x\ty\"\t# c\nb:\tz\n");
    assert_int_equal(l.rc, 0);
    assert_string_equal(text_at(l.tree.root, "a"), "x\ty");
    assert_string_equal(text_at(l.tree.root, "b"), "z");
    done(&l);
}

static void test_empty_and_multi_documents(void **state)
{
    (void)state;
    const char *empties[] = {"", "# only a comment\n", "---\n", "~\n", "--- \n...\n"};
    for (size_t i = 0; i < KC_ARRAY_LEN(empties); i++) {
        struct loaded l;
        load(&l, empties[i]);
        assert_int_equal(l.rc, 0);
        assert_null(l.tree.root);
        done(&l);
    }
    struct loaded l;
    load(&l, "a: 1\n---\nb: [\n");
    assert_int_equal(l.rc, 0);
    assert_string_equal(text_at(l.tree.root, "a"), "1");
    assert_null(kc_map_get(l.tree.root, "b"));
    done(&l);
    load(&l, "- a\n- b\n");
    assert_int_equal(l.rc, 0);
    assert_int_equal(l.tree.root->type, KC_NODE_SEQ);
    done(&l);
}

static void test_line_map(void **state)
{
    (void)state;
    /* ERB dropped source lines 2 and 3: output lines 1..3 are 1, 4, 5 */
    const int map[] = {1, 4, 5};
    struct loaded l;
    load_map(&l, "a: 1\nb: 2\nc: [\n", map, 3);
    assert_int_equal(l.rc, KC_ECONFIG);
    assert_int_equal(l.err.line, 6); /* end of stream: one past the last line */
    done(&l);
    load_map(&l, "a: 1\nb: 2\na: 3\n", map, 3);
    assert_int_equal(l.rc, KC_ECONFIG);
    assert_int_equal(l.err.line, 5);
    assert_non_null(strstr(l.err.msg, "first defined on line 1"));
    done(&l);
    load_map(&l, "a: 1\nb: 2\n", map, 3);
    assert_int_equal(l.rc, 0);
    assert_int_equal(kc_map_get(l.tree.root, "b")->mark.line, 4);
    done(&l);
}

static void test_billion_laughs_and_depth(void **state)
{
    (void)state;
    struct kc_buf b = KC_BUF_INIT;
    kc_buf_adds(&b, "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 9; i++)
        kc_buf_addf(&b, "l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n",
                    i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    struct loaded l;
    load(&l, b.data);
    assert_int_equal(l.rc, KC_ECONFIG);
    assert_non_null(strstr(l.err.msg, "too many nodes"));
    assert_true(l.err.line >= 6);
    done(&l);
    kc_buf_reset(&b);
    for (int i = 0; i < 600; i++)
        kc_buf_addc(&b, '[');
    load(&l, b.data);
    assert_int_equal(l.rc, KC_ECONFIG);
    assert_non_null(strstr(l.err.msg, "nesting deeper than"));
    done(&l);
    kc_buf_release(&b);
}

/* Found by tests/fuzz/fuzz_yaml: aliases and merge keys copied a deep
 * anchor under a deep node, so a few kilobytes of chained aliases built a
 * tree thousands of levels deep (past the nesting limit of the text). */
static void test_alias_depth_is_bounded(void **state)
{
    (void)state;
    struct kc_buf b = KC_BUF_INIT;
    struct loaded l;
    /* a0 is 300 levels deep; a1 puts a copy of it 300 levels down */
    for (int k = 0; k < 2; k++) {
        kc_buf_addf(&b, "a%d: &a%d ", k, k);
        for (int i = 0; i < 300; i++)
            kc_buf_addc(&b, '[');
        kc_buf_adds(&b, k ? "*a0" : "x");
        for (int i = 0; i < 300; i++)
            kc_buf_addc(&b, ']');
        kc_buf_addc(&b, '\n');
    }
    load(&l, b.data);
    assert_int_equal(l.rc, KC_ECONFIG);
    assert_non_null(strstr(l.err.msg, "nesting deeper than 512 levels (through an alias"));
    assert_int_equal(l.err.line, 2);
    done(&l);
    /* the same through a merge key */
    kc_buf_reset(&b);
    kc_buf_adds(&b, "base: &b\n  k: ");
    for (int i = 0; i < 300; i++)
        kc_buf_addc(&b, '[');
    for (int i = 0; i < 300; i++)
        kc_buf_addc(&b, ']');
    kc_buf_adds(&b, "\nx: ");
    for (int i = 0; i < 300; i++)
        kc_buf_adds(&b, "[");
    kc_buf_adds(&b, "{<<: *b}");
    for (int i = 0; i < 300; i++)
        kc_buf_adds(&b, "]");
    kc_buf_addc(&b, '\n');
    load(&l, b.data);
    assert_int_equal(l.rc, KC_ECONFIG);
    assert_non_null(strstr(l.err.msg, "nesting deeper than 512 levels (through an alias"));
    done(&l);
    /* shallow copies at any depth below the limit still load */
    load(&l, "a: &a {k: [1, {x: y}]}\nb: [[[[*a]]]]\nc: {<<: *a, z: 1}\n");
    assert_int_equal(l.rc, 0);
    done(&l);
    kc_buf_release(&b);
}

static void test_clone_and_construct(void **state)
{
    (void)state;
    struct kc_mark m = {NULL, 1, 1};
    struct kc_node *map = kc_node_new(KC_NODE_MAP, m);
    struct kc_node *seq = kc_node_new(KC_NODE_SEQ, m);
    kc_node_seq_push(seq, kc_node_new_scalar("a", 1, false, m));
    kc_node_seq_push(seq, kc_node_new(KC_NODE_NULL, m));
    kc_node_map_push(map, "list", m, seq);
    kc_node_map_push(map, "q", m, kc_node_new_scalar("yes", 3, true, m));
    struct kc_node *c = kc_node_clone(map);
    assert_ptr_not_equal(c, map);
    assert_int_equal(kc_map_get(c, "list")->n, 2);
    assert_string_equal(text_at(c, "q"), "yes");
    assert_true(kc_map_get(c, "q")->quoted);
    assert_null(kc_node_clone(NULL));
    kc_node_free(map);
    kc_node_free(c);
    kc_node_free(NULL);
    kc_tree_release(NULL);
}

static struct kc_node *parse_root(const char *text, struct kc_tree *t)
{
    struct kc_err e = KC_ERR_INIT;
    assert_int_equal(kc_yaml_load(text, strlen(text), "x.yml", NULL, 0, t, &e), 0);
    kc_err_release(&e);
    struct kc_node *r = t->root;
    t->root = NULL;
    return r;
}

static void test_deep_merge(void **state)
{
    (void)state;
    struct kc_tree t = KC_TREE_INIT;
    struct kc_node *base = parse_root("service: app\n"
                                      "env:\n"
                                      "  clear: {A: 1, B: 2}\n"
                                      "  secret: [X]\n"
                                      "servers: [a, b]\n"
                                      "image: x\n",
                                      &t);
    struct kc_node *over = parse_root("env:\n"
                                      "  clear: {B: 3, C: 4}\n"
                                      "  secret: [Y]\n"
                                      "servers: [c]\n"
                                      "image: {nested: 1}\n"
                                      "new: v\n",
                                      &t);
    kc_node_deep_merge(&base, over);
    const struct kc_node *clear = kc_map_get(kc_map_get(base, "env"), "clear");
    assert_int_equal(clear->npairs, 3);
    assert_string_equal(clear->pairs[0].key, "A");
    assert_string_equal(text_at(clear, "B"), "3");
    assert_string_equal(text_at(clear, "C"), "4");
    const struct kc_node *secret = kc_map_get(kc_map_get(base, "env"), "secret");
    assert_int_equal(secret->n, 1);
    assert_string_equal(kc_node_text(secret->items[0]), "Y");
    assert_int_equal(kc_map_get(base, "servers")->n, 1);
    assert_int_equal(kc_map_get(base, "image")->type, KC_NODE_MAP);
    assert_string_equal(base->pairs[base->npairs - 1].key, "new");
    kc_node_deep_merge(&base, NULL);
    assert_string_equal(text_at(base, "service"), "app");
    struct kc_node *none = NULL;
    kc_node_deep_merge(&none, base);
    assert_ptr_equal(none, base);
    kc_node_free(none);
    kc_tree_release(&t);
}

static void test_tree_merge_keeps_marks(void **state)
{
    (void)state;
    struct kc_tree base = KC_TREE_INIT, dest = KC_TREE_INIT;
    struct kc_err e = KC_ERR_INIT;
    const char *a = "service: app\nenv: {clear: {A: 1}}\n";
    const char *b = "env:\n  clear:\n    A: 2\n";
    assert_int_equal(kc_yaml_load(a, strlen(a), "config/deploy.yml", NULL, 0, &base, &e), 0);
    assert_int_equal(kc_yaml_load(b, strlen(b), "config/deploy.staging.yml", NULL, 0, &dest, &e),
                     0);
    kc_tree_merge(&base, &dest);
    kc_tree_release(&dest);
    const struct kc_node *v = kc_map_get(kc_map_get(kc_map_get(base.root, "env"), "clear"), "A");
    assert_string_equal(v->mark.file, "config/deploy.staging.yml");
    assert_int_equal(v->mark.line, 3);
    assert_string_equal(kc_map_get(base.root, "service")->mark.file, "config/deploy.yml");
    kc_tree_release(&base);
    kc_err_release(&e);
}

/* Same shape, same kinds, same text. */
static void assert_same(const struct kc_node *a, const struct kc_node *b)
{
    assert_string_equal(kc_node_kind(a), kc_node_kind(b));
    if (kc_node_is_null(a))
        return;
    if (a->type == KC_NODE_SCALAR) {
        assert_string_equal(kc_node_text(a), kc_node_text(b));
        return;
    }
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        assert_same(a->items[i], b->items[i]);
    assert_int_equal(a->npairs, b->npairs);
    for (size_t i = 0; i < a->npairs; i++) {
        assert_string_equal(a->pairs[i].key, b->pairs[i].key);
        assert_same(a->pairs[i].value, b->pairs[i].value);
    }
}

static void test_to_yaml_round_trip(void **state)
{
    (void)state;
    const char *src = "service: myapp\n"
                      "strings: [\"yes\", \"\", \"a: b\", \" lead\", \"x #y\", \"1.5\", \"0x1F\", "
                      "\"~\", \"null\", \"- x\", \"@foo\", \"key:\", \"it's\", \"q\\\"uote\", "
                      "\"back\\\\slash\", \"tab\\there\", \"caf\\u00e9\", \"*star\", \"&amp\", "
                      "\"!bang\", \"%pct\", \"2024-01-01\", \"<<\", \"n\", \"[x]\", \"{y}\"]\n"
                      "typed: [yes, off, 42, -1, 0x1F, 1.5, ~]\n"
                      "multi: |\n  line1\n  line2\n"
                      "empty_map: {}\n"
                      "empty_seq: []\n"
                      "\"quoted key: x\": 1\n"
                      "\"yes\": quoted-bool-key\n"
                      "nested:\n"
                      "  - a: 1\n"
                      "    b: [x, y]\n"
                      "  - - p\n"
                      "    - q\n"
                      "  - {}\n"
                      "  -\n"
                      "deep: {a: {b: {c: [1, {d: e}]}}}\n";
    struct loaded l1, l2;
    load(&l1, src);
    assert_int_equal(l1.rc, 0);
    struct kc_buf out = KC_BUF_INIT;
    kc_node_to_yaml(l1.tree.root, &out);
    load(&l2, out.data);
    if (l2.rc)
        fail_msg("re-parse failed: %s\n%s", l2.err.msg, out.data);
    assert_same(l1.tree.root, l2.tree.root);
    done(&l1);
    done(&l2);
    kc_buf_release(&out);
}

static void test_to_yaml_exact(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "service: app\nflag: yes\nlist: [a, \"on\", 3]\nmap: {k: v}\nnone:\n"
             "seqmap:\n  - name: x\n    port: 80\n");
    assert_int_equal(l.rc, 0);
    struct kc_buf out = KC_BUF_INIT;
    kc_node_to_yaml(l.tree.root, &out);
    assert_string_equal(out.data, "service: app\n"
                                  "flag: true\n"
                                  "list:\n"
                                  "  - a\n"
                                  "  - \"on\"\n"
                                  "  - 3\n"
                                  "map:\n"
                                  "  k: v\n"
                                  "none:\n"
                                  "seqmap:\n"
                                  "  - name: x\n"
                                  "    port: 80\n");
    kc_buf_reset(&out);
    kc_node_to_yaml(NULL, &out);
    assert_string_equal(out.data, "null\n");
    kc_buf_release(&out);
    done(&l);
}

/* Found by tests/fuzz/fuzz_yaml: C1 controls were emitted raw (libyaml
 * refuses to read them back) and NEL/LS/PS raw (a reader folds them). */
static void test_to_yaml_escapes_unprintable(void **state)
{
    (void)state;
    struct loaded l1, l2;
    load(&l1, "a: \"\\u0080 \\u0085 \\u2028 \\u2029 \\uFEFF caf\\u00e9 \\U0001F600\"\n");
    assert_int_equal(l1.rc, 0);
    struct kc_buf out = KC_BUF_INIT;
    kc_node_to_yaml(l1.tree.root, &out);
    assert_string_equal(out.data, "a: \"\\u0080 \\u0085 \\u2028 \\u2029 \\ufeff caf\xc3\xa9 "
                                  "\xf0\x9f\x98\x80\"\n");
    load(&l2, out.data);
    if (l2.rc)
        fail_msg("re-parse failed: %s\n%s", l2.err.msg, out.data);
    assert_string_equal(text_at(l1.tree.root, "a"), text_at(l2.tree.root, "a"));
    done(&l1);
    done(&l2);
    kc_buf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_typing),
        cmocka_unit_test(test_marks_and_lookup),
        cmocka_unit_test(test_aliases_are_copies),
        cmocka_unit_test(test_merge_keys),
        cmocka_unit_test(test_merge_nested_and_anchored_sources),
        cmocka_unit_test(test_alias_errors),
        cmocka_unit_test(test_merge_errors),
        cmocka_unit_test(test_duplicate_and_bad_keys),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_empty_and_multi_documents),
        cmocka_unit_test(test_line_map),
        cmocka_unit_test(test_billion_laughs_and_depth),
        cmocka_unit_test(test_alias_depth_is_bounded),
        cmocka_unit_test(test_clone_and_construct),
        cmocka_unit_test(test_deep_merge),
        cmocka_unit_test(test_tree_merge_keeps_marks),
        cmocka_unit_test(test_to_yaml_round_trip),
        cmocka_unit_test(test_to_yaml_exact),
        cmocka_unit_test(test_to_yaml_escapes_unprintable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
