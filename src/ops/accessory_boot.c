/* accessory_boot.c - convergent `accessory boot`.
 *
 *   state found                    action                       reported as
 *   running, config unchanged      nothing                      unchanged
 *   created / exited               docker start                 started
 *   paused                         docker unpause               started
 *   dead                           remove it, then boot         booted
 *   restarting (crash loop)        nothing; fail with its logs  failed
 *   missing                        directories, files, env,     booted
 *                                  login if needed, docker run
 *   running/stopped, but differs   start if stopped; list what  drift
 *                                  differs, suggest reboot
 *   proxied (proxy:), running but  kamal-proxy deploy (and boot  registered
 *   not kamal-proxy's live target  kamal-proxy if needed)
 *   or with other proxy options
 *
 * A proxied accessory that is booted or started is registered with
 * kamal-proxy too (accessory_proxy.c).
 *
 * Phase 1 probes every host without the lock. The lock is taken only when
 * some host needs a change; phase 2 re-probes those hosts under the lock (a
 * concurrent run may have done the work) and acts, all hosts in parallel. */
#include "accessory_int.h"
#include "kamal-c/accessory.h"
#include "kamal-c/ops.h"
#include "kamal-c/steps.h"

#include <stdlib.h>
#include <string.h>

struct acc_decision {
    enum kc_acc_action action;
    bool managed;
    struct kc_strvec diffs; /* non-empty: drift */
    char *fail;             /* KC_ACT_FAIL: why */
    bool fail_logs;         /* attach the container's last logs */
    char *proxy_why;        /* proxied, running, but not registered as wanted */
};

struct host_job {
    struct acc_set *set;
    bool fail_on_drift;
    size_t *idx; /* accessories (indexes into set) on this host */
    size_t n;
    struct kc_host_probe probe;
    struct acc_decision *dec;
    bool needs_change;
    bool drift;
};

static void decision_reset(struct acc_decision *d)
{
    kc_strvec_release(&d->diffs);
    free(d->fail);
    free(d->proxy_why);
    memset(d, 0, sizeof *d);
}

static void decide_existing(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w,
                            const struct kc_host_probe *hp, const struct kc_acc_probe *p,
                            struct acc_decision *d)
{
    double restarts =
        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p->inspect, "RestartCount"));
    bool looping = false;
    if (strcmp(p->status, "running") == 0 && restarts > 0) {
        /* caught between two crashes, a crash loop looks like running */
        struct kc_err ignored = KC_ERR_INIT;
        if (kc_step_crash_loop_check(ctx, h, w->acc->service, &looping, &ignored) != 0)
            looping = false;
        kc_err_release(&ignored);
    }
    d->action = kc_accessory_action(p->status, looping);
    if (d->action == KC_ACT_FAIL) {
        bool crash_loop = looping || strcmp(p->status, "restarting") == 0;
        d->fail = kc_xasprintf("the container is %s%s", crash_loop ? "restarting" : p->status,
                               crash_loop ? " (crash loop)" : "");
        d->fail_logs = crash_loop;
        return;
    }
    if (d->action == KC_ACT_REPLACE)
        return;
    char digest[65];
    struct kc_err ignored = KC_ERR_INIT;
    bool have_digest = kc_accessory_digest(ctx->cfg, w->acc, h->name, digest, &ignored) == 0;
    kc_err_release(&ignored);
    struct kc_acc_desired want = {have_digest ? digest : NULL, w->env_sha, KC_KVLIST_INIT};
    kc_kvlist_copy(&want.files, &w->file_shas);
    kc_accessory_compare(ctx->cfg, w->acc, h->name, hp, p, &want, &d->diffs, &d->managed);
    kc_kvlist_release(&want.files);
}

static void decide(struct kc_ctx *ctx, struct kc_host *h, struct host_job *job)
{
    for (size_t k = 0; k < job->n; k++) { /* check_routes' answers stay */
        char *why = job->dec[k].proxy_why;
        job->dec[k].proxy_why = NULL;
        decision_reset(&job->dec[k]);
        job->dec[k].proxy_why = why;
    }
    job->needs_change = false;
    job->drift = false;
    for (size_t k = 0; k < job->n; k++) {
        struct acc_decision *d = &job->dec[k];
        const struct acc_want *w = &job->set->want[job->idx[k]];
        const struct kc_acc_probe *p = &job->probe.acc[k];
        if (!p->exists)
            d->action = kc_accessory_action(NULL, false);
        else
            decide_existing(ctx, h, w, &job->probe, p, d);
        job->needs_change |= kc_accessory_action_changes(d->action) || d->proxy_why;
        job->drift |= d->diffs.n > 0;
    }
}

/* The proxied accessories of the host: whether kamal-proxy routes to them. */
static int check_routes(struct kc_ctx *ctx, struct kc_host *h, struct host_job *job,
                        struct kc_err *err)
{
    const struct kc_accessory **accs = kc_xcalloc(job->n + 1, sizeof *accs);
    size_t *at = kc_xcalloc(job->n + 1, sizeof *at);
    char **whys = kc_xcalloc(job->n + 1, sizeof *whys);
    size_t m = 0;
    for (size_t k = 0; k < job->n; k++) {
        free(job->dec[k].proxy_why);
        job->dec[k].proxy_why = NULL;
        if (job->set->accs[job->idx[k]]->runs_proxy) {
            at[m] = k;
            accs[m++] = job->set->accs[job->idx[k]];
        }
    }
    int rc = m ? kc_acc_proxy_check(ctx, h, accs, m, whys, err) : 0;
    for (size_t i = 0; i < m; i++)
        job->dec[at[i]].proxy_why = whys[i];
    free(whys);
    free(at);
    free(accs);
    return rc;
}

static int probe_host(struct kc_host *h, struct host_job *job, struct kc_err *err)
{
    struct kc_ctx *ctx = job->set->ctx;
    const struct kc_accessory **accs = kc_xcalloc(job->n + 1, sizeof *accs);
    for (size_t k = 0; k < job->n; k++)
        accs[k] = job->set->accs[job->idx[k]];
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_accessory_probe(&c, ctx->cfg, accs, job->n);
    kc_host_probe_release(&job->probe);
    int rc = kc_remote_run(h, &c, KC_PROBE | KC_SECRET_OUTPUT, &res, err);
    if (rc == 0)
        rc = kc_accessory_probe_parse(kc_buf_str(&res.out), kc_buf_str(&res.err), ctx->cfg, accs,
                                      job->n, &job->probe, err);
    if (rc == 0 && job->probe.docker_error) {
        rc = kc_err_set(err, KC_EREMOTE, "docker is not available on %s", h->name);
        kc_err_set_remote(err, job->probe.docker_error);
    }
    if (rc == 0)
        rc = check_routes(ctx, h, job, err);
    if (rc == 0)
        decide(ctx, h, job);
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    free(accs);
    return rc;
}

static char *drift_detail(const struct acc_decision *d, const char *name, const char *did)
{
    char *list = kc_strvec_join(&d->diffs, "; ");
    char *advice = kc_accessory_drift_advice(name, &d->diffs);
    char *s = kc_xasprintf("%s%sdiffers from deploy.yml: %s; %s", did ? did : "", did ? "; " : "",
                           list, advice);
    free(list);
    free(advice);
    return s;
}

/* Reports a decision that needed no action (phase 1, or phase 2 after the
 * re-probe found the work done). */
static void report_still(struct kc_ctx *ctx, struct kc_host *h, const struct acc_decision *d,
                         const struct kc_accessory *acc)
{
    if (d->diffs.n) {
        char *detail = drift_detail(d, acc->name, NULL);
        kc_report(ctx, h->name, acc->name, "drift", detail);
        free(detail);
    } else {
        kc_report(ctx, h->name, acc->name, "unchanged",
                  d->managed ? NULL : "unmanaged: not booted by kamal-c, compared field by field");
    }
}

static int act_start(struct kc_ctx *ctx, struct kc_host *h, const struct acc_decision *d,
                     const struct kc_accessory *acc, struct kc_err *err)
{
    const char *did = d->action == KC_ACT_START ? "docker start" : "docker unpause";
    kc_step_doing(h, "%s: %s", acc->name, did);
    int rc =
        kc_acc_step(h, d->action == KC_ACT_START ? kc_cmd_accessory_start : kc_cmd_accessory_unpause,
                    acc, KC_MUTATE | KC_CHECK, NULL, err);
    if (rc == 0)
        rc = kc_acc_wait_running(ctx, h, acc, err);
    if (rc)
        return rc;
    kc_step_audit(ctx, h, "Started %s accessory", acc->name);
    if (d->diffs.n) {
        char *detail = drift_detail(d, acc->name, did);
        kc_report(ctx, h->name, acc->name, "drift", detail);
        free(detail);
    } else {
        kc_report(ctx, h->name, acc->name, "started", did);
    }
    return 0;
}

/* Kamal treats any container labelled service=SVC as the accessory; one
 * under another name would make a second. Checked only on the boot path, so
 * the no-op probe stays one docker call. */
static int refuse_foreign_label(struct kc_host *h, const struct kc_accessory *acc,
                                struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_accessory_labelled(&c, acc);
    int rc = kc_remote_run(h, &c, KC_PROBE | KC_CHECK, &res, err);
    kc_buf_rtrim(&res.out);
    if (rc == 0 && res.out.len) {
        rc = kc_err_set(err, KC_EREMOTE,
                        "%s: no container named %s, but '%s' carries its label service=%s; "
                        "remove or rename it first",
                        acc->name, acc->service, kc_buf_str(&res.out), acc->service);
    }
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

static int act_boot(struct kc_ctx *ctx, struct kc_host *h, struct host_job *job, size_t k,
                    struct kc_err *err)
{
    const struct acc_want *w = &job->set->want[job->idx[k]];
    const struct kc_acc_probe *p = &job->probe.acc[k];
    int rc = 0;
    kc_step_doing(h, "%s: boot", w->acc->name);
    if (job->dec[k].action == KC_ACT_REPLACE)
        rc = kc_acc_step(h, kc_cmd_accessory_rm, w->acc, KC_MUTATE | KC_CHECK, NULL, err);
    else
        rc = refuse_foreign_label(h, w->acc, err);
    double t0 = kc_now();
    if (rc == 0)
        rc = kc_acc_boot_steps(ctx, h, w, !p->image_present, !job->probe.network_exists, err);
    if (rc == 0) {
        char *detail = ctx->g.dry_run
                           ? kc_xstrdup("docker run")
                           : kc_xasprintf("docker run, running after %.1f s", kc_now() - t0);
        kc_report(ctx, h->name, w->acc->name, "booted", detail);
        free(detail);
    }
    return rc;
}

/* Running as wanted, but kamal-proxy does not route to it as wanted. */
static int act_register(struct kc_ctx *ctx, struct kc_host *h, const struct acc_decision *d,
                        const struct kc_accessory *acc, struct kc_err *err)
{
    int rc = kc_acc_proxy_register(ctx, h, acc, err);
    if (rc)
        return rc;
    if (d->diffs.n) {
        char *detail = drift_detail(d, acc->name, d->proxy_why);
        kc_report(ctx, h->name, acc->name, "drift", detail);
        free(detail);
    } else {
        char *detail = kc_xasprintf("kamal-proxy deploy: %s", d->proxy_why);
        kc_report(ctx, h->name, acc->name, ctx->g.dry_run ? "would register" : "registered",
                  detail);
        free(detail);
    }
    return 0;
}

static int act_one(struct kc_ctx *ctx, struct kc_host *h, struct host_job *job, size_t k,
                   struct kc_err *err)
{
    struct acc_decision *d = &job->dec[k];
    const struct kc_accessory *acc = job->set->accs[job->idx[k]];
    switch (d->action) {
    case KC_ACT_NONE:
        if (d->proxy_why)
            return act_register(ctx, h, d, acc, err);
        report_still(ctx, h, d, acc);
        return 0;
    case KC_ACT_START:
    case KC_ACT_UNPAUSE: {
        int rc = act_start(ctx, h, d, acc, err);
        return rc ? rc : kc_acc_proxy_register(ctx, h, acc, err);
    }
    case KC_ACT_BOOT:
    case KC_ACT_REPLACE: {
        int rc = act_boot(ctx, h, job, k, err);
        return rc ? rc : kc_acc_proxy_register(ctx, h, acc, err);
    }
    case KC_ACT_FAIL:
        kc_err_set(err, KC_EREMOTE, "%s: %s", acc->name, d->fail);
        if (d->fail_logs)
            kc_step_attach_logs(h, acc->service, err);
        return KC_EREMOTE;
    }
    return 0;
}

/* Runs every accessory's action on the host; the first failure is the
 * host's error, and the others still run. */
static int act_host(struct kc_ctx *ctx, struct kc_host *h, struct host_job *job, struct kc_err *err)
{
    int worst = 0;
    for (size_t k = 0; k < job->n; k++) {
        struct kc_err one = KC_ERR_INIT;
        int rc = act_one(ctx, h, job, k, &one);
        worst = kc_acc_fold(ctx, h->name, job->set->accs[job->idx[k]]->name, rc, &one, worst, err);
        kc_err_release(&one);
        if (!kc_acc_host_usable(rc))
            break;
    }
    return worst;
}

/* The probe failed: every accessory of the host gets the host's outcome. */
static void report_probe_failure(struct kc_ctx *ctx, struct kc_host *h, struct host_job *job,
                                 int rc, const struct kc_err *err)
{
    for (size_t k = 0; k < job->n; k++)
        kc_report(ctx, h->name, job->set->accs[job->idx[k]]->name, kc_outcome_of(rc),
                  rc == KC_EINTERRUPTED ? NULL : err->msg);
}

/* Phase 1: probe; hosts with nothing to do report now. */
/* The job of host h in the jobs array (one per host of the set). */
static struct host_job *job_of(void *jobs, const struct kc_host *h)
{
    struct host_job *all = jobs;
    return &all[kc_strvec_index(&all->set->hosts, h->name)];
}

static int phase1(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct host_job *job = job_of(ud, h);
    struct kc_ctx *ctx = job->set->ctx;
    kc_step_doing(h, "probe");
    int rc = probe_host(h, job, err);
    if (rc)
        report_probe_failure(ctx, h, job, rc, err);
    if (rc == 0 && job->needs_change)
        kc_step_doing(h, "waiting for the deploy lock");
    if (rc || job->needs_change)
        return rc;
    return act_host(ctx, h, job, err); /* only reports and fails here */
}

/* Phase 2, under the lock: re-probe, then act. */
static int phase2(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct host_job *job = job_of(ud, h);
    struct kc_ctx *ctx = job->set->ctx;
    kc_step_doing(h, "probe again, under the lock");
    int rc = probe_host(h, job, err);
    if (rc)
        report_probe_failure(ctx, h, job, rc, err);
    if (rc)
        return rc;
    return act_host(ctx, h, job, err);
}

static void jobs_init(struct acc_set *set, bool fail_on_drift, struct host_job *jobs)
{
    for (size_t i = 0; i < set->hosts.n; i++) {
        struct host_job *j = &jobs[i];
        memset(j, 0, sizeof *j);
        j->set = set;
        j->fail_on_drift = fail_on_drift;
        j->idx = kc_xcalloc(set->n + 1, sizeof *j->idx);
        j->n = kc_acc_set_on_host(set, set->hosts.v[i], j->idx);
        j->dec = kc_xcalloc(j->n + 1, sizeof *j->dec);
    }
}

static void jobs_release(struct host_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < jobs[i].n; k++)
            decision_reset(&jobs[i].dec[k]);
        free(jobs[i].dec);
        free(jobs[i].idx);
        kc_host_probe_release(&jobs[i].probe);
    }
    free(jobs);
}

/* Runs fn on the hosts whose flag is set (all when pick is NULL). */
static int run_phase(struct kc_ctx *ctx, struct acc_set *set, struct host_job *jobs,
                     const bool *pick, kc_host_fn fn, struct kc_err *errs)
{
    size_t n = set->hosts.n, m = 0;
    struct kc_host **hosts = kc_xcalloc(n + 1, sizeof *hosts);
    struct kc_err *sub = kc_xcalloc(n + 1, sizeof *sub);
    size_t *back = kc_xcalloc(n + 1, sizeof *back);
    for (size_t i = 0; i < n; i++)
        if (pick == NULL || pick[i]) {
            hosts[m] = kc_ctx_host(ctx, set->hosts.v[i]);
            back[m++] = i;
        }
    int code = kc_fleet_each(ctx->fleet, hosts, m, fn, jobs, sub);
    for (size_t i = 0; i < m; i++)
        kc_err_move(&errs[back[i]], &sub[i]);
    free(hosts);
    free(sub);
    free(back);
    return code;
}

static int finish(struct kc_ctx *ctx, struct acc_set *set, struct host_job *jobs,
                  struct kc_err *errs, bool fail_on_drift, struct kc_err *err)
{
    size_t n = set->hosts.n;
    struct kc_host **hosts = kc_ctx_fleet_hosts(ctx, &set->hosts);
    int code = 0;
    bool drift = false;
    for (size_t i = 0; i < n; i++) {
        code = kc_code_worst(code, errs[i].code);
        drift |= jobs[i].drift;
    }
    int rc = kc_report_host_errors(ctx, hosts, errs, n, code, err);
    if (rc == 0 && drift && fail_on_drift)
        rc = kc_err_set(err, KC_EDRIFT, "drift found (--fail-on-drift)");
    free(hosts);
    return rc;
}

int kc_accessory_boot(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err)
{
    struct acc_set set;
    int rc = kc_acc_set_select(ctx, req->name, true, &set, err);
    if (rc == 0)
        rc = kc_acc_set_prepare(&set, err);
    if (rc) {
        kc_acc_set_release(&set);
        return rc;
    }
    kc_acc_set_note_empty(&set);
    size_t n = set.hosts.n;
    struct host_job *jobs = kc_xcalloc(n + 1, sizeof *jobs);
    struct kc_err *errs = kc_xcalloc(n + 1, sizeof *errs);
    bool *pick = kc_xcalloc(n + 1, sizeof *pick);
    jobs_init(&set, req->fail_on_drift, jobs);

    run_phase(ctx, &set, jobs, NULL, phase1, errs);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        pick[i] = errs[i].code == KC_OK && jobs[i].needs_change;
        any |= pick[i];
    }
    struct kc_err lock_err = KC_ERR_INIT;
    int lock_rc = 0;
    if (any && !kc_ctx_cancelled(ctx)) {
        lock_rc = kc_lock_take(ctx, NULL, &lock_err);
        if (lock_rc == 0)
            run_phase(ctx, &set, jobs, pick, phase2, errs);
    }
    rc = finish(ctx, &set, jobs, errs, req->fail_on_drift, err);
    /* without the lock nothing changed: that decides the exit, unless a host
     * was unreachable, which phase 1 already reported */
    if (lock_rc && rc != KC_EUNREACHABLE) {
        kc_err_move(err, &lock_err);
        rc = lock_rc;
    }
    kc_err_release(&lock_err);
    for (size_t i = 0; i < n; i++)
        kc_err_release(&errs[i]);
    free(errs);
    free(pick);
    jobs_release(jobs, n);
    kc_acc_set_release(&set);
    return rc;
}
