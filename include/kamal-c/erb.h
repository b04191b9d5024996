/* erb.h - ERB (trim_mode "-") with the part of Ruby that real deploy.yml
 * files use. docs/guide.md (ERB) is the user's description.
 *
 * Tags: <%= expr %>, <% statements %>, <%# comment %>, <%- (drops the
 * blanks before it on its line), -%> (drops the newline after it), <%%.
 *
 *   expr    := cond [ "?" expr ":" expr ]
 *   cond    := and ( "||" and )*          and := eq ( "&&" eq )*
 *   eq      := unary [ ("==" | "!=") unary ]
 *   unary   := "!" unary | primary ( "." method [ "()" ] )*
 *   primary := '...' | "..." (escapes, #{expr}) | `cmd` | %x(cmd) (also
 *              %x[] %x{} %x<> %x|..|, with #{expr}) | nil | true | false
 *            | ENV[expr] | ENV.fetch(expr [, expr]) | ENV.fetch(expr) { expr }
 *            | ENV.key?(expr) | File.read(expr) | File.exist?(expr) | "(" expr ")"
 *   method  := strip lstrip rstrip chomp downcase upcase empty? (strings)
 *            | to_s presence present? blank? nil? (any value)
 *   statements (in <% %>), separated by ";" or newlines, # comments:
 *              require "dotenv" | require "dotenv/load"
 *            | Dotenv.load|load!|overload|overload!|overwrite|overwrite! [(file, ...)]
 *
 * Values are nil, false, true or strings, with Ruby's rules (only nil and
 * false are falsy; a short circuit skips what it does not need; nil renders
 * as ""). Commands run at load through the runner (the one secrets files
 * use for $(cmd)); their output is kept as is, trailing newline included,
 * as Ruby's backticks do. Beyond Ruby, a command that fails stops the load.
 * Anything else (other methods, constants, control flow, requiring other
 * files) is an error naming the file, line and code, with a hint: it is
 * never passed through silently. */
#ifndef KAMAL_C_ERB_H
#define KAMAL_C_ERB_H

#include "err.h"
#include "secrets.h"
#include "util.h"

/* Integer vector used for the output-line -> source-line map. */
struct kc_intvec {
    int *v;
    size_t n;
    size_t cap;
};
#define KC_INTVEC_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }
void kc_intvec_push(struct kc_intvec *iv, int x);
void kc_intvec_release(struct kc_intvec *iv);

struct kc_erb_opts {
    kc_cmd_runner run; /* `cmd`, %x(cmd) and $(cmd) in Dotenv files; NULL = kc_dotenv_run_sh */
    void *ud;
};

/* Renders text (from file, for messages) into out. line_map gets one entry
 * per output line: the 1-based source line it came from. The whole text is
 * checked before anything is evaluated, so code outside the subset stops a
 * render before any command runs. Environment lookups use getenv();
 * Dotenv.load sets variables in the process environment. opts may be NULL.
 * Returns 0 or KC_ECONFIG with file:line:col. */
int kc_erb_render(const char *text, size_t len, const char *file, const struct kc_erb_opts *opts,
                  struct kc_buf *out, struct kc_intvec *line_map, struct kc_err *err);

#endif
