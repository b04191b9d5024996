/* prune.c - `prune all|images|containers [--retain N]` (Kamal §1.8, §4.10),
 * convergent: one listing per host (no lock), a decision in C, the deploy
 * lock only when some host has something to remove, a re-listing under it,
 * then `docker rm` and `docker rmi` by exact IDs and tags. Kept: the newest
 * `retain` stopped containers of the service, every running container, every
 * image a container (of any service) uses, and the latest tag. */
#include "proxy_int.h"
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

static void decide(struct prun *run, struct pjob *j, const char *listing)
{
    kc_prune_decide(run->ctx->cfg, listing, run->req->prune == KC_PRUNE_IMAGES,
                    run->req->prune == KC_PRUNE_CONTAINERS, run->retain, &j->rm_containers,
                    &j->rm_images);
    j->change = j->rm_containers.n || j->rm_images.n;
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
