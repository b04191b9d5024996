/* ops_host.h - the verbs about hosts rather than about one service: server
 * exec and bootstrap, registry login and logout, the lock verbs and audit.
 * cli/ maps a verb's arguments to these requests; the work is in
 * ops/server.c, ops/registry.c, ops/lock_verbs.c and ops/audit.c. */
#ifndef KAMAL_C_OPS_HOST_H
#define KAMAL_C_OPS_HOST_H

#include "ctx.h"

struct kc_server_exec_request {
    const char *command; /* handed to the host's shell as typed */
    bool interactive;    /* -i: with a terminal, on the first selected host */
};
/* Runs the command on every selected host (output grouped per host, audit
 * line written); a non-zero exit on a host fails the run. */
int kc_server_exec(struct kc_ctx *ctx, const struct kc_server_exec_request *req,
                   struct kc_err *err);
/* Docker and .kamal on every selected host (kc_step_bootstrap), then the
 * docker-setup hook. The dispatcher holds the lock (KC_V_LOCK_UPFRONT). */
int kc_server_bootstrap(struct kc_ctx *ctx, struct kc_err *err);

struct kc_registry_request {
    bool skip_local;  /* -L: not on this machine */
    bool skip_remote; /* -R: not on the hosts */
};
/* docker login (password on stdin) here, then on every selected host. */
int kc_registry_login(struct kc_ctx *ctx, const struct kc_registry_request *req,
                      struct kc_err *err);
int kc_registry_logout(struct kc_ctx *ctx, const struct kc_registry_request *req,
                       struct kc_err *err);

/* `lock acquire -m MESSAGE`: takes the lock and leaves it to the host. */
int kc_lock_acquire(struct kc_ctx *ctx, const char *message, struct kc_err *err);
/* `lock release`: removes the lock whoever holds it. */
int kc_lock_release(struct kc_ctx *ctx, struct kc_err *err);
/* `lock status`: who holds it, since when and why. */
int kc_lock_status(struct kc_ctx *ctx, struct kc_err *err);

/* `audit`: the last lines of every selected host's audit log. */
int kc_audit_show(struct kc_ctx *ctx, struct kc_err *err);

#endif
