/* ctx.h - what one run of kamal-c carries from the dispatcher to a verb.
 *
 * The dispatcher fills the global options, loads the configuration for verbs
 * that need it (exit 3 before any connection), applies the host and role
 * filters, and builds the fleet; the verb then converges. Nothing here is
 * global: a test can build two contexts in one process. */
#ifndef KAMAL_C_CTX_H
#define KAMAL_C_CTX_H

#include <pthread.h>
#include <signal.h>

#include "config.h"
#include "fleet.h"
#include "output.h"
#include "secrets.h"

struct kc_local_transport;

struct kc_globals {
    int verbosity;         /* -q -1, default 0, -v 1 */
    bool dry_run;          /* --dry-run */
    enum kc_format format; /* --format text|json */
    const char *version;   /* --version=VERSION (the app version) */
    bool primary;          /* -p/--primary */
    const char *hosts;     /* -h/--hosts (comma list of globs) */
    const char *roles;     /* -r/--roles */
    const char *config_file;
    const char *destination;
    bool skip_hooks;
    bool lock_wait;
    long lock_wait_timeout;  /* seconds, default 900 */
    long lock_wait_interval; /* seconds, default 15 */
    bool help;
};

struct kc_ctx {
    struct kc_globals g;
    struct kc_out *out;
    struct kc_config *cfg; /* NULL for verbs that need no configuration */
    struct kc_secrets secrets;
    struct kc_fleet *fleet;
    struct kc_strvec hosts;        /* selected hosts, after -h/-r/-p, primary first */
    struct kc_strvec roles;        /* selected roles */
    const char *command;           /* "accessory", for hooks (KAMAL_COMMAND) */
    const char *subcommand;        /* "boot", or NULL */
    bool may_lock;                 /* the verb's table entry says KC_V_LOCK: it takes the
                                      deploy lock before it changes hosts */
    bool lock_held;                /* this run holds the deploy lock */
    bool lock_inherited;           /* KAMAL_LOCK=true: a parent run holds it */
    bool lock_maybe_held;          /* the mkdir was cut short: it may have run */
    char *lock_file;               /* the details file this run wrote (or tried to) */
    bool lock_released;            /* kc_lock_drop removed this run's lock */
    volatile sig_atomic_t *cancel; /* set by SIGINT/SIGTERM */
    int cancel_signal;
    bool interrupt_ok; /* SIGINT is how this verb normally ends (logs -f): 130, no error line */
    char *performer;   /* lazily: git config user.email, else whoami */
    pthread_mutex_t lazy_mu;              /* guards performer and secrets: host workers ask too */
    struct kc_strvec key_data_values;     /* ssh.key_data secrets, resolved */
    const struct kc_transport *transport; /* NULL: SSH; scripted hosts in unit tests */
    const struct kc_local_transport *local_transport; /* NULL: real programs (local.h) */
};

void kc_ctx_init(struct kc_ctx *ctx, struct kc_out *out, volatile sig_atomic_t *cancel);
void kc_ctx_release(struct kc_ctx *ctx);

/* Applies -h/-r/-p to the configuration's hosts and roles (globs, exit 2
 * naming a filter that matches nothing). */
int kc_ctx_select(struct kc_ctx *ctx, struct kc_err *err);
/* Creates the fleet with the configuration's SSH settings (ssh.key_data
 * secrets resolved here: a missing one is KC_ECONFIG before any connection). */
int kc_ctx_fleet(struct kc_ctx *ctx, struct kc_err *err);
/* A host of the fleet (kc_ctx_fleet must have succeeded). */
struct kc_host *kc_ctx_host(struct kc_ctx *ctx, const char *name);
/* A kc_cmd_runner (ud = the ctx) for the commands configuration files run
 * on this machine: `cmd` in ERB, $(cmd) in secrets files. /bin/sh -c through
 * the local choke point: -v shows the command, never its output. */
int kc_ctx_run_shell(void *ud, const char *command, struct kc_buf *out, struct kc_err *err);
/* Loads the secrets files (once). Values are registered with the output for
 * redaction. Exit 3 on a parse error. */
int kc_ctx_secrets(struct kc_ctx *ctx, struct kc_err *err);
/* The value of a secret (loading the files if needed); KC_ECONFIG naming it
 * when no file defines it. */
int kc_ctx_secret(struct kc_ctx *ctx, const char *name, const char **value, struct kc_err *err);
/* The registry's username and password (kc_registry_credentials: secrets
 * loaded when needed, an empty one is KC_ECONFIG naming the key); the
 * password is registered for redaction. Both NULL for a local registry. */
int kc_ctx_registry_credentials(struct kc_ctx *ctx, const struct kc_registry *reg,
                                const char **username, const char **password, struct kc_err *err);
/* git config user.email, else whoami (as Kamal's performer). */
const char *kc_ctx_performer(struct kc_ctx *ctx);
/* The configuration's primary host (where the lock lives), whatever the
 * filters selected. */
const char *kc_ctx_lock_host(const struct kc_ctx *ctx);
/* True once SIGINT/SIGTERM arrived. */
bool kc_ctx_cancelled(const struct kc_ctx *ctx);

#endif
