/* app_boot.c - convergent `app boot`, per host and proxied role:
 *
 *   state found                                       action                 reported as
 *   the wanted image (by image ID) runs, healthy,     nothing                unchanged
 *   is the proxy's live target, same configuration
 *   same, but stopped                                 docker start, deploy   started
 *   configuration differs (labels, options, env:      new container through  booted
 *   Config.Env by sha256 less per-container values)   the proxy, old stopped
 *   only the proxy flags differ, or the proxy         kamal-proxy deploy on  redeployed
 *   routes elsewhere                                  the same container
 *   missing / other image / unhealthy / crash loop    new container through  booted
 *                                                     the proxy, old stopped
 *
 * The new container is switched in by `kamal-proxy deploy` (it waits for the
 * health check, then moves traffic and drains the old target) and only then
 * is the old container stopped: zero downtime. A new container that fails
 * its health check is removed with its last log lines in the error; the old
 * one keeps serving; that host fails (exit 1) and the others carry on.
 *
 * Roles without kamal-proxy (proxy: false, or not primary without proxy:)
 * follow the same table without the proxy columns: a new container is ready
 * when Docker calls it healthy, or, without a health check, when it still
 * runs readiness_delay seconds on (kc_step_wait_ready); then the old one is
 * stopped with stop_timeout / drain_timeout. The primary role boots first;
 * the other roles wait for its first healthy container (app_rolling.c), and
 * the hosts boot in boot.limit groups with the app-boot hooks around each. */
#include "app_roles_int.h"
#include "proxy_int.h"
#include "kamal-c/app_roles.h"
#include "kamal-c/ops.h"
#include "kamal-c/proxy.h"
#include "kamal-c/steps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum aact { AA_NONE, AA_BOOT, AA_START, AA_DEPLOY, AA_FAIL };

struct role_dec {
    enum aact action;
    bool rename; /* a container of that name is in the way */
    char *id;    /* the wanted container's short ID (start, deploy) */
    char *why;   /* what differs, for the report */
    char *note;  /* unchanged: a remark (maintenance) */
};

struct ajob {
    const struct kc_role **roles;
    size_t n;
    struct kc_app_probe probe;
    struct role_dec *dec;
    bool change;
    struct app_barrier *barrier;
    bool barrier_on;      /* in a boot group: non-primary roles wait */
    bool barrier_counted; /* the barrier waits for this host's primary role */
    bool barrier_done;
};

struct arun {
    struct app_set *set;
    struct ajob *jobs;
    struct app_barrier barrier;
    bool probed_locked; /* the first probe ran under a lock this run holds (deploy) */
};

static void random_hex(char *out, size_t bytes)
{
    unsigned char b[32] = {0};
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(b, 1, bytes, f) : 0;
    if (f)
        fclose(f);
    if (got < bytes) { /* no /dev/urandom: time is unique enough for a rename */
        double t = kc_now();
        memcpy(b, &t, sizeof t < bytes ? sizeof t : bytes);
    }
    for (size_t i = 0; i < bytes; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void dec_reset(struct role_dec *d)
{
    free(d->id);
    free(d->why);
    free(d->note);
    memset(d, 0, sizeof *d);
}

/* The proxy must run (and be recent enough) before any role can switch. */
static char *proxy_problem(const struct kc_app_probe *p, const char *host)
{
    if (!p->proxy_exists || strcmp(p->proxy_status, "running") != 0)
        return kc_xasprintf("kamal-proxy is not running on %s (%s); run 'kamal-c proxy boot'", host,
                            p->proxy_exists ? p->proxy_status : "no container");
    if (kc_proxy_too_old(kc_image_tag(p->proxy_image)))
        return kc_xasprintf("kamal-proxy version %s is too old, run `kamal-c proxy reboot` in "
                            "order to update to at least %s",
                            kc_image_tag(p->proxy_image), KC_PROXY_VERSION);
    if (p->list_error)
        return kc_xasprintf("kamal-proxy list failed on %s: %s", host, p->list_error);
    return NULL;
}

/* What differs between the container and deploy.yml (labels, options, env),
 * or NULL. */
static char *config_diff(struct app_set *set, const char *host, const struct kc_role *role,
                         const cJSON *cont, const cJSON *image)
{
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(cont, "Config");
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(config, "Labels");
    const char *have = jstr(labels, KC_APP_DIGEST_LABEL);
    char want[65];
    struct kc_err e = KC_ERR_INIT;
    int rc = kc_app_digest(set->ctx->cfg, role, host, set->version, want, &e);
    kc_err_release(&e);
    if (have == NULL)
        return kc_xstrdup("not booted by kamal-c (no digest label)");
    if (rc || strcmp(have, want) != 0)
        return kc_xstrdup("labels or docker options differ from deploy.yml");
    struct kc_strvec lines = KC_STRVEC_INIT;
    const cJSON *e2;
    cJSON_ArrayForEach(e2, cJSON_GetObjectItemCaseSensitive(config, "Env"))
    {
        if (cJSON_IsString(e2))
            kc_strvec_push(&lines, e2->valuestring);
    }
    const cJSON *img_env =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(image, "Config"), "Env");
    char sha_have[65], sha_want[65];
    kc_app_env_sha(&lines, img_env, sha_have);
    kc_strvec_release(&lines);
    kc_app_env_lines(set->ctx->cfg, role, host, kc_app_set_env(set, role, host), &lines);
    kc_app_env_sha(&lines, img_env, sha_want);
    kc_strvec_release(&lines);
    if (strcmp(sha_have, sha_want) != 0)
        return kc_xstrdup("env differs from deploy.yml and the secrets");
    return NULL;
}

static void decide_role(struct app_set *set, const char *host, struct ajob *j, size_t k,
                        const char *proxy_err)
{
    const struct kc_role *role = j->roles[k];
    struct role_dec *d = &j->dec[k];
    const struct kc_app_probe *p = &j->probe;
    dec_reset(d);
    if (proxy_err && role->runs_proxy) {
        d->action = AA_FAIL;
        d->why = kc_xstrdup(proxy_err);
        return;
    }
    char *name = kc_app_container(role, set->version);
    const cJSON *cont = cJSON_GetObjectItemCaseSensitive(p->containers, name);
    free(name);
    const char *img_id = p->image ? jstr(p->image, "Id") : NULL;
    if (cont == NULL) {
        d->action = AA_BOOT;
        d->why = kc_xstrdup(p->image ? "no container of this version"
                                     : "new version (image not on the host yet)");
        return;
    }
    d->rename = true;
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(cont, "State");
    const char *status = jstr(state, "Status");
    const char *health = jstr(cJSON_GetObjectItemCaseSensitive(state, "Health"), "Status");
    if (img_id == NULL || !kc_streq(jstr(cont, "Image"), img_id)) {
        d->action = AA_BOOT;
        d->why = kc_xstrdup("the container runs another image than the tag names now");
        return;
    }
    if ((d->why = config_diff(set, host, role, cont, p->image)) != NULL) {
        d->action = AA_BOOT;
        return;
    }
    if (kc_streq(status, "restarting") || kc_streq(health, "unhealthy") ||
        kc_streq(status, "dead") || kc_streq(status, "removing")) {
        d->action = AA_BOOT;
        d->why = kc_xasprintf("the container is %s",
                              kc_streq(health, "unhealthy") ? "unhealthy" : status);
        return;
    }
    d->rename = false;
    const char *full = jstr(cont, "Id");
    d->id = kc_xstrndup(full ? full : "", 12);
    if (!kc_streq(status, "running")) {
        d->action = AA_START;
        d->why = kc_xasprintf("the container is %s", status ? status : "not running");
        return;
    }
    if (!role->runs_proxy) { /* no route to check: running is live */
        d->action = AA_NONE;
        return;
    }
    const struct kc_app_route *r = kc_app_route(p, role->container_prefix);
    char want_flags[65];
    kc_app_proxy_digest(set->ctx->cfg, role, want_flags);
    const char *have_flags = p->flags.v[k][0] ? p->flags.v[k] : NULL;
    if (have_flags == NULL)
        have_flags = jstr(cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(cont, "Config"), "Labels"),
                          KC_APP_PROXY_LABEL);
    if (r == NULL || !kc_starts_with(r->target, d->id)) {
        d->action = AA_DEPLOY;
        d->why = kc_xstrdup(r ? "kamal-proxy routes to another container"
                              : "kamal-proxy does not route to it");
    } else if (!kc_streq(have_flags, want_flags)) {
        d->action = AA_DEPLOY;
        d->why = kc_xstrdup("the proxy options differ from deploy.yml");
    } else {
        d->action = AA_NONE;
        if (!kc_streq(r->state, "running"))
            d->note = kc_xasprintf("in maintenance (kamal-proxy: %s); 'kamal-c app live' ends it",
                                   r->state);
    }
}

static void decide(struct app_set *set, const char *host, struct ajob *j)
{
    bool proxied = false;
    for (size_t k = 0; k < j->n; k++)
        proxied |= j->roles[k]->runs_proxy;
    char *perr = proxied ? proxy_problem(&j->probe, host) : NULL;
    j->change = false;
    for (size_t k = 0; k < j->n; k++) {
        decide_role(set, host, j, k, perr);
        j->change |= j->dec[k].action != AA_NONE && j->dec[k].action != AA_FAIL;
    }
    free(perr);
}

static int probe_host(struct app_set *set, struct kc_host *h, struct ajob *j, struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_app_probe_release(&j->probe);
    kc_cmd_app_probe(&c, set->ctx->cfg, j->roles, j->n, set->version, set->stale_check);
    int rc = kc_remote_run(h, &c, KC_PROBE | KC_SECRET_OUTPUT, &res, err);
    if (rc == 0)
        rc = kc_app_probe_parse(kc_buf_str(&res.out), kc_buf_str(&res.err), j->n, &j->probe, err);
    if (rc == 0 && j->probe.docker_error) {
        rc = kc_err_set(err, KC_EREMOTE, "docker is not available on %s", h->name);
        kc_err_set_remote(err, j->probe.docker_error);
    }
    if (rc == 0)
        decide(set, h->name, j);
    for (size_t k = 0; rc == 0 && k < j->n; k++) { /* custom TLS files changed? */
        bool stale = false;
        if (j->dec[k].action == AA_NONE && j->roles[k]->runs_proxy)
            rc = kc_app_tls_stale(set, h, j->roles[k], &stale, err);
        if (stale) {
            j->dec[k].action = AA_DEPLOY;
            j->dec[k].why = kc_xstrdup("the TLS certificate files differ from the secrets");
            j->change = true;
        }
    }
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

static char *stopped_detail(const char *what, const struct kc_strvec *stopped, double t0, bool dry)
{
    char *list = kc_strvec_join(stopped, ", ");
    char *s = kc_xasprintf("%s%s%s%s", what, stopped->n ? "; stopped " : "", list, dry ? "" : "");
    free(list);
    if (!dry) {
        char *t = kc_xasprintf("%s (%.1f s)", s, kc_now() - t0);
        free(s);
        s = t;
    }
    return s;
}

/* A proxied role's container is ready once kamal-proxy switched to it; the
 * others' by Docker's health status or after readiness_delay (Kamal). */
static int became_ready(struct app_set *set, struct kc_host *h, const struct kc_role *role,
                        const char *id, const char *name, struct kc_err *err)
{
    if (role->runs_proxy)
        return kc_app_deploy(set, h, role, id, name, err);
    int rc = kc_step_wait_ready(set->ctx, h, name, role->name, err);
    if (rc && rc != KC_EINTERRUPTED)
        kc_err_set_hint(err, "the new container %s was removed; the old one keeps running", name);
    return rc;
}

/* A new container (through the proxy for proxied roles); the old one stopped
 * once the new one is ready. */
static int act_boot(struct app_set *set, struct kc_host *h, struct ajob *j, size_t k,
                    struct kc_err *err)
{
    struct kc_ctx *ctx = set->ctx;
    const struct kc_role *role = j->roles[k];
    struct role_dec *d = &j->dec[k];
    double t0 = kc_now();
    char *name = kc_app_container(role, set->version);
    int rc = 0;
    if (d->rename) {
        char hex[33];
        random_hex(hex, 8);
        char *to = kc_xasprintf("%s_replaced_%s", name, hex);
        struct kc_cmd c = KC_CMD_INIT;
        kc_cmd_app_rename(&c, name, to);
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
        free(to);
    }
    if (rc == 0)
        rc = kc_app_write_env(set, h, role, err);
    if (rc == 0 && !role->runs_proxy) /* Kamal's proxy boot makes it on every host */
        rc = kc_step_network(h, err);
    if (rc == 0 && j->probe.image == NULL)
        rc = kc_proxy_login(ctx, h, err);
    if (rc == 0)
        rc = kc_app_assets_prepare(set, h, role, err);
    char digest[65], pdigest[65], hex[13];
    if (rc == 0)
        rc = kc_app_digest(ctx->cfg, role, h->name, set->version, digest, err);
    kc_app_proxy_digest(ctx->cfg, role, pdigest);
    random_hex(hex, 6);
    char *hostname = kc_xasprintf("%.51s-%s", h->name, hex);
    struct kc_cmd run = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    if (rc == 0)
        rc = kc_cmd_app_run(&run, ctx->cfg, role, h->name, set->version, hostname, digest,
                            role->runs_proxy ? pdigest : NULL, err);
    if (rc == 0)
        rc = kc_remote_run(h, &run, KC_MUTATE | KC_CHECK, &res, err);
    char *id =
        ctx->g.dry_run ? kc_xstrdup("NEW_CONTAINER_ID") : kc_xstrndup(kc_buf_str(&res.out), 12);
    if (rc == 0 && !ctx->g.dry_run && strlen(id) < 12)
        rc = kc_err_set(err, KC_EREMOTE, "%s: docker run gave no container ID", role->name);
    if (rc == 0 && role->primary && j->barrier)
        kc_barrier_started(j->barrier);
    if (rc == 0) {
        rc = became_ready(set, h, role, id, name, err);
        if (rc) { /* the new one goes; the old one keeps serving */
            struct kc_cmd c = KC_CMD_INIT;
            struct kc_err ignored = KC_ERR_INIT;
            kc_cmd_app_rm(&c, name);
            kc_remote_run(h, &c, KC_MUTATE, NULL, &ignored);
            kc_err_release(&ignored);
            kc_cmd_release(&c);
        }
    }
    struct kc_strvec stopped = KC_STRVEC_INIT;
    if (rc == 0)
        rc = kc_app_stop_others(set, h, role, name, &stopped, err);
    if (rc == 0)
        kc_app_assets_clean(set, h, role);
    if (rc == 0) {
        kc_step_audit(ctx, h, "Booted app version %s (%s)", set->version, role->name);
        char *what = kc_xasprintf("%s: %s", set->version, d->why ? d->why : "booted");
        char *detail = stopped_detail(what, &stopped, t0, ctx->g.dry_run);
        kc_report(ctx, h->name, role->name, "booted", detail);
        free(detail);
        free(what);
    }
    kc_strvec_release(&stopped);
    kc_cmd_release(&run);
    kc_exec_result_release(&res);
    free(id);
    free(hostname);
    free(name);
    return rc;
}

/* The container exists with the right configuration: start it if needed,
 * register it with kamal-proxy, stop the others. */
static int act_switch(struct app_set *set, struct kc_host *h, struct ajob *j, size_t k,
                      struct kc_err *err)
{
    struct kc_ctx *ctx = set->ctx;
    const struct kc_role *role = j->roles[k];
    struct role_dec *d = &j->dec[k];
    double t0 = kc_now();
    char *name = kc_app_container(role, set->version);
    int rc = 0;
    if (d->action == AA_START) { /* its assets may have been cleaned since it stopped */
        rc = kc_app_assets_prepare(set, h, role, err);
        if (rc == 0)
            rc = kc_app_write_env(set, h, role, err);
        struct kc_cmd c = KC_CMD_INIT;
        kc_cmd_app_start(&c, name);
        if (rc == 0)
            rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
    }
    if (rc == 0)
        rc = became_ready(set, h, role, d->id, name, err);
    struct kc_strvec stopped = KC_STRVEC_INIT;
    if (rc == 0)
        rc = kc_app_stop_others(set, h, role, name, &stopped, err);
    if (rc == 0 && d->action == AA_START)
        kc_app_assets_clean(set, h, role);
    if (rc == 0) {
        bool start = d->action == AA_START;
        kc_step_audit(ctx, h, "%s app version %s (%s)", start ? "Started" : "Redeployed",
                      set->version, role->name);
        char *what = kc_xasprintf("%s: %s", set->version, d->why);
        char *detail = stopped_detail(what, &stopped, t0, ctx->g.dry_run);
        const char *outcome = start ? "started" : ctx->g.dry_run ? "would redeploy" : "redeployed";
        kc_report(ctx, h->name, role->name, outcome, detail);
        free(detail);
        free(what);
    }
    kc_strvec_release(&stopped);
    free(name);
    return rc;
}

static int act_role(struct app_set *set, struct kc_host *h, struct ajob *j, size_t k,
                    struct kc_err *err)
{
    struct role_dec *d = &j->dec[k];
    switch (d->action) {
    case AA_NONE: {
        char *detail = d->note ? kc_xasprintf("%s, %s", set->version, d->note)
                               : kc_xasprintf("%s, live", set->version);
        kc_report(set->ctx, h->name, j->roles[k]->name, "unchanged", detail);
        free(detail);
        return 0;
    }
    case AA_FAIL:
        return kc_err_set(err, KC_EREMOTE, "%s", d->why);
    case AA_BOOT:
        return act_boot(set, h, j, k, err);
    case AA_START:
    case AA_DEPLOY:
        return act_switch(set, h, j, k, err);
    }
    return 0;
}

/* After a change, IMG:latest[-DEST] names the version that runs, as Kamal
 * leaves it (Kamal tags on every boot; a host with nothing to do is left alone). */
static int tag_latest(struct app_set *set, struct kc_host *h, struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_app_tag_latest(&c, set->ctx->cfg, set->version);
    int rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    kc_cmd_release(&c);
    return rc;
}

static int act_host(struct app_set *set, struct kc_host *h, struct ajob *j, struct kc_err *err)
{
    int worst = 0;
    for (size_t k = 0; k < j->n; k++) {
        struct kc_err one = KC_ERR_INIT;
        int rc = 0;
        if (j->barrier_on && kc_app_role_waits(j->roles[k]) && j->dec[k].action != AA_NONE)
            rc = kc_barrier_wait(j->barrier, j->roles[k]->name, h->name, &one);
        if (rc == 0)
            rc = act_role(set, h, j, k, &one);
        if (j->roles[k]->primary && j->barrier_counted && !j->barrier_done) {
            kc_barrier_done(j->barrier, rc == 0, h->name);
            j->barrier_done = true;
        }
        if (rc) {
            kc_report(set->ctx, h->name, j->roles[k]->name, kc_outcome_of(rc),
                      rc == KC_EINTERRUPTED ? NULL : one.msg);
            if (worst == 0)
                kc_err_move(err, &one);
            worst = kc_code_worst(worst, rc);
        }
        kc_err_release(&one);
        if (rc == KC_EUNREACHABLE || rc == KC_EINTERRUPTED)
            break;
    }
    if (worst == 0 && j->change)
        worst = tag_latest(set, h, err);
    return worst;
}

static struct ajob *job_of(struct arun *run, const struct kc_host *h)
{
    return &run->jobs[kc_strvec_index(&run->set->hosts, h->name)];
}

static int phase1(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct arun *run = ud;
    struct ajob *j = job_of(run, h);
    int rc = probe_host(run->set, h, j, err);
    if (rc || j->change)
        return rc;
    return act_host(run->set, h, j, err);
}

static int phase2(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct arun *run = ud;
    struct ajob *j = job_of(run, h);
    /* under the lock: re-probe, unless the first probe already was */
    int rc = run->probed_locked ? 0 : probe_host(run->set, h, j, err);
    if (rc == 0)
        rc = act_host(run->set, h, j, err);
    if (j->barrier_counted && !j->barrier_done) { /* failed before its primary role */
        kc_barrier_done(j->barrier, false, h->name);
        j->barrier_done = true;
    }
    return rc;
}

/* A boot group starts: the barrier waits for its hosts' primary roles. */
static void group_start(void *ud, const bool *in, size_t n)
{
    struct arun *run = ud;
    bool parallel = run->set->ctx->cfg->boot_parallel_roles;
    size_t pending = 0;
    bool others = false;
    for (size_t i = 0; i < n; i++) {
        struct ajob *j = &run->jobs[i];
        j->barrier_on = in[i] && !parallel;
        j->barrier_counted = j->barrier_done = false;
        for (size_t k = 0; in[i] && !parallel && k < j->n; k++) {
            j->barrier_counted |= j->roles[k]->primary && j->dec[k].action != AA_NONE;
            others |= !j->roles[k]->primary && j->dec[k].action != AA_NONE;
        }
        pending += j->barrier_counted;
    }
    kc_barrier_group(&run->barrier, pending, others);
}

static void changed(void *ud, bool *out, size_t n)
{
    struct arun *run = ud;
    for (size_t i = 0; i < n; i++)
        out[i] = run->jobs[i].change;
}

static void run_init(struct arun *run, struct app_set *set)
{
    size_t n = set->hosts.n;
    run->set = set;
    run->probed_locked = set->ctx->lock_held || set->ctx->lock_inherited;
    run->jobs = kc_xcalloc(n + 1, sizeof *run->jobs);
    kc_barrier_init(&run->barrier, set->ctx);
    for (size_t i = 0; i < n; i++) {
        run->jobs[i].barrier = &run->barrier;
        run->jobs[i].roles = kc_xcalloc(set->nroles + 1, sizeof *run->jobs[i].roles);
        run->jobs[i].n = kc_app_set_roles_on(set, set->hosts.v[i], run->jobs[i].roles);
        run->jobs[i].dec = kc_xcalloc(run->jobs[i].n + 1, sizeof *run->jobs[i].dec);
    }
}

static void run_release(struct arun *run)
{
    for (size_t i = 0; i < run->set->hosts.n; i++) {
        for (size_t k = 0; k < run->jobs[i].n; k++)
            dec_reset(&run->jobs[i].dec[k]);
        free(run->jobs[i].dec);
        free(run->jobs[i].roles);
        kc_app_probe_release(&run->jobs[i].probe);
    }
    free(run->jobs);
    kc_barrier_destroy(&run->barrier);
}

int kc_app_boot(struct kc_ctx *ctx, const struct kc_app_request *req, struct kc_err *err)
{
    (void)req;
    struct app_set set;
    int rc = kc_app_set_select_roles(ctx, true, true, &set, err);
    if (rc || set.hosts.n == 0) {
        kc_app_set_release(&set);
        return rc;
    }
    struct arun run;
    run_init(&run, &set);
    struct app_rolling r = {phase1, phase2, changed, group_start, &run};
    rc = kc_app_rolling(&set, &r, err);
    run_release(&run);
    kc_app_set_release(&set);
    return rc;
}

/* ---- the plan deploy asks for: probe and decide, change nothing ---- */

/* The service's running containers, asked for only when the probe's look at
 * the kamal network is not enough to say that no stale one runs. */
static int list_running(struct app_set *set, struct kc_host *h, struct ajob *j, struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_app_running(&c, set->ctx->cfg);
    int rc = kc_remote_run(h, &c, KC_PROBE | KC_CHECK, &res, err);
    if (rc == 0)
        kc_app_running_parse(kc_buf_str(&res.out), &j->probe);
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

/* A host where every role is as wanted and the network shows no other
 * container of its roles needs no second look; any other host gets the
 * exact list (a deploy that changes it stops what is stale). */
static int plan_probe(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct arun *run = ud;
    struct ajob *j = job_of(run, h);
    int rc = probe_host(run->set, h, j, err);
    if (rc)
        return rc;
    bool as_wanted = !j->change;
    for (size_t k = 0; k < j->n; k++)
        as_wanted &= j->dec[k].action == AA_NONE;
    if (as_wanted && kc_app_probe_net_clear(&j->probe, j->roles, j->n, run->set->version))
        return 0;
    return list_running(run->set, h, j, err);
}

/* A running container of one of the host's roles that is neither this
 * version's nor the one kamal-proxy routes to: deploy stops it (stale), so the
 * host is not yet as deploy leaves it. */
static bool stale_running(const struct app_set *set, const struct ajob *j)
{
    const struct kc_app_probe *p = &j->probe;
    for (size_t k = 0; k < j->n; k++) {
        char *want = kc_app_container(j->roles[k], set->version);
        const struct kc_app_route *r = kc_app_route(p, j->roles[k]->container_prefix);
        bool stale = false;
        for (size_t i = 0; i < p->running.n && !stale; i++)
            stale = kc_streq(p->running_roles.v[i], j->roles[k]->name) &&
                    !kc_streq(p->running.v[i], want) &&
                    !(r && kc_starts_with(r->target, p->running_ids.v[i]));
        free(want);
        if (stale)
            return true;
    }
    return false;
}

/* IMG:VERSION is on the host, labelled with the service (build pull's check). */
static bool has_image(const struct app_set *set, const struct ajob *j)
{
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j->probe.image, "Config"), "Labels");
    return j->probe.image && kc_streq(jstr(labels, "service"), set->ctx->cfg->service);
}

int kc_app_boot_plan(struct kc_ctx *ctx, struct kc_app_plan *plan, struct kc_err *err)
{
    struct app_set set;
    /* until probed: assume every step is needed */
    plan->change = plan->stale = true;
    plan->have_image = false;
    int rc = kc_app_set_select_roles(ctx, true, true, &set, err);
    if (rc || set.hosts.n == 0) {
        kc_app_set_release(&set);
        return rc;
    }
    set.stale_check = true;
    struct arun run;
    run_init(&run, &set);
    size_t n = set.hosts.n;
    struct kc_err *errs = kc_xcalloc(n + 1, sizeof *errs);
    kc_proxy_phase(ctx, &set.hosts, NULL, plan_probe, &run, errs);
    bool any = false;
    plan->stale = false;
    plan->have_image = true;
    for (size_t i = 0; i < n; i++) {
        bool ok = errs[i].code == KC_OK;
        bool stale = !ok || stale_running(&set, &run.jobs[i]);
        plan->stale |= stale;
        plan->have_image &= ok && has_image(&set, &run.jobs[i]);
        any |= !ok || run.jobs[i].change || stale;
        for (size_t k = 0; k < run.jobs[i].n; k++)
            any |= run.jobs[i].dec[k].action != AA_NONE;
        kc_err_release(&errs[i]);
    }
    plan->change = any;
    free(errs);
    run_release(&run);
    kc_app_set_release(&set);
    return 0;
}
