/* app_rolling.c - the primary-role barrier and the rolling driver of
 * `app boot` (see app_roles_int.h; Kamal §2.10, §4.8, §5.3). */
#include "app_roles_int.h"
#include "proxy_int.h"
#include "kamal-c/app_roles.h"
#include "kamal-c/ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the barrier ---- */

/* Waiters give the primary role deploy_timeout (its own health gate) plus
 * this much for its failure to be reported before they give up. */
#define BARRIER_GRACE_S 15.0

void kc_barrier_init(struct app_barrier *b, struct kc_ctx *ctx)
{
    memset(b, 0, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    b->ctx = ctx;
    for (size_t i = 0; i < ctx->cfg->nroles; i++)
        if (ctx->cfg->roles[i].primary)
            b->primary = ctx->cfg->roles[i].name;
    if (b->primary == NULL)
        b->primary = ctx->cfg->primary_role ? ctx->cfg->primary_role : "web";
}

void kc_barrier_destroy(struct app_barrier *b)
{
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
}

void kc_barrier_group(struct app_barrier *b, size_t pending, bool others)
{
    pthread_mutex_lock(&b->mu);
    b->pending = pending;
    b->others = others;
    b->deadline = kc_now() + (double)b->ctx->cfg->deploy_timeout + BARRIER_GRACE_S;
    if (b->state == 0 && pending == 0)
        b->state = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

void kc_barrier_started(struct app_barrier *b)
{
    pthread_mutex_lock(&b->mu);
    double d = kc_now() + (double)b->ctx->cfg->deploy_timeout + BARRIER_GRACE_S;
    if (d > b->deadline)
        b->deadline = d;
    pthread_mutex_unlock(&b->mu);
}

void kc_barrier_done(struct app_barrier *b, bool healthy, const char *host)
{
    pthread_mutex_lock(&b->mu);
    if (b->pending)
        b->pending--;
    if (b->state == 0 && healthy) {
        b->state = 1;
        if (b->others)
            kc_out_msg(b->ctx->out, KC_LVL_INFO, host,
                       "First %s container is healthy on %s, booting any other roles", b->primary,
                       host);
    } else if (b->state == 0 && b->pending == 0) {
        b->state = -1;
        if (b->others)
            kc_out_msg(b->ctx->out, KC_LVL_ERROR, host,
                       "First %s container is unhealthy on %s, not booting any other roles",
                       b->primary, host);
    }
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

int kc_barrier_wait(struct app_barrier *b, const char *role, const char *host, struct kc_err *err)
{
    pthread_mutex_lock(&b->mu);
    if (b->state == 0)
        kc_out_msg(b->ctx->out, KC_LVL_INFO, host,
                   "Waiting for the first healthy %s container before booting %s on %s...",
                   b->primary, role, host);
    while (b->state == 0 && kc_now() < b->deadline && !kc_ctx_cancelled(b->ctx)) {
        struct timespec ts; /* short slices: the deadline moves, Ctrl-C is polled */
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&b->cv, &b->mu, &ts);
    }
    int state = b->state;
    pthread_mutex_unlock(&b->mu);
    if (state == 1)
        return 0;
    if (kc_ctx_cancelled(b->ctx))
        return kc_err_set(err, KC_EINTERRUPTED, "interrupted");
    if (state == -1)
        return kc_err_set(err, KC_EREMOTE, "First %s container is unhealthy, not booting %s on %s",
                          b->primary, role, host);
    return kc_err_set(err, KC_EREMOTE,
                      "%s on %s: no %s container became healthy within deploy_timeout (%ld s) "
                      "and %.0f s of grace; not booting %s",
                      role, host, b->primary, b->ctx->cfg->deploy_timeout, BARRIER_GRACE_S, role);
}

/* ---- the rolling driver ---- */

/* Sleeps seconds unless cancelled; false when cancelled. */
static bool pause_for(struct kc_ctx *ctx, long seconds)
{
    for (long t = 0; t < seconds * 10; t++) {
        if (kc_ctx_cancelled(ctx))
            return false;
        usleep(100000);
    }
    return !kc_ctx_cancelled(ctx);
}

static int group_hook(struct kc_ctx *ctx, const char *name, const struct kc_strvec *group,
                      struct kc_err *err)
{
    char *list = kc_strvec_join(group, ",");
    struct kc_kvlist extra = KC_KVLIST_INIT;
    kc_kvlist_set(&extra, "KAMAL_HOSTS", list);
    int rc = kc_hook_run(ctx, name, &extra, false, err);
    kc_kvlist_release(&extra);
    free(list);
    return rc;
}

/* The version each role runs on each host, after a failed boot. */
static void versions_now(struct app_set *set)
{
    struct kc_ctx *ctx = set->ctx;
    kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "The versions the hosts run now:");
    const struct kc_role **roles = kc_xcalloc(set->nroles + 1, sizeof *roles);
    for (size_t i = 0; i < set->hosts.n; i++) {
        struct kc_host *h = kc_ctx_host(ctx, set->hosts.v[i]);
        size_t n = kc_app_set_roles_on(set, h->name, roles);
        struct kc_buf line = KC_BUF_INIT;
        for (size_t k = 0; k < n; k++) {
            struct kc_strvec ids = KC_STRVEC_INIT, names = KC_STRVEC_INIT, st = KC_STRVEC_INIT;
            struct kc_err ignored = KC_ERR_INIT;
            const char *v = "?";
            if (kc_app_list(set, h, roles[k], &ids, &names, &st, &ignored) == 0) {
                v = "none";
                for (size_t c = 0; c < names.n; c++) /* newest first */
                    if (kc_streq(st.v[c], "running") && kc_app_version_of(roles[k], names.v[c])) {
                        v = kc_app_version_of(roles[k], names.v[c]);
                        break;
                    }
            }
            kc_buf_addf(&line, "%s%s %s", k ? ", " : "", roles[k]->name, v);
            kc_err_release(&ignored);
            kc_strvec_release(&ids);
            kc_strvec_release(&names);
            kc_strvec_release(&st);
        }
        kc_out_msg(ctx->out, KC_LVL_INFO, h->name, "  %s: %s", h->name, kc_buf_str(&line));
        kc_buf_release(&line);
    }
    free(roles);
}

struct groups_run {
    struct app_set *set;
    const struct app_rolling *r;
    struct kc_strvec *groups;
    size_t ngroups;
    bool *pick;
    struct kc_err *errs;
    struct kc_err hook_err;
    int hook_rc;
};

static bool group_picks(struct groups_run *g, size_t k, bool *in)
{
    bool any = false;
    for (size_t i = 0; i < g->set->hosts.n; i++) {
        in[i] = g->pick[i] && kc_strvec_contains(&g->groups[k], g->set->hosts.v[i]);
        any |= in[i];
    }
    return any;
}

static void report_skipped(struct groups_run *g, const bool *in, size_t failed_group, bool hook)
{
    for (size_t i = 0; i < g->set->hosts.n; i++)
        if (in[i]) {
            char *d = kc_xasprintf("not booted: %s of boot group %zu failed",
                                   hook ? "the pre-app-boot hook" : "a host", failed_group + 1);
            kc_report(g->set->ctx, g->set->hosts.v[i], "app", "skipped", d);
            free(d);
        }
}

/* Boots the groups in turn; returns true when one failed. */
static bool boot_groups(struct groups_run *g)
{
    struct kc_ctx *ctx = g->set->ctx;
    size_t n = g->set->hosts.n, failed_group = 0;
    bool *in = kc_xcalloc(n + 1, sizeof *in);
    bool stopped = false, booted_one = false, by_hook = false;
    for (size_t k = 0; k < g->ngroups; k++) {
        if (!group_picks(g, k, in))
            continue;
        if (stopped || kc_ctx_cancelled(ctx)) {
            report_skipped(g, in, failed_group, by_hook);
            continue;
        }
        if (booted_one && ctx->cfg->boot_wait > 0 && !pause_for(ctx, ctx->cfg->boot_wait)) {
            stopped = true;
            continue;
        }
        booted_one = true;
        failed_group = k;
        g->hook_rc = group_hook(ctx, "pre-app-boot", &g->groups[k], &g->hook_err);
        if (g->hook_rc) {
            stopped = by_hook = true;
            report_skipped(g, in, k, true);
            continue;
        }
        g->r->group(g->r->ud, in, n);
        kc_proxy_phase(ctx, &g->set->hosts, in, g->r->act, g->r->ud, g->errs);
        for (size_t i = 0; i < n; i++)
            stopped |= in[i] && g->errs[i].code != KC_OK;
        if (!stopped)
            g->hook_rc = group_hook(ctx, "post-app-boot", &g->groups[k], &g->hook_err);
        stopped |= g->hook_rc != 0;
    }
    free(in);
    return stopped;
}

int kc_app_rolling(struct app_set *set, const struct app_rolling *r, struct kc_err *err)
{
    struct kc_ctx *ctx = set->ctx;
    size_t n = set->hosts.n;
    struct groups_run g = {set, r, NULL, 0, NULL, NULL, KC_ERR_INIT, 0};
    g.errs = kc_xcalloc(n + 1, sizeof *g.errs);
    g.pick = kc_xcalloc(n + 1, sizeof *g.pick);
    kc_proxy_phase(ctx, &set->hosts, NULL, r->probe, r->ud, g.errs);
    r->changed(r->ud, g.pick, n);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        g.pick[i] = g.errs[i].code == KC_OK && g.pick[i];
        any |= g.pick[i];
    }
    struct kc_err lock_err = KC_ERR_INIT;
    int lock_rc = 0;
    bool failed = false;
    if (any && !kc_ctx_cancelled(ctx)) {
        lock_rc = kc_lock_take(ctx, NULL, &lock_err);
        struct kc_strvec order = KC_STRVEC_INIT;
        kc_app_boot_order(ctx->cfg, &set->hosts, &order);
        g.ngroups = kc_app_boot_groups(&order, ctx->cfg->boot_group_size, &g.groups);
        kc_strvec_release(&order);
        if (lock_rc == 0)
            failed = boot_groups(&g);
    }
    struct kc_host **hosts = kc_ctx_fleet_hosts(ctx, &set->hosts);
    int code = 0;
    for (size_t i = 0; i < n; i++)
        code = kc_code_worst(code, g.errs[i].code);
    int rc = kc_report_host_errors(ctx, hosts, g.errs, n, code, err);
    if (lock_rc && rc != KC_EUNREACHABLE) {
        kc_err_move(err, &lock_err);
        rc = lock_rc;
    } else if (g.hook_rc && rc == 0) {
        kc_err_move(err, &g.hook_err);
        rc = g.hook_rc;
    }
    if (failed && rc != KC_EINTERRUPTED && !ctx->g.dry_run)
        versions_now(set);
    kc_err_release(&lock_err);
    kc_err_release(&g.hook_err);
    for (size_t i = 0; i < n; i++)
        kc_err_release(&g.errs[i]);
    kc_app_groups_release(g.groups, g.ngroups);
    free(g.errs);
    free(g.pick);
    free(hosts);
    return rc;
}
