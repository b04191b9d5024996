/* erb_int.h - internal to src/config: the Ruby subset that ERB tags hold
 * (erb_eval.c), used by the tag scanner (erb.c). */
#ifndef KC_ERB_INT_H
#define KC_ERB_INT_H

#include "kamal-c/erb.h"

/* What one render may do. check_only parses every tag and evaluates
 * nothing: a render is first checked whole, so that a tag outside the
 * subset stops it before any command of an earlier tag runs (Ruby compiles
 * the whole template before running it). */
struct kc_erb_env {
    kc_cmd_runner run; /* never NULL */
    void *ud;
    bool check_only;
};

/* Errors of both functions are KC_ECONFIG with err->msg (and err->hint for
 * code outside the subset), without a location: the caller adds
 * file:line:col. */

/* <%= code %>: appends the value's to_s to out. */
int kc_erb_output(const struct kc_erb_env *env, const char *code, size_t n, struct kc_buf *out,
                  struct kc_err *err);

/* <% code %>: statements (require "dotenv", Dotenv.load, ...), separated by
 * ';' or newlines. Blank code is nothing. */
int kc_erb_statements(const struct kc_erb_env *env, const char *code, size_t n, struct kc_err *err);

#endif
