/* build.c - pure pieces of `kamal-c build`: the version rule, image and
 * builder names, and the docker command lines (Kamal §4.6). */
#include "kamal-c/commands_build.h"
#include "kamal-c/commands.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int kc_version_pick(const struct kc_version_facts *f, char **out, struct kc_err *err)
{
    *out = NULL;
    if (f->declared && *f->declared) {
        *out = kc_xstrdup(f->declared);
        return 0;
    }
    if (f->env_version) {
        *out = kc_xstrdup(f->env_version);
        return 0;
    }
    if (!f->git_used || f->head == NULL || *f->head == '\0') {
        kc_err_set(err, KC_ECONFIG,
                   "can't use commit hash as version, no git repository found in %s",
                   f->pwd ? f->pwd : ".");
        kc_err_set_hint(err, "pass --version=VERSION (or set VERSION), or run it in the app's "
                             "git repository");
        return KC_ECONFIG;
    }
    if (f->dirty && !f->git_clone)
        *out = kc_xasprintf("%s_uncommitted_%s", f->head, f->random_hex ? f->random_hex : "");
    else
        *out = kc_xstrdup(f->head);
    return 0;
}

char *kc_config_image(const struct kc_config *cfg, const char *version)
{
    return kc_xasprintf("%s:%s", cfg->repository, version ? version : cfg->latest_tag);
}

char *kc_build_clone_dir(const struct kc_config *cfg, const char *tmpdir, const char *pwd)
{
    char hex[65];
    kc_sha256_hex(pwd, strlen(pwd), hex);
    hex[13] = '\0';
    const char *t = tmpdir && *tmpdir ? tmpdir : "/tmp";
    size_t n = strlen(t);
    while (n > 1 && t[n - 1] == '/')
        n--;
    return kc_xasprintf("%.*s/kamal-clones/%s-%s", (int)n, t, cfg->service, hex);
}

static void add_platforms(struct kc_cmd *c, const struct kc_builder *b)
{
    struct kc_buf p = KC_BUF_INIT;
    for (size_t i = 0; i < b->arches.n; i++)
        kc_buf_addf(&p, "%slinux/%s", i ? "," : "", b->arches.v[i]);
    kc_cmd_args(c, "--platform", kc_buf_str(&p), NULL);
    kc_buf_release(&p);
}

static void add_cache(struct kc_cmd *c, const struct kc_builder *b)
{
    if (!b->cache)
        return;
    bool gha = b->cache_type && strcmp(b->cache_type, "gha") == 0;
    const char *opt = b->cache_options;
    if (gha) {
        kc_cmd_arg(c, "--cache-to");
        kc_cmd_argf(c, "type=gha%s%s", opt ? "," : "", opt ? opt : "");
        kc_cmd_args(c, "--cache-from", "type=gha", NULL);
    } else {
        kc_cmd_arg(c, "--cache-to");
        kc_cmd_argf(c, "type=registry,ref=%s%s%s", b->cache_ref, opt ? "," : "", opt ? opt : "");
        kc_cmd_arg(c, "--cache-from");
        kc_cmd_argf(c, "type=registry,ref=%s", b->cache_ref);
    }
}

static void add_buildx_only(struct kc_cmd *c, const struct kc_build_spec *s)
{
    const struct kc_builder *b = &s->cfg->builder;
    kc_cmd_argf(c, "--output=type=%s", s->push ? "registry" : "docker");
    add_platforms(c, b);
    if (s->builder)
        kc_cmd_args(c, "--builder", s->builder, NULL);
}

void kc_cmd_build(struct kc_cmd *c, const struct kc_build_spec *s)
{
    const struct kc_builder *b = &s->cfg->builder;
    if (s->buildx)
        kc_cmd_args(c, "docker", "buildx", "build", NULL);
    else
        kc_cmd_args(c, "docker", "build", NULL);
    if (s->buildx)
        add_buildx_only(c, s);
    if (s->quiet)
        kc_cmd_arg(c, "--quiet");
    kc_cmd_args(c, "-t", s->tag, "-t", s->latest_tag, NULL);
    if (s->buildx)
        add_cache(c, b);
    kc_cmd_arg(c, "--label");
    kc_cmd_argf(c, "service=%s", s->cfg->service);
    for (size_t i = 0; i < b->args.n; i++) {
        char *kv = kc_xasprintf("%s=%s", b->args.v[i].key, b->args.v[i].value);
        char *name = kc_xasprintf("builder.args.%s", b->args.v[i].key);
        kc_cmd_arg(c, "--build-arg");
        kc_cmd_secret_arg(c, kv, name);
        free(kv);
        free(name);
    }
    for (size_t i = 0; s->buildx && i < b->secrets.n; i++) {
        kc_cmd_arg(c, "--secret");
        kc_cmd_argf(c, "id=%s,env=%s", b->secrets.v[i], b->secrets.v[i]);
    }
    kc_cmd_args(c, "--file", s->dockerfile, NULL);
    if (b->target)
        kc_cmd_args(c, "--target", b->target, NULL);
    if (s->buildx && b->ssh)
        kc_cmd_args(c, "--ssh", b->ssh, NULL);
    if (s->buildx && b->provenance)
        kc_cmd_args(c, "--provenance", b->provenance, NULL);
    if (s->buildx && b->sbom)
        kc_cmd_args(c, "--sbom", b->sbom, NULL);
    if (s->no_cache)
        kc_cmd_arg(c, "--no-cache");
    kc_cmd_arg(c, s->context);
}

void kc_cmd_image_push(struct kc_cmd *c, const char *image)
{
    kc_cmd_args(c, "docker", "image", "push", image, NULL);
}

void kc_cmd_image_service_label(struct kc_cmd *c, const char *image)
{
    kc_cmd_args(c, "docker", "image", "inspect", "--format", "{{index .Config.Labels \"service\"}}",
                image, NULL);
}

void kc_cmd_pull_unless_present(struct kc_cmd *c, const struct kc_config *cfg, const char *image,
                                const char *when_iso, const char *performer,
                                const char *audit_message)
{
    kc_cmd_image_service_label(c, image);
    kc_cmd_op(c, "2>/dev/null");
    kc_cmd_op(c, "||");
    kc_cmd_op(c, "(");
    kc_cmd_audit_record(c, cfg, when_iso, performer, NULL, audit_message);
    kc_cmd_op(c, "&&");
    kc_cmd_args(c, "docker", "image", "pull", "--quiet", image, NULL);
    kc_cmd_op(c, ">/dev/null");
    kc_cmd_op(c, "&&");
    kc_cmd_args(c, "echo", KC_PULLED_MARKER, NULL);
    kc_cmd_op(c, "&&");
    kc_cmd_image_service_label(c, image);
    kc_cmd_op(c, ")");
}

void kc_cmd_buildx_inspect(struct kc_cmd *c, const char *name)
{
    kc_cmd_args(c, "docker", "buildx", "inspect", name, NULL);
}

void kc_cmd_buildx_create(struct kc_cmd *c, const char *name, const char *driver)
{
    kc_cmd_args(c, "docker", "buildx", "create", "--name", name, NULL);
    kc_cmd_argf(c, "--driver=%s", driver);
}

void kc_cmd_buildx_rm(struct kc_cmd *c, const char *name)
{
    kc_cmd_args(c, "docker", "buildx", "rm", name, NULL);
}

char *kc_build_builder_name(const struct kc_config *cfg, bool remote)
{
    const struct kc_builder *b = &cfg->builder;
    if (!remote || b->remote == NULL)
        return kc_xasprintf("kamal-local-%s", b->driver);
    char *s = kc_xasprintf("kamal-remote-%s", b->remote);
    for (char *p = s + strlen("kamal-remote-"); *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' || *p == '-'))
            *p = '-';
    return s;
}

/* A key is set in deploy.yml's builder: mapping (not only defaulted). */
static bool given(const struct kc_builder *b, const char *key)
{
    return b->node && kc_map_get(b->node, key) != NULL;
}

const char *kc_build_needs_buildx(const struct kc_config *cfg)
{
    const struct kc_builder *b = &cfg->builder;
    if (b->arches.n > 1)
        return "builder.arch";
    if (b->pack)
        return "builder.pack";
    if (b->cache)
        return "builder.cache";
    if (given(b, "driver") && !b->docker_driver)
        return "builder.driver";
    if (b->secrets.n)
        return "builder.secrets";
    if (b->ssh)
        return "builder.ssh";
    if (b->provenance)
        return "builder.provenance";
    if (b->sbom)
        return "builder.sbom";
    return NULL;
}

void kc_dockerignore_excludes(const char *text, struct kc_strvec *out, int *unsupported)
{
    struct kc_strvec lines = KC_STRVEC_INIT;
    kc_strvec_split(&lines, text ? text : "", "\n");
    *unsupported = 0;
    for (size_t i = 0; i < lines.n; i++) {
        const char *a = lines.v[i];
        while (*a == ' ' || *a == '\t')
            a++;
        size_t n = strlen(a);
        while (n && (a[n - 1] == ' ' || a[n - 1] == '\t' || a[n - 1] == '\r'))
            n--;
        if (n == 0 || a[0] == '#')
            continue;
        if (a[0] == '!') {
            (*unsupported)++;
            continue;
        }
        while (n && (*a == '/' || (a[0] == '.' && a[1] == '/'))) {
            size_t skip = *a == '/' ? 1 : 2;
            a += skip;
            n -= skip;
        }
        while (n > 1 && a[n - 1] == '/')
            n--;
        if (n == 0)
            continue;
        kc_strvec_pushf(out, "--exclude=./%.*s", (int)n, a);
    }
    kc_strvec_release(&lines);
}

bool kc_build_parse_ssh_url(const char *url, char **user, char **host, int *port)
{
    *user = *host = NULL;
    *port = 0;
    if (url == NULL || strncmp(url, "ssh://", 6) != 0)
        return false;
    const char *p = url + 6;
    const char *end = p + strcspn(p, "/");
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        *user = kc_xstrndup(p, (size_t)(at - p));
        p = at + 1;
    }
    const char *colon = memchr(p, ':', (size_t)(end - p));
    const char *hend = colon ? colon : end;
    if (hend == p) {
        free(*user);
        *user = NULL;
        return false;
    }
    *host = kc_xstrndup(p, (size_t)(hend - p));
    if (colon)
        *port = atoi(colon + 1);
    return true;
}
