/* build_push.c - `build push` and `build dev`: where the build runs (this
 * machine's docker, or a remote builder over SSH), the clean clone, the
 * build, the push, and what is reported. */
#include "build_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void kc_bp_release(struct kc_build_plan *p)
{
    free(p->version);
    free(p->tag);
    free(p->latest);
    free(p->build_dir);
    free(p->dockerfile);
    free(p->digest);
    free(p->remote_name);
    free(p->builder_name);
    memset(p, 0, sizeof *p);
}

/* docker on this machine: installed? buildx? One program start: `docker
 * buildx version` that cannot start means no docker, a failing one no
 * buildx. */
static int probe_local_docker(struct kc_ctx *ctx, bool *buildx, struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_args(&c, "docker", "buildx", "version", NULL);
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    struct kc_err e = KC_ERR_INIT;
    int rc = kc_local_run(ctx, &c, KC_PROBE, NULL, &res, &e);
    kc_cmd_release(&c);
    *buildx = rc == 0 && res.status == 0 && getenv("KAMAL_C_NO_BUILDX") == NULL;
    kc_exec_result_release(&res);
    if (rc == KC_EREMOTE) {
        kc_err_move(err, &e);
        kc_err_prefix(err, "docker is not installed locally");
        kc_err_set_hint(err, "install the docker CLI, or build on a remote builder "
                             "(builder.remote: ssh://user@host, local: false)");
        return KC_EREMOTE;
    }
    kc_err_release(&e);
    return rc;
}

/* "x86_64" -> "amd64", "aarch64" -> "arm64" (Kamal's mapping). */
static const char *arch_name(const char *a)
{
    if (strcmp(a, "x86_64") == 0)
        return "amd64";
    if (strcmp(a, "aarch64") == 0)
        return "arm64";
    return a;
}

/* Kamal's rule: the remote builder is used when local: false, or for
 * arches the local engine lacks. Several arches split over both need buildx
 * (hybrid), refused with the key. */
static int decide_remote(struct kc_ctx *ctx, struct kc_build_plan *p, struct kc_err *err)
{
    const struct kc_builder *b = &ctx->cfg->builder;
    p->remote = false;
    if (b->remote == NULL)
        return 0;
    if (!b->local) {
        p->remote = true;
        return 0;
    }
    const char *info[] = {"docker", "info", "--format", "{{.Architecture}}", NULL};
    char *arch = kc_local_line(ctx, info);
    size_t local_n = 0;
    for (size_t i = 0; arch && i < b->arches.n; i++)
        if (strcmp(arch_name(arch), b->arches.v[i]) == 0)
            local_n++;
    free(arch);
    if (local_n == b->arches.n)
        return 0;
    if (local_n == 0) {
        p->remote = true;
        return 0;
    }
    return kc_err_set(err, KC_ECONFIG,
                      "builder.arch: building some arches locally and others on builder.remote "
                      "(a hybrid builder) needs docker buildx, which kamal-c does not drive yet");
}

static int remote_host(struct kc_ctx *ctx, struct kc_build_plan *p, struct kc_err *err)
{
    const struct kc_config *cfg = ctx->cfg;
    char *user = NULL, *host = NULL;
    int port = 0;
    if (!kc_build_parse_ssh_url(cfg->builder.remote, &user, &host, &port)) {
        kc_err_set(err, KC_ECONFIG,
                   "builder.remote: '%s' is not an ssh:// URL; kamal-c builds remotely over SSH "
                   "only",
                   cfg->builder.remote);
        kc_err_set_hint(err, "write it as ssh://user@host[:port]");
        return KC_ECONFIG;
    }
    struct kc_ssh_opts o;
    memset(&o, 0, sizeof o);
    o.host = host;
    o.user = user ? user : cfg->ssh.user;
    o.port = port ? port : (cfg->ssh.port_set ? cfg->ssh.port : 0);
    o.jump = cfg->ssh.proxy;
    o.keys = &cfg->ssh.keys;
    o.key_data = &ctx->key_data_values;
    o.keys_only = cfg->ssh.keys_only;
    o.config_mode = cfg->ssh.config_mode == KC_SSH_CONFIG_FALSE   ? KC_SSHCFG_NONE
                    : cfg->ssh.config_mode == KC_SSH_CONFIG_FILES ? KC_SSHCFG_FILES
                                                                  : KC_SSHCFG_DEFAULT;
    o.config_files = &cfg->ssh.config_files;
    p->rhost = kc_fleet_host(ctx->fleet, host, &o);
    p->remote_name = kc_xstrdup(host);
    free(user);
    free(host);
    return 0;
}

/* The checks a build does before anything runs: exit 3 for what deploy.yml
 * asks and this setup cannot do. */
static int check_config(struct kc_ctx *ctx, struct kc_build_plan *p, struct kc_err *err)
{
    const struct kc_config *cfg = ctx->cfg;
    if (cfg->registry.local) {
        kc_err_set(err, KC_ECONFIG,
                   "registry.server: a local registry (%s) needs SSH tunnels to the hosts, which "
                   "kamal-c does not set up yet",
                   cfg->registry.server);
        kc_err_set_hint(err, "use a registry the builder and the hosts can reach");
        return KC_ECONFIG;
    }
    if (cfg->builder.pack)
        return kc_err_set(err, KC_ECONFIG,
                          "builder.pack: Cloud Native Buildpacks builds are not supported by "
                          "kamal-c yet");
    if (cfg->builder.cloud)
        return kc_err_set(err, KC_ECONFIG,
                          "builder.driver: Docker Build Cloud builders are not supported by "
                          "kamal-c yet");
    const char *key = kc_build_needs_buildx(cfg);
    if (key && !p->buildx) {
        kc_err_set(err, KC_ECONFIG, "%s needs docker buildx, which %s", key,
                   p->remote ? "a remote build over SSH does not use"
                             : "the docker on this machine does not have");
        if (strcmp(key, "builder.secrets") == 0)
            kc_err_set_hint(err, "build secrets reach the build only through BuildKit's --secret "
                                 "(never argv or a file); install the buildx plugin, or remove "
                                 "builder.secrets");
        else
            kc_err_set_hint(err, "install the docker buildx plugin, or remove %s", key);
        return KC_ECONFIG;
    }
    return 0;
}

int kc_bp_setup(struct kc_ctx *ctx, struct kc_build_plan *p, bool dev, struct kc_err *err)
{
    int rc = kc_version_resolve(ctx, &p->version, err);
    if (rc)
        return rc;
    if (dev) {
        char *v = kc_xasprintf("%s-dirty", p->version);
        char *l = kc_xasprintf("%s-dirty", ctx->cfg->latest_tag);
        p->tag = kc_config_image(ctx->cfg, v);
        p->latest = kc_config_image(ctx->cfg, l);
        free(v);
        free(l);
    } else {
        p->tag = kc_config_image(ctx->cfg, p->version);
        p->latest = kc_config_image(ctx->cfg, NULL);
    }
    rc = decide_remote(ctx, p, err);
    if (rc == 0 && p->remote)
        rc = remote_host(ctx, p, err);
    else if (rc == 0)
        rc = probe_local_docker(ctx, &p->buildx, err);
    if (rc == 0)
        rc = check_config(ctx, p, err);
    if (rc == 0 && p->buildx && !ctx->cfg->builder.docker_driver)
        p->builder_name = kc_build_builder_name(ctx->cfg, false);
    return rc;
}

/* ---- the clone (Kamal's Cli::Build::Clone) ---- */

static int run_git(struct kc_ctx *ctx, unsigned flags, struct kc_buf *out, struct kc_err *err,
                   ...) __attribute__((sentinel));
static int run_git(struct kc_ctx *ctx, unsigned flags, struct kc_buf *out, struct kc_err *err, ...)
{
    struct kc_cmd c = KC_CMD_INIT;
    va_list ap;
    va_start(ap, err);
    for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
        kc_cmd_arg(&c, a);
    va_end(ap);
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_local_run(ctx, &c, flags | KC_CHECK, NULL, &res, err);
    if (rc == 0 && out) {
        kc_buf_rtrim(&res.out);
        kc_buf_adds(out, kc_buf_str(&res.out));
    }
    kc_exec_result_release(&res);
    kc_cmd_release(&c);
    return rc;
}

static int clone_fresh(struct kc_ctx *ctx, const char *clone_dir, const char *root,
                       const char *repo, struct kc_err *err)
{
    kc_out_msg(ctx->out, KC_LVL_INFO, NULL, "Cloning repo into build directory `%s`...", repo);
    int rc = run_git(ctx, KC_MUTATE, NULL, err, "mkdir", "-p", clone_dir, NULL);
    if (rc == 0)
        rc = run_git(ctx, KC_MUTATE, NULL, err, "git", "-C", clone_dir, "clone", root,
                     "--recurse-submodules", NULL);
    if (rc == KC_EREMOTE)
        kc_err_prefix(err, "failed to clone repo");
    return rc;
}

static int clone_reset(struct kc_ctx *ctx, const char *root, const char *repo, const char *head,
                       struct kc_err *err)
{
    kc_out_msg(ctx->out, KC_LVL_INFO, NULL,
               "Resetting local clone as `%s` already exists...", repo);
    int rc = run_git(ctx, KC_MUTATE, NULL, err, "git", "-C", repo, "remote", "set-url", "origin",
                     root, NULL);
    if (rc == 0)
        rc = run_git(ctx, KC_MUTATE, NULL, err, "git", "-C", repo, "fetch", "origin", NULL);
    if (rc == 0)
        rc = run_git(ctx, KC_MUTATE, NULL, err, "git", "-C", repo, "reset", "--hard", head, NULL);
    if (rc == 0)
        rc = run_git(ctx, KC_MUTATE, NULL, err, "git", "-C", repo, "clean", "-fdx", NULL);
    if (rc == 0)
        rc = run_git(ctx, KC_MUTATE, NULL, err, "git", "-C", repo, "submodule", "update",
                     "--init", NULL);
    if (rc == 0)
        rc = run_git(ctx, KC_MUTATE, NULL, err, "git", "-C", repo, "gc", "--auto", "--quiet",
                     NULL);
    if (rc == KC_EREMOTE)
        kc_err_prefix(err, "failed to reset the clone");
    return rc;
}

static int clone_validate(struct kc_ctx *ctx, const char *repo, const char *head,
                          struct kc_err *err)
{
    if (ctx->g.dry_run)
        return 0;
    struct kc_buf st = KC_BUF_INIT, rev = KC_BUF_INIT;
    int rc = run_git(ctx, KC_PROBE, &st, err, "git", "-C", repo, "status", "--porcelain", NULL);
    if (rc == 0 && st.len)
        rc = kc_err_set(err, KC_EREMOTE, "clone in %s is dirty, %s", repo, kc_buf_str(&st));
    if (rc == 0)
        rc = run_git(ctx, KC_PROBE, &rev, err, "git", "-C", repo, "rev-parse", "HEAD", NULL);
    if (rc == 0 && strcmp(kc_buf_str(&rev), head) != 0)
        rc = kc_err_set(err, KC_EREMOTE,
                        "clone in %s is not on the correct revision, expected `%s` but got `%s`",
                        repo, head, kc_buf_str(&rev));
    kc_buf_release(&st);
    kc_buf_release(&rev);
    return rc;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The clean clone of HEAD, made or reset and checked; on a failure Kamal's
 * way: say so, delete it, clone again. */
static int prepare_clone(struct kc_ctx *ctx, const char *root, const char *head,
                         const char *clone_dir, const char *repo, struct kc_err *err)
{
    char *dotgit = kc_xasprintf("%s/.git", repo);
    int rc = is_dir(dotgit) ? clone_reset(ctx, root, repo, head, err)
                            : clone_fresh(ctx, clone_dir, root, repo, err);
    free(dotgit);
    if (rc == 0)
        rc = clone_validate(ctx, repo, head, err);
    if (rc == KC_EREMOTE) {
        kc_out_msg(ctx->out, KC_LVL_ERROR, NULL,
                   "Error preparing clone: %s, deleting and retrying...", err->msg);
        kc_err_release(err);
        rc = run_git(ctx, KC_MUTATE, NULL, err, "rm", "-rf", clone_dir, NULL);
        if (rc == 0)
            rc = clone_fresh(ctx, clone_dir, root, repo, err);
        if (rc == 0)
            rc = clone_validate(ctx, repo, head, err);
    }
    return rc;
}

static void warn_uncommitted(struct kc_ctx *ctx, const char *what, const char *status)
{
    kc_out_msg(ctx->out, KC_LVL_WARN, NULL, "%s:\n %s", what, status);
}

/* Where the build's files come from: the clean clone (default, in a git
 * repository), or the working tree (builder.context). */
int kc_bp_build_dir(struct kc_ctx *ctx, struct kc_build_plan *p, bool dev, struct kc_err *err)
{
    const struct kc_builder *b = &ctx->cfg->builder;
    struct kc_buf root = KC_BUF_INIT, head = KC_BUF_INIT, status = KC_BUF_INIT;
    struct kc_err ignore = KC_ERR_INIT;
    bool git = run_git(ctx, KC_PROBE | KC_QUIET, &root, &ignore, "git", "rev-parse",
                       "--show-toplevel", NULL) == 0;
    kc_err_release(&ignore);
    int rc = 0;
    if (git) {
        run_git(ctx, KC_PROBE, &head, &ignore, "git", "rev-parse", "HEAD", NULL);
        run_git(ctx, KC_PROBE, &status, &ignore, "git", "status", "--porcelain", NULL);
        kc_err_release(&ignore);
    }
    const char *ctxdir = b->context ? b->context : ".";
    if (git && b->context == NULL && !dev) {
        if (status.len)
            warn_uncommitted(ctx, "Building from a local git clone, so ignoring these "
                                  "uncommitted changes",
                             kc_buf_str(&status));
        char pwd[4096];
        if (getcwd(pwd, sizeof pwd) == NULL)
            snprintf(pwd, sizeof pwd, ".");
        char *clone_dir = kc_build_clone_dir(ctx->cfg, getenv("TMPDIR"), pwd);
        const char *base = strrchr(kc_buf_str(&root), '/');
        base = base ? base + 1 : kc_buf_str(&root);
        char *repo = kc_xasprintf("%s/%s", clone_dir, base);
        /* the working directory's place in the repository, kept in the clone */
        bool below = strncmp(pwd, kc_buf_str(&root), root.len) == 0 &&
                     (pwd[root.len] == '/' || pwd[root.len] == '\0');
        const char *rel = below ? pwd + root.len : "";
        rc = prepare_clone(ctx, kc_buf_str(&root), kc_buf_str(&head), clone_dir, repo, err);
        p->build_dir = kc_xasprintf("%s%s", repo, rel);
        free(repo);
        free(clone_dir);
    } else {
        if (status.len && !dev)
            warn_uncommitted(ctx, "Building with uncommitted changes", kc_buf_str(&status));
        p->build_dir = kc_xstrdup(ctxdir);
    }
    if (rc == 0) {
        /* the clone: its Dockerfile; the working tree: as written (from the cwd) */
        p->dockerfile = b->context == NULL && git && !dev
                            ? kc_xasprintf("%s/%s", p->build_dir, b->dockerfile)
                            : kc_xstrdup(b->dockerfile);
        struct stat st;
        if (!ctx->g.dry_run && stat(p->dockerfile, &st) != 0) {
            kc_err_set(err, KC_ECONFIG, "builder.dockerfile: missing %s (in %s)", b->dockerfile,
                       p->build_dir);
            kc_err_set_hint(err, "commit the Dockerfile (the build uses a clean clone of HEAD), "
                                 "or set builder.dockerfile");
            rc = KC_ECONFIG;
        }
    }
    kc_buf_release(&root);
    kc_buf_release(&head);
    kc_buf_release(&status);
    return rc;
}
