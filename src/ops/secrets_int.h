/* secrets_int.h - what the secrets adapter files share (ops/secrets*.c). */
#ifndef KAMAL_C_OPS_SECRETS_INT_H
#define KAMAL_C_OPS_SECRETS_INT_H

#include "kamal-c/local.h"
#include "kamal-c/ops_secrets.h"

#include <cjson/cJSON.h>

/* How a vendor CLI runs. */
enum kc_sec_how {
    KC_SEC_PLAIN = 0,       /* output may be traced with -v (version checks) */
    KC_SEC_SECRET = 1 << 0, /* output never traced: values, tokens, account data */
    KC_SEC_LOGIN = 1 << 1,  /* may prompt: our terminal's stdin and stderr */
};

struct kc_sec_adapter;

/* One fetch with one adapter. */
struct kc_sec_call {
    struct kc_ctx *ctx;
    const struct kc_sec_adapter *ad;
    const char *account;
    const char *from;
    const struct kc_strvec *names;
    struct kc_kvlist *results;
    struct kc_kvlist env; /* variables for the CLI (BW_SESSION) */
};

struct kc_sec_adapter {
    const char *name;        /* as Kamal's docs write it: 1password */
    const char *alias;       /* Kamal's class-name spelling: one_password (or NULL) */
    const char *cli;         /* op (NULL: no CLI, the test adapter) */
    const char *product;     /* 1Password CLI */
    const char *version_arg; /* --version (enpass-cli: version) */
    bool requires_account;
    int (*fetch)(struct kc_sec_call *c, struct kc_err *err); /* login, then fetch */
};

extern const struct kc_sec_adapter kc_sec_test, kc_sec_aws, kc_sec_gcp, kc_sec_doppler, kc_sec_bws,
    kc_sec_onepassword, kc_sec_bitwarden, kc_sec_lastpass, kc_sec_enpass, kc_sec_passbolt;

/* Runs the adapter's CLI with cmd's argv (c->env added). 0 when it ran
 * (res->status says how it went); KC_EREMOTE "ADAPTER: could not run CLI"
 * when it could not start. */
int kc_sec_run(struct kc_sec_call *c, const struct kc_cmd *cmd, unsigned how,
               struct kc_exec_result *res, struct kc_err *err);
/* The same with argv as a NULL-terminated list of plain arguments. */
int kc_sec_runv(struct kc_sec_call *c, unsigned how, struct kc_exec_result *res, struct kc_err *err,
                ...) __attribute__((sentinel));

/* KC_EREMOTE "ADAPTER: <message>", with the CLI's stderr (res may be NULL)
 * and its exit status. */
int kc_sec_fail(struct kc_sec_call *c, const struct kc_exec_result *res, struct kc_err *err,
                const char *fmt, ...) KC_PRINTF(4, 5);
/* KC_EUSAGE "ADAPTER: <message>". */
int kc_sec_usage(struct kc_sec_call *c, struct kc_err *err, const char *fmt, ...) KC_PRINTF(3, 4);

/* The CLI's stdout as JSON (NULL and err filled when it is not: what names
 * the command). Caller frees with cJSON_Delete. */
cJSON *kc_sec_parse(struct kc_sec_call *c, const struct kc_exec_result *res, const char *what,
                    struct kc_err *err);
/* Runs cmd (its output is secret) and parses what it prints as JSON into
 * *out (caller frees with cJSON_Delete). A non-zero exit fails as "could not
 * read WHAT from WHERE"; sub names the command in the no-JSON message. */
int kc_sec_read_json(struct kc_sec_call *c, const struct kc_cmd *cmd, const char *what,
                     const char *where, const char *sub, cJSON **out, struct kc_err *err);
/* 0 when missing is empty, else KC_EREMOTE "could not find A, B in WHERE". */
int kc_sec_none_missing(struct kc_sec_call *c, const struct kc_strvec *missing, const char *where,
                        struct kc_err *err);
/* A JSON string member, or NULL. */
const char *kc_sec_str(const cJSON *obj, const char *key);
/* A value as Kamal's adapters turn it into text: a string as is, anything
 * else as compact JSON. Caller frees. */
char *kc_sec_stringify(const cJSON *v);

/* Records one result (and registers the value for redaction). */
void kc_sec_put(struct kc_sec_call *c, const char *key, const char *value);
/* The names with --from in front ("FROM/NAME"), as Kamal's prefixed_secrets. */
void kc_sec_prefixed(const struct kc_sec_call *c, struct kc_strvec *out);
/* "a, b, c" of a list. Caller frees. */
char *kc_sec_list(const struct kc_strvec *v);
/* The parts of s between '/' (empty parts kept, as Ruby's split drops only
 * trailing ones). */
void kc_sec_split_path(const char *s, struct kc_strvec *parts);

#endif
