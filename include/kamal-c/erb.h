/* erb.h - the subset of ERB that real deploy.yml files use.
 *
 * Supported, as a small expression grammar (not fixed spellings):
 *   <%= expr %>   <%= expr -%>   <%# comment %>   <%- ... %> (leading trim)
 *   expr   := term ( "||" term )*
 *   term   := string | ENV[string] | ENV.fetch(string [, expr]) | "(" expr ")"
 *   string := '...' | "..." (with \" \\ \n \t escapes in double quotes)
 * ENV[...] of an unset variable is nil; `a || b` takes b when a is nil or
 * empty-as-nil is NOT applied (Ruby: only nil and false are falsy). ENV.fetch
 * without a default of an unset variable is an error (Ruby raises KeyError).
 * A nil result renders as "". Anything else (backticks, %x(), method calls,
 * control flow) is an error naming the file, line and expression: it is never
 * passed through silently. */
#ifndef KAMAL_C_ERB_H
#define KAMAL_C_ERB_H

#include "err.h"
#include "util.h"

/* Integer vector used for the output-line -> source-line map. */
struct kc_intvec {
    int *v;
    size_t n;
    size_t cap;
};
#define KC_INTVEC_INIT {NULL, 0, 0}
void kc_intvec_push(struct kc_intvec *iv, int x);
void kc_intvec_release(struct kc_intvec *iv);

/* Renders text (from file, for messages) into out. line_map gets one entry per
 * output line: the 1-based source line it came from. Environment lookups use
 * getenv(). Returns 0 or KC_ECONFIG. */
int kc_erb_render(const char *text, size_t len, const char *file, struct kc_buf *out,
                  struct kc_intvec *line_map, struct kc_err *err);

#endif
