/* prune.c - `prune all|images|containers [--retain N]` (Kamal §1.8, §4.10),
 * convergent: one listing per host (no lock), a decision in C, the deploy
 * lock only when some host has something to remove, a re-listing under it,
 * then `docker rm` and `docker rmi` by exact IDs and tags. Kept: the newest
 * `retain` stopped containers of the service, every running container, every
 * image a container (of any service) uses, and the latest tag. */
#include "proxy_int.h"
#include "kamal-c/commands_build.h"
#include "kamal-c/commands_deploy.h"
#include "kamal-c/ops.h"
#include "kamal-c/ops_deploy.h"
#include "kamal-c/steps.h"

#include <stdlib.h>
#include <string.h>

struct pjob {
    struct kc_strvec rm_containers; /* IDs */
    struct kc_strvec rm_images;     /* tags, or IDs of untagged images */
    bool change;
};

struct prun {
    struct kc_ctx *ctx;
    const struct kc_deploy_request *req;
    long retain;
    struct kc_strvec hosts;
    struct pjob *jobs;
};

static void job_reset(struct pjob *j)
{
    kc_strvec_release(&j->rm_containers);
    kc_strvec_release(&j->rm_images);
    j->change = false;
}

/* "A|B|C" -> fields (empty ones kept as ""). */
static void fields(const char *line, struct kc_strvec *out)
{
    for (const char *p = line;;) {
        size_t n = strcspn(p, "|");
        kc_strvec_push_nodup(out, kc_xstrndup(p, n));
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
}

static bool stopped(const char *state)
{
    return kc_streq(state, "exited") || kc_streq(state, "created") || kc_streq(state, "dead");
}

/* Decides from the listing what goes on this host. */
static void decide(struct prun *run, struct pjob *j, const char *listing)
{
    const struct kc_config *cfg = run->ctx->cfg;
    enum kc_prune_what what = run->req->prune;
    struct kc_strvec lines = KC_STRVEC_INIT, in_use = KC_STRVEC_INIT;
    kc_strvec_split(&lines, listing, "\n");
    char *svc = kc_xasprintf("svc=%s", cfg->service);
    long kept = 0;
    for (size_t i = 0; i < lines.n; i++) {
        struct kc_strvec f = KC_STRVEC_INIT;
        fields(lines.v[i], &f);
        if (f.n >= 5 && kc_streq(f.v[0], "C")) {
            bool ours = kc_streq(f.v[4], svc) && stopped(f.v[2]);
            if (ours && what != KC_PRUNE_IMAGES && ++kept > run->retain)
                kc_strvec_push(&j->rm_containers, f.v[1]);
            else
                kc_strvec_push(&in_use, f.v[3]);
        }
        kc_strvec_release(&f);
    }
    char *latest = kc_config_image(cfg, cfg->latest_tag);
    for (size_t i = 0; what != KC_PRUNE_CONTAINERS && i < lines.n; i++) {
        struct kc_strvec f = KC_STRVEC_INIT;
        fields(lines.v[i], &f);
        if (f.n >= 3 && kc_streq(f.v[0], "I") && !kc_streq(f.v[2], latest) &&
            !kc_strvec_contains(&in_use, f.v[1]) && !kc_strvec_contains(&in_use, f.v[2])) {
            bool untagged = strstr(f.v[2], "<none>") != NULL;
            const char *ref = untagged ? f.v[1] : f.v[2];
            if (!kc_strvec_contains(&j->rm_images, ref))
                kc_strvec_push(&j->rm_images, ref);
        }
        kc_strvec_release(&f);
    }
    j->change = j->rm_containers.n || j->rm_images.n;
    free(latest);
    free(svc);
    kc_strvec_release(&in_use);
    kc_strvec_release(&lines);
}

static struct pjob *job_of(struct prun *run, const struct kc_host *h)
{
    return &run->jobs[kc_strvec_index(&run->hosts, h->name)];
}

static int probe(struct prun *run, struct kc_host *h, struct pjob *j, struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_prune_probe(&c, run->ctx->cfg);
    job_reset(j);
    int rc = kc_remote_run(h, &c, KC_PROBE | KC_CHECK, &res, err);
    if (rc == 0)
        decide(run, j, kc_buf_str(&res.out));
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

static int phase1(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct prun *run = ud;
    struct pjob *j = job_of(run, h);
    int rc = probe(run, h, j, err);
    if (rc == 0 && !j->change)
        kc_report(run->ctx, h->name, "prune", "unchanged", "nothing to prune");
    return rc;
}

static int remove_all(struct kc_host *h, void (*build)(struct kc_cmd *, const struct kc_strvec *),
                      const struct kc_strvec *what, struct kc_err *err)
{
    if (what->n == 0)
        return 0;
    struct kc_cmd c = KC_CMD_INIT;
    build(&c, what);
    int rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
    kc_cmd_release(&c);
    return rc;
}

static int phase2(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct prun *run = ud;
    struct pjob *j = job_of(run, h);
    int rc = probe(run, h, j, err);
    if (rc || !j->change) {
        if (rc == 0)
            kc_report(run->ctx, h->name, "prune", "unchanged", "nothing to prune");
        return rc;
    }
    kc_step_doing(h, "remove old containers and images");
    rc = remove_all(h, kc_cmd_prune_containers, &j->rm_containers, err);
    if (rc == 0)
        rc = remove_all(h, kc_cmd_prune_images, &j->rm_images, err);
    if (rc == 0) {
        char *detail = kc_xasprintf("%zu container%s, %zu image%s", j->rm_containers.n,
                                    j->rm_containers.n == 1 ? "" : "s", j->rm_images.n,
                                    j->rm_images.n == 1 ? "" : "s");
        kc_step_audit(run->ctx, h, "Pruned %s", detail);
        kc_report(run->ctx, h->name, "prune", "pruned", detail);
        free(detail);
    }
    return rc;
}

static void changed(void *ud, bool *out, size_t n)
{
    struct prun *run = ud;
    for (size_t i = 0; i < n; i++)
        out[i] = run->jobs[i].change;
}

int kc_prune(struct kc_ctx *ctx, const struct kc_deploy_request *req, struct kc_err *err)
{
    long retain = req->retain >= 0 ? req->retain : ctx->cfg->retain_containers;
    if (retain < 1)
        return kc_err_set(err, KC_EUSAGE, "retain must be at least 1");
    struct prun run = {ctx, req, retain, KC_STRVEC_INIT, NULL};
    for (size_t i = 0; i < ctx->hosts.n; i++)
        kc_strvec_push(&run.hosts, ctx->hosts.v[i]);
    run.jobs = kc_xcalloc(run.hosts.n + 1, sizeof *run.jobs);
    int rc = kc_proxy_converge(ctx, &run.hosts, phase1, phase2, &run, changed, err);
    for (size_t i = 0; i < run.hosts.n; i++)
        job_reset(&run.jobs[i]);
    free(run.jobs);
    kc_strvec_release(&run.hosts);
    return rc;
}
