/* cmd_secrets.c - `secrets fetch|extract|print`: options; the work is in
 * ops/secrets*.c. */
#include "kamal-c/ops_secrets.h"
#include "verbs.h"

static int fetch_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    struct kc_secrets_fetch_request req = {
        .adapter = kc_args_value(args, "adapter"),
        .account = kc_args_value(args, "account"),
        .from = kc_args_value(args, "from"),
        .names = &args->pos,
    };
    return kc_secrets_fetch_verb(ctx, &req, err);
}

static int extract_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    return kc_secrets_extract_verb(ctx, args->pos.v[0], args->pos.v[1], err);
}

static int print_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    (void)args;
    return kc_secrets_print(ctx, err);
}

static const struct kc_opt fetch_opts[] = {
    {"adapter", 'a', true, "ADAPTER", "which vault adapter to use (required)"},
    {"account", 0, true, "ACCOUNT", "the account identifier or username"},
    {"from", 0, true, "FROM", "a vault or folder to fetch the secrets from"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_verb secrets_fetch = {
    .name = "fetch",
    .summary = "Fetch secrets from a vault (prints them as JSON)",
    .usage = "[SECRETS...]",
    .max_args = -1,
    .opts = fetch_opts,
    .exec = fetch_exec,
    .help = "Runs the vault's own CLI and prints {\"FROM/NAME\": \"value\", ...}. Adapters:\n"
            "1password (op), bitwarden (bw), bitwarden-sm (bws), lastpass (lpass),\n"
            "aws_secrets_manager (aws), gcp (gcloud), doppler, enpass (enpass-cli), passbolt,\n"
            "and test (each value is its name reversed). 1password, bitwarden, lastpass and gcp\n"
            "need --account. It prints secret values: use it in .kamal/secrets as\n"
            "SECRETS=$(kamal secrets fetch ...), where it runs inside kamal-c.",
};

static const struct kc_verb secrets_extract = {
    .name = "extract",
    .summary = "Extract one secret from the JSON of a fetch (prints it)",
    .usage = "NAME SECRETS",
    .min_args = 2,
    .max_args = 2,
    .exec = extract_exec,
    .help = "Prints the value whose key is NAME, or ends in /NAME. Use it in .kamal/secrets as\n"
            "KEY=$(kamal secrets extract KEY $SECRETS).",
};

static const struct kc_verb secrets_print = {
    .name = "print",
    .summary = "Print every secret as KEY=value (shows the secrets, for debugging)",
    .max_args = 0,
    .flags = KC_V_CONFIG,
    .exec = print_exec,
    .help = "Reads the secrets files (.kamal/secrets-common, then .kamal/secrets, or\n"
            ".kamal/secrets.DEST with -d) as deploys do and prints each KEY=value.\n"
            "WARNING: this prints your secrets in clear text, on purpose: it is the way to see\n"
            "how the files were parsed. Do not run it where the output is logged (CI).",
};

static const struct kc_verb *const secrets_subs[] = {&secrets_fetch, &secrets_extract,
                                                     &secrets_print, NULL};

const struct kc_verb kc_verb_secrets = {
    .name = "secrets",
    .summary = "Fetch secrets from vaults, extract and print them",
    .subs = secrets_subs,
};
