/* node.c - the configuration tree: construction, lookup, YAML 1.1 typing of
 * plain scalars (as Psych resolves them), deep merge and a block-style emitter.
 *
 * Typing follows Psych's ScalarScanner for plain scalars (quoted scalars are
 * always strings):
 *   null:    empty, ~, null (any case)
 *   boolean: yes/true/on, no/false/off (any case: Psych matches them with /i)
 *   integer: [-+] then decimal (with _ or , separators), 0x hex, 0b binary,
 *            0-prefixed octal, or sexagesimal 1:30 (= 90), all as Psych's
 *            legacy (non-strict) integer rule accepts them
 *   float:   [-+]digits.digits[e[-+]n], .inf, -.inf, .nan
 * Everything else is a string. Dates, times and :symbols, which Psych's
 * unsafe_load would also produce, are treated as strings. */
#include "kamal-c/node.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct kc_node *kc_node_new(enum kc_node_type type, struct kc_mark mark)
{
    struct kc_node *n = kc_xcalloc(1, sizeof *n);
    n->type = type;
    n->mark = mark;
    return n;
}

struct kc_node *kc_node_new_scalar(const char *s, size_t len, bool quoted, struct kc_mark mark)
{
    struct kc_node *n = kc_node_new(KC_NODE_SCALAR, mark);
    n->str = kc_xstrndup(s, len);
    n->len = len;
    n->quoted = quoted;
    return n;
}

void kc_node_seq_push(struct kc_node *seq, struct kc_node *item)
{
    kc_xgrow((void **)&seq->items, &seq->cap, seq->n + 1, sizeof(*seq->items));
    seq->items[seq->n++] = item;
}

void kc_node_map_push(struct kc_node *map, const char *key, struct kc_mark key_mark,
                      struct kc_node *value)
{
    kc_xgrow((void **)&map->pairs, &map->cap, map->npairs + 1, sizeof(*map->pairs));
    struct kc_pair *p = &map->pairs[map->npairs++];
    p->key = kc_xstrdup(key);
    p->key_mark = key_mark;
    p->value = value;
}

struct kc_node *kc_node_clone(const struct kc_node *n)
{
    if (n == NULL)
        return NULL;
    struct kc_node *c = kc_node_new(n->type, n->mark);
    switch (n->type) {
    case KC_NODE_NULL:
        break;
    case KC_NODE_SCALAR:
        c->str = kc_xstrndup(n->str, n->len);
        c->len = n->len;
        c->quoted = n->quoted;
        break;
    case KC_NODE_SEQ:
        for (size_t i = 0; i < n->n; i++)
            kc_node_seq_push(c, kc_node_clone(n->items[i]));
        break;
    case KC_NODE_MAP:
        for (size_t i = 0; i < n->npairs; i++)
            kc_node_map_push(c, n->pairs[i].key, n->pairs[i].key_mark,
                             kc_node_clone(n->pairs[i].value));
        break;
    }
    return c;
}

void kc_node_free(struct kc_node *n)
{
    if (n == NULL)
        return;
    free(n->str);
    for (size_t i = 0; i < n->n; i++)
        kc_node_free(n->items[i]);
    free(n->items);
    for (size_t i = 0; i < n->npairs; i++) {
        free(n->pairs[i].key);
        kc_node_free(n->pairs[i].value);
    }
    free(n->pairs);
    free(n);
}

const char *kc_tree_file(struct kc_tree *t, const char *path)
{
    if (path == NULL)
        return NULL;
    ssize_t i = kc_strvec_index(&t->files, path);
    if (i >= 0)
        return t->files.v[i];
    kc_strvec_push(&t->files, path);
    return t->files.v[t->files.n - 1];
}

void kc_tree_release(struct kc_tree *t)
{
    if (t == NULL)
        return;
    kc_node_free(t->root);
    t->root = NULL;
    kc_strvec_release(&t->files);
}

void kc_tree_merge(struct kc_tree *base, struct kc_tree *overlay)
{
    /* Move the file names (not copies) so the overlay's marks stay valid. */
    kc_strvec_take_all(&base->files, &overlay->files);
    kc_node_deep_merge(&base->root, overlay->root);
    overlay->root = NULL;
}

const struct kc_pair *kc_map_pair(const struct kc_node *map, const char *key)
{
    if (map == NULL || map->type != KC_NODE_MAP || key == NULL)
        return NULL;
    for (size_t i = 0; i < map->npairs; i++)
        if (strcmp(map->pairs[i].key, key) == 0)
            return &map->pairs[i];
    return NULL;
}

struct kc_node *kc_map_get(const struct kc_node *map, const char *key)
{
    const struct kc_pair *p = kc_map_pair(map, key);
    return p ? p->value : NULL;
}

/* ---- YAML 1.1 typing of plain scalars ---- */

static bool plain(const struct kc_node *n)
{
    return n && n->type == KC_NODE_SCALAR && !n->quoted && n->str;
}

bool kc_yaml_plain_is_null(const char *s)
{
    return *s == '\0' || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0;
}

/* 1 true, 0 false, -1 not a boolean. */
int kc_yaml_plain_bool(const char *s)
{
    if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 || strcasecmp(s, "on") == 0)
        return 1;
    if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 || strcasecmp(s, "off") == 0)
        return 0;
    return -1;
}

/* Accumulates digits of base from s (separators '_' and ',' skipped, as
 * Psych deletes them); false on a foreign character, no digit or overflow. */
static bool digits(const char *s, int base, unsigned long *out)
{
    unsigned long v = 0;
    bool any = false;
    for (; *s; s++) {
        if (*s == '_' || *s == ',')
            continue;
        int d;
        if (isdigit((unsigned char)*s))
            d = *s - '0';
        else if (isxdigit((unsigned char)*s))
            d = tolower((unsigned char)*s) - 'a' + 10;
        else
            return false;
        if (d >= base || v > (ULONG_MAX - (unsigned long)d) / (unsigned long)base)
            return false;
        v = v * (unsigned long)base + (unsigned long)d;
        any = true;
    }
    *out = v;
    return any;
}

/* Psych's decimal rule: 0, or [1-9] followed by digits, each of which may be
 * preceded by one '_' or ','. */
static bool decimal_shape(const char *s)
{
    if (strcmp(s, "0") == 0)
        return true;
    if (*s < '1' || *s > '9')
        return false;
    for (s++; *s; s++) {
        if ((*s == '_' || *s == ',') && isdigit((unsigned char)s[1]))
            s++;
        if (!isdigit((unsigned char)*s))
            return false;
    }
    return true;
}

/* Sexagesimal: digits[_] then one or two ":[0-5]?[0-9]" groups. */
static bool sexagesimal(const char *s, unsigned long *out)
{
    if (!isdigit((unsigned char)*s))
        return false;
    unsigned long v = 0;
    for (; isdigit((unsigned char)*s) || *s == '_'; s++)
        if (*s != '_') {
            if (v > (ULONG_MAX - 9) / 10)
                return false;
            v = v * 10 + (unsigned long)(*s - '0');
        }
    int groups = 0;
    while (*s == ':') {
        s++;
        size_t n = 0;
        while (isdigit((unsigned char)s[n]))
            n++;
        if (n == 0 || n > 2 || (n == 2 && s[0] > '5'))
            return false;
        unsigned long g = n == 2 ? (unsigned long)((s[0] - '0') * 10 + (s[1] - '0'))
                                 : (unsigned long)(s[0] - '0');
        if (v > (ULONG_MAX - 59) / 60)
            return false;
        v = v * 60 + g;
        s += n;
        groups++;
    }
    if (*s != '\0' || groups < 1 || groups > 2)
        return false;
    *out = v;
    return true;
}

static bool plain_long(const char *s, long *out)
{
    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    unsigned long v;
    bool ok;
    if (strchr(s, ':'))
        ok = sexagesimal(s, &v);
    else if (s[0] == '0' && s[1] == 'x')
        ok = digits(s + 2, 16, &v);
    else if (s[0] == '0' && s[1] == 'b')
        ok = digits(s + 2, 2, &v);
    else if (s[0] == '0' && s[1] != '\0')
        ok = digits(s + 1, 8, &v);
    else
        ok = decimal_shape(s) && digits(s, 10, &v);
    if (!ok)
        return false;
    if (neg ? v > (unsigned long)LONG_MAX + 1 : v > (unsigned long)LONG_MAX)
        return false;
    *out = neg ? (long)(0 - v) : (long)v;
    return true;
}

static bool plain_float(const char *s)
{
    const char *t = (*s == '-' || *s == '+') ? s + 1 : s;
    if (strcasecmp(t, ".inf") == 0 || strcasecmp(s, ".nan") == 0)
        return true;
    /* ([0-9][0-9_,]*)? \. [0-9]* ([eE][-+][0-9]+)? but not a lone "." */
    if (isdigit((unsigned char)*t))
        while (isdigit((unsigned char)*t) || *t == '_' || *t == ',')
            t++;
    if (*t != '.')
        return false;
    if (t == s || (t == s + 1 && (*s == '-' || *s == '+')))
        if (t[1] == '\0')
            return false;
    t++;
    while (isdigit((unsigned char)*t))
        t++;
    if (*t == 'e' || *t == 'E') {
        t++;
        if (*t != '-' && *t != '+')
            return false;
        t++;
        if (!isdigit((unsigned char)*t))
            return false;
        while (isdigit((unsigned char)*t))
            t++;
    }
    return *t == '\0';
}

bool kc_node_is_null(const struct kc_node *n)
{
    if (n == NULL || n->type == KC_NODE_NULL)
        return true;
    return plain(n) && kc_yaml_plain_is_null(n->str);
}

bool kc_node_is_scalar(const struct kc_node *n)
{
    return n && n->type == KC_NODE_SCALAR && !kc_node_is_null(n);
}

bool kc_node_bool(const struct kc_node *n, bool *out)
{
    if (!plain(n))
        return false;
    int b = kc_yaml_plain_bool(n->str);
    if (b < 0)
        return false;
    *out = b == 1;
    return true;
}

bool kc_node_long(const struct kc_node *n, long *out)
{
    if (!plain(n))
        return false;
    return plain_long(n->str, out);
}

const char *kc_node_text(const struct kc_node *n)
{
    if (!kc_node_is_scalar(n))
        return NULL;
    bool b;
    if (kc_node_bool(n, &b))
        return b ? "true" : "false";
    return n->str;
}

const char *kc_node_kind(const struct kc_node *n)
{
    if (kc_node_is_null(n))
        return "null";
    switch (n->type) {
    case KC_NODE_MAP:
        return "a mapping";
    case KC_NODE_SEQ:
        return "a sequence";
    default:
        break;
    }
    bool b;
    long l;
    if (kc_node_bool(n, &b))
        return "a boolean";
    if (kc_node_long(n, &l))
        return "an integer";
    if (plain(n) && plain_float(n->str))
        return "a float";
    return "a string";
}

/* ---- equality ---- */

/* Structural equality, mappings compared regardless of key order. */
bool kc_node_equal(const struct kc_node *a, const struct kc_node *b)
{
    if (kc_node_is_null(a) || kc_node_is_null(b))
        return kc_node_is_null(a) && kc_node_is_null(b);
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case KC_NODE_SCALAR:
        return strcmp(kc_node_text(a), kc_node_text(b)) == 0;
    case KC_NODE_SEQ:
        if (a->n != b->n)
            return false;
        for (size_t i = 0; i < a->n; i++)
            if (!kc_node_equal(a->items[i], b->items[i]))
                return false;
        return true;
    case KC_NODE_MAP:
        if (a->npairs != b->npairs)
            return false;
        for (size_t i = 0; i < a->npairs; i++) {
            const struct kc_pair *p = kc_map_pair(b, a->pairs[i].key);
            if (p == NULL || !kc_node_equal(a->pairs[i].value, p->value))
                return false;
        }
        return true;
    default:
        return true;
    }
}

/* ---- deep merge ---- */

static struct kc_pair *map_pair_mut(struct kc_node *map, const char *key)
{
    for (size_t i = 0; i < map->npairs; i++)
        if (strcmp(map->pairs[i].key, key) == 0)
            return &map->pairs[i];
    return NULL;
}

void kc_node_deep_merge(struct kc_node **base, struct kc_node *overlay)
{
    if (overlay == NULL)
        return;
    if (*base == NULL || (*base)->type != KC_NODE_MAP || overlay->type != KC_NODE_MAP) {
        kc_node_free(*base);
        *base = overlay;
        return;
    }
    for (size_t i = 0; i < overlay->npairs; i++) {
        struct kc_pair *op = &overlay->pairs[i];
        struct kc_pair *bp = map_pair_mut(*base, op->key);
        if (bp)
            kc_node_deep_merge(&bp->value, op->value);
        else
            kc_node_map_push(*base, op->key, op->key_mark, op->value);
        op->value = NULL; /* moved */
    }
    kc_node_free(overlay);
}

/* ---- YAML emitter ---- */

/* A string may stay plain when it re-parses as the same string: it starts
 * with a letter, '/' or '_', uses only a conservative set of characters, has
 * no ": " or trailing ':', and does not resolve to another type. */
static bool plain_safe(const char *s, size_t len)
{
    if (len == 0 || strlen(s) != len)
        return false;
    if (!isalpha((unsigned char)s[0]) && s[0] != '/' && s[0] != '_')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || strchr("_-./@+=%,", c))
            continue;
        if (c == ':' && i + 1 < len && s[i + 1] != ' ')
            continue;
        if (c == ' ' && i + 1 < len && s[i + 1] != ' ' && s[i + 1] != '#')
            continue;
        return false;
    }
    long l;
    if (kc_yaml_plain_is_null(s) || kc_yaml_plain_bool(s) >= 0 || plain_long(s, &l) ||
        plain_float(s))
        return false;
    /* YAML 1.1 single-letter booleans some parsers still honour */
    if (len == 1 && strchr("yYnN", s[0]))
        return false;
    return true;
}

/* The well-formed UTF-8 sequence at s (n bytes available): its length and
 * code point, or 0 when the bytes are not one. */
static size_t utf8_char(const unsigned char *s, size_t n, unsigned long *cp)
{
    size_t k = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
    if (k == 0 || s[0] > 0xf4 || k > n)
        return 0;
    unsigned long v = s[0] & (0x7f >> k);
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[k] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return k;
}

/* Code points a YAML reader takes as they are inside double quotes: not the
 * C1 controls (libyaml rejects them), not the line breaks NEL, LS and PS
 * (a reader folds them), not a BOM or a non-character. */
static bool yaml_printable(unsigned long cp)
{
    return cp >= 0xa0 && cp != 0x2028 && cp != 0x2029 && cp != 0xfeff && cp != 0xfffe &&
           cp != 0xffff;
}

static void emit_quoted(const char *s, size_t len, struct kc_buf *out)
{
    kc_buf_addc(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            /* Non-ASCII: printable characters as they are; others escaped,
             * or the emitted text would not load again or would load as
             * other text (found by tests/fuzz/fuzz_yaml). A byte that is not
             * UTF-8 at all (no YAML text holds one) becomes \xNN. */
            unsigned long cp;
            size_t k = utf8_char((const unsigned char *)s + i, len - i, &cp);
            if (k == 0)
                kc_buf_addf(out, "\\x%02x", c);
            else if (yaml_printable(cp))
                kc_buf_add(out, s + i, k);
            else
                kc_buf_addf(out, "\\u%04lx", cp); /* all such are in the BMP */
            i += k ? k - 1 : 0;
            continue;
        }
        switch (c) {
        case '"':
            kc_buf_adds(out, "\\\"");
            break;
        case '\\':
            kc_buf_adds(out, "\\\\");
            break;
        case '\n':
            kc_buf_adds(out, "\\n");
            break;
        case '\t':
            kc_buf_adds(out, "\\t");
            break;
        case '\r':
            kc_buf_adds(out, "\\r");
            break;
        default:
            if (c < 0x20 || c == 0x7f)
                kc_buf_addf(out, "\\x%02x", c);
            else
                kc_buf_addc(out, (char)c);
        }
    }
    kc_buf_addc(out, '"');
}

static void emit_string(const char *s, size_t len, struct kc_buf *out)
{
    if (plain_safe(s, len))
        kc_buf_add(out, s, len);
    else
        emit_quoted(s, len, out);
}

static void emit_scalar(const struct kc_node *n, struct kc_buf *out)
{
    if (kc_node_is_null(n)) {
        kc_buf_adds(out, "null");
        return;
    }
    const char *kind = kc_node_kind(n);
    if (strcmp(kind, "a boolean") == 0)
        kc_buf_adds(out, kc_node_text(n));
    else if (strcmp(kind, "a string") == 0)
        emit_string(n->str, n->len, out);
    else
        kc_buf_add(out, n->str, n->len); /* integers and floats as written */
}

static void indent_to(struct kc_buf *out, int indent)
{
    for (int i = 0; i < indent; i++)
        kc_buf_addc(out, ' ');
}

static bool is_block(const struct kc_node *n)
{
    return n && ((n->type == KC_NODE_MAP && n->npairs) || (n->type == KC_NODE_SEQ && n->n));
}

static void emit_block(const struct kc_node *n, int indent, bool inline_first, struct kc_buf *out);

/* Emits what follows "key:" or "-": a nested block on the next lines, or an
 * inline scalar / empty collection. */
static void emit_value(const struct kc_node *v, int indent, bool after_dash, struct kc_buf *out)
{
    if (is_block(v)) {
        if (after_dash) {
            kc_buf_addc(out, ' ');
            emit_block(v, indent + 2, true, out);
        } else {
            kc_buf_addc(out, '\n');
            emit_block(v, indent + 2, false, out);
        }
        return;
    }
    if (v && v->type == KC_NODE_MAP)
        kc_buf_adds(out, " {}\n");
    else if (v && v->type == KC_NODE_SEQ)
        kc_buf_adds(out, " []\n");
    else if (kc_node_is_null(v))
        kc_buf_addc(out, '\n');
    else {
        kc_buf_addc(out, ' ');
        emit_scalar(v, out);
        kc_buf_addc(out, '\n');
    }
}

static void emit_block(const struct kc_node *n, int indent, bool inline_first, struct kc_buf *out)
{
    size_t count = n->type == KC_NODE_MAP ? n->npairs : n->n;
    for (size_t i = 0; i < count; i++) {
        if (i > 0 || !inline_first)
            indent_to(out, indent);
        if (n->type == KC_NODE_MAP) {
            emit_string(n->pairs[i].key, strlen(n->pairs[i].key), out);
            kc_buf_addc(out, ':');
            emit_value(n->pairs[i].value, indent, false, out);
        } else {
            kc_buf_addc(out, '-');
            emit_value(n->items[i], indent, true, out);
        }
    }
}

void kc_node_to_yaml(const struct kc_node *n, struct kc_buf *out)
{
    if (is_block(n)) {
        emit_block(n, 0, false, out);
    } else if (n && n->type == KC_NODE_MAP) {
        kc_buf_adds(out, "{}\n");
    } else if (n && n->type == KC_NODE_SEQ) {
        kc_buf_adds(out, "[]\n");
    } else {
        emit_scalar(n, out);
        kc_buf_addc(out, '\n');
    }
}
