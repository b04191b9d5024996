/* proxy.c - convergent `proxy boot|start|stop` (see ops_proxy.h).
 *
 *   verb   state found                          action              reported as
 *   boot   no container                         network, apps dir,  booted
 *                                               login, docker run
 *   boot   running, same image and options      nothing             unchanged
 *   boot   running, image or options differ     nothing             drift (6 with
 *                                                                   --fail-on-drift)
 *   boot   stopped                              docker start        started
 *   boot   running an image older than v0.9.2   nothing             failed (reboot it)
 *   start  running / stopped / none             - / start / fail    unchanged / started
 *   stop   running / not running                stop / -            stopped / unchanged
 *
 * Phase 1 probes every proxy host without the lock (one command each); the
 * lock is taken only when a host needs a change, and phase 2 re-probes those
 * hosts under it before acting. */
#include "proxy_int.h"
#include "kamal-c/ops.h"
#include "kamal-c/steps.h"

#include <stdlib.h>
#include <string.h>

void kc_proxy_selected_hosts(struct kc_ctx *ctx, struct kc_strvec *out)
{
    struct kc_strvec all = KC_STRVEC_INIT;
    kc_config_proxy_hosts(ctx->cfg, &all);
    for (size_t i = 0; i < ctx->hosts.n; i++)
        if (kc_strvec_contains(&all, ctx->hosts.v[i]))
            kc_strvec_push(out, ctx->hosts.v[i]);
    kc_strvec_release(&all);
}

int kc_proxy_cmd(struct kc_host *h, void (*build)(struct kc_cmd *), unsigned flags,
                 struct kc_exec_result *res, struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    build(&c);
    int rc = kc_remote_run(h, &c, flags, res, err);
    kc_cmd_release(&c);
    return rc;
}

int kc_proxy_probe_host(struct kc_ctx *ctx, struct kc_host *h, struct kc_proxy_probe *p,
                        struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_proxy_probe_release(p);
    kc_cmd_proxy_probe(&c, ctx->cfg);
    int rc = kc_remote_run(h, &c, KC_PROBE, &res, err);
    if (rc == 0)
        rc = kc_proxy_probe_parse(kc_buf_str(&res.out), kc_buf_str(&res.err), p, err);
    if (rc == 0 && p->docker_error) {
        rc = kc_err_set(err, KC_EREMOTE, "docker is not available on %s", h->name);
        kc_err_set_remote(err, p->docker_error);
    }
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

/* docker run of kamal-proxy with its digest label, then wait until it runs. */
int kc_proxy_run_container(struct kc_ctx *ctx, struct kc_host *h,
                           const struct kc_proxy_files *files, struct kc_err *err)
{
    char digest[65];
    int rc = kc_proxy_digest(ctx->cfg, h->name, files, digest, err);
    struct kc_cmd c = KC_CMD_INIT;
    if (rc == 0)
        rc = kc_cmd_proxy_run(&c, ctx->cfg, h->name, files, digest, err);
    if (rc == 0)
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    kc_cmd_release(&c);
    if (rc == 0)
        rc = kc_step_wait_running(ctx, h, KC_PROXY_CONTAINER, "kamal-proxy", err);
    return rc;
}

int kc_proxy_login(struct kc_ctx *ctx, struct kc_host *h, struct kc_err *err)
{
    if (ctx->cfg->registry.local)
        return 0;
    return kc_step_registry_login(ctx, h, &ctx->cfg->registry, err);
}

/* ---- the convergent verbs ---- */

enum pverb { PV_BOOT, PV_START, PV_STOP };
enum pact { PA_NONE, PA_BOOT, PA_START, PA_STOP, PA_FAIL };

struct pjob {
    struct kc_proxy_probe probe;
    enum pact action;
    bool need_network, need_dir, change;
    char *drift;
    char *fail;
};

struct prun {
    struct kc_ctx *ctx;
    const struct kc_proxy_request *req;
    enum pverb verb;
    struct kc_strvec hosts;
    struct pjob *jobs;
};

static struct pjob *job_of(struct prun *run, const struct kc_host *h)
{
    return &run->jobs[kc_strvec_index(&run->hosts, h->name)];
}

/* What differs between the running proxy and deploy.yml, or NULL. */
static char *proxy_drift(struct kc_ctx *ctx, const char *host, const struct kc_proxy_probe *p,
                         const char *digest)
{
    char *want = kc_proxy_image(ctx->cfg, host, &p->files);
    char *d = NULL;
    if (strcmp(want, p->image) != 0)
        d = kc_xasprintf("image %s -> %s; apply with 'kamal-c proxy reboot'", p->image, want);
    else if (p->digest && strcmp(p->digest, digest) != 0)
        d = kc_xstrdup("docker run options differ from deploy.yml (or the boot_config files); "
                       "apply with 'kamal-c proxy reboot'");
    free(want);
    return d;
}

static void decide_boot(struct prun *run, const char *host, struct pjob *j)
{
    const struct kc_proxy_probe *p = &j->probe;
    char digest[65];
    struct kc_err e = KC_ERR_INIT;
    if (kc_proxy_digest(run->ctx->cfg, host, &p->files, digest, &e) != 0) {
        j->action = PA_FAIL;
        j->fail = kc_xstrdup(e.msg);
        kc_err_release(&e);
        return;
    }
    j->need_network = !p->network_exists;
    j->need_dir = !p->apps_dir;
    if (!p->exists) {
        j->action = PA_BOOT;
        return;
    }
    const char *tag = kc_image_tag(p->image);
    if (kc_proxy_too_old(tag)) {
        j->action = PA_FAIL;
        j->fail = kc_xasprintf("kamal-proxy version %s is too old, run `kamal-c proxy reboot` in "
                               "order to update to at least %s",
                               tag, KC_PROXY_VERSION);
        return;
    }
    j->drift = proxy_drift(run->ctx, host, p, digest);
    j->action = strcmp(p->status, "running") == 0 ? PA_NONE : PA_START;
}

static void decide(struct prun *run, const char *host, struct pjob *j)
{
    free(j->drift);
    free(j->fail);
    j->drift = j->fail = NULL;
    j->need_network = j->need_dir = false;
    const struct kc_proxy_probe *p = &j->probe;
    bool running = p->exists && strcmp(p->status, "running") == 0;
    switch (run->verb) {
    case PV_BOOT:
        decide_boot(run, host, j);
        break;
    case PV_START:
        if (!p->exists) {
            j->action = PA_FAIL;
            j->fail = kc_xstrdup("there is no kamal-proxy container; run 'kamal-c proxy boot'");
        } else {
            j->action = running ? PA_NONE : PA_START;
        }
        break;
    case PV_STOP:
        j->action = p->exists && (running || strcmp(p->status, "restarting") == 0 ||
                                  strcmp(p->status, "paused") == 0)
                        ? PA_STOP
                        : PA_NONE;
        break;
    }
    j->change = j->action == PA_BOOT || j->action == PA_START || j->action == PA_STOP ||
                j->need_network || j->need_dir;
}

static int prepare_host(struct kc_ctx *ctx, struct kc_host *h, struct pjob *j, bool dir,
                        struct kc_err *err)
{
    int rc = j->need_network ? kc_step_network(h, err) : 0;
    if (rc == 0 && (dir || j->need_dir)) {
        struct kc_cmd c = KC_CMD_INIT;
        kc_cmd_proxy_mkdir_apps(&c, ctx->cfg);
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
    }
    return rc;
}

static int act(struct prun *run, struct kc_host *h, struct pjob *j, struct kc_err *err)
{
    struct kc_ctx *ctx = run->ctx;
    int rc = 0;
    double t0 = kc_now();
    switch (j->action) {
    case PA_FAIL:
        return kc_err_set(err, KC_EREMOTE, "%s", j->fail);
    case PA_NONE:
        rc = run->verb == PV_BOOT ? prepare_host(ctx, h, j, false, err) : 0;
        if (rc == 0 && j->drift)
            kc_report(ctx, h->name, "kamal-proxy", "drift", j->drift);
        else if (rc == 0)
            kc_report(ctx, h->name, "kamal-proxy", "unchanged",
                      run->verb == PV_STOP ? "not running"
                      : j->probe.digest   ? "running"
                                          : "running (not booted by kamal-c: image compared)");
        return rc;
    case PA_BOOT:
        rc = prepare_host(ctx, h, j, true, err);
        if (rc == 0)
            rc = kc_proxy_login(ctx, h, err);
        if (rc == 0)
            rc = kc_proxy_run_container(ctx, h, &j->probe.files, err);
        if (rc == 0) {
            kc_step_audit(ctx, h, "Booted proxy");
            char *d = ctx->g.dry_run ? kc_xstrdup("docker run")
                                     : kc_xasprintf("docker run, running after %.1f s",
                                                    kc_now() - t0);
            kc_report(ctx, h->name, "kamal-proxy", "booted", d);
            free(d);
        }
        return rc;
    case PA_START:
        rc = run->verb == PV_BOOT ? prepare_host(ctx, h, j, false, err) : 0;
        if (rc == 0)
            rc = kc_proxy_cmd(h, kc_cmd_proxy_start, KC_MUTATE | KC_CHECK, NULL, err);
        if (rc == 0)
            rc = kc_step_wait_running(ctx, h, KC_PROXY_CONTAINER, "kamal-proxy", err);
        if (rc == 0) {
            kc_step_audit(ctx, h, "Started proxy");
            kc_report(ctx, h->name, "kamal-proxy", j->drift ? "drift" : "started",
                      j->drift ? j->drift : "docker start");
        }
        return rc;
    case PA_STOP:
        rc = kc_proxy_cmd(h, kc_cmd_proxy_stop, KC_MUTATE | KC_CHECK, NULL, err);
        if (rc == 0) {
            kc_step_audit(ctx, h, "Stopped proxy");
            kc_report(ctx, h->name, "kamal-proxy", "stopped", NULL);
        }
        return rc;
    }
    return 0;
}

static int phase1(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct prun *run = ud;
    struct pjob *j = job_of(run, h);
    int rc = kc_proxy_probe_host(run->ctx, h, &j->probe, err);
    if (rc)
        return rc;
    decide(run, h->name, j);
    return j->change ? 0 : act(run, h, j, err);
}

static int phase2(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct prun *run = ud;
    struct pjob *j = job_of(run, h);
    int rc = kc_proxy_probe_host(run->ctx, h, &j->probe, err);
    if (rc)
        return rc;
    decide(run, h->name, j);
    return act(run, h, j, err);
}

int kc_proxy_phase(struct kc_ctx *ctx, const struct kc_strvec *names, const bool *pick,
                   kc_host_fn fn, void *ud, struct kc_err *errs)
{
    size_t n = names->n, m = 0;
    struct kc_host **hosts = kc_xcalloc(n + 1, sizeof *hosts);
    struct kc_err *sub = kc_xcalloc(n + 1, sizeof *sub);
    size_t *back = kc_xcalloc(n + 1, sizeof *back);
    for (size_t i = 0; i < n; i++)
        if (pick == NULL || pick[i]) {
            hosts[m] = kc_ctx_host(ctx, names->v[i]);
            back[m++] = i;
        }
    int code = kc_fleet_each(ctx->fleet, hosts, m, fn, ud, sub);
    for (size_t i = 0; i < m; i++)
        kc_err_move(&errs[back[i]], &sub[i]);
    free(hosts);
    free(sub);
    free(back);
    return code;
}

/* Probe, lock if needed, act; errors folded, drift checked. */
int kc_proxy_converge(struct kc_ctx *ctx, const struct kc_strvec *names, kc_host_fn p1,
                      kc_host_fn p2, void *ud, void (*changed)(void *ud, bool *out, size_t n),
                      struct kc_err *err)
{
    size_t n = names->n;
    struct kc_err *errs = kc_xcalloc(n + 1, sizeof *errs);
    bool *pick = kc_xcalloc(n + 1, sizeof *pick);
    /* under a lock this run already holds (deploy), the first probe is the
     * one under the lock: probe and act in one pass */
    bool locked = ctx->lock_held || ctx->lock_inherited;
    kc_proxy_phase(ctx, names, NULL, locked ? p2 : p1, ud, errs);
    bool any = false;
    if (!locked) {
        changed(ud, pick, n);
        for (size_t i = 0; i < n; i++) {
            pick[i] = errs[i].code == KC_OK && pick[i];
            any |= pick[i];
        }
    }
    struct kc_err lock_err = KC_ERR_INIT;
    int lock_rc = 0;
    if (any && !kc_ctx_cancelled(ctx)) {
        lock_rc = kc_lock_take(ctx, NULL, &lock_err);
        if (lock_rc == 0)
            kc_proxy_phase(ctx, names, pick, p2, ud, errs);
    }
    struct kc_host **hosts = kc_ctx_fleet_hosts(ctx, names);
    int code = 0;
    for (size_t i = 0; i < n; i++)
        code = kc_code_worst(code, errs[i].code);
    int rc = kc_report_host_errors(ctx, hosts, errs, n, code, err);
    if (lock_rc && rc != KC_EUNREACHABLE) {
        kc_err_move(err, &lock_err);
        rc = lock_rc;
    }
    kc_err_release(&lock_err);
    for (size_t i = 0; i < n; i++)
        kc_err_release(&errs[i]);
    free(errs);
    free(pick);
    free(hosts);
    return rc;
}

static void run_changed(void *ud, bool *out, size_t n)
{
    struct prun *run = ud;
    for (size_t i = 0; i < n; i++)
        out[i] = run->jobs[i].change;
}

static int converge(struct kc_ctx *ctx, const struct kc_proxy_request *req, enum pverb verb,
                    struct kc_err *err)
{
    struct prun run = {ctx, req, verb, KC_STRVEC_INIT, NULL};
    kc_proxy_selected_hosts(ctx, &run.hosts);
    if (run.hosts.n == 0) {
        kc_out_msg(ctx->out, KC_LVL_WARN, NULL, "no selected host runs kamal-proxy");
        kc_strvec_release(&run.hosts);
        return 0;
    }
    run.jobs = kc_xcalloc(run.hosts.n + 1, sizeof *run.jobs);
    int rc = kc_proxy_converge(ctx, &run.hosts, phase1, phase2, &run, run_changed, err);
    bool drift = false;
    for (size_t i = 0; i < run.hosts.n; i++) {
        drift |= run.jobs[i].drift != NULL;
        kc_proxy_probe_release(&run.jobs[i].probe);
        free(run.jobs[i].drift);
        free(run.jobs[i].fail);
    }
    if (rc == 0 && drift && req->fail_on_drift)
        rc = kc_err_set(err, KC_EDRIFT, "drift found (--fail-on-drift)");
    free(run.jobs);
    kc_strvec_release(&run.hosts);
    return rc;
}

int kc_proxy_boot(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err)
{
    return converge(ctx, req, PV_BOOT, err);
}

int kc_proxy_start(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err)
{
    return converge(ctx, req, PV_START, err);
}

int kc_proxy_stop(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err)
{
    return converge(ctx, req, PV_STOP, err);
}
