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
int acc_set_select(struct kc_ctx *ctx, const char *name, bool allow_all, struct acc_set *set,
                   struct kc_err *err);
/* Reads secrets and local files for the env files and files: (exit 3). */
int acc_set_prepare(struct acc_set *set, struct kc_err *err);
void acc_set_release(struct acc_set *set);
/* Indexes (into set->accs) of the accessories placed on host; returns count. */
size_t acc_set_on_host(const struct acc_set *set, const char *host, size_t *idx);
/* Tells when a selected accessory runs on no selected host. */
void acc_set_note_empty(const struct acc_set *set);

/* Folds one accessory's outcome on host into the host's: a failure is
 * reported under the accessory's name and the first error becomes the host's
 * (moved from one). Returns the worse of worst and rc. */
int acc_fold(struct kc_ctx *ctx, const char *host, const char *name, int rc, struct kc_err *one,
             int worst, struct kc_err *host_err);
/* Whether the remaining accessories of the host can still be tried. */
bool acc_host_usable(int rc);

/* ---- steps on one host (all through kc_remote_run / kc_remote_upload) ---- */
int step_network(struct kc_host *h, const struct kc_accessory *acc, struct kc_err *err);
int step_login(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
               struct kc_err *err);
int step_directories(struct kc_host *h, const struct kc_accessory *acc, struct kc_err *err);
int step_files(struct kc_host *h, const struct acc_want *w, struct kc_err *err);
int step_env(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w, struct kc_err *err);
/* docker run with the digest label; a failed run leaves no container. */
int step_run(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
             struct kc_err *err);
/* Checks a moment after run/start that the container still runs (or gets
 * healthy); a container that did not fails the host with its last logs. */
int step_confirm(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
                 struct kc_err *err);
/* A container that restarted before may be between two crashes: looks again
 * a moment later; *looping when it is not running then or restarted again. */
int step_crash_loop_check(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
                          bool *looping, struct kc_err *err);
int step_simple(struct kc_host *h, void (*build)(struct kc_cmd *, const struct kc_accessory *),
                const struct kc_accessory *acc, unsigned flags, struct kc_exec_result *res,
                struct kc_err *err);
/* The whole first boot: network, login, directories, files, env, run,
 * confirm, audit. */
int step_boot(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w, bool login,
              bool network, struct kc_err *err);
/* Appends the container's last log lines to err (as remote output). */
void step_attach_logs(struct kc_host *h, const struct kc_accessory *acc, struct kc_err *err);

#endif
