/* accessory_verbs.c - reboot, start, stop, restart, remove, upload,
 * directories, details, logs and exec: each acts directly on the hosts that
 * run the accessory (the dispatcher holds the lock for the mutating ones). */
#include "accessory_int.h"
#include "kamal-c/accessory.h"
#include "kamal-c/ops.h"
#include "kamal-c/steps.h"

#include <stdlib.h>
#include <string.h>

/* A per-host action over every accessory of the set placed on that host. */
typedef int (*acc_host_fn)(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w,
                           struct kc_err *err);

struct each_acc {
    struct acc_set *set;
    acc_host_fn fn;
};

static int each_acc_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct each_acc *job = ud;
    struct acc_set *set = job->set;
    size_t *idx = kc_xcalloc(set->n + 1, sizeof *idx);
    size_t n = kc_acc_set_on_host(set, h->name, idx);
    int worst = 0;
    for (size_t k = 0; k < n; k++) {
        struct kc_err one = KC_ERR_INIT;
        int rc = job->fn(set->ctx, h, &set->want[idx[k]], &one);
        worst = kc_acc_fold(set->ctx, h->name, set->accs[idx[k]]->name, rc, &one, worst, err);
        kc_err_release(&one);
        if (!kc_acc_host_usable(rc))
            break;
    }
    free(idx);
    return worst;
}

/* Selects, prepares when asked, locks (verbs whose table entry says
 * KC_V_LOCK) and runs fn for every (host, accessory). */
static int on_accessory_hosts(struct kc_ctx *ctx, const struct kc_acc_request *req, bool allow_all,
                              bool prepare, acc_host_fn fn, struct kc_err *err)
{
    struct acc_set set;
    int rc = kc_acc_set_select(ctx, req->name, allow_all, &set, err);
    if (rc == 0 && prepare)
        rc = kc_acc_set_prepare(&set, err);
    if (rc == 0 && set.hosts.n && ctx->may_lock)
        rc = kc_lock_take(ctx, NULL, err);
    if (rc == 0) {
        kc_acc_set_note_empty(&set);
        struct each_acc job = {&set, fn};
        rc = kc_verb_each_host(ctx, &set.hosts, each_acc_host, &job, err);
    }
    kc_acc_set_release(&set);
    return rc;
}

/* ---- reboot: pull first (shorter downtime), then replace ---- */

static int reboot_one(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w,
                      struct kc_err *err)
{
    const struct kc_accessory *acc = w->acc;
    int rc = kc_acc_network(h, acc, err);
    if (rc == 0)
        rc = kc_acc_login(ctx, h, acc, err);
    if (rc == 0)
        rc = kc_step_pull(h, acc->image, err);
    if (rc == KC_EREMOTE)
        kc_err_prefix(err, "%s: image pull failed, the running container was left alone",
                      acc->name);
    if (rc == 0) {
        kc_step_doing(h, "%s: replace the container", acc->name);
        /* stop errors (no container) don't matter: prune removes what is left */
        struct kc_err ignored = KC_ERR_INIT;
        kc_acc_step(h, kc_cmd_accessory_stop, acc, KC_MUTATE, NULL, &ignored);
        kc_err_release(&ignored);
        rc = kc_acc_step(h, kc_cmd_accessory_prune, acc, KC_MUTATE | KC_CHECK, NULL, err);
    }
    double t0 = kc_now();
    if (rc == 0)
        rc = kc_acc_boot_steps(ctx, h, w, false, false, err);
    if (rc == 0)
        rc = kc_acc_proxy_register(ctx, h, acc, err);
    if (rc == 0) {
        char *detail = ctx->g.dry_run ? NULL : kc_xasprintf("running after %.1f s", kc_now() - t0);
        kc_report(ctx, h->name, acc->name, "rebooted", detail);
        free(detail);
    }
    return rc;
}

int kc_accessory_reboot(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err)
{
    return on_accessory_hosts(ctx, req, true, true, reboot_one, err);
}

/* ---- start / stop / restart ---- */

static int start_one(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w,
                     struct kc_err *err)
{
    int rc = kc_acc_step(h, kc_cmd_accessory_start, w->acc, KC_MUTATE | KC_CHECK, NULL, err);
    if (rc == KC_EREMOTE)
        kc_err_set_hint(err, "if it does not exist yet, run 'kamal-c accessory boot %s'",
                        w->acc->name);
    if (rc == 0)
        rc = kc_acc_wait_running(ctx, h, w->acc, err);
    if (rc == 0)
        rc = kc_acc_proxy_register(ctx, h, w->acc, err);
    if (rc == 0) {
        kc_step_audit(ctx, h, "Started %s accessory", w->acc->name);
        kc_report(ctx, h->name, w->acc->name, "started", NULL);
    }
    return rc;
}

static int stop_one(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w,
                    struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_acc_proxy_deregister(ctx, h, w->acc);
    int rc = kc_acc_step(h, kc_cmd_accessory_stop, w->acc, KC_MUTATE, &res, err);
    if (rc == 0 && res.status != 0) {
        if (strstr(kc_buf_str(&res.err), "No such container")) {
            kc_report(ctx, h->name, w->acc->name, "absent", "no container to stop");
        } else {
            rc = kc_err_set(err, KC_EREMOTE, "%s: docker stop failed", w->acc->name);
            kc_err_set_remote(err, kc_buf_str(&res.err));
        }
    } else if (rc == 0) {
        kc_step_audit(ctx, h, "Stopped %s accessory", w->acc->name);
        kc_report(ctx, h->name, w->acc->name, "stopped", NULL);
    }
    kc_exec_result_release(&res);
    return rc;
}

static int restart_one(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w,
                       struct kc_err *err)
{
    int rc = stop_one(ctx, h, w, err);
    return rc ? rc : start_one(ctx, h, w, err);
}

int kc_accessory_start(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err)
{
    return on_accessory_hosts(ctx, req, true, false, start_one, err);
}

int kc_accessory_stop(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err)
{
    return on_accessory_hosts(ctx, req, true, false, stop_one, err);
}

int kc_accessory_restart(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err)
{
    return on_accessory_hosts(ctx, req, true, false, restart_one, err);
}

/* ---- remove: what Kamal removes (container, image, data directory) ---- */

static int remove_one(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w,
                      struct kc_err *err)
{
    const struct kc_accessory *acc = w->acc;
    struct kc_err ignored = KC_ERR_INIT;
    kc_acc_proxy_deregister(ctx, h, acc);
    kc_acc_step(h, kc_cmd_accessory_stop, acc, KC_MUTATE, NULL, &ignored);
    kc_err_release(&ignored);
    int rc = kc_acc_step(h, kc_cmd_accessory_prune, acc, KC_MUTATE | KC_CHECK, NULL, err);
    if (rc == 0) {
        kc_step_audit(ctx, h, "Remove %s accessory container", acc->name);
        rc = kc_acc_step(h, kc_cmd_accessory_remove_image, acc, KC_MUTATE | KC_CHECK, NULL, err);
    }
    if (rc == 0) {
        kc_step_audit(ctx, h, "Removed %s accessory image", acc->name);
        rc = kc_acc_step(h, kc_cmd_accessory_remove_dir, acc, KC_MUTATE | KC_CHECK, NULL, err);
    }
    if (rc == 0)
        kc_report(ctx, h->name, acc->name, "removed", "container, image and data directory");
    return rc;
}

int kc_accessory_remove(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err)
{
    if (!req->confirmed && !ctx->g.dry_run) {
        char *q = kc_xasprintf("This will remove all containers, images and data directories "
                               "for %s. Are you sure?",
                               req->name);
        int rc = kc_confirm(ctx, q, err);
        free(q);
        if (rc)
            return rc;
    }
    return on_accessory_hosts(ctx, req, true, false, remove_one, err);
}

/* ---- upload / directories (Kamal's hidden verbs) ---- */

static int upload_one(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w,
                      struct kc_err *err)
{
    int rc = kc_acc_files(h, w, err);
    if (rc == 0) {
        char *detail = kc_xasprintf("%zu file%s", w->acc->nfiles, w->acc->nfiles == 1 ? "" : "s");
        kc_report(ctx, h->name, w->acc->name, "uploaded", detail);
        free(detail);
    }
    return rc;
}

static int directories_one(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w,
                           struct kc_err *err)
{
    int rc = kc_acc_directories(h, w->acc, err);
    if (rc == 0) {
        char *detail = kc_xasprintf("%zu director%s", w->acc->ndirectories,
                                    w->acc->ndirectories == 1 ? "y" : "ies");
        kc_report(ctx, h->name, w->acc->name, "created", detail);
        free(detail);
    }
    return rc;
}

int kc_accessory_upload(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err)
{
    return on_accessory_hosts(ctx, req, true, true, upload_one, err);
}

int kc_accessory_directories(struct kc_ctx *ctx, const struct kc_acc_request *req,
                             struct kc_err *err)
{
    return on_accessory_hosts(ctx, req, true, false, directories_one, err);
}

/* ---- details / logs / exec: read or run, output grouped per host ---- */

static int details_one(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w,
                       struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_acc_step(h, kc_cmd_accessory_details, w->acc, KC_PROBE | KC_CHECK, &res, err);
    if (rc == 0) {
        char *label = kc_xasprintf("Accessory %s Host", w->acc->name);
        kc_out_block(ctx->out, label, h->name, kc_buf_str(&res.out));
        free(label);
    }
    kc_exec_result_release(&res);
    return rc;
}

int kc_accessory_details(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err)
{
    /* -q keeps "Accessory NAME Host H:" when there are several blocks: without
     * it nobody can tell them apart */
    struct acc_set set;
    if (kc_acc_set_select(ctx, req->name, true, &set, NULL) == 0) {
        size_t blocks = 0;
        for (size_t i = 0; i < set.n; i++)
            for (size_t j = 0; j < set.hosts.n; j++)
                blocks += kc_strvec_contains(&set.accs[i]->hosts, set.hosts.v[j]);
        ctx->out->keep_headers = blocks > 1;
    }
    kc_acc_set_release(&set);
    return on_accessory_hosts(ctx, req, true, false, details_one, err);
}

static int logs_one(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w,
                    const struct kc_logs_opts *lo, struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_cmd_accessory_logs(&c, w->acc, lo, err);
    if (rc == 0)
        rc = kc_remote_run(h, &c, KC_PROBE, &res, err);
    /* grep exits 1 when nothing matched: that is an answer, not a failure */
    if (rc == 0 && res.status != 0 && !(lo->grep && res.status == 1)) {
        rc = kc_err_set(err, KC_EREMOTE, "%s: docker logs failed", w->acc->name);
        kc_err_set_remote(err, kc_buf_str(&res.out));
    }
    if (rc == 0) {
        char *label = kc_xasprintf("Accessory %s Host", w->acc->name);
        kc_out_block(ctx->out, label, h->name,
                     res.out.len ? kc_buf_str(&res.out) : "Nothing found\n");
        free(label);
    }
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

struct follow_job {
    struct kc_ctx *ctx;
    const struct kc_accessory *acc;
    const struct kc_logs_opts *lo;
};

struct follow_line {
    struct kc_ctx *ctx;
    const char *host;
};

static int follow_cb(void *ud, const char *line, size_t len, bool is_stderr)
{
    (void)is_stderr;
    struct follow_line *fl = ud;
    char *l = kc_xstrndup(line, len);
    kc_out_line(fl->ctx->out, fl->host, l);
    free(l);
    return kc_ctx_cancelled(fl->ctx) ? 1 : 0;
}

static int follow_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct follow_job *job = ud;
    struct kc_cmd c = KC_CMD_INIT;
    struct follow_line fl = {job->ctx, h->name};
    int status = 0;
    int rc = kc_cmd_accessory_logs(&c, job->acc, job->lo, err);
    if (rc == 0)
        rc = kc_remote_stream(h, &c, true, follow_cb, &fl, &status, err);
    /* docker logs ended by itself with a failure (no such container) */
    if (rc == 0 && status > 0 && !kc_ctx_cancelled(job->ctx))
        rc = kc_err_set(err, KC_EREMOTE, "%s: docker logs exited with status %d", job->acc->name,
                        status);
    kc_cmd_release(&c);
    return rc == KC_EINTERRUPTED ? 0 : rc;
}

int kc_accessory_logs(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err)
{
    struct acc_set set;
    int rc = kc_acc_set_select(ctx, req->name, false, &set, err);
    if (rc) {
        kc_acc_set_release(&set);
        return rc;
    }
    kc_acc_set_note_empty(&set);
    if (req->logs.follow) {
        struct follow_job job = {ctx, set.accs[0], &req->logs};
        rc = kc_verb_each_host(ctx, &set.hosts, follow_host, &job, err);
    } else {
        struct kc_host **hosts = kc_ctx_fleet_hosts(ctx, &set.hosts);
        struct kc_err *errs = kc_xcalloc(set.hosts.n + 1, sizeof *errs);
        int code = 0;
        /* in host order, so the blocks don't interleave */
        for (size_t i = 0; i < set.hosts.n; i++)
            code = kc_code_worst(code, logs_one(ctx, hosts[i], &set.want[0], &req->logs, &errs[i]));
        rc = kc_report_host_errors(ctx, hosts, errs, set.hosts.n, code, err);
        for (size_t i = 0; i < set.hosts.n; i++)
            kc_err_release(&errs[i]);
        free(errs);
        free(hosts);
    }
    kc_acc_set_release(&set);
    return rc;
}

struct exec_job {
    struct kc_ctx *ctx;
    const struct kc_acc_request *req;
    const struct kc_accessory *acc;
};

/* docker exec's own failure: no container to run in (not the command's). */
static bool container_missing(const struct kc_exec_result *res)
{
    const char *e = kc_buf_str(&res->err);
    return strstr(e, "No such container") != NULL || strstr(e, "is not running") != NULL;
}

static int reuse_without_container(const struct kc_accessory *acc, struct kc_err *err)
{
    kc_err_set(err, KC_EREMOTE,
               "%s: the container %s is not running, so --reuse has nothing to run the command in",
               acc->name, acc->service);
    kc_err_set_hint(err,
                    "start it with 'kamal-c accessory boot %s', or leave out --reuse to run "
                    "the command in a new container",
                    acc->name);
    return KC_EREMOTE;
}

static int exec_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct exec_job *job = ud;
    struct kc_ctx *ctx = job->ctx;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = job->req->reuse ? 0 : kc_acc_login(ctx, h, job->acc, err);
    if (rc == 0)
        rc = kc_cmd_accessory_exec(&c, ctx->cfg, job->acc, job->req->command, job->req->reuse,
                                   false, err);
    if (rc == 0)
        rc = kc_remote_run(h, &c, KC_MUTATE, &res, err);
    if (rc == 0 && !ctx->g.dry_run) {
        struct kc_buf all = KC_BUF_INIT;
        kc_buf_adds(&all, kc_buf_str(&res.out));
        kc_buf_adds(&all, kc_buf_str(&res.err));
        char *label = kc_xasprintf("Accessory %s Host", job->acc->name);
        kc_out_block(ctx->out, label, h->name, kc_buf_str(&all));
        free(label);
        kc_buf_release(&all);
        if (res.status != 0 && job->req->reuse && container_missing(&res))
            rc = reuse_without_container(job->acc, err);
        else if (res.status != 0)
            rc = kc_err_set(err, KC_EREMOTE, "'%s' exited with status %d", job->req->command,
                            res.status);
    }
    if (rc == 0 || rc == KC_EREMOTE) {
        kc_step_audit(ctx, h, "Executed cmd '%s' on %s accessory", job->req->command,
                      job->acc->name);
    }
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

static int exec_interactive(struct kc_ctx *ctx, const struct kc_acc_request *req,
                            const struct kc_accessory *acc, const char *host, struct kc_err *err)
{
    struct kc_host *h = kc_ctx_host(ctx, host);
    struct kc_cmd c = KC_CMD_INIT;
    int rc = req->reuse ? 0 : kc_acc_login(ctx, h, acc, err);
    if (rc == 0)
        rc = kc_cmd_accessory_exec(&c, ctx->cfg, acc, req->command, req->reuse, true, err);
    int status = 0;
    if (rc == 0 && ctx->g.dry_run) {
        char *d = kc_cmd_render_display(&c);
        kc_out_planned(ctx->out, h->name, d);
        free(d);
    } else if (rc == 0) {
        rc = kc_remote_interactive(h, &c, &status, err);
        if (rc == 0 && status != 0)
            rc = kc_err_set(err, KC_EREMOTE, "'%s' exited with status %d on %s", req->command,
                            status, host);
    }
    kc_cmd_release(&c);
    return rc;
}

int kc_accessory_exec(struct kc_ctx *ctx, const struct kc_acc_request *req, struct kc_err *err)
{
    struct acc_set set;
    int rc = kc_acc_set_select(ctx, req->name, false, &set, err);
    if (rc == 0 && set.hosts.n == 0) {
        kc_acc_set_note_empty(&set);
    } else if (rc == 0 && req->interactive) {
        rc = exec_interactive(ctx, req, set.accs[0], set.hosts.v[0], err);
    } else if (rc == 0) {
        struct exec_job job = {ctx, req, set.accs[0]};
        rc = kc_verb_each_host(ctx, &set.hosts, exec_host, &job, err);
    }
    kc_acc_set_release(&set);
    return rc;
}
