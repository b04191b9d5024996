/* cmd.h - a remote command line as data.
 *
 * The commands/ layer builds every remote step as a struct kc_cmd: a list of
 * tokens. Values (from deploy.yml, secrets files or the user) are ARG tokens
 * and always pass through kc_shell_quote, the one quoting function. Shell
 * operators are OP tokens, restricted to a fixed set, so no value can ever
 * become one. Two more kinds exist for what Kamal leaves to the remote shell:
 * PWD_ARG renders as "$PWD"/'rest' (the same path Kamal's unquoted
 * $PWD/rest gives), and USER_SHELL is the command a user typed for `exec`,
 * which Kamal hands to the host's shell as written.
 *
 * A token may be marked secret: it is sent as is, but every rendering meant
 * for people (dry-run, -v traces, error messages) shows <secret:NAME>. Data
 * for the command's stdin (docker login --password-stdin) is never shown. */
#ifndef KAMAL_C_CMD_H
#define KAMAL_C_CMD_H

#include "util.h"

enum kc_tok_kind {
    KC_TOK_ARG,        /* quoted value */
    KC_TOK_OP,         /* one of kc_cmd_ops[] */
    KC_TOK_PWD_ARG,    /* "$PWD"/<quoted rest> */
    KC_TOK_USER_SHELL, /* a user's own shell command (exec), unquoted */
};

struct kc_tok {
    enum kc_tok_kind kind;
    char *text;
    char *secret_name; /* non-NULL: shown as <secret:NAME> */
};

struct kc_cmd {
    struct kc_tok *toks;
    size_t n;
    size_t cap;
    char *stdin_data; /* sent on the channel's stdin, then EOF */
    size_t stdin_len;
    bool stdin_secret; /* never shown */
};
#define KC_CMD_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, NULL, 0, false                                                                 \
    }

/* Appends each argument as an ARG token; the list ends with NULL. */
void kc_cmd_args(struct kc_cmd *c, ...) __attribute__((sentinel));
void kc_cmd_arg(struct kc_cmd *c, const char *arg);
void kc_cmd_argf(struct kc_cmd *c, const char *fmt, ...) KC_PRINTF(2, 3);
void kc_cmd_secret_arg(struct kc_cmd *c, const char *value, const char *secret_name);
/* op must be one of: && || | ; > >> 2>&1 2>/dev/null >/dev/null ( ) ! */
void kc_cmd_op(struct kc_cmd *c, const char *op);
void kc_cmd_pwd_arg(struct kc_cmd *c, const char *rest);
void kc_cmd_user_shell(struct kc_cmd *c, const char *command);
void kc_cmd_set_stdin(struct kc_cmd *c, const void *data, size_t len, bool secret);
void kc_cmd_release(struct kc_cmd *c);

/* Quote one value for a POSIX shell: bare when it is made only of
 * [A-Za-z0-9_@%+=:,./-] (and not empty), else single-quoted with ' as '\''. */
void kc_shell_quote(struct kc_buf *out, const char *s);

/* The exact line sent to the host (secrets included). Caller frees. */
char *kc_cmd_render_exec(const struct kc_cmd *c);
/* The same line with secret tokens shown as <secret:NAME> (for people). */
char *kc_cmd_render_display(const struct kc_cmd *c);

#endif
