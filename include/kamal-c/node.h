/* node.h - the configuration tree: YAML after ERB, anchors, aliases and merge
 * keys are resolved, with the file:line:col of every node kept for errors.
 *
 * A tree owns all its nodes and the names of the files they came from; nodes
 * point at those names through their mark. Scalars stay untyped text (YAML 1.1
 * typing happens on demand, the way Psych would resolve a plain scalar), with
 * a flag that tells plain scalars from quoted ones: a quoted "yes" is a
 * string, a plain yes is a boolean. */
#ifndef KAMAL_C_NODE_H
#define KAMAL_C_NODE_H

#include "err.h"
#include "util.h"

enum kc_node_type {
    KC_NODE_NULL,   /* an empty value, ~ or null */
    KC_NODE_SCALAR, /* text; see kc_node_bool / kc_node_long for typing */
    KC_NODE_SEQ,
    KC_NODE_MAP,
};

struct kc_mark {
    const char *file; /* owned by the tree (struct kc_tree.files) */
    int line;         /* 1-based */
    int col;          /* 1-based */
};

struct kc_node;

struct kc_pair {
    char *key; /* map keys are scalars; anything else is a load error */
    struct kc_mark key_mark;
    struct kc_node *value;
};

struct kc_node {
    enum kc_node_type type;
    struct kc_mark mark;
    /* KC_NODE_SCALAR */
    char *str;
    size_t len;
    bool quoted; /* single, double, literal or folded style */
    /* KC_NODE_SEQ */
    struct kc_node **items;
    size_t n;
    /* KC_NODE_MAP, in file order (duplicates are rejected at load) */
    struct kc_pair *pairs;
    size_t npairs;
    size_t cap;
};

struct kc_tree {
    struct kc_node *root; /* NULL for an empty document */
    struct kc_strvec files;
};
#define KC_TREE_INIT {NULL, KC_STRVEC_INIT}

/* Construction (used by the loader, the merge and tests). */
struct kc_node *kc_node_new(enum kc_node_type type, struct kc_mark mark);
struct kc_node *kc_node_new_scalar(const char *s, size_t len, bool quoted, struct kc_mark mark);
void kc_node_seq_push(struct kc_node *seq, struct kc_node *item);
/* Appends key -> value (value owned by the map from now on). */
void kc_node_map_push(struct kc_node *map, const char *key, struct kc_mark key_mark,
                      struct kc_node *value);
struct kc_node *kc_node_clone(const struct kc_node *n);
void kc_node_free(struct kc_node *n);

/* Interns a file name in the tree and returns the stable pointer for marks. */
const char *kc_tree_file(struct kc_tree *t, const char *path);
void kc_tree_release(struct kc_tree *t);
/* Deep-merges overlay's root into base's (kc_node_deep_merge) and moves
 * overlay's file names into base so the merged marks stay valid; overlay is
 * left empty. This is how deploy.DEST.yml is laid over deploy.yml. */
void kc_tree_merge(struct kc_tree *base, struct kc_tree *overlay);

/* Lookup. */
struct kc_node *kc_map_get(const struct kc_node *map, const char *key);
const struct kc_pair *kc_map_pair(const struct kc_node *map, const char *key);

/* YAML 1.1 typing of scalars, as Psych resolves plain scalars. */
bool kc_node_is_null(const struct kc_node *n); /* NULL pointer, KC_NODE_NULL, plain ~/null */
bool kc_node_is_scalar(const struct kc_node *n);
/* true/false/yes/no/on/off (plain only, any of Psych's spellings). */
bool kc_node_bool(const struct kc_node *n, bool *out);
/* A plain decimal integer. */
bool kc_node_long(const struct kc_node *n, long *out);
/* The text a string-typed key gets: the scalar as written, with plain
 * booleans normalised to "true"/"false" as Ruby's to_s would print them.
 * NULL for non-scalars. Points into the node or a static string. */
const char *kc_node_text(const struct kc_node *n);
/* "a mapping", "a sequence", "a string", "an integer", "a float", "a boolean",
 * "null". */
const char *kc_node_kind(const struct kc_node *n);

/* The same rules on raw plain text: Psych's null (empty, ~, null in any case)
 * and booleans (yes/true/on, no/false/off in any case; 1, 0 or -1 for
 * "not a boolean"). */
bool kc_yaml_plain_is_null(const char *s);
int kc_yaml_plain_bool(const char *s);

/* Structural equality (Ruby's Hash#==): scalars by their text, mappings
 * regardless of key order; null equals only null. */
bool kc_node_equal(const struct kc_node *a, const struct kc_node *b);

/* ActiveSupport deep_merge!: mappings merge key by key recursively; any other
 * value in overlay replaces the one in base. Consumes overlay. */
void kc_node_deep_merge(struct kc_node **base, struct kc_node *overlay);

/* Parse YAML text (already ERB-rendered) into a tree, resolving anchors,
 * aliases (with a cycle check and an expansion budget) and << merge keys, and
 * rejecting duplicate keys and non-scalar keys. line_map, when not NULL, maps
 * a 1-based line of text to the line of the original file (ERB trimming can
 * remove lines); nlines is its length. Returns 0 or KC_ECONFIG with
 * file:line:col in err. Only the first document of a stream is used. */
int kc_yaml_load(const char *text, size_t len, const char *file, const int *line_map,
                 size_t nlines, struct kc_tree *tree, struct kc_err *err);

/* Emit a node as YAML (block style, strings quoted when needed) or JSON. */
void kc_node_to_yaml(const struct kc_node *n, struct kc_buf *out);

#endif
