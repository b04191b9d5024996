/* accessory_int.h - shared by the accessory orchestration files. */
#ifndef KAMAL_C_OPS_ACCESSORY_INT_H
#define KAMAL_C_OPS_ACCESSORY_INT_H

#include "kamal-c/ops_accessory.h"
#include "kamal-c/fleet.h"

/* What kamal-c would put on a host for one accessory (host-independent). */
struct acc_want {
    const struct kc_accessory *acc;
    bool prepared;
    struct kc_buf env; /* env file content: secret values, never printed */
    char env_sha[65];
    struct kc_buf *files;       /* content of each files: entry (ERB rendered) */
    struct kc_kvlist file_shas; /* host path -> sha256 */
};

/* The accessories a verb acts on, and the hosts that run them. */
struct acc_set {
    struct kc_ctx *ctx;
    const struct kc_accessory **accs;
    struct acc_want *want; /* parallel to accs */
    size_t n;
    struct kc_strvec hosts; /* selected hosts running any of them, config order */
};

/* NAME or all -> the set (exit 2 for an unknown name, listing the known). */
int kc_acc_set_select(struct kc_ctx *ctx, const char *name, bool allow_all, struct acc_set *set,
                      struct kc_err *err);
/* Reads secrets and local files for the env files and files: (exit 3). */
int kc_acc_set_prepare(struct acc_set *set, struct kc_err *err);
void kc_acc_set_release(struct acc_set *set);
/* Indexes (into set->accs) of the accessories placed on host; returns count. */
size_t kc_acc_set_on_host(const struct acc_set *set, const char *host, size_t *idx);
/* Tells when a selected accessory runs on no selected host. */
void kc_acc_set_note_empty(const struct acc_set *set);

/* Folds one accessory's outcome on host into the host's: a failure is
 * reported under the accessory's name and the first error becomes the host's
 * (moved from one). Returns the worse of worst and rc. */
int kc_acc_fold(struct kc_ctx *ctx, const char *host, const char *name, int rc,
                struct kc_err *one, int worst, struct kc_err *host_err);
/* Whether the remaining accessories of the host can still be tried. */
bool kc_acc_host_usable(int rc);

/* ---- accessory steps on one host (accessory_steps.c); the generic ones
 * are kc_step_* (steps.h) ---- */

/* Builds one accessory command with build and runs it with flags. */
int kc_acc_step(struct kc_host *h, void (*build)(struct kc_cmd *, const struct kc_accessory *),
                const struct kc_accessory *acc, unsigned flags, struct kc_exec_result *res,
                struct kc_err *err);
/* The kamal network, unless the accessory uses another one. */
int kc_acc_network(struct kc_host *h, const struct kc_accessory *acc, struct kc_err *err);
/* docker login to the accessory's registry, when it needs one. */
int kc_acc_login(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
                 struct kc_err *err);
int kc_acc_directories(struct kc_host *h, const struct kc_accessory *acc, struct kc_err *err);
int kc_acc_files(struct kc_host *h, const struct acc_want *w, struct kc_err *err);
/* kc_step_wait_running for the accessory's container. */
int kc_acc_wait_running(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
                        struct kc_err *err);
/* The whole first boot: network, login, directories, files, env, run,
 * wait until it runs, audit. */
int kc_acc_boot_steps(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w, bool login,
                      bool network, struct kc_err *err);

/* ---- proxied accessories (accessory_proxy.c) ---- */

/* For each of accs (proxied, on h): why it needs a kamal-proxy deploy
 * (caller frees), or NULL when its running container is the live target
 * with the same options, or when no container runs. One probe. */
int kc_acc_proxy_check(struct kc_ctx *ctx, struct kc_host *h,
                       const struct kc_accessory *const *accs, size_t n, char **whys,
                       struct kc_err *err);
/* Boots (or starts) kamal-proxy on h when it is not running, then
 * registers acc's container (kamal-proxy deploy, health-checked). No-op for
 * an accessory without proxy:. */
int kc_acc_proxy_register(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
                          struct kc_err *err);
/* kamal-proxy remove (no proxy or no route is fine). No-op without proxy:. */
void kc_acc_proxy_deregister(struct kc_ctx *ctx, struct kc_host *h,
                             const struct kc_accessory *acc);

#endif
