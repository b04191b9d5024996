/* fuzz_yaml.c - YAML text through kc_yaml_load (anchors, aliases, merge
 * keys, duplicate and recursion checks, the node budget), then the emitter.
 * layer: kc_config
 *
 * Round trip: whatever loads is emitted with kc_node_to_yaml (what
 * `kamal-c config` prints), and that text must load again and emit the same
 * text again (the emitter may normalise, e.g. yes -> true, but only once).
 * The tree also goes through the typing helpers, clone and deep merge. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/node.h"

static void fail(const char *what, const char *a, const char *b, const struct kc_err *err)
{
    fprintf(stderr, "fuzz_yaml: %s\n--- first ---\n%s\n--- second ---\n%s\n", what, a, b);
    if (err && err->msg)
        fprintf(stderr, "error: %d:%d: %s\n", err->line, err->col, err->msg);
    abort();
}

static void walk(const struct kc_node *n)
{
    if (n == NULL)
        return;
    bool b;
    long l;
    kc_node_kind(n);
    kc_node_text(n);
    kc_node_bool(n, &b);
    kc_node_long(n, &l);
    for (size_t i = 0; i < n->n; i++)
        walk(n->items[i]);
    for (size_t i = 0; i < n->npairs; i++) {
        if (kc_map_get(n, n->pairs[i].key) == NULL)
            fail("a key of a mapping is not found in it", n->pairs[i].key, "", NULL);
        walk(n->pairs[i].value);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the loader gets NUL-terminated text, as kc_buf_str gives it */
    char *text = kc_xstrndup((const char *)data, size);
    struct kc_tree tree = KC_TREE_INIT, again = KC_TREE_INIT;
    struct kc_err err = KC_ERR_INIT;
    struct kc_buf first = KC_BUF_INIT, second = KC_BUF_INIT;
    int rc = kc_yaml_load(text, size, "fuzz.yml", NULL, 0, &tree, &err);
    if (rc == 0) {
        walk(tree.root);
        kc_node_to_yaml(tree.root, &first);
        if (kc_yaml_load(kc_buf_str(&first), first.len, "again.yml", NULL, 0, &again, &err) != 0)
            fail("the emitted YAML does not load", text, kc_buf_str(&first), &err);
        kc_node_to_yaml(again.root, &second);
        if (first.len != second.len || memcmp(first.data, second.data, first.len) != 0)
            fail("emitting the reloaded tree gives other text", kc_buf_str(&first),
                 kc_buf_str(&second), NULL);
        /* deep merge over a copy (a destination file over deploy.yml) */
        struct kc_node *base = kc_node_clone(tree.root);
        kc_node_deep_merge(&base, kc_node_clone(again.root));
        kc_node_free(base);
    } else if (rc != KC_ECONFIG || err.msg == NULL) {
        fail("load failed without a message", text, "", NULL);
    }
    kc_err_release(&err);
    kc_buf_release(&first);
    kc_buf_release(&second);
    kc_tree_release(&tree);
    kc_tree_release(&again);
    free(text);
    return 0;
}
