/* app_state.c - convergent `app start|stop|maintenance|live`: one probe per
 * host decides; a host already in the wanted state is `unchanged` and takes
 * no lock; the others are re-probed under the lock and changed.
 *
 *   verb         wanted state                           action
 *   start        the version's container runs and is    docker start, kamal-proxy deploy
 *                the proxy's live target
 *   stop         no running container, no route         kamal-proxy remove, docker stop
 *   maintenance  the route is stopped (kamal-proxy)     kamal-proxy stop --drain-timeout
 *   live         the route is running                   kamal-proxy resume */
#include "app_int.h"
#include "proxy_int.h"
#include "kamal-c/ops.h"
#include "kamal-c/steps.h"

#include <stdlib.h>
#include <string.h>

enum sverb { SV_START, SV_STOP, SV_MAINT, SV_LIVE };

struct sjob {
    const struct kc_role **roles;
    size_t n;
    struct kc_app_probe probe;
    bool *act;      /* per role: needs a change */
    char **fail;    /* per role: why it cannot */
    struct kc_strvec *running; /* per role: running container names (stop) */
    bool change;
};

struct srun {
    struct app_set *set;
    const struct kc_app_request *req;
    enum sverb verb;
    struct sjob *jobs;
};

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const cJSON *version_container(struct srun *run, struct sjob *j, size_t k)
{
    char *name = kc_app_container(j->roles[k], run->set->version);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j->probe.containers, name);
    free(name);
    return c;
}

static void decide_role(struct srun *run, struct kc_host *h, struct sjob *j, size_t k,
                        struct kc_err *err)
{
    const struct kc_role *role = j->roles[k];
    const struct kc_app_route *r = kc_app_route(&j->probe, role->container_prefix);
    free(j->fail[k]);
    j->fail[k] = NULL;
    j->act[k] = false;
    bool proxy_ok = j->probe.proxy_exists && kc_streq(j->probe.proxy_status, "running") &&
                    !j->probe.list_error;
    if (!proxy_ok && run->verb != SV_STOP) {
        j->fail[k] = kc_xasprintf("kamal-proxy is not running on %s; run 'kamal-c proxy boot'",
                                  h->name);
        return;
    }
    switch (run->verb) {
    case SV_START: {
        const cJSON *c = version_container(run, j, k);
        if (c == NULL) {
            j->fail[k] = kc_xasprintf("there is no container %s-%s; run 'kamal-c app boot'",
                                      role->container_prefix, run->set->version);
            return;
        }
        const char *id = jstr(c, "Id");
        bool running = kc_streq(jstr(cJSON_GetObjectItemCaseSensitive(c, "State"), "Status"),
                                "running");
        j->act[k] = !running || r == NULL || id == NULL ||
                    strncmp(r->target, id, 12) != 0;
        break;
    }
    case SV_STOP:
        kc_strvec_release(&j->running[k]);
        {
            struct kc_strvec ids = KC_STRVEC_INIT, names = KC_STRVEC_INIT, st = KC_STRVEC_INIT;
            struct kc_err e = KC_ERR_INIT;
            if (kc_app_list(run->set, h, role, &ids, &names, &st, &e) == 0) {
                for (size_t i = 0; i < names.n; i++)
                    if (kc_streq(st.v[i], "running") || kc_streq(st.v[i], "restarting"))
                        kc_strvec_push(&j->running[k], names.v[i]);
            } else if (err->code == 0) {
                kc_err_move(err, &e);
            }
            kc_err_release(&e);
            kc_strvec_release(&ids);
            kc_strvec_release(&names);
            kc_strvec_release(&st);
        }
        j->act[k] = j->running[k].n > 0 || r != NULL;
        break;
    case SV_MAINT:
    case SV_LIVE:
        if (r == NULL) {
            j->fail[k] = kc_xasprintf("kamal-proxy has no service %s on %s; run 'kamal-c app boot'",
                                      role->container_prefix, h->name);
            return;
        }
        j->act[k] = run->verb == SV_MAINT ? kc_streq(r->state, "running")
                                          : !kc_streq(r->state, "running");
        break;
    }
}

static int probe_host(struct srun *run, struct kc_host *h, struct sjob *j, struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_app_probe_release(&j->probe);
    kc_cmd_app_probe(&c, run->set->ctx->cfg, j->roles, j->n, run->set->version, false);
    int rc = kc_remote_run(h, &c, KC_PROBE | KC_SECRET_OUTPUT, &res, err);
    if (rc == 0)
        rc = kc_app_probe_parse(kc_buf_str(&res.out), kc_buf_str(&res.err), j->n, &j->probe, err);
    if (rc == 0 && j->probe.docker_error) {
        rc = kc_err_set(err, KC_EREMOTE, "docker is not available on %s", h->name);
        kc_err_set_remote(err, j->probe.docker_error);
    }
    j->change = false;
    for (size_t k = 0; rc == 0 && k < j->n; k++) {
        decide_role(run, h, j, k, err);
        if (err->code)
            rc = err->code;
        j->change |= j->act[k] && j->fail[k] == NULL;
    }
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

static int run_cmd(struct kc_host *h, struct kc_cmd *c, unsigned flags, struct kc_err *err)
{
    int rc = kc_remote_run(h, c, flags, NULL, err);
    kc_cmd_release(c);
    return rc;
}

static const char *const done_words[][2] = {
    {"started", "would start"}, {"stopped", "would stop"},
    {"in maintenance", "would enter maintenance"}, {"live", "would go live"}};

static int act_role(struct srun *run, struct kc_host *h, struct sjob *j, size_t k,
                    struct kc_err *err)
{
    struct kc_ctx *ctx = run->set->ctx;
    const struct kc_role *role = j->roles[k];
    if (j->fail[k])
        return kc_err_set(err, KC_EREMOTE, "%s: %s", role->name, j->fail[k]);
    if (!j->act[k]) {
        static const char *const already[] = {"running and live", "not running",
                                              "already in maintenance", "already live"};
        kc_report(ctx, h->name, role->name, "unchanged", already[run->verb]);
        return 0;
    }
    struct kc_cmd c = KC_CMD_INIT;
    int rc = 0;
    char *name = kc_app_container(role, run->set->version);
    switch (run->verb) {
    case SV_START: {
        const cJSON *cont = version_container(run, j, k);
        char *id = kc_xstrndup(jstr(cont, "Id") ? jstr(cont, "Id") : "", 12);
        kc_cmd_app_start(&c, name);
        rc = run_cmd(h, &c, KC_MUTATE | KC_CHECK, err);
        if (rc == 0)
            rc = kc_app_deploy(run->set, h, role, id, name, err);
        free(id);
        break;
    }
    case SV_STOP:
        kc_cmd_app_proxy_remove(&c, role);
        {
            struct kc_err ignored = KC_ERR_INIT;
            run_cmd(h, &c, KC_MUTATE, &ignored); /* no route: nothing to remove */
            kc_err_release(&ignored);
        }
        if (j->running[k].n) {
            kc_cmd_app_stop(&c, role, &j->running[k]);
            rc = run_cmd(h, &c, KC_MUTATE | KC_CHECK, err);
        }
        break;
    case SV_MAINT:
        kc_cmd_app_proxy_stop(&c, role,
                              run->req->drain_timeout >= 0 ? run->req->drain_timeout
                                                           : ctx->cfg->drain_timeout,
                              run->req->message);
        rc = run_cmd(h, &c, KC_MUTATE | KC_CHECK, err);
        break;
    case SV_LIVE:
        kc_cmd_app_proxy_resume(&c, role);
        rc = run_cmd(h, &c, KC_MUTATE | KC_CHECK, err);
        break;
    }
    free(name);
    if (rc == 0) {
        kc_step_audit(ctx, h, "App %s (%s)", done_words[run->verb][0], role->name);
        kc_report(ctx, h->name, role->name, done_words[run->verb][ctx->g.dry_run ? 1 : 0], NULL);
    }
    return rc;
}

static int act_host(struct srun *run, struct kc_host *h, struct sjob *j, struct kc_err *err)
{
    int worst = 0;
    for (size_t k = 0; k < j->n; k++) {
        struct kc_err one = KC_ERR_INIT;
        int rc = act_role(run, h, j, k, &one);
        if (rc) {
            kc_report(run->set->ctx, h->name, j->roles[k]->name, kc_outcome_of(rc),
                      rc == KC_EINTERRUPTED ? NULL : one.msg);
            if (worst == 0)
                kc_err_move(err, &one);
            worst = kc_code_worst(worst, rc);
        }
        kc_err_release(&one);
    }
    return worst;
}

static struct sjob *job_of(struct srun *run, const struct kc_host *h)
{
    return &run->jobs[kc_strvec_index(&run->set->hosts, h->name)];
}

static int phase1(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct srun *run = ud;
    struct sjob *j = job_of(run, h);
    int rc = probe_host(run, h, j, err);
    if (rc || j->change)
        return rc;
    return act_host(run, h, j, err);
}

static int phase2(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct srun *run = ud;
    struct sjob *j = job_of(run, h);
    int rc = probe_host(run, h, j, err);
    return rc ? rc : act_host(run, h, j, err);
}

static void changed(void *ud, bool *out, size_t n)
{
    struct srun *run = ud;
    for (size_t i = 0; i < n; i++)
        out[i] = run->jobs[i].change;
}

static int converge(struct kc_ctx *ctx, const struct kc_app_request *req, enum sverb verb,
                    struct kc_err *err)
{
    struct app_set set;
    int rc = kc_app_set_select(ctx, verb == SV_START, &set, err);
    if (rc || set.hosts.n == 0) {
        kc_app_set_release(&set);
        return rc;
    }
    size_t n = set.hosts.n;
    struct srun run = {&set, req, verb, kc_xcalloc(n + 1, sizeof *run.jobs)};
    for (size_t i = 0; i < n; i++) {
        struct sjob *j = &run.jobs[i];
        j->roles = kc_xcalloc(set.nroles + 1, sizeof *j->roles);
        j->n = kc_app_set_roles_on(&set, set.hosts.v[i], j->roles);
        j->act = kc_xcalloc(j->n + 1, sizeof *j->act);
        j->fail = kc_xcalloc(j->n + 1, sizeof *j->fail);
        j->running = kc_xcalloc(j->n + 1, sizeof *j->running);
    }
    rc = kc_proxy_converge(ctx, &set.hosts, phase1, phase2, &run, changed, err);
    for (size_t i = 0; i < n; i++) {
        struct sjob *j = &run.jobs[i];
        for (size_t k = 0; k < j->n; k++) {
            free(j->fail[k]);
            kc_strvec_release(&j->running[k]);
        }
        free(j->fail);
        free(j->running);
        free(j->act);
        free(j->roles);
        kc_app_probe_release(&j->probe);
    }
    free(run.jobs);
    kc_app_set_release(&set);
    return rc;
}

int kc_app_start(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err)
{
    return converge(ctx, req, SV_START, err);
}

int kc_app_stop(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err)
{
    return converge(ctx, req, SV_STOP, err);
}

int kc_app_maintenance(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err)
{
    return converge(ctx, req, SV_MAINT, err);
}

int kc_app_live(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err)
{
    return converge(ctx, req, SV_LIVE, err);
}
