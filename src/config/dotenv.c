/* dotenv.c - .kamal/secrets* files, parsed the way Ruby dotenv 3.x does it
 * (Dotenv::Parser with Kamal's command substitution).
 *
 * An entry is `[export ]KEY=value` or `KEY: value` (KEY is [A-Za-z0-9_.]+).
 * The value is, as dotenv's LINE expression takes it:
 *   '...'  up to the next ' not preceded by a backslash (may span lines)
 *   "..."  up to the next " not preceded by a backslash (may span lines)
 *   else   everything up to '#' or the end of the line ('#' always starts a
 *          comment in an unquoted value, even without a blank before it)
 * then only blanks and a # comment may follow. A quoted value with anything
 * else after it is read as unquoted instead, exactly like the regex.
 *
 * The value is then transformed in dotenv's order:
 *   1. strip, and remove surrounding quotes when it starts and ends with
 *      the same quote character;
 *   2. single-quoted: done, taken literally;
 *   3. double-quoted: \n and \r stay as the two characters backslash-n
 *      (dotenv 3), or become a newline / CR when DOTENV_LINEBREAK_MODE is
 *      "legacy" (in the file or the environment);
 *   4. double-quoted and unquoted: a backslash before any character but '$'
 *      is dropped (\" -> ", \\ -> \, \t -> t);
 *   5. variables: $NAME, ${NAME} (NAME is [A-Za-z0-9_]+) from the values so
 *      far, then the process environment; unknown -> ""; \$ keeps a literal $;
 *   6. commands: $(...) with balanced parentheses runs through the runner,
 *      its output loses one trailing newline (Ruby's chomp); \$(...) stays
 *      literal. Variables inside were already expanded by step 5.
 * Beyond dotenv: lines that are not entries, a failing command and an
 * unterminated $( are errors naming file:line. `$(kamal secrets ...)` goes to
 * the runner like any command: kamal-c's own runner (ops/ctx.c) runs it
 * in-process (kc_dotenv_is_secrets_command), the default one refuses it. */
#include "kamal-c/proc.h"
#include "kamal-c/secrets.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KC_DOTENV_OUTPUT_MAX (1024 * 1024)
/* What $VAR substitutions may produce in one file, in all. Each line can
 * repeat a variable (A=$A$A): unbounded, a few hundred bytes of text grew
 * exponentially into gigabytes (found by tests/fuzz/fuzz_dotenv, as a
 * timeout). The cap of a command's output; no real file comes near it (a
 * process cannot even receive an env value over 128 KiB). */
#define KC_DOTENV_EXPAND_MAX (1024 * 1024)

struct dotenv {
    const char *s; /* the text with \r\n and \r turned into \n */
    size_t len;
    size_t pos;
    int line; /* line of pos */
    const char *file;
    struct kc_kvlist *vars;
    const struct kc_dotenv_opts *opts;
    struct kc_err *err;
    size_t expanded; /* bytes $VAR substitutions produced so far */
};

static bool is_key_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.';
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void advance(struct dotenv *d, size_t to)
{
    for (; d->pos < to; d->pos++)
        if (d->s[d->pos] == '\n')
            d->line++;
}

static size_t eol(const struct dotenv *d, size_t from)
{
    const char *nl = memchr(d->s + from, '\n', d->len - from);
    return nl ? (size_t)(nl - d->s) : d->len;
}

static int fail(struct dotenv *d, int line, const char *fmt, ...) KC_PRINTF(3, 4);

static int fail(struct dotenv *d, int line, const char *fmt, ...)
{
    if (d->err == NULL)
        return KC_ECONFIG;
    va_list ap;
    va_start(ap, fmt);
    char *msg = kc_xvasprintf(fmt, ap);
    va_end(ap);
    kc_err_at(d->err, KC_ECONFIG, d->file, line, 0, "%s", msg);
    free(msg);
    return KC_ECONFIG;
}

static const char *lookup(const struct dotenv *d, const char *name)
{
    const char *v = kc_kvlist_get(d->vars, name);
    if (v == NULL && d->opts->lookup_process_env)
        v = getenv(name);
    return v;
}

/* ---- value transformations (steps 3 to 6) ---- */

static void expand_newlines(const struct dotenv *d, struct kc_buf *v)
{
    const char *mode = lookup(d, "DOTENV_LINEBREAK_MODE");
    if (!kc_streq(mode, "legacy"))
        return; /* dotenv 3 keeps \n; step 4 then sees "\\n" and keeps "\n" */
    struct kc_buf o = KC_BUF_INIT;
    for (size_t i = 0; i < v->len; i++) {
        if (v->data[i] == '\\' && i + 1 < v->len &&
            (v->data[i + 1] == 'n' || v->data[i + 1] == 'r')) {
            kc_buf_addc(&o, v->data[i + 1] == 'n' ? '\n' : '\r');
            i++;
        } else {
            kc_buf_addc(&o, v->data[i]);
        }
    }
    kc_buf_release(v);
    *v = o;
}

/* Without legacy mode dotenv turns \n into \\n before unescaping, so the
 * backslash survives: mark those positions by keeping the pair as is. */
static void unescape(struct kc_buf *v, bool keep_nr)
{
    struct kc_buf o = KC_BUF_INIT;
    kc_buf_add(&o, "", 0);
    for (size_t i = 0; i < v->len; i++) {
        char c = v->data[i];
        if (c == '\\' && i + 1 < v->len && v->data[i + 1] != '$') {
            char n = v->data[++i];
            if (keep_nr && (n == 'n' || n == 'r'))
                kc_buf_addc(&o, '\\');
            kc_buf_addc(&o, n);
        } else {
            kc_buf_addc(&o, c);
        }
    }
    kc_buf_release(v);
    *v = o;
}

/* Step 5, dotenv's (\\)?\$(?!\()\{?([A-Z0-9_]+)?\}? applied left to right. */
static int substitute_vars(struct dotenv *d, const char *key, int line, struct kc_buf *v)
{
    struct kc_buf o = KC_BUF_INIT;
    kc_buf_add(&o, "", 0);
    const char *s = kc_buf_str(v);
    size_t n = v->len;
    for (size_t i = 0; i < n;) {
        bool esc = s[i] == '\\' && i + 1 < n && s[i + 1] == '$';
        size_t dollar = esc ? i + 1 : i;
        if (s[dollar] != '$' || (dollar + 1 < n && s[dollar + 1] == '(')) {
            kc_buf_addc(&o, s[i++]);
            continue;
        }
        size_t j = dollar + 1;
        if (j < n && s[j] == '{')
            j++;
        size_t name = j;
        while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '_'))
            j++;
        size_t name_end = j;
        if (j < n && s[j] == '}')
            j++;
        if (esc) {
            kc_buf_add(&o, s + dollar, j - dollar); /* drop the backslash */
        } else if (name_end > name) {
            char *var = kc_xstrndup(s + name, name_end - name);
            const char *val = lookup(d, var);
            size_t vl = val ? strlen(val) : 0;
            free(var);
            if (vl > KC_DOTENV_EXPAND_MAX - d->expanded) {
                kc_buf_release(&o);
                return fail(d, line,
                            "variables in the value of %s expand to more than %d bytes (does "
                            "a variable repeat itself?)",
                            key, KC_DOTENV_EXPAND_MAX);
            }
            d->expanded += vl;
            kc_buf_add(&o, val ? val : "", vl);
        } else {
            kc_buf_add(&o, s + i, j - i); /* a lone $ stays */
        }
        i = j;
    }
    kc_buf_release(v);
    *v = o;
    return 0;
}

/* For each position of s holding a '(' that opens something, the position
 * of the ')' closing it (0: none), in one pass. Scanning ahead from each
 * "$(" instead made a long value with many unclosed ones quadratic (found by
 * tests/fuzz/fuzz_dotenv, as a timeout). As in Kamal's pattern for inline
 * commands, a backslash takes the next character out of the count: \( and
 * \) are no parentheses (a secret shell-escaped by `kamal secrets fetch`
 * may hold them). */
static size_t *paren_matches(const char *s, size_t n)
{
    size_t depth = 0;
    size_t *match = kc_xcalloc(n + 1, sizeof *match);
    size_t *stack = kc_xcalloc(n + 1, sizeof *stack); /* positions of open '(' */
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n)
            i++;
        else if (s[i] == '(')
            stack[depth++] = i;
        else if (s[i] == ')' && depth)
            match[stack[--depth]] = i;
    }
    free(stack);
    return match;
}

bool kc_dotenv_is_secrets_command(const char *cmd)
{
    while (isspace((unsigned char)*cmd))
        cmd++;
    if (strncmp(cmd, "kamal", 5) != 0)
        return false;
    cmd += 5;
    if (strncmp(cmd, "-c", 2) == 0)
        cmd += 2;
    if (!isspace((unsigned char)*cmd))
        return false;
    while (isspace((unsigned char)*cmd))
        cmd++;
    return strncmp(cmd, "secrets", 7) == 0 && isspace((unsigned char)cmd[7]);
}

static void chomp(struct kc_buf *b)
{
    if (b->len && b->data[b->len - 1] == '\n')
        b->data[--b->len] = '\0';
    if (b->len && b->data[b->len - 1] == '\r')
        b->data[--b->len] = '\0';
}

static int run_command(struct dotenv *d, const char *key, int line, const char *cmd,
                       struct kc_buf *o)
{
    kc_cmd_runner run = d->opts->run ? d->opts->run : kc_dotenv_run_sh;
    struct kc_buf out = KC_BUF_INIT;
    struct kc_err e = KC_ERR_INIT;
    int rc = run(d->opts->ud, cmd, &out, &e);
    if (rc == 0) {
        chomp(&out);
        kc_buf_add(o, kc_buf_str(&out), out.len);
    } else {
        rc = fail(d, line, "command substitution in %s failed: %s", key,
                  e.msg ? e.msg : "cannot run it");
        if (e.hint && d->err)
            kc_err_set_hint(d->err, "%s", e.hint);
    }
    kc_err_release(&e);
    kc_buf_release(&out);
    return rc;
}

/* Step 6. */
static int substitute_commands(struct dotenv *d, const char *key, int line, struct kc_buf *v)
{
    struct kc_buf o = KC_BUF_INIT;
    kc_buf_add(&o, "", 0);
    const char *s = kc_buf_str(v);
    size_t n = v->len;
    size_t *match = paren_matches(s, n);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        bool esc = s[i] == '\\' && i + 2 < n && s[i + 1] == '$' && s[i + 2] == '(';
        size_t dollar = esc ? i + 1 : i;
        if (s[dollar] != '$' || dollar + 1 >= n || s[dollar + 1] != '(') {
            kc_buf_addc(&o, s[i++]);
            continue;
        }
        size_t close = match[dollar + 1];
        if (close == dollar + 2) { /* "$()" is no substitution (dotenv needs a character) */
            kc_buf_add(&o, s + i, close + 1 - i);
            i = close + 1;
            continue;
        }
        if (close == 0) {
            if (!esc)
                rc = fail(d, line, "unterminated $( in the value of %s", key);
            kc_buf_add(&o, s + i, dollar + 2 - i);
            i = dollar + 2;
            continue;
        }
        if (esc) {
            kc_buf_add(&o, s + dollar, close + 1 - dollar);
        } else {
            char *cmd = kc_xstrndup(s + dollar + 2, close - dollar - 2);
            rc = run_command(d, key, line, cmd, &o);
            free(cmd);
        }
        i = close + 1;
    }
    free(match);
    if (rc == 0) {
        kc_buf_release(v);
        *v = o;
    } else {
        kc_buf_release(&o);
    }
    return rc;
}

/* Steps 1 to 6 on the raw value text. */
static int parse_value(struct dotenv *d, const char *key, int line, const char *raw, size_t n,
                       struct kc_buf *v)
{
    while (n && isspace((unsigned char)*raw)) {
        raw++;
        n--;
    }
    while (n && isspace((unsigned char)raw[n - 1]))
        n--;
    char quote = 0;
    if (n >= 2 && (raw[0] == '\'' || raw[0] == '"') && raw[n - 1] == raw[0]) {
        quote = raw[0];
        raw++;
        n -= 2;
    }
    kc_buf_add(v, raw, n);
    if (quote == '\'')
        return 0;
    bool legacy = false;
    if (quote == '"') {
        legacy = kc_streq(lookup(d, "DOTENV_LINEBREAK_MODE"), "legacy");
        expand_newlines(d, v);
    }
    unescape(v, quote == '"' && !legacy);
    int rc = substitute_vars(d, key, line, v);
    return rc ? rc : substitute_commands(d, key, line, v);
}

/* ---- entries ---- */

/* The end of a quoted value starting at q, or 0: only \<quote> escapes. */
static size_t quoted_end(const struct dotenv *d, size_t q)
{
    char quote = d->s[q];
    for (size_t i = q + 1; i < d->len; i++) {
        if (d->s[i] == '\\' && i + 1 < d->len && d->s[i + 1] == quote)
            i++;
        else if (d->s[i] == quote)
            return i;
    }
    return 0;
}

/* After a value: blanks, an optional # comment, then the end of a line. */
static bool trailer_ok(const struct dotenv *d, size_t i)
{
    while (i < d->len && is_blank(d->s[i]))
        i++;
    return i >= d->len || d->s[i] == '\n' || d->s[i] == '#';
}

/* Finds the raw value starting at v (just after the separator); sets *end to
 * where the value text ends and returns where the entry ends. */
static size_t value_extent(const struct dotenv *d, size_t v, size_t *end)
{
    size_t q = v;
    while (q < d->len && is_blank(d->s[q]))
        q++;
    if (q < d->len && (d->s[q] == '\'' || d->s[q] == '"')) {
        size_t c = quoted_end(d, q);
        if (c && trailer_ok(d, c + 1)) {
            *end = c + 1;
            return eol(d, c + 1);
        }
    }
    size_t e = v;
    while (e < d->len && d->s[e] != '#' && d->s[e] != '\n')
        e++;
    *end = e;
    return eol(d, e);
}

/* `export A B` without '=' is allowed when every name is already set. */
static int export_line(struct dotenv *d, size_t start, size_t stop)
{
    struct kc_strvec words = KC_STRVEC_INIT;
    char *line = kc_xstrndup(d->s + start, stop - start);
    kc_strvec_split(&words, line, " \t");
    free(line);
    int rc = 0;
    for (size_t i = 1; i < words.n && rc == 0; i++)
        if (kc_kvlist_get(d->vars, words.v[i]) == NULL)
            rc = fail(d, d->line, "export of an unset variable %s", words.v[i]);
    kc_strvec_release(&words);
    return rc;
}

static bool word_at(const struct dotenv *d, size_t i, const char *w)
{
    size_t n = strlen(w);
    return d->len - i > n && memcmp(d->s + i, w, n) == 0 && is_blank(d->s[i + n]);
}

/* Parses the entry at d->pos (a line that is neither blank nor a comment). */
static int parse_entry(struct dotenv *d)
{
    size_t i = d->pos, stop = eol(d, d->pos);
    int line = d->line;
    if (word_at(d, i, "export")) {
        i += 6;
        while (i < stop && is_blank(d->s[i]))
            i++;
    }
    size_t key = i;
    while (i < stop && is_key_char(d->s[i]))
        i++;
    size_t key_end = i;
    while (i < stop && is_blank(d->s[i]))
        i++;
    bool sep = key_end > key && i < stop && d->s[i] == '=';
    if (!sep && key_end > key && key_end < stop && d->s[key_end] == ':' && key_end + 1 < stop &&
        is_blank(d->s[key_end + 1]))
        sep = true, i = key_end; /* YAML style KEY: value */
    if (!sep) {
        if (!word_at(d, d->pos, "export"))
            return fail(d, line, "expected KEY=value");
        int rc = export_line(d, d->pos, stop);
        advance(d, stop);
        return rc;
    }
    size_t vend;
    size_t next = value_extent(d, i + 1, &vend);
    char *name = kc_xstrndup(d->s + key, key_end - key);
    struct kc_buf v = KC_BUF_INIT;
    const char *kept = d->opts->keep_process_env && strcmp(name, "DOTENV_LINEBREAK_MODE") != 0
                           ? getenv(name)
                           : NULL;
    int rc = 0;
    if (kept)
        kc_buf_adds(&v, kept);
    else
        rc = parse_value(d, name, line, d->s + i + 1, vend - (i + 1), &v);
    if (rc == 0) {
        kc_kvlist_set(d->vars, name, kc_buf_str(&v));
        if (d->opts->on_value)
            d->opts->on_value(d->opts->ud, kc_buf_str(&v));
    }
    free(name);
    kc_buf_release(&v);
    advance(d, next);
    return rc;
}

static void normalise_newlines(const char *text, size_t len, struct kc_buf *out)
{
    kc_buf_add(out, "", 0);
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\r') {
            kc_buf_addc(out, '\n');
            if (i + 1 < len && text[i + 1] == '\n')
                i++;
        } else {
            kc_buf_addc(out, text[i]);
        }
    }
}

int kc_dotenv_parse(const char *text, size_t len, const char *file, struct kc_kvlist *vars,
                    const struct kc_dotenv_opts *opts, struct kc_err *err)
{
    static const struct kc_dotenv_opts defaults = {.lookup_process_env = true};
    struct kc_buf norm = KC_BUF_INIT;
    normalise_newlines(text, len, &norm);
    struct dotenv d = {norm.data, norm.len, 0, 1, file, vars, opts ? opts : &defaults, err, 0};
    int rc = 0;
    while (rc == 0 && d.pos < d.len) {
        size_t i = d.pos;
        while (i < d.len && isspace((unsigned char)d.s[i]) && d.s[i] != '\n')
            i++;
        if (i >= d.len || d.s[i] == '\n' || d.s[i] == '#') {
            advance(&d, eol(&d, i) < d.len ? eol(&d, i) + 1 : d.len);
            continue;
        }
        d.pos = i;
        if ((rc = parse_entry(&d)))
            break;
        if (d.pos < d.len)
            advance(&d, d.pos + 1); /* the newline ending the entry */
    }
    kc_buf_release(&norm);
    return rc;
}

/* ---- the default runner ---- */

int kc_dotenv_run_sh(void *ud, const char *command, struct kc_buf *out, struct kc_err *err)
{
    (void)ud;
    if (kc_dotenv_is_secrets_command(command))
        return kc_err_set(err, KC_ECONFIG,
                          "'kamal secrets' runs inside kamal-c, and not from here");
    const char *argv[] = {"/bin/sh", "-c", command, NULL};
    struct kc_proc p = KC_PROC_INIT;
    struct kc_proc_result res;
    p.argv = argv;
    p.stderr_mode = KC_PROC_ERR_INHERIT;
    p.out = out;
    p.cap = KC_DOTENV_OUTPUT_MAX;
    if (kc_proc_run(&p, &res) != 0)
        return kc_err_set(err, KC_ECONFIG, "cannot run /bin/sh: %s", strerror(errno));
    if (res.signal)
        return kc_err_set(err, KC_ECONFIG, "killed by signal %d", res.signal);
    if (res.status != 0)
        return kc_err_set(err, KC_ECONFIG, "exited with status %d", res.status);
    if (res.truncated)
        return kc_err_set(err, KC_ECONFIG, "output larger than %d bytes", KC_DOTENV_OUTPUT_MAX);
    if (out->data == NULL)
        kc_buf_add(out, "", 0);
    return 0;
}
