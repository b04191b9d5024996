/* cmd.c - building and rendering remote command lines (see cmd.h). */
#include "kamal-c/cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kc_cmd_ops[] = {"&&",   "||",          "|",          ";", ">", ">>",
                                         "2>&1", "2>/dev/null", ">/dev/null", "(", ")", "!"};

static struct kc_tok *push_tok(struct kc_cmd *c, enum kc_tok_kind kind, const char *text)
{
    kc_xgrow((void **)&c->toks, &c->cap, c->n + 1, sizeof(*c->toks));
    struct kc_tok *t = &c->toks[c->n++];
    t->kind = kind;
    t->text = kc_xstrdup(text);
    t->secret_name = NULL;
    return t;
}

void kc_cmd_arg(struct kc_cmd *c, const char *arg)
{
    push_tok(c, KC_TOK_ARG, arg);
}

void kc_cmd_args(struct kc_cmd *c, ...)
{
    va_list ap;
    va_start(ap, c);
    for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
        kc_cmd_arg(c, a);
    va_end(ap);
}

void kc_cmd_argf(struct kc_cmd *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = kc_xvasprintf(fmt, ap);
    va_end(ap);
    kc_cmd_arg(c, s);
    free(s);
}

void kc_cmd_secret_arg(struct kc_cmd *c, const char *value, const char *secret_name)
{
    struct kc_tok *t = push_tok(c, KC_TOK_ARG, value);
    t->secret_name = kc_xstrdup(secret_name ? secret_name : "value");
}

void kc_cmd_op(struct kc_cmd *c, const char *op)
{
    for (size_t i = 0; i < KC_ARRAY_LEN(kc_cmd_ops); i++) {
        if (strcmp(op, kc_cmd_ops[i]) == 0) {
            push_tok(c, KC_TOK_OP, op);
            return;
        }
    }
    /* A programming error, never reachable from input: refuse to build a
     * command with an unknown operator rather than send it. */
    fprintf(stderr, "kamal-c: internal error: unknown shell operator '%s'\n", op);
    abort();
}

void kc_cmd_pwd_arg(struct kc_cmd *c, const char *rest)
{
    push_tok(c, KC_TOK_PWD_ARG, rest);
}

void kc_cmd_user_shell(struct kc_cmd *c, const char *command)
{
    push_tok(c, KC_TOK_USER_SHELL, command);
}

void kc_cmd_set_stdin(struct kc_cmd *c, const void *data, size_t len, bool secret)
{
    free(c->stdin_data);
    c->stdin_data = kc_xmalloc(len + 1);
    memcpy(c->stdin_data, data, len);
    c->stdin_data[len] = '\0';
    c->stdin_len = len;
    c->stdin_secret = secret;
}


void kc_cmd_release(struct kc_cmd *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->toks[i].text);
        free(c->toks[i].secret_name);
    }
    free(c->toks);
    free(c->stdin_data);
    memset(c, 0, sizeof *c);
}

static bool is_bare_safe(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              strchr("_@%+=:,./-", ch)))
            return false;
    }
    return true;
}

void kc_shell_quote(struct kc_buf *out, const char *s)
{
    if (is_bare_safe(s)) {
        kc_buf_adds(out, s);
        return;
    }
    kc_buf_addc(out, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            kc_buf_adds(out, "'\\''");
        else
            kc_buf_addc(out, *s);
    }
    kc_buf_addc(out, '\'');
}

static char *render(const struct kc_cmd *c, bool display)
{
    struct kc_buf b = KC_BUF_INIT;
    for (size_t i = 0; i < c->n; i++) {
        const struct kc_tok *t = &c->toks[i];
        if (i)
            kc_buf_addc(&b, ' ');
        if (display && t->secret_name) {
            kc_buf_addf(&b, "<secret:%s>", t->secret_name);
            continue;
        }
        switch (t->kind) {
        case KC_TOK_ARG:
            kc_shell_quote(&b, t->text);
            break;
        case KC_TOK_OP:
        case KC_TOK_USER_SHELL:
            kc_buf_adds(&b, t->text);
            break;
        case KC_TOK_PWD_ARG:
            kc_buf_adds(&b, "\"$PWD\"/");
            kc_shell_quote(&b, t->text);
            break;
        }
    }
    return kc_buf_detach(&b);
}

char *kc_cmd_render_exec(const struct kc_cmd *c)
{
    return render(c, false);
}

char *kc_cmd_render_display(const struct kc_cmd *c)
{
    return render(c, true);
}
