/* erb.c - ERB's tags (trim_mode "-") and the line map; the Ruby inside
 * them is erb_eval.c's.
 *
 * Tags, as Ruby's ERB scanner splits them:
 *   <%= expr %>  output         <%# text %>  comment
 *   <% code %>   statements     <%- ...      code tag; when only blanks
 *                                            precede it on its line they are
 *                                            dropped
 *   ... -%>\n    the newline after the tag is dropped
 *   <%%          a literal "<%" (outside tags); "%%>" inside a tag is "%>"
 * A tag ends at the first "%>", as in Ruby (ERB does not parse the code).
 * A render runs twice: a check of every tag with nothing evaluated, then
 * the real one, so that code outside the subset stops it before any
 * command of an earlier tag has run. */
#include "erb_int.h"

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
    const struct kc_erb_env *env;
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

/* Reports an error of erb_eval.c at the tag's place. */
static int tag_error(struct render *r, int line, int col, struct kc_err *e)
{
    kc_err_at(r->err, KC_ECONFIG, r->file, line, col, "%s", e->msg ? e->msg : "ERB error");
    if (e->hint)
        kc_err_set_hint(r->err, "%s", e->hint);
    return KC_ECONFIG;
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
    struct kc_err e = KC_ERR_INIT;
    struct kc_buf value = KC_BUF_INIT;
    if (kind == '=')
        rc = kc_erb_output(r->env, kc_buf_str(&code), code.len, &value, &e);
    else if (kind != '#')
        rc = kc_erb_statements(r->env, kc_buf_str(&code), code.len, &e);
    if (rc)
        rc = tag_error(r, line, col, &e);
    else if (value.len)
        emit(r, value.data, value.len, line);
    kc_err_release(&e);
    kc_buf_release(&value);
    kc_buf_release(&code);
    if (trim && after < end && *after == '\n') {
        after++;
        r->line++;
    }
    *next = (size_t)(after - r->text);
    return rc;
}

static int render_pass(const struct kc_erb_env *env, const char *text, size_t len, const char *file,
                       struct kc_buf *out, struct kc_intvec *line_map, struct kc_err *err)
{
    struct render r = {env, text, len, file, out, line_map, true, 1, err};
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

int kc_erb_render(const char *text, size_t len, const char *file, const struct kc_erb_opts *opts,
                  struct kc_buf *out, struct kc_intvec *line_map, struct kc_err *err)
{
    struct kc_erb_env env = {kc_dotenv_run_sh, NULL, true};
    if (opts && opts->run) {
        env.run = opts->run;
        env.ud = opts->ud;
    }
    struct kc_buf scratch = KC_BUF_INIT;
    int rc = render_pass(&env, text, len, file, &scratch, NULL, err);
    kc_buf_release(&scratch);
    if (rc)
        return rc;
    env.check_only = false;
    return render_pass(&env, text, len, file, out, line_map, err);
}
