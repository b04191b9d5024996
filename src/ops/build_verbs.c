/* build_verbs.c - the `build` verbs: push, pull, deliver, details, create,
 * remove, dev (Kamal §1.5). None takes the deploy lock. */
#include "build_int.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KAMAL_VERSION for the hooks this verb runs: the resolved version. */
struct version_scope {
    const char *saved;
};

static void version_set(struct kc_ctx *ctx, struct version_scope *s, const char *v)
{
    s->saved = ctx->g.version;
    ctx->g.version = v;
}

static void version_restore(struct kc_ctx *ctx, const struct version_scope *s)
{
    ctx->g.version = s->saved;
}

static void json_doc(struct kc_ctx *ctx, const struct kc_build_plan *p, const char *verb,
                     double total)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "command", verb);
    cJSON_AddStringToObject(o, "image", ctx->cfg->repository);
    cJSON_AddStringToObject(o, "version", p->version);
    cJSON *tags = cJSON_AddArrayToObject(o, "tags");
    cJSON_AddItemToArray(tags, cJSON_CreateString(p->tag));
    cJSON_AddItemToArray(tags, cJSON_CreateString(p->latest));
    if (p->digest)
        cJSON_AddStringToObject(o, "digest", p->digest);
    else
        cJSON_AddNullToObject(o, "digest");
    cJSON_AddStringToObject(o, "builder", p->remote ? "remote" : "local");
    if (p->remote)
        cJSON_AddStringToObject(o, "builder_host", p->remote_name);
    cJSON_AddBoolToObject(o, "buildx", p->buildx);
    cJSON_AddBoolToObject(o, "dry_run", ctx->g.dry_run);
    cJSON *t = cJSON_AddObjectToObject(o, "seconds");
    cJSON_AddNumberToObject(t, "build", p->t_build);
    cJSON_AddNumberToObject(t, "push", p->t_push);
    cJSON_AddNumberToObject(t, "total", total);
    char *s = cJSON_PrintUnformatted(o);
    kc_out_data(ctx->out, s, true);
    free(s);
    cJSON_Delete(o);
}

/* Registry login where the push happens: this machine, or the builder. */
static int login_for_push(struct kc_ctx *ctx, struct kc_build_plan *p, struct kc_err *err)
{
    const struct kc_registry *reg = &ctx->cfg->registry;
    const char *user = NULL, *pass = NULL;
    int rc = kc_ctx_registry_credentials(ctx, reg, &user, &pass, err);
    if (rc == 0)
        rc = kc_step_registry_login(ctx, p->remote ? p->rhost : NULL, reg, err);
    return rc;
}

static int push_run(struct kc_ctx *ctx, const struct kc_build_request *req, bool dev,
                    struct kc_build_plan *p, struct kc_err *err)
{
    int rc = kc_bp_setup(ctx, p, dev, err);
    struct version_scope vs;
    version_set(ctx, &vs, p->version);
    if (rc == 0 && !dev)
        rc = login_for_push(ctx, p, err);
    if (rc == 0 && !dev)
        rc = kc_hook_run(ctx, "pre-build", NULL, false, err);
    if (rc == 0)
        rc = kc_bp_build_dir(ctx, p, dev, err);
    if (rc == 0)
        rc = kc_bp_build(ctx, p, !dev, req->no_cache, err);
    version_restore(ctx, &vs);
    return rc;
}

int kc_build_push(struct kc_ctx *ctx, const struct kc_build_request *req, struct kc_err *err)
{
    struct kc_build_plan p;
    memset(&p, 0, sizeof p);
    double t0 = kc_now();
    int rc = push_run(ctx, req, false, &p, err);
    const char *where = p.remote ? p.remote_name : "local";
    if (rc == 0 && ctx->out->format == KC_FMT_JSON) {
        json_doc(ctx, &p, "build push", kc_now() - t0);
    } else if (rc == 0) {
        kc_report(ctx, where, p.tag, ctx->g.dry_run ? "would push" : "pushed", p.digest);
    }
    kc_bp_release(&p);
    return rc;
}

/* `build dev`: the working tree as IMG:VERSION-dirty and latest-dirty, kept
 * in the builder's image store (not pushed); git names what is uncommitted
 * or untracked. */
static void list_git_files(struct kc_ctx *ctx, const char *what, const char *const *argv)
{
    struct kc_cmd c = KC_CMD_INIT;
    for (size_t i = 0; argv[i]; i++)
        kc_cmd_arg(&c, argv[i]);
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    struct kc_err e = KC_ERR_INIT;
    if (kc_local_run(ctx, &c, KC_PROBE, NULL, &res, &e) == 0 && res.status == 0) {
        kc_buf_rtrim(&res.out);
        if (res.out.len) {
            struct kc_buf msg = KC_BUF_INIT;
            kc_buf_addf(&msg, "%s will be present in the dev image:", what);
            const char *s = kc_buf_str(&res.out);
            while (*s) {
                size_t n = strcspn(s, "\n");
                kc_buf_addf(&msg, "\n  %.*s", (int)n, s);
                s += n + (s[n] == '\n');
            }
            kc_out_msg(ctx->out, KC_LVL_WARN, NULL, "%s", kc_buf_str(&msg));
            kc_buf_release(&msg);
        }
    }
    kc_err_release(&e);
    kc_exec_result_release(&res);
    kc_cmd_release(&c);
}

int kc_build_dev(struct kc_ctx *ctx, const struct kc_build_request *req, struct kc_err *err)
{
    const char *mod[] = {"git", "ls-files", "--modified", NULL};
    const char *other[] = {"git", "ls-files", "--others", "--exclude-standard", NULL};
    list_git_files(ctx, "Files with uncommitted changes", mod);
    list_git_files(ctx, "Untracked files", other);
    struct kc_build_plan p;
    memset(&p, 0, sizeof p);
    double t0 = kc_now();
    int rc = push_run(ctx, req, true, &p, err);
    if (rc == 0 && ctx->out->format == KC_FMT_JSON)
        json_doc(ctx, &p, "build dev", kc_now() - t0);
    else if (rc == 0)
        kc_report(ctx, p.remote ? p.remote_name : "local", p.tag,
                  ctx->g.dry_run ? "would build" : "built", NULL);
    kc_bp_release(&p);
    return rc;
}

/* ---- pull ---- */

struct pull_job {
    struct kc_ctx *ctx;
    const char *tag;
    const char *version;
};

/* The image's service label on h: *present false when the image is not
 * there. */
static int service_label(struct kc_host *h, const char *tag, bool *present, char **label,
                         struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_image_service_label(&c, tag);
    int rc = kc_remote_run(h, &c, KC_PROBE, &res, err);
    *present = rc == 0 && res.status == 0;
    *label = NULL;
    if (*present) {
        kc_buf_rtrim(&res.out);
        *label = kc_xstrdup(kc_buf_str(&res.out));
    }
    kc_exec_result_release(&res);
    kc_cmd_release(&c);
    return rc;
}

static int label_check(struct kc_ctx *ctx, struct kc_host *h, const char *tag, const char *label,
                       struct kc_err *err)
{
    if (label && strcmp(label, ctx->cfg->service) == 0)
        return 0;
    kc_err_set(err, KC_EREMOTE, "image %s is missing the 'service' label (service=%s)", tag,
               ctx->cfg->service);
    kc_err_set_host(err, h->name);
    kc_err_set_hint(err, "build it with kamal-c build push: the label is how kamal-c finds the "
                         "app's images and containers");
    return KC_EREMOTE;
}

/* The pull in one round trip (kc_cmd_pull_unless_present): whether it
 * pulled, and the label the image has. */
static int pull_fast(struct pull_job *job, struct kc_host *h, bool *pulled, char **label,
                     struct kc_err *err)
{
    struct kc_ctx *ctx = job->ctx;
    char when[32];
    kc_utc_iso8601(when);
    char *msg = kc_xasprintf("Pulled image with version %s", job->version);
    char *clean = kc_out_redact(ctx->out, msg);
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_pull_unless_present(&c, ctx->cfg, job->tag, when, kc_ctx_performer(ctx), clean);
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, &res, err);
    if (rc == KC_EREMOTE)
        kc_err_prefix(err, "pulling %s failed", job->tag);
    if (rc == 0) {
        kc_buf_rtrim(&res.out);
        const char *out = kc_buf_str(&res.out);
        const char *last = strrchr(out, '\n');
        *label = kc_xstrdup(last ? last + 1 : out);
        *pulled = strstr(out, KC_PULLED_MARKER "\n") != NULL || strcmp(out, KC_PULLED_MARKER) == 0;
        if (strcmp(*label, KC_PULLED_MARKER) == 0) {
            free(*label);
            *label = NULL;
        }
    }
    kc_exec_result_release(&res);
    kc_cmd_release(&c);
    free(clean);
    free(msg);
    return rc;
}

static int pull_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct pull_job *job = ud;
    struct kc_ctx *ctx = job->ctx;
    bool present = false;
    char *label = NULL;
    int rc = 0;
    if (!ctx->g.dry_run) {
        /* a host that has IMG:VERSION needs no login (version tags are immutable): one
         * command; otherwise log in, then pull in one round trip */
        rc = service_label(h, job->tag, &present, &label, err);
        if (rc == 0 && present) {
            rc = label_check(ctx, h, job->tag, label, err);
            if (rc == 0)
                kc_report(ctx, h->name, job->tag, "present", NULL);
            free(label);
            return rc;
        }
        free(label);
        label = NULL;
    }
    if (rc == 0)
        rc = kc_step_registry_login(ctx, h, &ctx->cfg->registry, err);
    if (rc == 0 && !ctx->g.dry_run) {
        bool pulled = false;
        rc = pull_fast(job, h, &pulled, &label, err);
        if (rc == 0)
            rc = label_check(ctx, h, job->tag, label, err);
        if (rc == 0)
            kc_report(ctx, h->name, job->tag, pulled ? "pulled" : "present", NULL);
        free(label);
        return rc;
    }
    if (rc == 0)
        rc = service_label(h, job->tag, &present, &label, err);
    if (rc == 0 && present) {
        rc = label_check(ctx, h, job->tag, label, err);
        if (rc == 0)
            kc_report(ctx, h->name, job->tag, "present", NULL);
        free(label);
        return rc;
    }
    if (rc == 0) {
        kc_step_audit(ctx, h, "Pulled image with version %s", job->version);
        rc = kc_step_pull(h, job->tag, err);
    }
    if (rc == 0 && !ctx->g.dry_run) {
        rc = service_label(h, job->tag, &present, &label, err);
        if (rc == 0)
            rc = label_check(ctx, h, job->tag, present ? label : NULL, err);
    }
    if (rc == 0)
        kc_report(ctx, h->name, job->tag, ctx->g.dry_run ? "would pull" : "pulled", NULL);
    free(label);
    return rc;
}

int kc_build_pull(struct kc_ctx *ctx, const struct kc_build_request *req, struct kc_err *err)
{
    (void)req;
    const struct kc_config *cfg = ctx->cfg;
    if (cfg->registry.local) {
        kc_err_set(err, KC_ECONFIG,
                   "registry.server: a local registry (%s) needs SSH tunnels to the hosts, which "
                   "kamal-c does not set up yet",
                   cfg->registry.server);
        return KC_ECONFIG;
    }
    char *version = NULL;
    const char *user = NULL, *pass = NULL;
    int rc = kc_version_resolve(ctx, &version, err);
    if (rc == 0)
        rc = kc_ctx_registry_credentials(ctx, &cfg->registry, &user, &pass, err);
    struct kc_strvec hosts = KC_STRVEC_INIT;
    kc_ctx_app_hosts(ctx, &hosts);
    char *tag = version ? kc_config_image(cfg, version) : NULL;
    struct pull_job job = {ctx, tag, version};
    struct version_scope vs;
    version_set(ctx, &vs, version);
    if (rc == 0 && hosts.n == 0)
        rc = kc_err_set(err, KC_EUSAGE, "no app host selected: nothing to pull on");
    if (rc == 0)
        rc = kc_verb_each_host(ctx, &hosts, pull_host, &job, err);
    version_restore(ctx, &vs);
    kc_strvec_release(&hosts);
    free(tag);
    free(version);
    return rc;
}

int kc_build_deliver(struct kc_ctx *ctx, const struct kc_build_request *req, struct kc_err *err)
{
    /* JSON: one document, the run's, with the push's and each pull's outcome */
    struct kc_build_plan p;
    memset(&p, 0, sizeof p);
    int rc = push_run(ctx, req, false, &p, err);
    if (rc == 0)
        kc_report(ctx, p.remote ? p.remote_name : "local", p.tag,
                  ctx->g.dry_run ? "would push" : "pushed", p.digest);
    /* the pull takes the version just pushed (an _uncommitted_ one is random) */
    struct version_scope vs;
    version_set(ctx, &vs, p.version);
    if (rc == 0)
        rc = kc_build_pull(ctx, req, err);
    version_restore(ctx, &vs);
    kc_bp_release(&p);
    return rc;
}

/* ---- details, create, remove ---- */

static int builder_facts(struct kc_ctx *ctx, struct kc_build_plan *p, struct kc_err *err)
{
    const struct kc_builder *b = &ctx->cfg->builder;
    p->remote = b->remote && !b->local;
    if (p->remote)
        return 0;
    const char *v[] = {"docker", "buildx", "version", NULL};
    char *line = kc_local_line(ctx, v);
    p->buildx = line != NULL && getenv("KAMAL_C_NO_BUILDX") == NULL;
    free(line);
    (void)err;
    return 0;
}

static char *describe(struct kc_ctx *ctx, const struct kc_build_plan *p)
{
    const struct kc_builder *b = &ctx->cfg->builder;
    if (p->remote)
        return kc_xasprintf("remote (%s: the context goes over SSH to docker build there; no "
                            "buildx builder)",
                            b->remote);
    if (!p->buildx)
        return kc_xstrdup("local (docker build: this machine's docker has no buildx; nothing "
                          "to create or remove)");
    if (b->docker_driver)
        return kc_xstrdup("local (docker buildx, driver docker: no builder to create)");
    char *name = kc_build_builder_name(ctx->cfg, false);
    char *s = kc_xasprintf("%s (docker buildx)", name);
    free(name);
    return s;
}

int kc_build_details(struct kc_ctx *ctx, const struct kc_build_request *req, struct kc_err *err)
{
    (void)req;
    struct kc_build_plan p;
    memset(&p, 0, sizeof p);
    int rc = builder_facts(ctx, &p, err);
    char *d = describe(ctx, &p);
    struct kc_buf text = KC_BUF_INIT;
    kc_buf_addf(&text, "Builder: %s\n", d);
    if (rc == 0 && p.buildx && !p.remote) {
        struct kc_cmd c = KC_CMD_INIT;
        struct kc_exec_result res;
        kc_exec_result_init(&res);
        kc_cmd_args(&c, "docker", "buildx", "ls", NULL);
        if (kc_local_run(ctx, &c, KC_PROBE | KC_CHECK, NULL, &res, err) == 0)
            kc_buf_adds(&text, kc_buf_str(&res.out));
        kc_exec_result_release(&res);
        kc_cmd_release(&c);
    }
    kc_out_data(ctx->out, kc_buf_str(&text), false);
    kc_buf_release(&text);
    free(d);
    kc_bp_release(&p);
    return rc;
}

static int create_or_remove(struct kc_ctx *ctx, bool create, struct kc_err *err)
{
    struct kc_build_plan p;
    memset(&p, 0, sizeof p);
    int rc = builder_facts(ctx, &p, err);
    char *d = describe(ctx, &p);
    kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "Using builder: %s", d);
    free(d);
    if (rc == 0 && p.buildx && !p.remote && !ctx->cfg->builder.docker_driver) {
        char *name = kc_build_builder_name(ctx->cfg, false);
        struct kc_cmd c = KC_CMD_INIT;
        if (create)
            kc_cmd_buildx_create(&c, name, ctx->cfg->builder.driver);
        else
            kc_cmd_buildx_rm(&c, name);
        rc = kc_local_run(ctx, &c, KC_MUTATE | KC_CHECK, NULL, NULL, err);
        if (rc == 0)
            kc_report(ctx, "local", name, create ? "created" : "removed", NULL);
        kc_cmd_release(&c);
        free(name);
    }
    kc_bp_release(&p);
    return rc;
}

int kc_build_create(struct kc_ctx *ctx, const struct kc_build_request *req, struct kc_err *err)
{
    (void)req;
    return create_or_remove(ctx, true, err);
}

int kc_build_remove(struct kc_ctx *ctx, const struct kc_build_request *req, struct kc_err *err)
{
    (void)req;
    return create_or_remove(ctx, false, err);
}
