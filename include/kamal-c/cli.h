/* cli.h - the command table and the dispatcher.
 *
 * One static table of verbs (after tmux's cmd_entry and git's cmd_struct):
 * name, summary, usage, arity, accepted options, capability flags and the
 * handler, with sub-tables for verb groups (`accessory boot`, `lock status`).
 * Arity and unknown options are checked once, generically, before a handler
 * runs; capability flags are acted on once, in the dispatcher. */
#ifndef KAMAL_C_CLI_H
#define KAMAL_C_CLI_H

#include "ctx.h"

enum kc_verb_flags {
    KC_V_CONFIG = 1 << 0,       /* loads deploy.yml (exit 3 on errors) */
    KC_V_HOSTS = 1 << 1,        /* talks to hosts: filters and a fleet */
    KC_V_LOCK = 1 << 2,         /* may take the deploy lock (the verb decides when) */
    KC_V_LOCK_UPFRONT = 1 << 3, /* always mutates: the lock is taken before it runs */
    KC_V_MUTATES = 1 << 4,      /* changes hosts: --dry-run prints instead */
    KC_V_PASSTHROUGH = 1 << 5,  /* operands from passthrough_at on are a remote command:
                                   kamal-c's options are still taken anywhere, unknown
                                   dash-words there are the command's, `--` ends options */
    KC_V_HIDDEN = 1 << 6,       /* not listed in help (as Kamal hides it) */
    KC_V_FINISHED = 1 << 7,     /* prints "Finished in N.N s" at the end */
    KC_V_SECRETS = 1 << 8,      /* prints remote output: the secrets files are loaded
                                   before the first connection, so every value in them
                                   is redacted from what it prints (docs/security.md) */
};

#define KC_MAX_VERB_OPTS 12

/* What a shell completes for a verb's first operand or a global option's
 * value (src/cli/completion.c). The literal words of a usage or an argname
 * ("NAME|all", "text|json") are offered as well, whatever the kind. */
enum kc_complete {
    KC_COMPLETE_NONE = 0,    /* free text: nothing but the literal words */
    KC_COMPLETE_FILE,        /* a local file */
    KC_COMPLETE_CONFIG_FILE, /* a file; the names below are read from it (-c) */
    KC_COMPLETE_DESTINATION, /* a config/deploy.DEST.yml next to it (-d) */
    KC_COMPLETE_ACCESSORY,   /* from deploy.yml */
    KC_COMPLETE_ROLE,
    KC_COMPLETE_HOST,
    KC_COMPLETE_COMMAND, /* the operands are a kamal-c command (help) */
    KC_COMPLETE_DOCS,    /* a `kamal-c docs` section */
};

struct kc_opt {
    const char *lname; /* long name, without -- */
    char sname;        /* short letter or 0 */
    bool takes_value;
    const char *argname; /* for help: --lines=N */
    const char *help;
};

struct kc_args {
    struct kc_strvec pos;
    const char *vals[KC_MAX_VERB_OPTS];
    bool set[KC_MAX_VERB_OPTS];
    const struct kc_opt *opts; /* the verb's option table */
};

struct kc_verb;
typedef int (*kc_verb_fn)(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err);

struct kc_verb {
    const char *name;
    const char *summary;
    const char *usage; /* operands, e.g. "NAME|all" */
    int min_args;
    int max_args;                      /* -1: unlimited */
    const struct kc_opt *opts;         /* terminated by an entry with lname NULL */
    unsigned flags;                    /* enum kc_verb_flags */
    int passthrough_at;                /* KC_V_PASSTHROUGH: first operand of the command */
    kc_verb_fn exec;                   /* NULL for groups */
    const struct kc_verb *const *subs; /* NULL-terminated, for groups */
    const char *help;                  /* longer text for `help VERB` and the man page */
    enum kc_complete operand;          /* what the first operand names (a group's: its verbs') */
};

/* Verb option access by long name. */
bool kc_args_flag(const struct kc_args *a, const char *lname);
const char *kc_args_value(const struct kc_args *a, const char *lname);

/* The root table (src/cli/table.c) and the verb groups. */
extern const struct kc_verb kc_root_verb;

/* Whether `[group] word` is a Kamal command kamal-c does not implement yet
 * (group NULL for a root command). */
bool kc_kamal_pending(const char *group, const char *word);

/* The names of the root verbs (for alias conflict checks), NULL-terminated. */
const char *const *kc_root_verb_names(void);

/* Runs kamal-c with argv; returns the process exit status. */
int kc_main(int argc, char **argv);

/* Help text for a verb path (root when verb is &kc_root_verb). */
void kc_help_print(FILE *f, const struct kc_verb *const *path, size_t depth);
/* The same text, through the output sink (kc_out_help). */
void kc_help_out(struct kc_out *o, const struct kc_verb *const *path, size_t depth);

/* The exit statuses, for help and the man page: {0, NULL}-terminated. */
struct kc_exit_doc {
    int status;
    const char *meaning;
};
extern const struct kc_exit_doc kc_exit_docs[];

/* The generated manual and completions (src/cli/man.c, completion.c),
 * written at build time by the hidden verbs `__man` and `__completion`.
 * section: 1 (kamal-c) or 5 (kamal-c-deploy.yml); shell: bash, zsh or fish.
 * Both return -1 for an unknown one. */
int kc_man_render(int section, struct kc_buf *out);
int kc_completion_render(const char *shell, struct kc_buf *out);
/* What the completions call at run time: the names of kind ("accessories",
 * "roles", "hosts", "destinations", "aliases") from the deploy.yml that -c
 * and -d select, or every visible command with its options ("commands").
 * One per line; -1 for an unknown kind. */
int kc_complete_names(const char *kind, const char *config_file, const char *destination,
                      struct kc_buf *out);

#endif
