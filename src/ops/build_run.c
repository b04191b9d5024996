/* build_run.c - one build and push: with this machine's docker (docker
 * buildx build as Kamal runs it, or docker build + docker push where there
 * is no buildx), or on the remote builder: the context as a tar on the
 * command's stdin over the SSH session, `docker build -` there, and the push
 * from there. */
#include "build_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KC_BUILD_CONTEXT_CAP (512u * 1024 * 1024)
#define KC_BUILD_ERR_LINES 25

struct liner {
    struct kc_ctx *ctx;
    const char *label;
};

/* On a terminal (the live view), one compact line under label: "build" and
 * docker's latest output line, instead of the whole log; true when shown so.
 * A failed build's last lines are in the error either way. */
static bool live_build_line(struct kc_out *o, const char *label, const char *line, size_t len)
{
    if (!kc_out_is_live(o))
        return false;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len == 0)
        return true;
    char *progress = kc_xstrndup(line, len);
    kc_out_step(o, label, "build");
    kc_out_progress(o, label, progress);
    free(progress);
    return true;
}

/* docker's build output, prefixed, as it comes (text; not with -q; -v
 * traces it already). */
static int show_line(void *ud, const char *line, size_t len, bool is_stderr)
{
    (void)is_stderr;
    struct liner *l = ud;
    struct kc_out *o = l->ctx->out;
    if (o->format == KC_FMT_TEXT && o->verbosity == 0 && !live_build_line(o, l->label, line, len))
        kc_out_msg(o, KC_LVL_INFO, l->label, "%.*s", (int)len, line);
    return 0;
}

/* Keeps the last lines of a long build log in the error. */
static void tail_remote_err(struct kc_err *err)
{
    if (err->remote_err == NULL)
        return;
    size_t len = strlen(err->remote_err), lines = 0;
    while (len && err->remote_err[len - 1] == '\n')
        err->remote_err[--len] = '\0';
    for (size_t i = len; i > 0; i--) {
        if (err->remote_err[i - 1] == '\n' && ++lines == KC_BUILD_ERR_LINES) {
            memmove(err->remote_err, err->remote_err + i, len - i + 1);
            return;
        }
    }
}

/* "...: digest: sha256:HEX size: N" in docker push's output. */
static char *find_digest(const char *out)
{
    const char *d = out ? strstr(out, "digest: sha256:") : NULL;
    if (d == NULL)
        return NULL;
    d += strlen("digest: ");
    return kc_xstrndup(d, strcspn(d, " \r\n"));
}

/* A buildx builder of Kamal's name, created when missing. */
static int ensure_builder(struct kc_ctx *ctx, struct kc_build_plan *p, struct kc_err *err)
{
    if (p->builder_name == NULL)
        return 0;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_buildx_inspect(&c, p->builder_name);
    int rc = kc_local_run(ctx, &c, KC_PROBE, NULL, &res, err);
    kc_cmd_release(&c);
    if (rc == 0 && res.status != 0) {
        kc_out_msg(ctx->out, KC_LVL_WARN, NULL,
                   "Missing compatible builder, so creating a new one first");
        kc_cmd_buildx_create(&c, p->builder_name, ctx->cfg->builder.driver);
        rc = kc_local_run(ctx, &c, KC_MUTATE | KC_CHECK, NULL, NULL, err);
        kc_cmd_release(&c);
    }
    kc_exec_result_release(&res);
    return rc;
}

/* builder.secrets as environment variables of the buildx process only. */
static int secret_env(struct kc_ctx *ctx, struct kc_kvlist *env, struct kc_err *err)
{
    const struct kc_strvec *names = &ctx->cfg->builder.secrets;
    for (size_t i = 0; i < names->n; i++) {
        const char *v = NULL;
        int rc = kc_ctx_secret(ctx, names->v[i], &v, err);
        if (rc) {
            kc_err_prefix(err, "builder.secrets");
            return rc;
        }
        kc_kvlist_set(env, names->v[i], v);
    }
    return 0;
}

static int push_one(struct kc_ctx *ctx, struct kc_build_plan *p, const char *image,
                    struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_image_push(&c, image);
    if (kc_out_is_live(ctx->out)) {
        char *step = kc_xasprintf("push %s", image);
        kc_out_step(ctx->out, p->remote ? p->remote_name : "local", step);
        free(step);
    }
    int rc = p->remote ? kc_remote_run(p->rhost, &c, KC_MUTATE | KC_CHECK, &res, err)
                       : kc_local_run(ctx, &c, KC_MUTATE | KC_CHECK, NULL, &res, err);
    if (rc == 0 && p->digest == NULL)
        p->digest = find_digest(kc_buf_str(&res.out));
    if (rc == KC_EREMOTE)
        kc_err_prefix(err, "pushing %s failed", image);
    kc_exec_result_release(&res);
    kc_cmd_release(&c);
    return rc;
}

static int build_local(struct kc_ctx *ctx, struct kc_build_plan *p, bool push, bool no_cache,
                       struct kc_err *err)
{
    struct kc_kvlist env = KC_KVLIST_INIT;
    int rc = ensure_builder(ctx, p, err);
    if (rc == 0 && p->buildx)
        rc = secret_env(ctx, &env, err);
    if (!p->buildx)
        kc_kvlist_set(&env, "DOCKER_BUILDKIT", "0");
    struct kc_build_spec s = {.cfg = ctx->cfg,
                              .tag = p->tag,
                              .latest_tag = p->latest,
                              .dockerfile = p->dockerfile,
                              .context = p->build_dir,
                              .buildx = p->buildx,
                              .builder = p->builder_name,
                              .push = push,
                              .no_cache = no_cache};
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_build(&c, &s);
    struct liner l = {ctx, "local"};
    struct kc_local_opts o = {.env = &env, .merge_stderr = true, .on_line = show_line, .ud = &l};
    double t0 = kc_now();
    if (rc == 0)
        rc = kc_local_run(ctx, &c, KC_MUTATE | KC_CHECK, &o, NULL, err);
    p->t_build = kc_now() - t0;
    if (rc == KC_EREMOTE) {
        tail_remote_err(err);
        kc_err_prefix(err, "the build of %s failed", p->tag);
    }
    kc_cmd_release(&c);
    kc_kvlist_release(&env);
    t0 = kc_now();
    if (rc == 0 && push && !p->buildx)
        rc = push_one(ctx, p, p->tag, err);
    if (rc == 0 && push && !p->buildx)
        rc = push_one(ctx, p, p->latest, err);
    p->t_push = kc_now() - t0;
    return rc;
}

/* The build context as a tar, .dockerignore applied (the docker CLI applies
 * it to a directory, not to a tar on stdin, so it is done here). */
static int context_tar(struct kc_ctx *ctx, struct kc_build_plan *p, struct kc_exec_result *res,
                       struct kc_err *err)
{
    struct kc_strvec ex = KC_STRVEC_INIT;
    char *ign_path = kc_xasprintf("%s/.dockerignore", p->build_dir);
    struct kc_buf ign = KC_BUF_INIT;
    int unsupported = 0;
    if (kc_read_file(ign_path, 1024 * 1024, &ign) == 0)
        kc_dockerignore_excludes(kc_buf_str(&ign), &ex, &unsupported);
    if (unsupported)
        kc_out_msg(ctx->out, KC_LVL_WARN, NULL,
                   "%s: %d '!' exception(s) not applied to the remote build's context", ign_path,
                   unsupported);
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_args(&c, "tar", "-C", p->build_dir, "--anchored", NULL);
    for (size_t i = 0; i < ex.n; i++)
        kc_cmd_arg(&c, ex.v[i]);
    kc_cmd_args(&c, "-cf", "-", ".", NULL);
    struct kc_local_opts o = {.cap = KC_BUILD_CONTEXT_CAP};
    int rc = kc_local_run(ctx, &c, KC_PROBE | KC_CHECK | KC_SECRET_OUTPUT, &o, res, err);
    if (rc == 0 && res->truncated)
        rc = kc_err_set(err, KC_EREMOTE, "the build context in %s is larger than %u MiB",
                        p->build_dir, KC_BUILD_CONTEXT_CAP >> 20);
    kc_cmd_release(&c);
    kc_buf_release(&ign);
    free(ign_path);
    kc_strvec_release(&ex);
    return rc;
}

/* A remote build's output: printed as it comes, the last lines kept for an
 * error. */
struct remote_lines {
    struct kc_ctx *ctx;
    const char *label;
    struct kc_strvec tail;
};

static int remote_line(void *ud, const char *line, size_t len, bool is_stderr)
{
    (void)is_stderr;
    struct remote_lines *r = ud;
    struct kc_out *o = r->ctx->out;
    if (o->format == KC_FMT_TEXT && o->verbosity >= 0 && !live_build_line(o, r->label, line, len))
        kc_out_msg(o, KC_LVL_INFO, r->label, "%.*s", (int)len, line);
    if (r->tail.n == KC_BUILD_ERR_LINES) {
        free(r->tail.v[0]);
        memmove(r->tail.v, r->tail.v + 1, (r->tail.n - 1) * sizeof *r->tail.v);
        r->tail.v[--r->tail.n] = NULL;
    }
    kc_strvec_push_nodup(&r->tail, kc_xstrndup(line, len));
    return 0;
}

/* docker build - on the builder host, the context on its stdin, the output
 * streamed back (under --dry-run: printed, not run). */
static int run_remote_build(struct kc_ctx *ctx, struct kc_build_plan *p, const struct kc_cmd *c,
                            struct kc_err *err)
{
    if (ctx->g.dry_run)
        return kc_remote_run(p->rhost, c, KC_MUTATE | KC_CHECK, NULL, err);
    struct remote_lines r = {ctx, p->remote_name, KC_STRVEC_INIT};
    int status = -1;
    int rc = kc_remote_stream(p->rhost, c, false, remote_line, &r, &status, err);
    if (rc == 0 && status != 0) {
        rc = kc_err_set(err, KC_EREMOTE, "the build of %s on %s failed with exit status %d",
                        p->tag, p->remote_name, status);
        kc_err_set_host(err, p->remote_name);
        char *display = kc_cmd_render_display(c);
        kc_err_set_command(err, display);
        free(display);
        char *tail = kc_strvec_join(&r.tail, "\n");
        kc_err_set_remote(err, tail);
        free(tail);
    }
    kc_strvec_release(&r.tail);
    return rc;
}

static int build_remote(struct kc_ctx *ctx, struct kc_build_plan *p, bool push, bool no_cache,
                        struct kc_err *err)
{
    struct kc_exec_result tar;
    kc_exec_result_init(&tar);
    int rc = ctx->g.dry_run ? 0 : context_tar(ctx, p, &tar, err);
    struct kc_build_spec s = {.cfg = ctx->cfg,
                              .tag = p->tag,
                              .latest_tag = p->latest,
                              .dockerfile = ctx->cfg->builder.dockerfile,
                              .context = "-",
                              .no_cache = no_cache};
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_args(&c, "env", "DOCKER_BUILDKIT=0", NULL);
    kc_cmd_build(&c, &s);
    kc_cmd_set_stdin(&c, tar.out.data ? tar.out.data : "", tar.out.len, false);
    kc_exec_result_release(&tar);
    double t0 = kc_now();
    if (rc == 0) {
        kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "Building %s on %s (%zu KiB of context)...",
                   p->tag, p->remote_name, c.stdin_len / 1024);
        rc = run_remote_build(ctx, p, &c, err);
    }
    p->t_build = kc_now() - t0;
    kc_cmd_release(&c);
    t0 = kc_now();
    if (rc == 0 && push)
        rc = push_one(ctx, p, p->tag, err);
    if (rc == 0 && push)
        rc = push_one(ctx, p, p->latest, err);
    p->t_push = kc_now() - t0;
    return rc;
}

int kc_bp_build(struct kc_ctx *ctx, struct kc_build_plan *p, bool push, bool no_cache,
                struct kc_err *err)
{
    return p->remote ? build_remote(ctx, p, push, no_cache, err)
                     : build_local(ctx, p, push, no_cache, err);
}
