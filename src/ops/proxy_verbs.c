/* proxy_verbs.c - proxy reboot, restart, details, logs, remove and
 * boot_config: each acts directly on the selected proxy hosts (the mutating
 * ones under the deploy lock, taken once their operands are checked). */
#include "proxy_int.h"
#include "kamal-c/ops.h"
#include "kamal-c/steps.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct pverb_job {
    struct kc_ctx *ctx;
    const struct kc_proxy_request *req;
};

/* Selects the proxy hosts; locks when asked; runs fn on each. */
static int on_proxy_hosts(struct kc_ctx *ctx, const struct kc_proxy_request *req, bool lock,
                          kc_host_fn fn, struct kc_err *err)
{
    struct kc_strvec hosts = KC_STRVEC_INIT;
    kc_proxy_selected_hosts(ctx, &hosts);
    int rc = 0;
    if (hosts.n == 0)
        kc_out_msg(ctx->out, KC_LVL_WARN, NULL, "no selected host runs kamal-proxy");
    else if (lock)
        rc = kc_lock_take(ctx, NULL, err);
    if (rc == 0 && hosts.n) {
        struct pverb_job job = {ctx, req};
        rc = kc_verb_each_host(ctx, &hosts, fn, &job, err);
    }
    kc_strvec_release(&hosts);
    return rc;
}

static void ignore(struct kc_host *h, void (*build)(struct kc_cmd *))
{
    struct kc_err e = KC_ERR_INIT;
    kc_proxy_cmd(h, build, KC_MUTATE, NULL, &e);
    kc_err_release(&e);
}

/* ---- reboot: stop, remove, run again (a brief outage per host) ---- */

static int reboot_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct pverb_job *job = ud;
    struct kc_ctx *ctx = job->ctx;
    struct kc_proxy_probe p = {0};
    double t0 = kc_now();
    int rc = kc_proxy_probe_host(ctx, h, &p, err);
    if (rc == 0) {
        kc_step_audit(ctx, h, "Rebooted proxy");
        rc = p.network_exists ? 0 : kc_step_network(h, err);
    }
    if (rc == 0)
        rc = kc_proxy_login(ctx, h, err);
    if (rc == 0) {
        ignore(h, kc_cmd_proxy_stop);
        rc = kc_proxy_cmd(h, kc_cmd_proxy_prune_container, KC_MUTATE | KC_CHECK, NULL, err);
        ignore(h, kc_cmd_proxy_rm); /* an image without Kamal's title label */
    }
    if (rc == 0) {
        struct kc_cmd c = KC_CMD_INIT;
        kc_cmd_proxy_mkdir_apps(&c, ctx->cfg);
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
    }
    if (rc == 0)
        rc = kc_proxy_run_container(ctx, h, &p.files, err);
    if (rc == 0) {
        char *d = ctx->g.dry_run ? NULL : kc_xasprintf("running after %.1f s", kc_now() - t0);
        kc_report(ctx, h->name, "kamal-proxy", "rebooted", d);
        free(d);
    }
    kc_proxy_probe_release(&p);
    return rc;
}

static int reboot_group(struct kc_ctx *ctx, const struct kc_proxy_request *req,
                        const struct kc_strvec *group, struct kc_err *err)
{
    char *list = kc_strvec_join(group, ",");
    struct kc_kvlist extra = KC_KVLIST_INIT;
    kc_kvlist_set(&extra, "KAMAL_HOSTS", list);
    int rc = kc_hook_run(ctx, "pre-proxy-reboot", &extra, false, err);
    if (rc == 0) {
        struct pverb_job job = {ctx, req};
        rc = kc_verb_each_host(ctx, group, reboot_host, &job, err);
    }
    if (rc == 0)
        rc = kc_hook_run(ctx, "post-proxy-reboot", &extra, false, err);
    kc_kvlist_release(&extra);
    free(list);
    return rc;
}

int kc_proxy_reboot(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err)
{
    struct kc_strvec hosts = KC_STRVEC_INIT;
    kc_proxy_selected_hosts(ctx, &hosts);
    int rc = 0;
    if (hosts.n == 0) {
        kc_out_msg(ctx->out, KC_LVL_WARN, NULL, "no selected host runs kamal-proxy");
        kc_strvec_release(&hosts);
        return 0;
    }
    if (!req->confirmed && !ctx->g.dry_run)
        rc = kc_confirm(ctx, "This will cause a brief outage on each host. Are you sure?", err);
    if (rc == 0)
        rc = kc_lock_take(ctx, NULL, err);
    if (rc == 0 && req->rolling) {
        for (size_t i = 0; rc == 0 && i < hosts.n; i++) {
            struct kc_strvec one = KC_STRVEC_INIT;
            kc_strvec_push(&one, hosts.v[i]);
            rc = reboot_group(ctx, req, &one, err);
            kc_strvec_release(&one);
        }
    } else if (rc == 0) {
        rc = reboot_group(ctx, req, &hosts, err);
    }
    kc_strvec_release(&hosts);
    return rc;
}

/* ---- restart ---- */

static int restart_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct pverb_job *job = ud;
    ignore(h, kc_cmd_proxy_stop);
    int rc = kc_proxy_cmd(h, kc_cmd_proxy_start, KC_MUTATE | KC_CHECK, NULL, err);
    if (rc == KC_EREMOTE)
        kc_err_set_hint(err, "if there is no kamal-proxy container yet, run 'kamal-c proxy boot'");
    if (rc == 0)
        rc = kc_step_wait_running(job->ctx, h, KC_PROXY_CONTAINER, "kamal-proxy", err);
    if (rc == 0) {
        kc_step_audit(job->ctx, h, "Restarted proxy");
        kc_report(job->ctx, h->name, "kamal-proxy", "restarted", NULL);
    }
    return rc;
}

int kc_proxy_restart(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err)
{
    return on_proxy_hosts(ctx, req, true, restart_host, err);
}

/* ---- details / logs ---- */

static int details_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct pverb_job *job = ud;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_proxy_cmd(h, kc_cmd_proxy_details, KC_PROBE | KC_CHECK, &res, err);
    if (rc == 0)
        kc_out_block(job->ctx->out, "Proxy Host", h->name, kc_buf_str(&res.out));
    kc_exec_result_release(&res);
    return rc;
}

int kc_proxy_details(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err)
{
    return on_proxy_hosts(ctx, req, false, details_host, err);
}

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

static int logs_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct pverb_job *job = ud;
    const struct kc_logs_opts *lo = &job->req->logs;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_cmd_logs_of(&c, KC_PROXY_CONTAINER, lo, err);
    if (rc == 0 && lo->follow) {
        struct follow_line fl = {job->ctx, h->name};
        int status = 0;
        rc = kc_remote_stream(h, &c, true, follow_cb, &fl, &status, err);
        if (rc == 0 && status > 0 && !kc_ctx_cancelled(job->ctx))
            rc = kc_err_set(err, KC_EREMOTE, "docker logs exited with status %d", status);
        if (rc == KC_EINTERRUPTED)
            rc = 0;
    } else if (rc == 0) {
        rc = kc_remote_run(h, &c, KC_PROBE, &res, err);
        if (rc == 0 && res.status != 0 && !(lo->grep && res.status == 1)) {
            rc = kc_err_set(err, KC_EREMOTE, "docker logs kamal-proxy failed");
            kc_err_set_remote(err, kc_buf_str(&res.out));
        }
        if (rc == 0)
            kc_out_block(job->ctx->out, "Proxy Host", h->name,
                         res.out.len ? kc_buf_str(&res.out) : "Nothing found\n");
    }
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

int kc_proxy_logs(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err)
{
    return on_proxy_hosts(ctx, req, false, logs_host, err);
}

/* ---- remove: Kamal's guard (other apps on the host), then everything ---- */

struct guard_job {
    struct pverb_job job;
    atomic_bool shared; /* some host has other apps installed */
};

static int guard_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct guard_job *g = ud;
    const struct kc_proxy_request *req = g->job.req;
    struct kc_proxy_probe p = {0};
    int rc = kc_proxy_probe_host(g->job.ctx, h, &p, err);
    if (rc == 0 && p.apps > 0 && !req->force) {
        atomic_store(&g->shared, true);
        if (req->keep_shared) {
            char *why =
                kc_xasprintf("other applications are installed (.kamal/apps has %ld)", p.apps);
            kc_report(g->job.ctx, h->name, "kamal-proxy", "kept", why);
            free(why);
        } else {
            rc = kc_err_set(err, KC_EREMOTE,
                            "there are other applications installed on %s (.kamal/apps has %ld)",
                            h->name, p.apps);
            kc_err_set_hint(err, "remove them first, or pass --force");
        }
    }
    kc_proxy_probe_release(&p);
    return rc;
}

static int remove_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct pverb_job *job = ud;
    ignore(h, kc_cmd_proxy_stop);
    int rc = kc_proxy_cmd(h, kc_cmd_proxy_prune_container, KC_MUTATE | KC_CHECK, NULL, err);
    ignore(h, kc_cmd_proxy_rm);
    if (rc == 0)
        rc = kc_proxy_cmd(h, kc_cmd_proxy_prune_image, KC_MUTATE | KC_CHECK, NULL, err);
    if (rc == 0) {
        struct kc_cmd c = KC_CMD_INIT;
        kc_cmd_proxy_remove_dir(&c, job->ctx->cfg);
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
    }
    if (rc == 0) {
        kc_step_audit(job->ctx, h, "Removed proxy");
        kc_report(job->ctx, h->name, "kamal-proxy", "removed", "container, image and .kamal/proxy");
    }
    return rc;
}

int kc_proxy_remove(struct kc_ctx *ctx, const struct kc_proxy_request *req, struct kc_err *err)
{
    /* every host is checked before any is touched, as Kamal does */
    struct guard_job g = {.job = {ctx, req}};
    atomic_init(&g.shared, false);
    struct kc_strvec hosts = KC_STRVEC_INIT;
    kc_proxy_selected_hosts(ctx, &hosts);
    int rc = hosts.n ? kc_verb_each_host(ctx, &hosts, guard_host, &g, err) : 0;
    kc_strvec_release(&hosts);
    if (rc || atomic_load(&g.shared))
        return rc;
    return on_proxy_hosts(ctx, req, true, remove_host, err);
}

/* ---- boot_config set | get | reset (deprecated by Kamal: proxy.run) ---- */

static const char *const file_names[] = {"options", "image", "image_version", "run_command"};

static const char *file_content(const struct kc_proxy_files *f, size_t i)
{
    const char *v[] = {f->options, f->image, f->image_version, f->run_command};
    return v[i];
}

static int write_files(struct kc_ctx *ctx, struct kc_host *h, const struct kc_proxy_files *f,
                       struct kc_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < KC_ARRAY_LEN(file_names); i++) {
        const char *content = f ? file_content(f, i) : NULL;
        if (content) {
            char *path = kc_proxy_file_path(ctx->cfg, file_names[i]);
            rc = kc_step_upload(h, path, content, strlen(content), 0644, err);
            free(path);
        } else {
            struct kc_cmd c = KC_CMD_INIT;
            kc_cmd_proxy_reset_file(&c, ctx->cfg, file_names[i]);
            rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
            kc_cmd_release(&c);
        }
    }
    return rc;
}

static int boot_config_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct pverb_job *job = ud;
    struct kc_ctx *ctx = job->ctx;
    const char *sub = job->req->boot_config;
    int rc = 0;
    if (strcmp(sub, "get") == 0) {
        struct kc_proxy_probe p = {0};
        rc = kc_proxy_probe_host(ctx, h, &p, err);
        if (rc == 0) {
            char *image = kc_proxy_image(ctx->cfg, "", &p.files);
            const char *opts = p.files.options
                                   ? p.files.options
                                   : "--publish 80:80 --publish 443:443 --log-opt max-size=10m";
            char *line = kc_xasprintf("%s %s%s%s\n", opts, image, p.files.run_command ? " " : "",
                                      p.files.run_command ? p.files.run_command : "");
            kc_out_block(ctx->out, "Host", h->name, line);
            free(line);
            free(image);
        }
        kc_proxy_probe_release(&p);
        return rc;
    }
    struct kc_proxy_files f = {0};
    bool set = strcmp(sub, "set") == 0;
    if (set)
        kc_proxy_boot_files(&job->req->boot, &f);
    rc = write_files(ctx, h, set ? &f : NULL, err);
    kc_proxy_files_release(&f);
    if (rc == 0)
        kc_report(ctx, h->name, "kamal-proxy boot_config", set ? "written" : "reset",
                  "applied by the next 'kamal-c proxy reboot'");
    return rc;
}

int kc_proxy_boot_config(struct kc_ctx *ctx, const struct kc_proxy_request *req,
                         struct kc_err *err)
{
    const char *sub = req->boot_config;
    if (strcmp(sub, "set") != 0 && strcmp(sub, "get") != 0 && strcmp(sub, "reset") != 0)
        return kc_err_set(err, KC_EUSAGE, "unknown boot_config subcommand '%s' (set, get, reset)",
                          sub);
    kc_out_msg(ctx->out, KC_LVL_WARN, NULL,
               "The proxy boot_config command is deprecated - set the config in the deploy YAML "
               "at proxy/run instead");
    return on_proxy_hosts(ctx, req, strcmp(sub, "get") != 0, boot_config_host, err);
}
