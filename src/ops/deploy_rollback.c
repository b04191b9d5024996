/* deploy_rollback.c - which version `rollback` boots. Kamal requires
 * VERSION and exits 0 when it is missing somewhere; kamal-c checks it on
 * every selected app host and role and fails naming the hosts that lack it,
 * and without VERSION picks the newest stopped version present on all of
 * them (so a second rollback goes back again, like `cd -`). */
#include "app_int.h"
#include "deploy_int.h"
#include "kamal-c/ops.h"

#include <stdlib.h>
#include <string.h>

struct rb_host {
    struct kc_strvec all;     /* "ROLE VERSION", any state */
    struct kc_strvec stopped; /* "ROLE VERSION", not running, newest first */
    struct kc_strvec running; /* "ROLE VERSION" */
};

struct rb_run {
    struct app_set *set;
    struct rb_host *hosts;
};

static int list_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct rb_run *run = ud;
    struct rb_host *rh = &run->hosts[kc_strvec_index(&run->set->hosts, h->name)];
    const struct kc_role **roles = kc_xcalloc(run->set->nroles + 1, sizeof *roles);
    size_t n = kc_app_set_roles_on(run->set, h->name, roles);
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < n; k++) {
        struct kc_strvec ids = KC_STRVEC_INIT, names = KC_STRVEC_INIT, st = KC_STRVEC_INIT;
        rc = kc_app_list(run->set, h, roles[k], &ids, &names, &st, err);
        for (size_t i = 0; rc == 0 && i < names.n; i++) {
            const char *v = kc_app_version_of(roles[k], names.v[i]);
            if (v == NULL || strstr(v, "_replaced_"))
                continue;
            char *key = kc_xasprintf("%s %s", roles[k]->name, v);
            kc_strvec_push(&rh->all, key);
            kc_strvec_push(kc_streq(st.v[i], "running") ? &rh->running : &rh->stopped, key);
            free(key);
        }
        kc_strvec_release(&ids);
        kc_strvec_release(&names);
        kc_strvec_release(&st);
    }
    free(roles);
    return rc;
}

/* The hosts (comma list) where some role lacks version; NULL when none. */
static char *missing_on(struct rb_run *run, const char *version)
{
    struct kc_strvec miss = KC_STRVEC_INIT;
    const struct kc_role **roles = kc_xcalloc(run->set->nroles + 1, sizeof *roles);
    for (size_t i = 0; i < run->set->hosts.n; i++) {
        size_t n = kc_app_set_roles_on(run->set, run->set->hosts.v[i], roles);
        for (size_t k = 0; k < n; k++) {
            char *key = kc_xasprintf("%s %s", roles[k]->name, version);
            bool have = kc_strvec_contains(&run->hosts[i].all, key);
            free(key);
            if (!have) {
                kc_strvec_push(&miss, run->set->hosts.v[i]);
                break;
            }
        }
    }
    free(roles);
    char *out = miss.n ? kc_strvec_join(&miss, ", ") : NULL;
    kc_strvec_release(&miss);
    return out;
}

static bool running_somewhere(struct rb_run *run, const char *version)
{
    for (size_t i = 0; i < run->set->hosts.n; i++)
        for (size_t k = 0; k < run->hosts[i].running.n; k++) {
            const char *sp = strchr(run->hosts[i].running.v[k], ' ');
            if (sp && kc_streq(sp + 1, version))
                return true;
        }
    return false;
}

static int pick(struct rb_run *run, const char *version, char **out, struct kc_err *err)
{
    if (version) {
        char *miss = missing_on(run, version);
        int rc = 0;
        if (miss) {
            rc = kc_err_set(err, KC_EREMOTE,
                            "the app version '%s' is not available as a container on %s", version,
                            miss);
            kc_err_set_hint(err, "'kamal-c app containers' lists the versions each host has");
        } else
            *out = kc_xstrdup(version);
        free(miss);
        return rc;
    }
    const struct kc_strvec *first = &run->hosts[0].stopped;
    for (size_t i = 0; i < first->n; i++) {
        const char *v = strchr(first->v[i], ' ') + 1;
        char *miss = missing_on(run, v);
        bool ok = miss == NULL && !running_somewhere(run, v);
        free(miss);
        if (ok) {
            *out = kc_xstrdup(v);
            return 0;
        }
    }
    int rc = kc_err_set(err, KC_EREMOTE,
                        "no stopped version is present on every selected host to roll back to");
    kc_err_set_hint(err, "'kamal-c app containers' lists the versions each host has");
    return rc;
}

int kc_rollback_pick(struct kc_ctx *ctx, const char *version, char **out, struct kc_err *err)
{
    *out = NULL;
    struct app_set set;
    int rc = kc_app_set_select(ctx, false, &set, err);
    if (rc == 0 && set.hosts.n == 0)
        rc = kc_err_set(err, KC_EUSAGE, "no app host selected: nothing to roll back");
    struct rb_run run = {&set, kc_xcalloc(set.hosts.n + 1, sizeof *run.hosts)};
    if (rc == 0)
        rc = kc_verb_each_host(ctx, &set.hosts, list_host, &run, err);
    if (rc == 0)
        rc = pick(&run, version, out, err);
    for (size_t i = 0; i < set.hosts.n; i++) {
        kc_strvec_release(&run.hosts[i].all);
        kc_strvec_release(&run.hosts[i].stopped);
        kc_strvec_release(&run.hosts[i].running);
    }
    free(run.hosts);
    kc_app_set_release(&set);
    return rc;
}
