/* parse.h - command-line parsing (internal to cli/). */
#ifndef KAMAL_C_CLI_PARSE_H
#define KAMAL_C_CLI_PARSE_H

#include "kamal-c/cli.h"

#define KC_MAX_DEPTH 4

struct kc_parsed {
    struct kc_globals g;
    const struct kc_verb *path[KC_MAX_DEPTH]; /* root, group, verb */
    size_t depth;
    const struct kc_verb *verb; /* the leaf verb, or NULL */
    struct kc_args args;
    char *alias_name; /* an unknown root word: maybe an alias */
    bool in_alias_args;
    struct kc_strvec alias_args; /* words after the alias name */
};

void kc_parsed_init(struct kc_parsed *p);
void kc_parsed_release(struct kc_parsed *p);
/* Parses argv[1..] into p. KC_EUSAGE with a "did you mean" hint on errors. */
int kc_parse_argv(struct kc_parsed *p, int argc, char **argv, struct kc_err *err);
/* Checks the chosen verb's operand count. */
int kc_check_arity(const struct kc_parsed *p, struct kc_err *err);
/* "accessory boot" */
char *kc_verb_path_name(const struct kc_parsed *p);
const struct kc_opt *kc_global_opts(void);
/* What a shell completes for the value of global option i. */
enum kc_complete kc_global_opt_complete(size_t i);

#endif
