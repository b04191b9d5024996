/* yaml.c - YAML text -> owned kc_node tree.
 *
 * Built on libyaml's event API rather than its document API: the document API
 * resolves an alias by sharing the node, so it can no longer say where the
 * alias was written, and it forgets whether a plain scalar carried an explicit
 * tag. Here the tree is composed from events directly:
 *   - an anchor records the node being built; an alias clones it (so the tree
 *     stays a tree). An alias to a node still being built is a recursive
 *     alias; every node created, clones included, counts against a budget so
 *     "billion laughs" input fails fast instead of eating memory;
 *   - a plain, untagged `<<` key merges a mapping or a sequence of mappings
 *     into its mapping when the mapping ends (YAML 1.1 merge spec: explicit
 *     keys win, earlier sources win);
 *   - duplicate keys and non-scalar keys are errors (libyaml accepts both).
 * libyaml marks are 0-based; kc_mark and kc_err are 1-based. */
#include "kamal-c/node.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define KC_YAML_MAX_NODES 1000000
#define KC_YAML_MAX_DEPTH 512

struct anchor {
    char *name;
    struct kc_node *node;
    bool building; /* its collection has started but not ended */
};

/* Open-addressing set of strings (borrowed), for duplicate and merge checks. */
struct strset {
    const char **slot;
    size_t *idx; /* the pair index stored with each key */
    size_t cap;
};

struct loader {
    yaml_parser_t parser;
    const char *text;
    const char *file; /* interned in the tree */
    const int *line_map;
    size_t nlines;
    struct anchor *anchors;
    size_t nanchors, anchors_cap;
    /* merge sources written inline, kept alive until the end because an
     * anchor may point into them */
    struct kc_node **graveyard;
    size_t ngrave, grave_cap;
    size_t nodes; /* created so far, clones included */
    struct kc_err *err;
};

struct merge_src {
    struct kc_node **v; /* mappings to merge, in order (borrowed) */
    size_t n, cap;
};

/* ---- locations and errors ---- */

static int map_line(const struct loader *ld, size_t line0)
{
    size_t line = line0 + 1;
    if (ld->line_map == NULL || ld->nlines == 0)
        return (int)line;
    if (line <= ld->nlines)
        return ld->line_map[line - 1];
    return ld->line_map[ld->nlines - 1] + (int)(line - ld->nlines);
}

static struct kc_mark mark_of(const struct loader *ld, yaml_mark_t m)
{
    struct kc_mark k = {ld->file, map_line(ld, m.line), (int)m.column + 1};
    return k;
}

static int fail_at(struct loader *ld, struct kc_mark m, const char *fmt, ...) KC_PRINTF(3, 4);

static int fail_at(struct loader *ld, struct kc_mark m, const char *fmt, ...)
{
    if (ld->err == NULL)
        return KC_ECONFIG;
    va_list ap;
    va_start(ap, fmt);
    char *msg = kc_xvasprintf(fmt, ap);
    va_end(ap);
    kc_err_at(ld->err, KC_ECONFIG, m.file, m.line, m.col, "%s", msg);
    free(msg);
    return KC_ECONFIG;
}

/* The reader reports a byte offset, not a mark: count lines up to it. */
static yaml_mark_t offset_mark(const struct loader *ld, size_t offset)
{
    yaml_mark_t m = {offset, 0, 0};
    for (size_t i = 0; i < offset && ld->text[i]; i++) {
        if (ld->text[i] == '\n') {
            m.line++;
            m.column = 0;
        } else {
            m.column++;
        }
    }
    return m;
}

static int parser_error(struct loader *ld)
{
    yaml_parser_t *p = &ld->parser;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_MEMORY_ERROR)
        return fail_at(ld, mark_of(ld, p->problem_mark), "out of memory while parsing YAML");
    if (p->error == YAML_READER_ERROR) {
        struct kc_mark m = mark_of(ld, offset_mark(ld, p->problem_offset));
        if (p->problem_value != -1)
            return fail_at(ld, m, "%s (byte 0x%02x)", problem, (unsigned)p->problem_value);
        return fail_at(ld, m, "%s", problem);
    }
    struct kc_mark m = mark_of(ld, p->problem_mark);
    if (p->context) {
        struct kc_mark c = mark_of(ld, p->context_mark);
        return fail_at(ld, m, "%s (%s at line %d column %d)", problem, p->context, c.line, c.col);
    }
    return fail_at(ld, m, "%s", problem);
}

static int next_event(struct loader *ld, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&ld->parser, ev))
        return parser_error(ld);
    return 0;
}

/* ---- anchors, budget, graveyard ---- */

/* Counts the nodes of n and finds its height (1 for a leaf). */
static size_t count_nodes_height(const struct kc_node *n, int *height)
{
    size_t c = 1;
    int h = 0, sub;
    for (size_t i = 0; i < n->n; i++) {
        c += count_nodes_height(n->items[i], &sub);
        h = sub > h ? sub : h;
    }
    for (size_t i = 0; i < n->npairs; i++) {
        c += count_nodes_height(n->pairs[i].value, &sub);
        h = sub > h ? sub : h;
    }
    *height = h + 1;
    return c;
}

static int spend(struct loader *ld, size_t n, struct kc_mark m)
{
    if (n > KC_YAML_MAX_NODES - ld->nodes)
        return fail_at(ld, m, "too many nodes after alias expansion (limit %d)", KC_YAML_MAX_NODES);
    ld->nodes += n;
    return 0;
}

/* Charges the copy of n (an alias, a merged value) placed at depth against
 * the budget, and against the nesting limit: a copy of a deep anchor placed
 * deep would otherwise nest past KC_YAML_MAX_DEPTH, and chained aliases
 * could build a tree thousands of levels deep from a few kilobytes, deeper
 * than the recursive clone, free, validation and emitter want, and deeper
 * than the emitted YAML could load again (found by tests/fuzz/fuzz_yaml). */
static int spend_copy(struct loader *ld, const struct kc_node *n, int depth, struct kc_mark m)
{
    int height;
    size_t count = count_nodes_height(n, &height);
    if (depth + height - 1 > KC_YAML_MAX_DEPTH)
        return fail_at(ld, m, "nesting deeper than %d levels (through an alias or merge key)",
                       KC_YAML_MAX_DEPTH);
    return spend(ld, count, m);
}

static struct anchor *anchor_add(struct loader *ld, const yaml_char_t *name, struct kc_node *node,
                                 bool building)
{
    kc_xgrow((void **)&ld->anchors, &ld->anchors_cap, ld->nanchors + 1, sizeof *ld->anchors);
    struct anchor *a = &ld->anchors[ld->nanchors++];
    a->name = kc_xstrdup((const char *)name);
    a->node = node;
    a->building = building;
    return a;
}

/* The latest definition of a name wins, as anchors may be redefined. */
static struct anchor *anchor_find(struct loader *ld, const char *name)
{
    for (size_t i = ld->nanchors; i-- > 0;)
        if (strcmp(ld->anchors[i].name, name) == 0)
            return &ld->anchors[i];
    return NULL;
}

/* Resolves an alias event to the anchored node (borrowed). */
static int alias_target(struct loader *ld, const yaml_event_t *ev, struct kc_node **out)
{
    const char *name = (const char *)ev->data.alias.anchor;
    struct kc_mark m = mark_of(ld, ev->start_mark);
    struct anchor *a = anchor_find(ld, name);
    if (a == NULL)
        return fail_at(ld, m, "found undefined alias '%s'", name);
    if (a->building)
        return fail_at(ld, m, "recursive alias '%s'", name);
    *out = a->node;
    return 0;
}

static void bury(struct loader *ld, struct kc_node *n)
{
    kc_xgrow((void **)&ld->graveyard, &ld->grave_cap, ld->ngrave + 1, sizeof *ld->graveyard);
    ld->graveyard[ld->ngrave++] = n;
}

/* ---- string set ---- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void strset_init(struct strset *s, size_t expect)
{
    s->cap = 16;
    while (s->cap < expect * 2)
        s->cap *= 2;
    s->slot = kc_xcalloc(s->cap, sizeof *s->slot);
    s->idx = kc_xcalloc(s->cap, sizeof *s->idx);
}

static void strset_release(struct strset *s)
{
    free(s->slot);
    free(s->idx);
}

/* Inserts key with idx; returns false (and *had = existing idx) if present.
 * Sized by the caller so that it never fills up. */
static bool strset_add(struct strset *s, const char *key, size_t idx, size_t *had)
{
    size_t i = (size_t)hash_str(key) & (s->cap - 1);
    while (s->slot[i]) {
        if (strcmp(s->slot[i], key) == 0) {
            if (had)
                *had = s->idx[i];
            return false;
        }
        i = (i + 1) & (s->cap - 1);
    }
    s->slot[i] = key;
    s->idx[i] = idx;
    return true;
}

/* ---- composing ---- */

static int parse_node(struct loader *ld, yaml_event_t *ev, int depth, struct kc_node **out);

/* A plain scalar without an explicit tag is resolved by YAML 1.1 rules;
 * anything quoted or tagged (`!!str yes`) stays a string. */
static struct kc_node *scalar_node(struct loader *ld, const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.plain_implicit;
    struct kc_mark m = mark_of(ld, ev->start_mark);
    if (plain && kc_yaml_plain_is_null(s))
        return kc_node_new(KC_NODE_NULL, m);
    return kc_node_new_scalar(s, len, !plain, m);
}

static int parse_seq(struct loader *ld, yaml_event_t *start, int depth, struct kc_node **out)
{
    struct kc_node *seq = kc_node_new(KC_NODE_SEQ, mark_of(ld, start->start_mark));
    size_t ai = 0;
    bool anchored = start->data.sequence_start.anchor != NULL;
    if (anchored)
        ai = (size_t)(anchor_add(ld, start->data.sequence_start.anchor, seq, true) - ld->anchors);
    yaml_event_delete(start);
    int rc = 0;
    for (;;) {
        yaml_event_t ev;
        if ((rc = next_event(ld, &ev)))
            break;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        struct kc_node *item = NULL;
        if ((rc = parse_node(ld, &ev, depth + 1, &item)))
            break;
        kc_node_seq_push(seq, item);
    }
    if (rc) {
        kc_node_free(seq);
        return rc;
    }
    if (anchored)
        ld->anchors[ai].building = false; /* by index: the array may have moved */
    *out = seq;
    return 0;
}

/* Reads a mapping key: a scalar, or an alias to one. */
static int parse_key(struct loader *ld, yaml_event_t *ev, char **key, struct kc_mark *km,
                     bool *is_merge)
{
    *km = mark_of(ld, ev->start_mark);
    *is_merge = false;
    int rc = 0;
    if (ev->type == YAML_SCALAR_EVENT) {
        const char *s = (const char *)ev->data.scalar.value;
        bool plain =
            ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.plain_implicit;
        if (plain && kc_yaml_plain_is_null(s) && *s == '\0')
            rc = fail_at(ld, *km, "mapping key is empty");
        else if (strlen(s) != ev->data.scalar.length)
            rc = fail_at(ld, *km, "mapping key contains a NUL character");
        else {
            *key = kc_xstrdup(s);
            *is_merge = plain && strcmp(s, "<<") == 0;
        }
        if (rc == 0 && ev->data.scalar.anchor) {
            /* an anchored key can be aliased later: keep a node for it */
            struct kc_node *n = scalar_node(ld, ev);
            bury(ld, n);
            anchor_add(ld, ev->data.scalar.anchor, n, false);
        }
    } else if (ev->type == YAML_ALIAS_EVENT) {
        struct kc_node *t;
        rc = alias_target(ld, ev, &t);
        if (rc == 0 && t->type != KC_NODE_SCALAR)
            rc = fail_at(ld, *km, "mapping key must be a scalar, alias '%s' is %s",
                         (const char *)ev->data.alias.anchor, kc_node_kind(t));
        if (rc == 0)
            *key = kc_xstrdup(t->str);
    } else {
        rc = fail_at(ld, *km, "mapping key must be a scalar, not a %s",
                     ev->type == YAML_MAPPING_START_EVENT ? "mapping" : "sequence");
    }
    yaml_event_delete(ev);
    return rc;
}

static void merge_push(struct merge_src *ms, struct kc_node *n)
{
    kc_xgrow((void **)&ms->v, &ms->cap, ms->n + 1, sizeof *ms->v);
    ms->v[ms->n++] = n;
}

static int not_mergeable(struct loader *ld, const struct kc_node *n, struct kc_mark m)
{
    return fail_at(ld, m, "merge key '<<' needs a mapping or a sequence of mappings, not %s",
                   kc_node_kind(n));
}

/* The value of a `<<` key: an alias (used in place), or an inline mapping or
 * sequence of mappings (kept in the graveyard until the end). */
static int parse_merge_value(struct loader *ld, yaml_event_t *ev, int depth, struct merge_src *ms)
{
    struct kc_mark m = mark_of(ld, ev->start_mark);
    struct kc_node *v = NULL;
    int rc;
    if (ev->type == YAML_ALIAS_EVENT) {
        rc = alias_target(ld, ev, &v);
        yaml_event_delete(ev);
        if (rc)
            return rc;
        if (v->type == KC_NODE_MAP) {
            merge_push(ms, v);
            return 0;
        }
        if (v->type != KC_NODE_SEQ)
            return not_mergeable(ld, v, m);
    } else {
        if ((rc = parse_node(ld, ev, depth, &v)))
            return rc;
        bury(ld, v);
        if (v->type == KC_NODE_MAP) {
            merge_push(ms, v);
            return 0;
        }
        if (v->type != KC_NODE_SEQ)
            return not_mergeable(ld, v, m);
    }
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i]->type != KC_NODE_MAP)
            return not_mergeable(ld, v->items[i], v->items[i]->mark);
        merge_push(ms, v->items[i]);
    }
    return 0;
}

static int check_duplicates(struct loader *ld, const struct kc_node *map)
{
    struct strset set;
    strset_init(&set, map->npairs);
    int rc = 0;
    for (size_t i = 0; i < map->npairs && rc == 0; i++) {
        size_t first;
        const struct kc_pair *p = &map->pairs[i];
        if (!strset_add(&set, p->key, i, &first))
            rc = fail_at(ld, p->key_mark, "duplicate key '%s' (first defined on line %d)", p->key,
                         map->pairs[first].key_mark.line);
    }
    strset_release(&set);
    return rc;
}

/* Appends the pairs of each source whose key is not yet in map. */
static int apply_merges(struct loader *ld, struct kc_node *map, int depth,
                        const struct merge_src *ms, struct kc_mark at)
{
    size_t total = map->npairs;
    for (size_t i = 0; i < ms->n; i++)
        total += ms->v[i]->npairs;
    struct strset set;
    strset_init(&set, total);
    for (size_t i = 0; i < map->npairs; i++)
        strset_add(&set, map->pairs[i].key, i, NULL);
    int rc = 0;
    for (size_t i = 0; i < ms->n && rc == 0; i++) {
        const struct kc_node *src = ms->v[i];
        for (size_t j = 0; j < src->npairs && rc == 0; j++) {
            const struct kc_pair *p = &src->pairs[j];
            if (!strset_add(&set, p->key, 0, NULL))
                continue;
            if ((rc = spend_copy(ld, p->value, depth + 1, at)))
                break;
            /* the set borrows p->key: sources outlive it */
            kc_node_map_push(map, p->key, p->key_mark, kc_node_clone(p->value));
        }
    }
    strset_release(&set);
    return rc;
}

static int parse_map(struct loader *ld, yaml_event_t *start, int depth, struct kc_node **out)
{
    struct kc_mark mm = mark_of(ld, start->start_mark);
    struct kc_node *map = kc_node_new(KC_NODE_MAP, mm);
    size_t ai = 0;
    bool anchored = start->data.mapping_start.anchor != NULL;
    if (anchored)
        ai = (size_t)(anchor_add(ld, start->data.mapping_start.anchor, map, true) - ld->anchors);
    yaml_event_delete(start);
    struct merge_src ms = {NULL, 0, 0};
    int rc = 0;
    for (;;) {
        yaml_event_t ev;
        if ((rc = next_event(ld, &ev)))
            break;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        char *key = NULL;
        struct kc_mark km;
        bool is_merge;
        if ((rc = parse_key(ld, &ev, &key, &km, &is_merge)))
            break;
        if ((rc = next_event(ld, &ev))) {
            free(key);
            break;
        }
        if (is_merge) {
            free(key);
            if ((rc = parse_merge_value(ld, &ev, depth + 1, &ms)))
                break;
            continue;
        }
        struct kc_node *value = NULL;
        if ((rc = parse_node(ld, &ev, depth + 1, &value))) {
            free(key);
            break;
        }
        kc_node_map_push(map, key, km, value);
        free(key);
    }
    if (rc == 0)
        rc = check_duplicates(ld, map);
    if (rc == 0 && ms.n)
        rc = apply_merges(ld, map, depth, &ms, mm);
    free(ms.v);
    if (rc) {
        kc_node_free(map);
        return rc;
    }
    if (anchored)
        ld->anchors[ai].building = false;
    *out = map;
    return 0;
}

/* Composes the node that starts with *ev (consumed). */
static int parse_node(struct loader *ld, yaml_event_t *ev, int depth, struct kc_node **out)
{
    struct kc_mark m = mark_of(ld, ev->start_mark);
    int rc;
    if (depth > KC_YAML_MAX_DEPTH) {
        yaml_event_delete(ev);
        return fail_at(ld, m, "nesting deeper than %d levels", KC_YAML_MAX_DEPTH);
    }
    if (ev->type == YAML_ALIAS_EVENT) {
        struct kc_node *t;
        rc = alias_target(ld, ev, &t);
        yaml_event_delete(ev);
        if (rc == 0)
            rc = spend_copy(ld, t, depth, m);
        if (rc == 0)
            *out = kc_node_clone(t);
        return rc;
    }
    if ((rc = spend(ld, 1, m))) {
        yaml_event_delete(ev);
        return rc;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        *out = scalar_node(ld, ev);
        if (ev->data.scalar.anchor)
            anchor_add(ld, ev->data.scalar.anchor, *out, false);
        yaml_event_delete(ev);
        return 0;
    case YAML_SEQUENCE_START_EVENT:
        return parse_seq(ld, ev, depth, out);
    case YAML_MAPPING_START_EVENT:
        return parse_map(ld, ev, depth, out);
    default:
        yaml_event_delete(ev);
        return fail_at(ld, m, "unexpected YAML event %d", (int)ev->type);
    }
}

/* Skips stream and document starts; *root stays NULL for an empty stream. */
static int parse_document(struct loader *ld, struct kc_node **root)
{
    yaml_event_t ev;
    int rc;
    *root = NULL;
    for (;;) {
        if ((rc = next_event(ld, &ev)))
            return rc;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        return parse_node(ld, &ev, 0, root);
    }
}

static void loader_release(struct loader *ld)
{
    yaml_parser_delete(&ld->parser);
    for (size_t i = 0; i < ld->nanchors; i++)
        free(ld->anchors[i].name);
    free(ld->anchors);
    for (size_t i = 0; i < ld->ngrave; i++)
        kc_node_free(ld->graveyard[i]);
    free(ld->graveyard);
}

int kc_yaml_load(const char *text, size_t len, const char *file, const int *line_map, size_t nlines,
                 struct kc_tree *tree, struct kc_err *err)
{
    struct loader ld;
    memset(&ld, 0, sizeof ld);
    ld.text = text;
    ld.file = kc_tree_file(tree, file);
    ld.line_map = line_map;
    ld.nlines = nlines;
    ld.err = err;
    if (!yaml_parser_initialize(&ld.parser))
        return kc_err_set(err, KC_ECONFIG, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&ld.parser, (const unsigned char *)text, len);
    struct kc_node *root = NULL;
    int rc = parse_document(&ld, &root);
    loader_release(&ld);
    if (rc)
        return rc;
    if (root && root->type == KC_NODE_NULL) {
        kc_node_free(root);
        root = NULL;
    }
    kc_node_free(tree->root);
    tree->root = root;
    return 0;
}
