/* app_int.h - shared by the app orchestration files. */
#ifndef KAMAL_C_OPS_APP_INT_H
#define KAMAL_C_OPS_APP_INT_H

#include "kamal-c/app.h"
#include "kamal-c/fleet.h"
#include "kamal-c/ops_app.h"

/* The selected roles (proxied ones, or all for app boot) and the selected
 * hosts that run them. */
struct app_set {
    struct kc_ctx *ctx;
    const char *version;
    const struct kc_role **roles; /* selected roles (see kc_app_set_select_roles) */
    size_t nroles;
    struct kc_strvec hosts;   /* selected hosts of those roles, selection order */
    struct kc_kvlist envs;    /* "ROLE@HOST" -> env file content (secret values) */
    bool stale_check;         /* probes also inspect the kamal network (deploy's plan) */
};

/* Selects; with envs, reads the secrets for every env file (exit 3). */
int kc_app_set_select(struct kc_ctx *ctx, bool envs, struct app_set *set, struct kc_err *err);
/* all: every selected role, also those without kamal-proxy (app boot). */
int kc_app_set_select_roles(struct kc_ctx *ctx, bool envs, bool all, struct app_set *set,
                            struct kc_err *err);
void kc_app_set_release(struct app_set *set);
/* The roles of the set on host; returns the count (roles has nroles+1 slots). */
size_t kc_app_set_roles_on(const struct app_set *set, const char *host,
                           const struct kc_role **roles);
/* The env file content of role on host (set->envs), or "\n". */
const char *kc_app_set_env(const struct app_set *set, const struct kc_role *role, const char *host);

/* Writes role's env file on h (mkdir -p, mode 0600). */
int kc_app_write_env(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                     struct kc_err *err);
/* kamal-proxy deploy of container id for role; a failure names the
 * container and carries kamal-proxy's answer and the container's last logs. */
int kc_app_deploy(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                  const char *id, const char *name, struct kc_err *err);
/* Stops every running container of role on h except keep. */
int kc_app_stop_others(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                       const char *keep, struct kc_strvec *stopped, struct kc_err *err);
/* Containers of role on h: "ID NAME STATE" lines of kc_cmd_app_list. */
int kc_app_list(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                struct kc_strvec *ids, struct kc_strvec *names, struct kc_strvec *states,
                struct kc_err *err);
/* The version from a container name SVC-ROLE[-DEST]-VERSION, or NULL. */
const char *kc_app_version_of(const struct kc_role *role, const char *name);

/* ---- custom TLS certificates (app_tls.c) ---- */

/* Writes role's certificate and key on h (no-op without custom
 * certificates): the key readable by the SSH user and the proxy's group. */
int kc_app_tls_write(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                     struct kc_err *err);
/* *stale: the files on h are missing or differ from the secrets. */
int kc_app_tls_stale(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                     bool *stale, struct kc_err *err);

/* ---- error pages (app_error_pages.c) ---- */

/* Uploads error_pages_path's files for set->version on h (no-op unset). */
int kc_app_error_pages_upload(struct app_set *set, struct kc_host *h, struct kc_err *err);
/* Removes the other versions' error pages on h (errors ignored). */
void kc_app_error_pages_clean(struct app_set *set, struct kc_host *h);

/* ---- assets (app_assets.c) ---- */

/* Before role's new container runs on h: the version's assets extracted
 * from its image and merged with the running version's (no-op without
 * asset_path). */
int kc_app_assets_prepare(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                          struct kc_err *err);
/* After the switch: the other versions' asset directories go (errors ignored). */
void kc_app_assets_clean(struct app_set *set, struct kc_host *h, const struct kc_role *role);

#endif
