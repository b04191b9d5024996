/* proxy.c - kamal-proxy's container and control commands (see proxy.h).
 * The container matches what Kamal 2.12's `proxy boot` creates (§4.7). */
#include "kamal-c/proxy.h"
#include "kamal-c/accessory.h" /* struct kc_logs_opts, KC_DIGEST_LABEL */
#include "kamal-c/commands.h"

#include <stdlib.h>
#include <string.h>

#define PROBE_MARK  "@@kamal-c-proxy@@"
#define ABSENT_MARK "@@kamal-c-absent@@"

static const char *const boot_files[] = {"options", "image", "image_version", "run_command"};

void kc_proxy_files_release(struct kc_proxy_files *f)
{
    if (f == NULL)
        return;
    free(f->options);
    free(f->image);
    free(f->image_version);
    free(f->run_command);
    memset(f, 0, sizeof *f);
}

void kc_proxy_probe_release(struct kc_proxy_probe *p)
{
    if (p == NULL)
        return;
    free(p->docker_error);
    kc_proxy_files_release(&p->files);
    free(p->status);
    free(p->image);
    free(p->digest);
    memset(p, 0, sizeof *p);
}

char *kc_proxy_file_path(const struct kc_config *cfg, const char *file)
{
    return kc_xasprintf("%s/%s", cfg->proxy_dir, file);
}

static void end_section(struct kc_cmd *c)
{
    kc_cmd_op(c, ";");
    kc_cmd_arg(c, "echo");
    kc_cmd_op(c, ";");
    kc_cmd_args(c, "echo", PROBE_MARK, NULL);
    kc_cmd_op(c, ";");
}

void kc_cmd_proxy_probe(struct kc_cmd *c, const struct kc_config *cfg)
{
    for (size_t i = 0; i < KC_ARRAY_LEN(boot_files); i++) {
        char *path = kc_proxy_file_path(cfg, boot_files[i]);
        kc_cmd_args(c, "cat", path, NULL);
        kc_cmd_op(c, "2>/dev/null");
        kc_cmd_op(c, "||");
        kc_cmd_args(c, "echo", ABSENT_MARK, NULL);
        end_section(c);
        free(path);
    }
    kc_cmd_args(c, "test", "-d", cfg->proxy_apps_dir, NULL);
    kc_cmd_op(c, "&&");
    kc_cmd_args(c, "echo", "yes", NULL);
    end_section(c);
    kc_cmd_args(c, "ls", ".kamal/apps", NULL);
    kc_cmd_op(c, "2>/dev/null");
    kc_cmd_op(c, "|");
    kc_cmd_args(c, "wc", "-l", NULL);
    end_section(c);
    kc_cmd_args(c, "docker", "inspect", KC_PROXY_CONTAINER, KC_NETWORK, NULL);
    end_section(c);
    kc_cmd_arg(c, "true");
}

static char *section_text(const char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return kc_xstrndup(s, n);
}

static char *file_value(const char *s)
{
    char *t = section_text(s);
    if (strcmp(t, ABSENT_MARK) == 0) {
        free(t);
        return NULL;
    }
    return t;
}

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void take_inspect(cJSON *arr, struct kc_proxy_probe *p)
{
    const cJSON *obj;
    cJSON_ArrayForEach(obj, arr)
    {
        const char *name = jstr(obj, "Name");
        const cJSON *state = cJSON_GetObjectItemCaseSensitive(obj, "State");
        if (state && name && strcmp(name, "/" KC_PROXY_CONTAINER) == 0) {
            const cJSON *config = cJSON_GetObjectItemCaseSensitive(obj, "Config");
            const cJSON *labels = cJSON_GetObjectItemCaseSensitive(config, "Labels");
            const char *st = jstr(state, "Status");
            const char *img = jstr(config, "Image");
            const char *dg = jstr(labels, KC_DIGEST_LABEL);
            p->exists = true;
            p->status = kc_xstrdup(st ? st : "unknown");
            p->image = kc_xstrdup(img ? img : "");
            p->digest = dg ? kc_xstrdup(dg) : NULL;
        } else if (kc_inspect_is_network(obj)) {
            p->network_exists = true;
        }
    }
}

int kc_proxy_probe_parse(const char *out, const char *err_text, struct kc_proxy_probe *p,
                         struct kc_err *err)
{
    memset(p, 0, sizeof *p);
    struct kc_strvec secs = KC_STRVEC_INIT;
    const char *mark = PROBE_MARK "\n";
    const char *s = out;
    for (const char *hit; (hit = strstr(s, mark)) != NULL; s = hit + strlen(mark))
        kc_strvec_push_nodup(&secs, kc_xstrndup(s, (size_t)(hit - s)));
    if (secs.n != 7) {
        kc_strvec_release(&secs);
        return kc_err_set(err, KC_EREMOTE, "unexpected reply to the proxy probe");
    }
    p->files.options = file_value(secs.v[0]);
    p->files.image = file_value(secs.v[1]);
    p->files.image_version = file_value(secs.v[2]);
    p->files.run_command = file_value(secs.v[3]);
    p->apps_dir = strstr(secs.v[4], "yes") != NULL;
    p->apps = strtol(secs.v[5], NULL, 10);
    const char *js = secs.v[6];
    while (*js == '\n' || *js == ' ')
        js++;
    cJSON *arr = cJSON_Parse(js);
    if (!cJSON_IsArray(arr)) {
        char *e = section_text(err_text ? err_text : "");
        p->docker_error = *e ? e : kc_xstrdup("docker inspect gave no answer");
        if (*e == '\0')
            free(e);
    } else {
        take_inspect(arr, p);
    }
    cJSON_Delete(arr);
    kc_strvec_release(&secs);
    return 0;
}

/* ---- the proxy container ---- */

static void fixed_args(struct kc_cmd *c, const struct kc_config *cfg)
{
    kc_cmd_args(c, "docker", "run", "--name", KC_PROXY_CONTAINER, "--network", KC_NETWORK,
                "--detach", "--restart", "unless-stopped", "--volume",
                "kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy", "--volume", NULL);
    char *apps = kc_xasprintf("%s:/home/kamal-proxy/.apps-config", cfg->proxy_apps_dir);
    kc_cmd_pwd_arg(c, apps);
    free(apps);
}

static void publish_one(struct kc_cmd *c, const char *ip, long host_port, int port)
{
    kc_cmd_arg(c, "--publish");
    if (ip == NULL)
        kc_cmd_argf(c, "%ld:%d", host_port, port);
    else if (strchr(ip, ':'))
        kc_cmd_argf(c, "[%s]:%ld:%d", ip, host_port, port);
    else
        kc_cmd_argf(c, "%s:%ld:%d", ip, host_port, port);
}

static void run_config_args(struct kc_cmd *c, const struct kc_proxy_run *r)
{
    if (r->publish) {
        size_t n = r->bind_ips.n ? r->bind_ips.n : 1;
        for (size_t i = 0; i < n; i++) {
            const char *ip = r->bind_ips.n ? r->bind_ips.v[i] : NULL;
            publish_one(c, ip, r->http_port, 80);
            publish_one(c, ip, r->https_port, 443);
        }
    }
    if (r->log_max_size && *r->log_max_size) {
        kc_cmd_arg(c, "--log-opt");
        kc_cmd_argf(c, "max-size=%s", r->log_max_size);
    }
    if (r->metrics_port)
        kc_cmd_argf(c, "--expose=%ld", r->metrics_port);
    for (size_t i = 0; i < r->options.n; i++) {
        const struct kc_docker_option *o = &r->options.v[i];
        if (o->flag) {
            kc_cmd_argf(c, "--%s", o->key);
            continue;
        }
        for (size_t j = 0; j < o->values.n; j++) {
            kc_cmd_argf(c, "--%s", o->key);
            kc_cmd_arg(c, o->values.v[j]);
        }
    }
}

static void words(struct kc_cmd *c, const char *line, int *bad)
{
    struct kc_strvec w = KC_STRVEC_INIT;
    if (kc_shell_split(line, &w) != 0)
        *bad = 1;
    for (size_t i = 0; i < w.n; i++)
        kc_cmd_arg(c, w.v[i]);
    kc_strvec_release(&w);
}

char *kc_proxy_image(const struct kc_config *cfg, const char *host,
                     const struct kc_proxy_files *files)
{
    const struct kc_proxy_run *r = kc_config_proxy_run(cfg, host);
    if (r)
        return kc_xstrdup(r->image);
    const char *img = files && files->image ? files->image : KC_PROXY_REPOSITORY;
    const char *ver = files && files->image_version ? files->image_version : KC_PROXY_VERSION;
    return kc_xasprintf("%s:%s", img, ver);
}

int kc_cmd_proxy_run(struct kc_cmd *c, const struct kc_config *cfg, const char *host,
                     const struct kc_proxy_files *files, const char *digest, struct kc_err *err)
{
    fixed_args(c, cfg);
    if (digest) {
        kc_cmd_arg(c, "--label");
        kc_cmd_argf(c, "%s=%s", KC_DIGEST_LABEL, digest);
    }
    const struct kc_proxy_run *r = kc_config_proxy_run(cfg, host);
    char *image = kc_proxy_image(cfg, host, files);
    int bad = 0;
    if (r) {
        run_config_args(c, r);
        kc_cmd_arg(c, image);
        kc_cmd_args(c, "kamal-proxy", "run", NULL);
        if (r->debug)
            kc_cmd_arg(c, "--debug");
        if (r->metrics_port) {
            kc_cmd_arg(c, "--metrics-port");
            kc_cmd_argf(c, "%ld", r->metrics_port);
        }
    } else {
        const char *opts = files && files->options
                               ? files->options
                               : "--publish 80:80 --publish 443:443 --log-opt max-size=10m";
        words(c, opts, &bad);
        kc_cmd_arg(c, image);
        if (files && files->run_command)
            words(c, files->run_command, &bad);
    }
    free(image);
    if (bad)
        return kc_err_set(err, KC_EREMOTE, "%s/options or run_command: unmatched quote",
                          cfg->proxy_dir);
    return 0;
}

int kc_proxy_digest(const struct kc_config *cfg, const char *host,
                    const struct kc_proxy_files *files, char out[65], struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    int rc = kc_cmd_proxy_run(&c, cfg, host, files, NULL, err);
    if (rc == 0) {
        char *line = kc_cmd_render_display(&c);
        kc_sha256_hex(line, strlen(line), out);
        free(line);
    }
    kc_cmd_release(&c);
    return rc;
}

const char *kc_image_tag(const char *image)
{
    const char *slash = strrchr(image, '/');
    const char *colon = strrchr(slash ? slash : image, ':');
    return colon ? colon + 1 : NULL;
}

bool kc_proxy_too_old(const char *tag)
{
    if (tag == NULL || tag[0] != 'v' || !(tag[1] >= '0' && tag[1] <= '9'))
        return false; /* "latest", a digest...: Kamal compares versions only */
    return kc_version_compare(tag + 1, &KC_PROXY_VERSION[1]) < 0;
}

/* ---- simple steps ---- */

void kc_cmd_proxy_mkdir_apps(struct kc_cmd *c, const struct kc_config *cfg)
{
    kc_cmd_args(c, "mkdir", "-p", cfg->proxy_apps_dir, NULL);
}

void kc_cmd_proxy_start(struct kc_cmd *c)
{
    kc_cmd_args(c, "docker", "container", "start", KC_PROXY_CONTAINER, NULL);
}

void kc_cmd_proxy_stop(struct kc_cmd *c)
{
    kc_cmd_args(c, "docker", "container", "stop", KC_PROXY_CONTAINER, NULL);
}

void kc_cmd_proxy_prune_container(struct kc_cmd *c)
{
    kc_cmd_args(c, "docker", "container", "prune", "--force", "--filter",
                "label=org.opencontainers.image.title=kamal-proxy", NULL);
}

void kc_cmd_proxy_prune_image(struct kc_cmd *c)
{
    kc_cmd_args(c, "docker", "image", "prune", "--all", "--force", "--filter",
                "label=org.opencontainers.image.title=kamal-proxy", NULL);
}

void kc_cmd_proxy_rm(struct kc_cmd *c)
{
    kc_cmd_args(c, "docker", "container", "rm", "--force", KC_PROXY_CONTAINER, NULL);
}

void kc_cmd_proxy_remove_dir(struct kc_cmd *c, const struct kc_config *cfg)
{
    kc_cmd_args(c, "rm", "-rf", cfg->proxy_dir, NULL);
}

void kc_cmd_proxy_details(struct kc_cmd *c)
{
    kc_cmd_args(c, "docker", "ps", "--filter", "name=^kamal-proxy$", NULL);
}

void kc_cmd_proxy_reset_file(struct kc_cmd *c, const struct kc_config *cfg, const char *file)
{
    char *path = kc_proxy_file_path(cfg, file);
    kc_cmd_args(c, "rm", "-f", path, NULL);
    free(path);
}

void kc_cmd_proxy_list(struct kc_cmd *c)
{
    kc_cmd_args(c, "docker", "exec", KC_PROXY_CONTAINER, "kamal-proxy", "list", NULL);
}

/* ---- boot_config set ---- */

void kc_proxy_boot_files(const struct kc_proxy_boot_opts *o, struct kc_proxy_files *out)
{
    memset(out, 0, sizeof *out);
    struct kc_strvec args = KC_STRVEC_INIT;
    if (o->publish) {
        size_t n = o->publish_host_ips.n ? o->publish_host_ips.n : 1;
        for (size_t i = 0; i < n; i++) {
            const char *ip = o->publish_host_ips.n ? o->publish_host_ips.v[i] : NULL;
            const char *l = ip && strchr(ip, ':') ? "[" : "", *r = ip && strchr(ip, ':') ? "]" : "";
            if (ip) {
                kc_strvec_pushf(&args, "--publish %s%s%s:%ld:80", l, ip, r, o->http_port);
                kc_strvec_pushf(&args, "--publish %s%s%s:%ld:443", l, ip, r, o->https_port);
            } else {
                kc_strvec_pushf(&args, "--publish %ld:80", o->http_port);
                kc_strvec_pushf(&args, "--publish %ld:443", o->https_port);
            }
        }
    }
    if (o->log_max_size && *o->log_max_size)
        kc_strvec_pushf(&args, "--log-opt max-size=%s", o->log_max_size);
    if (o->metrics_port)
        kc_strvec_pushf(&args, "--expose=%ld", o->metrics_port);
    for (size_t i = 0; i < o->docker_options.n; i++)
        kc_strvec_pushf(&args, "--%s", o->docker_options.v[i]);
    char *options = kc_strvec_join(&args, " ");
    if (strcmp(options, "--publish 80:80 --publish 443:443 --log-opt max-size=10m") == 0)
        free(options);
    else
        out->options = options;
    kc_strvec_release(&args);

    char *image = kc_xasprintf("%s%s%s/kamal-proxy", o->registry ? o->registry : "",
                               o->registry ? "/" : "", o->repository ? o->repository : "basecamp");
    if (strcmp(image, KC_PROXY_REPOSITORY) == 0)
        free(image);
    else
        out->image = image;
    out->image_version = o->image_version ? kc_xstrdup(o->image_version) : NULL;
    if (o->debug || o->metrics_port) {
        struct kc_buf b = KC_BUF_INIT;
        kc_buf_adds(&b, "kamal-proxy run");
        if (o->debug)
            kc_buf_adds(&b, " --debug");
        if (o->metrics_port)
            kc_buf_addf(&b, " --metrics-port \"%ld\"", o->metrics_port);
        out->run_command = kc_buf_detach(&b);
    }
}
