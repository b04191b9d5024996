/* app_roles_int.h - the multi-role, rolling parts of `app boot`: the barrier
 * that holds other roles until the primary role's first container is
 * healthy, and the driver that boots the hosts in boot.limit groups with
 * the pre-app-boot / post-app-boot hooks around each. */
#ifndef KAMAL_C_OPS_APP_ROLES_INT_H
#define KAMAL_C_OPS_APP_ROLES_INT_H

#include "app_int.h"

#include <pthread.h>

struct app_barrier {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int state;           /* 0 waiting, 1 open, -1 closed */
    size_t pending;      /* hosts whose primary-role boot has not finished */
    double deadline;     /* waiters give up then (kc_now() clock) */
    const char *primary; /* the primary role's name */
    bool others;         /* other roles of the group wait: say when it opens or closes */
    struct kc_ctx *ctx;
};

void kc_barrier_init(struct app_barrier *b, struct kc_ctx *ctx);
void kc_barrier_destroy(struct app_barrier *b);
/* A boot group starts with pending primary-role boots; none opens it
 * (unless an earlier group closed it). */
void kc_barrier_group(struct app_barrier *b, size_t pending, bool others);
/* A primary-role container was started: waiters get deploy_timeout (and a
 * grace of 15 s) from now. */
void kc_barrier_started(struct app_barrier *b);
/* A host's primary-role boot finished; the first healthy one opens. */
void kc_barrier_done(struct app_barrier *b, bool healthy, const char *host);
/* Holds role on host until the barrier opens; KC_EREMOTE when the primary
 * role failed everywhere or no container of it was healthy in time. */
int kc_barrier_wait(struct app_barrier *b, const char *role, const char *host, struct kc_err *err);

/* The phases the rolling driver calls (ud is the caller's). */
struct app_rolling {
    kc_host_fn probe;                                  /* every host: probe and decide */
    kc_host_fn act;                                    /* a group's changed hosts */
    void (*changed)(void *ud, bool *out, size_t n);    /* which hosts need a change */
    void (*group)(void *ud, const bool *in, size_t n); /* before a group acts */
    void *ud;
};

/* Probes every host of set, takes the deploy lock only when one needs a
 * change, then boots the changed hosts in boot groups (boot.limit slices,
 * primary-role hosts first): pre-app-boot with KAMAL_HOSTS = the group,
 * the group's hosts in parallel, post-app-boot, boot.wait seconds before
 * the next group. A failure stops the later groups (their hosts are
 * reported as skipped) and prints which host runs which version. */
int kc_app_rolling(struct app_set *set, const struct app_rolling *r, struct kc_err *err);

#endif
