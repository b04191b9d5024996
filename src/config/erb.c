/* erb.c - the subset of ERB (trim_mode "-") that deploy.yml files use.
 *
 * Tags, as Ruby's ERB scanner splits them:
 *   <%= expr %>  output         <%# text %>  comment
 *   <% %>        empty code     <%- ...      code tag; when only blanks
 *                                            precede it on its line they are
 *                                            dropped
 *   ... -%>\n    the newline after the tag is dropped
 *   <%%          a literal "<%" (outside tags); "%%>" inside a tag is "%>"
 * A tag ends at the first "%>", as in Ruby (ERB does not parse the code).
 *
 * Expressions (see erb.h): string literals, ENV["X"], ENV.fetch("X"[, d]),
 * nil, `||` and parentheses, evaluated with Ruby's rules: only nil is falsy
 * here, `a || b` does not evaluate b when a is not nil, and method arguments
 * are evaluated before the call. Every other form is an error; nothing is
 * passed through unrendered. */
#include "kamal-c/erb.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void kc_intvec_push(struct kc_intvec *iv, int x)
{
    kc_xgrow((void **)&iv->v, &iv->cap, iv->n + 1, sizeof *iv->v);
    iv->v[iv->n++] = x;
}

void kc_intvec_release(struct kc_intvec *iv)
{
    if (iv == NULL)
        return;
    free(iv->v);
    iv->v = NULL;
    iv->n = iv->cap = 0;
}

/* ---- output with a line map ---- */

struct render {
    const char *text;
    size_t len;
    const char *file;
    struct kc_buf *out;
    struct kc_intvec *map;
    bool bol; /* the next output byte starts an output line */
    int line; /* source line of the scan position */
    struct kc_err *err;
};

/* Emits n bytes that all belong to source line srcline. */
static void emit(struct render *r, const char *s, size_t n, int srcline)
{
    for (size_t i = 0; i < n; i++) {
        if (r->bol && r->map)
            kc_intvec_push(r->map, srcline);
        r->bol = s[i] == '\n';
    }
    kc_buf_add(r->out, s, n);
}

/* Emits literal source text, advancing the source line as it goes. */
static void emit_source(struct render *r, const char *s, size_t n)
{
    while (n) {
        const char *nl = memchr(s, '\n', n);
        size_t k = nl ? (size_t)(nl - s) + 1 : n;
        emit(r, s, k, r->line);
        if (nl)
            r->line++;
        s += k;
        n -= k;
    }
}

static void count_lines(struct render *r, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n')
            r->line++;
}

/* ---- expressions ---- */

struct value {
    bool nil;
    struct kc_buf s;
};

/* Parentheses and ENV.fetch defaults nest by recursion: a bound keeps a
 * hostile deploy.yml (1 MiB of "(") from overflowing the stack (found by
 * tests/fuzz/fuzz_erb). Real files nest two or three levels. */
#define KC_ERB_MAX_NESTING 64

struct expr {
    const char *p, *end;
    bool bad;      /* not in the supported grammar */
    char *missing; /* ENV.fetch of an unset variable without default */
    int depth;     /* parse_expr calls in progress */
    bool too_deep; /* gave up past KC_ERB_MAX_NESTING (bad is set too) */
};

static void skip_ws(struct expr *e)
{
    while (e->p < e->end && isspace((unsigned char)*e->p))
        e->p++;
}

static bool accept(struct expr *e, const char *tok)
{
    skip_ws(e);
    size_t n = strlen(tok);
    if ((size_t)(e->end - e->p) < n || memcmp(e->p, tok, n) != 0)
        return false;
    /* a word token must not run into an identifier ("nil" vs "nilly") */
    if (isalpha((unsigned char)tok[n - 1]) && e->p + n < e->end &&
        (isalnum((unsigned char)e->p[n]) || e->p[n] == '_' || e->p[n] == '?' || e->p[n] == '!'))
        return false;
    e->p += n;
    return true;
}

static bool expect(struct expr *e, const char *tok)
{
    if (!accept(e, tok))
        e->bad = true;
    return !e->bad;
}

/* Ruby's double-quoted escapes that map to one byte; others (\u, \x, octal,
 * \c, \M) are refused rather than guessed. */
static bool dq_escape(char c, char *out)
{
    static const char from[] = "ntrse0abfv";
    static const char to[] = "\n\t\r \x1b\0\a\b\f\v";
    const char *k = strchr(from, c);
    if (c != '\0' && k) {
        if (c == '0')
            return false; /* octal */
        *out = to[k - from];
        return true;
    }
    if (strchr("uxcCM01234567", c))
        return false;
    *out = c; /* \" \\ \# \$ and unknown escapes: the character itself */
    return true;
}

static bool parse_string(struct expr *e, struct kc_buf *s)
{
    skip_ws(e);
    if (e->p >= e->end || (*e->p != '"' && *e->p != '\''))
        return false;
    char q = *e->p++;
    while (e->p < e->end && *e->p != q) {
        char c = *e->p++;
        if (q == '"' && c == '#' && e->p < e->end && strchr("{$@", *e->p))
            return false; /* interpolation */
        if (c == '\\' && e->p < e->end) {
            char n = *e->p++;
            if (q == '\'') {
                if (n != '\'' && n != '\\')
                    kc_buf_addc(s, '\\');
                c = n;
            } else if (!dq_escape(n, &c)) {
                return false;
            }
        }
        kc_buf_addc(s, c);
    }
    if (e->p >= e->end)
        return false;
    e->p++;
    if (s->data == NULL)
        kc_buf_add(s, "", 0);
    return true;
}

static void parse_expr(struct expr *e, bool eval, struct value *v);

static void env_value(const char *name, struct value *v)
{
    const char *x = getenv(name);
    v->nil = x == NULL;
    if (x)
        kc_buf_adds(&v->s, x);
}

/* ENV["X"] or ENV.fetch("X"[, default]); "ENV" already read. */
static void parse_env(struct expr *e, bool eval, struct value *v)
{
    struct kc_buf name = KC_BUF_INIT;
    if (accept(e, "[")) {
        if (!parse_string(e, &name))
            e->bad = true;
        else if (expect(e, "]") && eval)
            env_value(name.data, v);
    } else if (accept(e, ".fetch") && expect(e, "(")) {
        if (!parse_string(e, &name)) {
            e->bad = true;
        } else if (accept(e, ",")) {
            struct value def = {true, KC_BUF_INIT};
            parse_expr(e, eval, &def);
            if (expect(e, ")") && eval) {
                env_value(name.data, v);
                if (v->nil)
                    *v = def;
                else
                    kc_buf_release(&def.s);
            } else {
                kc_buf_release(&def.s);
            }
        } else if (expect(e, ")") && eval) {
            env_value(name.data, v);
            if (v->nil && e->missing == NULL)
                e->missing = kc_xstrdup(name.data);
        }
    } else {
        e->bad = true;
    }
    kc_buf_release(&name);
}

static void parse_term(struct expr *e, bool eval, struct value *v)
{
    skip_ws(e);
    if (e->p < e->end && (*e->p == '"' || *e->p == '\'')) {
        struct kc_buf s = KC_BUF_INIT;
        if (!parse_string(e, &s))
            e->bad = true;
        v->nil = false;
        v->s = s;
    } else if (accept(e, "ENV")) {
        parse_env(e, eval, v);
    } else if (accept(e, "nil")) {
        v->nil = true;
    } else if (accept(e, "(")) {
        parse_expr(e, eval, v);
        expect(e, ")");
    } else {
        e->bad = true;
    }
}

static void parse_expr(struct expr *e, bool eval, struct value *v)
{
    if (e->depth >= KC_ERB_MAX_NESTING) {
        e->bad = e->too_deep = true;
        return;
    }
    e->depth++;
    parse_term(e, eval, v);
    while (!e->bad && accept(e, "||")) {
        /* evaluate the right side only while everything so far is nil */
        bool need = eval && v->nil;
        struct value rhs = {true, KC_BUF_INIT};
        parse_term(e, need, &rhs);
        if (need) {
            kc_buf_release(&v->s);
            *v = rhs;
        } else {
            kc_buf_release(&rhs.s);
        }
    }
    e->depth--;
}

static int unsupported(struct render *r, const char *code, size_t n, int line, int col)
{
    const char *a = code, *z = code + n;
    while (a < z && isspace((unsigned char)*a))
        a++;
    while (z > a && isspace((unsigned char)z[-1]))
        z--;
    return kc_err_at(r->err, KC_ECONFIG, r->file, line, col, "unsupported ERB: %.*s", (int)(z - a),
                     a);
}

/* Evaluates an output tag's code into r->out. */
static int eval_output(struct render *r, const char *code, size_t n, int line, int col)
{
    struct expr e = {code, code + n, false, NULL, 0, false};
    struct value v = {true, KC_BUF_INIT};
    parse_expr(&e, true, &v);
    skip_ws(&e);
    if (e.p != e.end)
        e.bad = true;
    int rc = 0;
    if (e.too_deep)
        rc = kc_err_at(r->err, KC_ECONFIG, r->file, line, col,
                       "unsupported ERB: expression nested deeper than %d levels",
                       KC_ERB_MAX_NESTING);
    else if (e.bad)
        rc = unsupported(r, code, n, line, col);
    else if (e.missing) {
        rc = kc_err_at(r->err, KC_ECONFIG, r->file, line, col, "key not found: \"%s\"", e.missing);
    } else if (!v.nil) {
        emit(r, v.s.data, v.s.len, line);
    }
    free(e.missing);
    kc_buf_release(&v.s);
    return rc;
}

/* ---- tags ---- */

/* Finds the "%>" closing a tag whose code starts at p; "%%>" is code. Sets
 * *code to the code with "%%>" turned into "%>" and *trim when the tag ends
 * with "-%>". Returns the position after "%>", or NULL when unterminated. */
static const char *close_tag(const char *p, const char *end, struct kc_buf *code, bool *trim)
{
    *trim = false;
    while (p + 1 < end) {
        if (p[0] == '%' && p[1] == '%' && p + 2 < end && p[2] == '>') {
            kc_buf_adds(code, "%>");
            p += 3;
            continue;
        }
        if (p[0] == '%' && p[1] == '>') {
            if (code->len && code->data[code->len - 1] == '-') {
                *trim = true;
                code->data[--code->len] = '\0';
            }
            return p + 2;
        }
        kc_buf_addc(code, *p++);
    }
    return NULL;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

/* The literal run [seg, tag) before a "<%-": when the tag's line holds only
 * blanks before it (within this run, which is what Ruby's ^[ \t]*<%- needs),
 * returns how many bytes to drop from the end of the run. */
static size_t lead_trim(const char *text, size_t seg, size_t tag)
{
    size_t ls = tag;
    while (ls > 0 && text[ls - 1] != '\n')
        ls--;
    if (ls < seg)
        return 0;
    for (size_t i = ls; i < tag; i++)
        if (text[i] != ' ' && text[i] != '\t')
            return 0;
    return tag - ls;
}

static int unterminated(struct render *r, size_t tag, int line, int col)
{
    const char *s = r->text + tag;
    const char *nl = memchr(s, '\n', r->len - tag);
    size_t n = nl ? (size_t)(nl - s) : r->len - tag;
    if (n > 40)
        n = 40;
    return kc_err_at(r->err, KC_ECONFIG, r->file, line, col,
                     "unsupported ERB: unterminated tag %.*s", (int)n, s);
}

/* Handles the tag at text[tag] ("<%" seen, not "<%%"): sets *next to the
 * position after it (and after its trimmed newline). Returns 0 or KC_ECONFIG. */
static int do_tag(struct render *r, size_t tag, size_t *next, int col)
{
    const char *t = r->text + tag, *end = r->text + r->len;
    int line = r->line;
    char kind = t + 2 < end ? t[2] : '\0';
    const char *code_start = t + 2 + ((kind == '=' || kind == '#' || kind == '-') ? 1 : 0);
    struct kc_buf code = KC_BUF_INIT;
    bool trim;
    const char *after = close_tag(code_start, end, &code, &trim);
    if (after == NULL) {
        kc_buf_release(&code);
        return unterminated(r, tag, line, col);
    }
    count_lines(r, t, (size_t)(after - t));
    int rc = 0;
    if (kind == '=')
        rc = eval_output(r, kc_buf_str(&code), code.len, line, col);
    else if (kind != '#' && !blank(kc_buf_str(&code), code.len))
        rc = unsupported(r, kc_buf_str(&code), code.len, line, col);
    kc_buf_release(&code);
    if (trim && after < end && *after == '\n') {
        after++;
        r->line++;
    }
    *next = (size_t)(after - r->text);
    return rc;
}

int kc_erb_render(const char *text, size_t len, const char *file, struct kc_buf *out,
                  struct kc_intvec *line_map, struct kc_err *err)
{
    struct render r = {text, len, file, out, line_map, true, 1, err};
    size_t pos = 0, seg = 0; /* seg: start of the current literal run */
    if (out->data == NULL)
        kc_buf_add(out, "", 0);
    while (pos < len) {
        const char *lt = memchr(text + pos, '<', len - pos);
        size_t tag = lt ? (size_t)(lt - text) : len;
        if (tag + 1 >= len || text[tag + 1] != '%') {
            emit_source(&r, text + pos, tag < len ? tag + 1 - pos : len - pos);
            pos = tag < len ? tag + 1 : len;
            continue;
        }
        if (tag + 2 < len && text[tag + 2] == '%') { /* <%% */
            emit_source(&r, text + pos, tag - pos);
            emit(&r, "<%", 2, r.line);
            pos = seg = tag + 3;
            continue;
        }
        size_t drop = 0;
        if (tag + 2 < len && text[tag + 2] == '-')
            drop = lead_trim(text, seg, tag);
        emit_source(&r, text + pos, tag - pos - drop);
        count_lines(&r, text + tag - drop, drop);
        size_t ls = tag;
        while (ls > 0 && text[ls - 1] != '\n')
            ls--;
        int rc = do_tag(&r, tag, &pos, (int)(tag - ls) + 1);
        if (rc)
            return rc;
        seg = pos;
    }
    return 0;
}
