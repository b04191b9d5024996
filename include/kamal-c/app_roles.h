/* app_roles.h - the pure decisions of a multi-role, rolling `app boot`
 * (Kamal §2.3, §2.10, §4.8): which hosts boot together, which roles wait for
 * the primary role, and when a container of a role without kamal-proxy is
 * ready. No I/O; unit-tested. */
#ifndef KAMAL_C_APP_ROLES_H
#define KAMAL_C_APP_ROLES_H

#include "cmd.h"
#include "config.h"

/* hosts in boot order into out: the primary role's hosts first, then the
 * others, each part in the given order (Kamal's stable sort). */
void kc_app_boot_order(const struct kc_config *cfg, const struct kc_strvec *hosts,
                       struct kc_strvec *out);
/* Splits hosts (in order) into boot groups of group_size hosts (boot.limit;
 * <= 0: one group of all). Returns the number of groups; *groups is an array
 * of that many vectors. Free with kc_app_groups_release. */
size_t kc_app_boot_groups(const struct kc_strvec *hosts, long group_size,
                          struct kc_strvec **groups);
void kc_app_groups_release(struct kc_strvec *groups, size_t n);

/* True when role waits for the first healthy container of the primary role
 * before it boots (every role but the primary one). */
bool kc_app_role_waits(const struct kc_role *role);

/* The roles of cfg that run on host, in boot order (the primary role first,
 * then the others by name, as cfg->roles is kept). Returns the count; roles
 * needs cfg->nroles slots. */
size_t kc_app_roles_on(const struct kc_config *cfg, const char *host, const struct kc_role **roles);

/* The readiness of a new container of a role without kamal-proxy, from one
 * look at its state (kc_cmd_container_state: status, restart count, health). */
enum kc_ready {
    KC_READY_WAIT, /* look again */
    KC_READY_OK,   /* healthy, or running without a restart for readiness_delay */
    KC_READY_FAIL, /* stopped, restarted, or not ready within the time */
};
struct kc_ready_look {
    const char *status; /* docker State.Status */
    const char *health; /* none, starting, healthy, unhealthy */
    bool restarted;     /* the restart count grew since the first look */
    double elapsed;     /* seconds since the first look */
    long readiness_delay;
    long deploy_timeout;
};
enum kc_ready kc_app_ready_judge(const struct kc_ready_look *l);

#endif
