/* app_roles.c - boot groups, role order and readiness (see app_roles.h). */
#include "kamal-c/app_roles.h"

#include <stdlib.h>
#include <string.h>

void kc_app_boot_order(const struct kc_config *cfg, const struct kc_strvec *hosts,
                       struct kc_strvec *out)
{
    const struct kc_role *primary = NULL;
    for (size_t i = 0; i < cfg->nroles; i++)
        if (cfg->roles[i].primary)
            primary = &cfg->roles[i];
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < hosts->n; i++) {
            bool in_primary = primary && kc_strvec_contains(&primary->hosts, hosts->v[i]);
            if (in_primary == (pass == 0))
                kc_strvec_push(out, hosts->v[i]);
        }
}

size_t kc_app_boot_groups(const struct kc_strvec *hosts, long group_size, struct kc_strvec **groups)
{
    size_t size = group_size > 0 ? (size_t)group_size : hosts->n;
    if (size == 0)
        size = 1;
    size_t n = (hosts->n + size - 1) / size;
    *groups = kc_xcalloc(n + 1, sizeof **groups);
    for (size_t i = 0; i < hosts->n; i++)
        kc_strvec_push(&(*groups)[i / size], hosts->v[i]);
    return n;
}

void kc_app_groups_release(struct kc_strvec *groups, size_t n)
{
    for (size_t i = 0; groups && i < n; i++)
        kc_strvec_release(&groups[i]);
    free(groups);
}

bool kc_app_role_waits(const struct kc_role *role)
{
    return !role->primary;
}

size_t kc_app_roles_on(const struct kc_config *cfg, const char *host, const struct kc_role **roles)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->nroles; i++)
        if (kc_strvec_contains(&cfg->roles[i].hosts, host))
            roles[n++] = &cfg->roles[i];
    return n;
}

enum kc_ready kc_app_ready_judge(const struct kc_ready_look *l)
{
    bool running = l->status && strcmp(l->status, "running") == 0;
    if (!running || l->restarted)
        return KC_READY_FAIL;
    if (l->health && strcmp(l->health, "healthy") == 0)
        return KC_READY_OK;
    bool checked = l->health && strcmp(l->health, "none") != 0;
    if (!checked && l->elapsed >= (double)l->readiness_delay)
        return KC_READY_OK;
    /* Kamal waits deploy_timeout, but never less than the readiness delay */
    double limit = (double)l->deploy_timeout;
    if (!checked && limit < (double)l->readiness_delay + 1)
        limit = (double)l->readiness_delay + 1;
    return l->elapsed >= limit ? KC_READY_FAIL : KC_READY_WAIT;
}
