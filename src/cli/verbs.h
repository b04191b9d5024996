/* verbs.h - the verb groups of the command table (one file each). */
#ifndef KAMAL_C_CLI_VERBS_H
#define KAMAL_C_CLI_VERBS_H

#include "kamal-c/cli.h"

extern const struct kc_verb kc_verb_accessory;
extern const struct kc_verb kc_verb_app;
extern const struct kc_verb kc_verb_audit;
extern const struct kc_verb kc_verb_build;
extern const struct kc_verb kc_verb_config;
extern const struct kc_verb kc_verb_docs;
extern const struct kc_verb kc_verb_help;
extern const struct kc_verb kc_verb_init;
extern const struct kc_verb kc_verb_lock;
extern const struct kc_verb kc_verb_proxy;
extern const struct kc_verb kc_verb_registry;
extern const struct kc_verb kc_verb_secrets;
extern const struct kc_verb kc_verb_server;
extern const struct kc_verb kc_verb_version;
/* cmd_deploy.c */
extern const struct kc_verb kc_verb_deploy;
extern const struct kc_verb kc_verb_redeploy;
extern const struct kc_verb kc_verb_setup;
extern const struct kc_verb kc_verb_rollback;
extern const struct kc_verb kc_verb_prune;
extern const struct kc_verb kc_verb_remove;
extern const struct kc_verb kc_verb_details;
/* hidden: what the build and the shell completions run (cmd_manual.c) */
extern const struct kc_verb kc_verb_man;
extern const struct kc_verb kc_verb_completion;
extern const struct kc_verb kc_verb_complete;

#endif
