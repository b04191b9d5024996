/* erb_eval.c - the Ruby that real deploy.yml files put in ERB tags, and
 * nothing more (the grammar is in erb.h).
 *
 * A recursive-descent parser that evaluates as it parses, with Ruby's
 * rules: values are nil, false, true or a string; only nil and false are
 * falsy; `a || b`, `a && b` and `c ? a : b` evaluate only the side they
 * need; method arguments are evaluated before the call. Parsing with
 * evaluation off (eval false) checks the syntax without side effects,
 * which is how the right side of a short circuit is skipped and how a
 * whole file is checked before anything runs (struct kc_erb_env).
 *
 * Code outside the subset is "unsupported" (never passed through); what
 * Ruby would raise at run time (KeyError, NoMethodError, a missing file, a
 * failing command) is reported with Ruby's wording where it has one. */
#include "erb_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kamal-c/secrets.h"

/* Parentheses, interpolation and ENV.fetch defaults nest by recursion: a
 * bound keeps a hostile deploy.yml (1 MiB of "(") from overflowing the
 * stack (found by tests/fuzz/fuzz_erb). Real files nest two or three. */
#define KC_ERB_MAX_NESTING 64
/* File.read: the most a deploy.yml may read (it is capped at 1 MiB too). */
#define KC_ERB_READ_MAX (1024 * 1024)

enum vkind { V_NIL, V_FALSE, V_TRUE, V_STR };

struct value {
    enum vkind k;
    struct kc_buf s; /* V_STR */
};
#define VALUE_NIL                                                                                  \
    {                                                                                              \
        V_NIL, KC_BUF_INIT                                                                         \
    }

struct ev {
    const char *p, *end;
    const struct kc_erb_env *env;
    bool bad;      /* not in the grammar */
    int depth;     /* parse_expr calls in progress */
    bool too_deep; /* gave up past KC_ERB_MAX_NESTING (bad is set too) */
    int rc;        /* the first run-time error (in err); evaluation stops */
    struct kc_err *err;
};

static void parse_expr(struct ev *e, bool eval, struct value *v);

/* ---- values ---- */

static void value_release(struct value *v)
{
    kc_buf_release(&v->s);
    v->k = V_NIL;
}

static void value_move(struct value *dst, struct value *src)
{
    value_release(dst);
    *dst = *src;
    src->k = V_NIL;
    memset(&src->s, 0, sizeof src->s);
}

static void value_str(struct value *v, const char *s, size_t n)
{
    value_release(v);
    v->k = V_STR;
    kc_buf_add(&v->s, s, n);
}

static void value_bool(struct value *v, bool b)
{
    value_release(v);
    v->k = b ? V_TRUE : V_FALSE;
}

static bool truthy(const struct value *v)
{
    return v->k != V_NIL && v->k != V_FALSE;
}

/* Ruby's to_s. */
static void append_to_s(struct kc_buf *out, const struct value *v)
{
    if (v->k == V_STR)
        kc_buf_add(out, v->s.data ? v->s.data : "", v->s.len);
    else if (v->k != V_NIL)
        kc_buf_adds(out, v->k == V_TRUE ? "true" : "false");
}

static const char *class_name(const struct value *v)
{
    static const char *const names[] = {"nil", "false", "true", "String"};
    return names[v->k];
}

static bool values_equal(const struct value *a, const struct value *b)
{
    if (a->k != b->k)
        return false;
    return a->k != V_STR ||
           (a->s.len == b->s.len && (a->s.len == 0 || memcmp(a->s.data, b->s.data, a->s.len) == 0));
}

/* ---- errors ---- */

static bool live(const struct ev *e, bool eval)
{
    return eval && e->rc == 0 && !e->env->check_only;
}

static void fail(struct ev *e, const char *fmt, ...) KC_PRINTF(2, 3);
static void fail(struct ev *e, const char *fmt, ...)
{
    if (e->rc)
        return;
    va_list ap;
    va_start(ap, fmt);
    kc_err_vset(e->err, KC_ECONFIG, fmt, ap);
    va_end(ap);
    e->rc = KC_ECONFIG;
}

/* A String argument (Ruby's TypeError otherwise); false after an error. */
static bool need_string(struct ev *e, const struct value *v, const char *what)
{
    if (v->k == V_STR)
        return true;
    fail(e, "%s: no implicit conversion of %s into String", what, class_name(v));
    return false;
}

/* ---- lexing ---- */

static void skip_ws(struct ev *e)
{
    while (e->p < e->end && (*e->p == ' ' || *e->p == '\t' || *e->p == '\n' || *e->p == '\r'))
        e->p++;
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Consumes tok after blanks; on a mismatch nothing is consumed. A word
 * must not run into an identifier ("nil" is not "nilly", "File" not
 * "Files"); an operator must not be the start of a longer one. */
static bool accept(struct ev *e, const char *tok)
{
    const char *save = e->p;
    skip_ws(e);
    size_t n = strlen(tok);
    bool ok = (size_t)(e->end - e->p) >= n && memcmp(e->p, tok, n) == 0;
    const char *after = e->p + n;
    if (ok && ident_char(tok[n - 1]) && after < e->end &&
        (ident_char(*after) || *after == '?' || *after == '!'))
        ok = false;
    if (ok && (strcmp(tok, "!") == 0 || strcmp(tok, "=") == 0) && after < e->end && *after == '=')
        ok = false;
    if (ok && strcmp(tok, ":") == 0 && after < e->end && *after == ':')
        ok = false;
    e->p = ok ? after : save;
    return ok;
}

static bool expect(struct ev *e, const char *tok)
{
    if (!accept(e, tok))
        e->bad = true;
    return !e->bad;
}

/* An identifier with an optional trailing ? or ! (a method name). */
static size_t method_name(struct ev *e, char *out, size_t cap)
{
    skip_ws(e);
    size_t n = 0;
    while (e->p + n < e->end && ident_char(e->p[n]))
        n++;
    if (n && e->p + n < e->end && (e->p[n] == '?' || e->p[n] == '!') &&
        !(e->p + n + 1 < e->end && e->p[n + 1] == '='))
        n++;
    if (n == 0 || n >= cap || isdigit((unsigned char)*e->p))
        return 0;
    memcpy(out, e->p, n);
    out[n] = '\0';
    e->p += n;
    return n;
}

/* ---- string literals ---- */

/* Ruby's double-quoted escapes that map to one byte; others (\u, \x,
 * octal, \c, \M) are refused rather than guessed. */
static bool dq_escape(char c, char *out)
{
    static const char from[] = "ntrsabfve";
    static const char to[] = "\n\t\r \a\b\f\v\x1b";
    const char *k = c ? strchr(from, c) : NULL;
    if (k) {
        *out = to[k - from];
        return true;
    }
    if (strchr("uxcCM01234567", c))
        return false;
    *out = c; /* \" \\ \# \` and unknown escapes: the character itself */
    return true;
}

/* The body of a double-quoted string, a backtick or %x(): escapes and
 * #{...} interpolation, up to close (nesting open/close pairs when open is
 * not 0). e->p is just after the opening delimiter. */
static void parse_interpolated(struct ev *e, bool eval, char open, char close, struct kc_buf *s)
{
    int level = 0;
    kc_buf_add(s, "", 0);
    while (e->p < e->end && !e->bad) {
        char c = *e->p++;
        if (c == close && level == 0)
            return;
        if (open && c == open)
            level++;
        else if (open && c == close)
            level--;
        if (c == '\\' && e->p < e->end) {
            if (!dq_escape(*e->p++, &c)) {
                e->bad = true;
                return;
            }
        } else if (c == '#' && e->p < e->end && (*e->p == '$' || *e->p == '@')) {
            e->bad = true; /* #$global, #@ivar */
            return;
        } else if (c == '#' && e->p < e->end && *e->p == '{') {
            struct value v = VALUE_NIL;
            e->p++;
            parse_expr(e, eval, &v);
            if (expect(e, "}"))
                append_to_s(s, &v);
            value_release(&v);
            continue;
        }
        kc_buf_addc(s, c);
    }
    e->bad = true; /* unterminated */
}

/* '...': only \' and \\ are escapes. */
static void parse_single_quoted(struct ev *e, struct kc_buf *s)
{
    kc_buf_add(s, "", 0);
    while (e->p < e->end) {
        char c = *e->p++;
        if (c == '\'')
            return;
        if (c == '\\' && e->p < e->end && (*e->p == '\'' || *e->p == '\\'))
            c = *e->p++;
        kc_buf_addc(s, c);
    }
    e->bad = true;
}

/* The closing delimiter of %x<open>: brackets pair, anything else closes
 * itself. 0 for a delimiter Ruby would not take. */
static char percent_close(char open, char *nest)
{
    static const char opens[] = "([{<", closes[] = ")]}>";
    const char *k = open ? strchr(opens, open) : NULL;
    *nest = k ? open : 0;
    if (k)
        return closes[k - opens];
    return ispunct((unsigned char)open) ? open : 0;
}

/* ---- commands, files, dotenv ---- */

/* `cmd` and %x(cmd): the command's standard output, as is (Ruby keeps the
 * trailing newline; .strip or .chomp remove it). Beyond Ruby, a command
 * that fails stops the load: a deploy.yml built from a failed command's
 * partial output is a surprise, not a configuration. */
static void run_command(struct ev *e, const char *cmd, struct value *v)
{
    struct kc_buf out = KC_BUF_INIT;
    struct kc_err err = KC_ERR_INIT;
    if (e->env->run(e->env->ud, cmd, &out, &err) == 0)
        value_str(v, kc_buf_str(&out), out.len);
    else
        fail(e, "command `%s` failed: %s", cmd, err.msg ? err.msg : "cannot run it");
    kc_err_release(&err);
    kc_buf_release(&out);
}

static void parse_command(struct ev *e, bool eval, char open, char close, struct value *v)
{
    struct kc_buf cmd = KC_BUF_INIT;
    parse_interpolated(e, eval, open, close, &cmd);
    if (!e->bad && live(e, eval))
        run_command(e, kc_buf_str(&cmd), v);
    kc_buf_release(&cmd);
}

/* Reads a regular file only: a FIFO or a device (/dev/stdin) would block a
 * load or never end. Returns 0, or -1 with errno set. */
static int read_regular(const char *path, struct kc_buf *text)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        return -1;
    }
    return kc_read_file(path, KC_ERB_READ_MAX, text);
}

static const char *read_error(int e)
{
    if (e == EFBIG)
        return "larger than 1 MiB";
    if (e == EINVAL)
        return "not a regular file";
    return strerror(e);
}

static void file_read(struct ev *e, const char *path, struct value *v)
{
    struct kc_buf text = KC_BUF_INIT;
    if (read_regular(path, &text) == 0)
        value_str(v, kc_buf_str(&text), text.len);
    else
        fail(e, "File.read('%s'): %s", path, read_error(errno));
    kc_buf_release(&text);
}

/* Arguments "(a, b, ...)" (or none) evaluated into args; max of them. */
static size_t parse_args(struct ev *e, bool eval, struct value *args, size_t max, bool required)
{
    size_t n = 0;
    if (!accept(e, "(")) {
        if (required)
            e->bad = true;
        return 0;
    }
    if (accept(e, ")"))
        return 0;
    do {
        if (n == max) {
            e->bad = true;
            return n;
        }
        parse_expr(e, eval, &args[n++]);
    } while (!e->bad && accept(e, ","));
    expect(e, ")");
    return n;
}

static void release_args(struct value *args, size_t n)
{
    for (size_t i = 0; i < n; i++)
        value_release(&args[i]);
}

/* File.read(path), File.exist?(path); "File" already read. */
static void parse_file(struct ev *e, bool eval, struct value *v)
{
    char name[16];
    struct value arg[1] = {VALUE_NIL};
    if (!accept(e, ".") || !method_name(e, name, sizeof name) ||
        (strcmp(name, "read") != 0 && strcmp(name, "exist?") != 0)) {
        e->bad = true;
        return;
    }
    bool is_read = strcmp(name, "read") == 0;
    size_t n = parse_args(e, eval, arg, 1, true);
    if (n != 1)
        e->bad = true;
    else if (live(e, eval) && need_string(e, &arg[0], is_read ? "File.read" : "File.exist?")) {
        if (is_read)
            file_read(e, kc_buf_str(&arg[0].s), v);
        else
            value_bool(v, access(kc_buf_str(&arg[0].s), F_OK) == 0);
    }
    release_args(arg, n);
}

/* ---- ENV ---- */

static void env_value(struct ev *e, const struct value *name, struct value *v)
{
    if (!need_string(e, name, "ENV"))
        return;
    const char *x = getenv(kc_buf_str(&name->s));
    if (x)
        value_str(v, x, strlen(x));
    else
        value_release(v);
}

/* ENV.fetch(name[, default]) or ENV.fetch(name) { default }: Ruby raises
 * KeyError when the variable is unset and there is no default. A block is
 * evaluated only when needed; a default argument always is. */
static void parse_fetch(struct ev *e, bool eval, struct value *v)
{
    struct value args[2] = {VALUE_NIL, VALUE_NIL}, dflt = VALUE_NIL;
    size_t n = parse_args(e, eval, args, 2, true);
    bool block = !e->bad && n == 1 && accept(e, "{");
    bool ok = !e->bad && n > 0 && live(e, eval) && need_string(e, &args[0], "ENV.fetch");
    bool set = ok && getenv(kc_buf_str(&args[0].s)) != NULL;
    if (block) {
        parse_expr(e, ok && !set, &dflt);
        expect(e, "}");
    }
    if (n == 0)
        e->bad = true;
    if (!e->bad && ok && set)
        env_value(e, &args[0], v);
    else if (!e->bad && ok && block)
        value_move(v, &dflt);
    else if (!e->bad && ok && n == 2)
        value_move(v, &args[1]);
    else if (!e->bad && ok)
        fail(e, "key not found: \"%s\"", kc_buf_str(&args[0].s));
    value_release(&dflt);
    release_args(args, 2);
}

/* ENV[name], ENV.fetch(...), ENV.key?(name); "ENV" already read. */
static void parse_env(struct ev *e, bool eval, struct value *v)
{
    char name[16];
    if (accept(e, "[")) {
        struct value key = VALUE_NIL;
        parse_expr(e, eval, &key);
        if (expect(e, "]") && live(e, eval))
            env_value(e, &key, v);
        value_release(&key);
        return;
    }
    if (!accept(e, ".") || !method_name(e, name, sizeof name)) {
        e->bad = true;
        return;
    }
    if (strcmp(name, "fetch") == 0) {
        parse_fetch(e, eval, v);
    } else if (strcmp(name, "key?") == 0 || strcmp(name, "include?") == 0 ||
               strcmp(name, "has_key?") == 0) {
        struct value key[1] = {VALUE_NIL};
        size_t n = parse_args(e, eval, key, 1, true);
        if (n != 1)
            e->bad = true;
        else if (live(e, eval) && need_string(e, &key[0], "ENV.key?"))
            value_bool(v, getenv(kc_buf_str(&key[0].s)) != NULL);
        release_args(key, n);
    } else {
        e->bad = true;
    }
}

/* ---- methods on values ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == '\0';
}

/* ActiveSupport's blank?: nil, false, or a string of whitespace only. */
static bool blank(const struct value *v)
{
    if (v->k != V_STR)
        return !truthy(v);
    for (size_t i = 0; i < v->s.len; i++)
        if (!is_space(v->s.data[i]))
            return false;
    return true;
}

static void string_strip(struct value *v, bool left, bool right)
{
    size_t a = 0, z = v->s.len;
    while (left && a < z && is_space(v->s.data[a]))
        a++;
    while (right && z > a && is_space(v->s.data[z - 1]))
        z--;
    char *s = kc_xstrndup(v->s.data ? v->s.data + a : "", z - a);
    value_str(v, s, z - a);
    free(s);
}

static void string_chomp(struct value *v)
{
    if (v->s.len && v->s.data[v->s.len - 1] == '\n')
        v->s.data[--v->s.len] = '\0';
    if (v->s.len && v->s.data[v->s.len - 1] == '\r')
        v->s.data[--v->s.len] = '\0';
}

static void string_case(struct value *v, bool upper)
{
    for (size_t i = 0; i < v->s.len; i++)
        v->s.data[i] = (char)(upper ? toupper((unsigned char)v->s.data[i])
                                    : tolower((unsigned char)v->s.data[i]));
}

enum method {
    M_STRIP,
    M_LSTRIP,
    M_RSTRIP,
    M_CHOMP,
    M_DOWNCASE,
    M_UPCASE,
    M_EMPTY, /* strings only */
    M_TO_S,
    M_PRESENCE,
    M_PRESENT,
    M_BLANK,
    M_NIL, /* any value */
};

static const struct {
    const char *name;
    enum method m;
} methods[] = {
    {"strip", M_STRIP},       {"lstrip", M_LSTRIP},    {"rstrip", M_RSTRIP}, {"chomp", M_CHOMP},
    {"downcase", M_DOWNCASE}, {"upcase", M_UPCASE},    {"empty?", M_EMPTY},  {"to_s", M_TO_S},
    {"presence", M_PRESENCE}, {"present?", M_PRESENT}, {"blank?", M_BLANK},  {"nil?", M_NIL},
};

static void apply_method(struct ev *e, enum method m, const char *name, struct value *v)
{
    if (m < M_TO_S && v->k != V_STR) {
        fail(e, "undefined method '%s' for %s", name, class_name(v));
        return;
    }
    switch (m) {
    case M_STRIP:
    case M_LSTRIP:
    case M_RSTRIP:
        string_strip(v, m != M_RSTRIP, m != M_LSTRIP);
        break;
    case M_CHOMP:
        string_chomp(v);
        break;
    case M_DOWNCASE:
    case M_UPCASE:
        string_case(v, m == M_UPCASE);
        break;
    case M_EMPTY:
        value_bool(v, v->s.len == 0);
        break;
    case M_TO_S: {
        struct kc_buf s = KC_BUF_INIT;
        append_to_s(&s, v);
        value_str(v, kc_buf_str(&s), s.len);
        kc_buf_release(&s);
        break;
    }
    case M_PRESENCE:
        if (blank(v))
            value_release(v);
        break;
    case M_PRESENT:
    case M_BLANK:
        value_bool(v, blank(v) == (m == M_BLANK));
        break;
    case M_NIL:
        value_bool(v, v->k == V_NIL);
        break;
    }
}

/* .method or .method() after a value. */
static void parse_method(struct ev *e, bool eval, struct value *v)
{
    char name[16];
    size_t i = 0;
    if (!method_name(e, name, sizeof name)) {
        e->bad = true;
        return;
    }
    while (i < KC_ARRAY_LEN(methods) && strcmp(methods[i].name, name) != 0)
        i++;
    if (i == KC_ARRAY_LEN(methods)) {
        e->bad = true;
        return;
    }
    if (accept(e, "(") && !expect(e, ")"))
        return;
    if (live(e, eval))
        apply_method(e, methods[i].m, name, v);
}

/* ---- expressions ---- */

static void parse_primary(struct ev *e, bool eval, struct value *v)
{
    skip_ws(e);
    char c = e->p < e->end ? *e->p : '\0';
    char nest, close;
    if (c == '"' || c == '`') {
        struct kc_buf s = KC_BUF_INIT;
        e->p++;
        if (c == '`') {
            parse_command(e, eval, 0, '`', v);
        } else {
            parse_interpolated(e, eval, 0, '"', &s);
            value_str(v, kc_buf_str(&s), s.len);
        }
        kc_buf_release(&s);
    } else if (c == '\'') {
        struct kc_buf s = KC_BUF_INIT;
        e->p++;
        parse_single_quoted(e, &s);
        value_str(v, kc_buf_str(&s), s.len);
        kc_buf_release(&s);
    } else if (c == '%' && e->end - e->p > 2 && e->p[1] == 'x' &&
               (close = percent_close(e->p[2], &nest)) != 0) {
        e->p += 3;
        parse_command(e, eval, nest, close, v);
    } else if (accept(e, "ENV")) {
        parse_env(e, eval, v);
    } else if (accept(e, "File")) {
        parse_file(e, eval, v);
    } else if (accept(e, "nil")) {
        value_release(v);
    } else if (accept(e, "true")) {
        value_bool(v, true);
    } else if (accept(e, "false")) {
        value_bool(v, false);
    } else if (accept(e, "(")) {
        parse_expr(e, eval, v);
        expect(e, ")");
    } else {
        e->bad = true;
    }
}

static void parse_postfix(struct ev *e, bool eval, struct value *v)
{
    parse_primary(e, eval, v);
    while (!e->bad && accept(e, "."))
        parse_method(e, eval, v);
}

static void parse_unary(struct ev *e, bool eval, struct value *v)
{
    if (accept(e, "!")) {
        if (e->depth >= KC_ERB_MAX_NESTING) {
            e->bad = e->too_deep = true;
            return;
        }
        e->depth++;
        parse_unary(e, eval, v);
        e->depth--;
        if (live(e, eval))
            value_bool(v, !truthy(v));
        return;
    }
    parse_postfix(e, eval, v);
}

/* a == b, a != b (not chained, as in Ruby). */
static void parse_equality(struct ev *e, bool eval, struct value *v)
{
    parse_unary(e, eval, v);
    bool eq = accept(e, "==");
    if (e->bad || (!eq && !accept(e, "!=")))
        return;
    struct value rhs = VALUE_NIL;
    parse_unary(e, eval, &rhs);
    if (live(e, eval))
        value_bool(v, values_equal(v, &rhs) == eq);
    value_release(&rhs);
}

/* a && b: b only when a is truthy; the value is a's or b's. */
static void parse_and(struct ev *e, bool eval, struct value *v)
{
    parse_equality(e, eval, v);
    while (!e->bad && accept(e, "&&")) {
        bool need = live(e, eval) && truthy(v);
        struct value rhs = VALUE_NIL;
        parse_equality(e, need, &rhs);
        if (need)
            value_move(v, &rhs);
        value_release(&rhs);
    }
}

/* a || b: b only when a is nil or false. */
static void parse_or(struct ev *e, bool eval, struct value *v)
{
    parse_and(e, eval, v);
    while (!e->bad && accept(e, "||")) {
        bool need = live(e, eval) && !truthy(v);
        struct value rhs = VALUE_NIL;
        parse_and(e, need, &rhs);
        if (need)
            value_move(v, &rhs);
        value_release(&rhs);
    }
}

/* cond ? a : b, right-associative, lowest precedence. */
static void parse_expr(struct ev *e, bool eval, struct value *v)
{
    if (e->depth >= KC_ERB_MAX_NESTING) {
        e->bad = e->too_deep = true;
        return;
    }
    e->depth++;
    parse_or(e, eval, v);
    if (!e->bad && accept(e, "?")) {
        bool cond = truthy(v);
        struct value a = VALUE_NIL, b = VALUE_NIL;
        parse_expr(e, eval && cond, &a);
        if (expect(e, ":"))
            parse_expr(e, eval && !cond, &b);
        if (live(e, eval))
            value_move(v, cond ? &a : &b);
        value_release(&a);
        value_release(&b);
    }
    e->depth--;
}

/* ---- statements ---- */

/* Dotenv.load, load!, overload (overwrite), overload! (overwrite!), as
 * dotenv 3: files (default .env) parsed with the rules of dotenv.c into
 * the process environment. Without overwrite a variable already set keeps
 * its value (and its line is not evaluated) and, of several files, the
 * first to set a variable wins; with it the first file given wins too
 * (dotenv reverses the list). A missing file is skipped unless the name
 * ends in '!'. */
static void dotenv_load_file(struct ev *e, const char *file, bool overwrite, bool must_exist)
{
    struct kc_buf text = KC_BUF_INIT;
    struct kc_kvlist vars = KC_KVLIST_INIT;
    struct kc_err err = KC_ERR_INIT;
    if (read_regular(file, &text) != 0) {
        if (must_exist || (errno != ENOENT && errno != EISDIR))
            fail(e, "Dotenv: cannot read %s: %s", file, read_error(errno));
    } else {
        struct kc_dotenv_opts o = {.run = e->env->run,
                                   .ud = e->env->ud,
                                   .lookup_process_env = true,
                                   .keep_process_env = !overwrite};
        if (kc_dotenv_parse(text.data, text.len, file, &vars, &o, &err) != 0) {
            char *where = kc_err_format(&err);
            fail(e, "Dotenv: %s", where);
            free(where);
        }
        for (size_t i = 0; e->rc == 0 && i < vars.n; i++)
            setenv(vars.v[i].key, vars.v[i].value, overwrite);
    }
    kc_err_release(&err);
    kc_kvlist_release(&vars);
    kc_buf_release(&text);
}

#define KC_DOTENV_MAX_FILES 16

static void dotenv_call(struct ev *e, const char *name)
{
    bool bang = name[strlen(name) - 1] == '!';
    bool overwrite = kc_starts_with(name, "over");
    struct value files[KC_DOTENV_MAX_FILES];
    for (size_t i = 0; i < KC_DOTENV_MAX_FILES; i++)
        files[i] = (struct value)VALUE_NIL;
    size_t n = parse_args(e, true, files, KC_DOTENV_MAX_FILES, false);
    for (size_t i = 0; !e->bad && live(e, true) && i < n; i++)
        need_string(e, &files[i], "Dotenv");
    for (size_t k = 0; !e->bad && live(e, true) && k < (n ? n : 1); k++) {
        size_t i = overwrite && n ? n - 1 - k : k;
        dotenv_load_file(e, n ? kc_buf_str(&files[i].s) : ".env", overwrite, bang);
    }
    release_args(files, n);
}

static void parse_dotenv(struct ev *e)
{
    static const char *const calls[] = {"load",      "load!",     "overload",
                                        "overload!", "overwrite", "overwrite!"};
    char name[16];
    if (!expect(e, ".") || !method_name(e, name, sizeof name)) {
        e->bad = true;
        return;
    }
    for (size_t i = 0; i < KC_ARRAY_LEN(calls); i++)
        if (strcmp(name, calls[i]) == 0) {
            dotenv_call(e, name);
            return;
        }
    e->bad = true;
}

/* require "dotenv" (nothing to do) or "dotenv/load" (Dotenv.load). */
static void parse_require(struct ev *e)
{
    struct kc_buf lib = KC_BUF_INIT;
    skip_ws(e);
    char q = e->p < e->end ? *e->p : '\0';
    if (q == '"' || q == '\'') {
        e->p++;
        if (q == '"')
            parse_interpolated(e, false, 0, '"', &lib);
        else
            parse_single_quoted(e, &lib);
    } else {
        e->bad = true;
    }
    bool load = strcmp(kc_buf_str(&lib), "dotenv/load") == 0;
    if (!load && strcmp(kc_buf_str(&lib), "dotenv") != 0)
        e->bad = true;
    else if (load && !e->bad && live(e, true))
        dotenv_load_file(e, ".env", false, false);
    kc_buf_release(&lib);
}

/* One statement, then its end: ';', a newline or the end of the code. */
static void parse_statement(struct ev *e)
{
    if (accept(e, "require"))
        parse_require(e);
    else if (accept(e, "Dotenv"))
        parse_dotenv(e);
    else
        e->bad = true;
    while (!e->bad && e->p < e->end && (*e->p == ' ' || *e->p == '\t'))
        e->p++;
    if (!e->bad && e->p < e->end && *e->p != ';' && *e->p != '\n' && *e->p != '\r' && *e->p != '#')
        e->bad = true;
}

/* ---- entry points ---- */

static int unsupported(struct ev *e, const char *code, size_t n)
{
    const char *a = code, *z = code + n;
    while (a < z && isspace((unsigned char)*a))
        a++;
    while (z > a && isspace((unsigned char)z[-1]))
        z--;
    if (e->too_deep)
        kc_err_set(e->err, KC_ECONFIG, "unsupported ERB: expression nested deeper than %d levels",
                   KC_ERB_MAX_NESTING);
    else
        kc_err_set(e->err, KC_ECONFIG, "unsupported ERB: %.*s", (int)(z - a), a);
    kc_err_set_hint(e->err,
                    "kamal-c evaluates the part of Ruby that deploy.yml files use (docs/guide.md, "
                    "ERB). Render the file with Ruby first and pass the result with -c, or set "
                    "the value through an environment variable and read it with ENV[\"NAME\"]");
    return KC_ECONFIG;
}

int kc_erb_output(const struct kc_erb_env *env, const char *code, size_t n, struct kc_buf *out,
                  struct kc_err *err)
{
    struct ev e = {code, code + n, env, false, 0, false, 0, err};
    struct value v = VALUE_NIL;
    parse_expr(&e, true, &v);
    skip_ws(&e);
    if (e.p != e.end)
        e.bad = true;
    int rc = e.bad ? unsupported(&e, code, n) : e.rc;
    if (rc == 0)
        append_to_s(out, &v);
    value_release(&v);
    return rc;
}

int kc_erb_statements(const struct kc_erb_env *env, const char *code, size_t n, struct kc_err *err)
{
    struct ev e = {code, code + n, env, false, 0, false, 0, err};
    for (;;) {
        while (e.p < e.end && (isspace((unsigned char)*e.p) || *e.p == ';'))
            e.p++;
        if (e.p < e.end && *e.p == '#') { /* a Ruby comment, to the end of its line */
            while (e.p < e.end && *e.p != '\n')
                e.p++;
            continue;
        }
        if (e.p >= e.end || e.bad || e.rc)
            break;
        parse_statement(&e);
    }
    return e.bad ? unsupported(&e, code, n) : e.rc;
}
