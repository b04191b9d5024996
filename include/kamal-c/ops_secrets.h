/* ops_secrets.h - `secrets fetch|extract|print` and `$(kamal secrets ...)`
 * inside .kamal/secrets files (Kamal's lib/kamal/cli/secrets.rb and
 * lib/kamal/secrets/adapters/).
 *
 * An adapter calls its vendor's own CLI (op, bw, bws, lpass, aws, gcloud,
 * doppler, enpass-cli, passbolt) through the local choke point, as Kamal
 * does: a version check first (a missing CLI is an error naming it), the
 * vendor's login check (and its interactive login, on the terminal), then
 * the fetch. Every value fetched is registered for redaction at once; the
 * vendor CLI's output is never traced (KC_SECRET_OUTPUT), session tokens
 * reach it as its documented --session argument (shown as <secret:..>) or
 * environment variable, never a value of the secrets. */
#ifndef KAMAL_C_OPS_SECRETS_H
#define KAMAL_C_OPS_SECRETS_H

#include "ctx.h"

struct kc_secrets_fetch_request {
    const char *adapter; /* 1password, bitwarden, ... (Kamal's names and aliases) */
    const char *account; /* --account (required by 1password, bitwarden, lastpass, gcp) */
    const char *from;    /* --from: names are prefixed with FROM/ */
    const struct kc_strvec *names;
};

/* Fetches the names with the adapter into results ("FROM/NAME" -> value, in
 * the order the vendor gave them). KC_EUSAGE: unknown adapter, --account
 * missing where required, names the adapter cannot take. KC_EREMOTE: the CLI
 * is missing or fails, the login fails, a secret is not found; the message
 * starts with the adapter's name and names the CLI. */
int kc_secrets_fetch(struct kc_ctx *ctx, const struct kc_secrets_fetch_request *req,
                     struct kc_kvlist *results, struct kc_err *err);

/* results as one compact JSON object, as Kamal's JSON.dump. Caller frees. */
char *kc_secrets_json(const struct kc_kvlist *results);

/* The value in json (a JSON object) whose key is name, else the first whose
 * key ends in "/name". KC_EUSAGE when json is no JSON object, KC_EREMOTE
 * "could not find secret NAME". *value: caller frees. */
int kc_secrets_extract(const char *name, const char *json, char **value, struct kc_err *err);

/* The verbs: print the JSON of a fetch, one extracted value, or every
 * secret of the loaded secrets files as KEY=value. They print secret
 * values on purpose (kc_out_reveal). */
int kc_secrets_fetch_verb(struct kc_ctx *ctx, const struct kc_secrets_fetch_request *req,
                          struct kc_err *err);
int kc_secrets_extract_verb(struct kc_ctx *ctx, const char *name, const char *json,
                            struct kc_err *err);
int kc_secrets_print(struct kc_ctx *ctx, struct kc_err *err);

/* The kc_cmd_runner (ud = the ctx) for $(cmd) in secrets files: a `kamal
 * secrets` / `kamal-c secrets` command (kc_dotenv_is_secrets_command) runs
 * here, in-process, with Kamal's inline rules (`fetch` gives its JSON
 * shell-escaped, so that `extract NAME $SECRETS` gets it back intact through
 * shell-word splitting); anything else goes to kc_ctx_run_shell. */
int kc_ctx_run_dotenv(void *ud, const char *command, struct kc_buf *out, struct kc_err *err);

/* The adapters' names, NULL-terminated (for help and errors). */
const char *const *kc_secrets_adapter_names(void);

#endif
