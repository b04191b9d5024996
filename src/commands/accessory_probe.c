/* accessory_probe.c - the batched read-only probe of a host's accessories,
 * its parser, and the comparison against deploy.yml (see accessory.h). */
#include "kamal-c/accessory.h"

#include <stdlib.h>
#include <string.h>

#define PROBE_MARK "@@kamal-c-probe@@"
#define SECTIONS_HEAD 3
#define SECTIONS_PER_ACC 5

static void end_section(struct kc_cmd *c)
{
    kc_cmd_op(c, ";");
    kc_cmd_args(c, "echo", PROBE_MARK, NULL);
    kc_cmd_op(c, ";");
}

/* Host paths whose hash and permissions the probe reads: the env file, then
 * each uploaded file. */
static void probe_paths(const struct kc_config *cfg, const struct kc_accessory *acc,
                        struct kc_strvec *paths)
{
    kc_strvec_push_nodup(paths, kc_accessory_env_file(cfg, acc));
    for (size_t i = 0; i < acc->nfiles; i++)
        kc_strvec_push_nodup(paths, kc_accessory_file_host_path(acc, &acc->files[i]));
}

static void probe_accessory(struct kc_cmd *c, const struct kc_config *cfg,
                            const struct kc_accessory *acc)
{
    kc_cmd_args(c, "docker", "inspect", "--type", "container", acc->service, NULL);
    kc_cmd_op(c, "2>/dev/null");
    end_section(c);
    kc_cmd_args(c, "docker", "ps", "-a", "--filter", NULL);
    kc_cmd_argf(c, "label=service=%s", acc->service);
    kc_cmd_args(c, "--format", "{{.Names}}", NULL);
    kc_cmd_op(c, "2>/dev/null");
    end_section(c);
    kc_cmd_args(c, "docker", "image", "inspect", "--format", "{{json .Config}}", acc->image,
                NULL);
    kc_cmd_op(c, "2>/dev/null");
    end_section(c);
    struct kc_strvec paths = KC_STRVEC_INIT;
    probe_paths(cfg, acc, &paths);
    kc_cmd_args(c, "sha256sum", "--", NULL);
    for (size_t i = 0; i < paths.n; i++)
        kc_cmd_arg(c, paths.v[i]);
    kc_cmd_op(c, "2>/dev/null");
    end_section(c);
    kc_cmd_args(c, "stat", "-c", "%a %U:%G %u:%g %n", "--", NULL);
    for (size_t i = 0; i < paths.n; i++)
        kc_cmd_arg(c, paths.v[i]);
    kc_cmd_op(c, "2>/dev/null");
    end_section(c);
    kc_strvec_release(&paths);
}

void kc_cmd_accessory_probe(struct kc_cmd *c, const struct kc_config *cfg,
                            const struct kc_accessory *const *accs, size_t n)
{
    kc_cmd_args(c, "docker", "version", "--format", "{{.Server.Version}}", NULL);
    kc_cmd_op(c, "2>&1");
    end_section(c);
    kc_cmd_arg(c, "pwd");
    end_section(c);
    kc_cmd_args(c, "docker", "network", "inspect", "--format", "{{.Name}}", "kamal", NULL);
    kc_cmd_op(c, "2>/dev/null");
    end_section(c);
    for (size_t i = 0; i < n; i++)
        probe_accessory(c, cfg, accs[i]);
    kc_cmd_arg(c, "true");
}

/* ---- parsing ---- */

/* Splits text at marker lines into sections (each without the marker). */
static void split_sections(const char *text, struct kc_strvec *out)
{
    const char *mark = PROBE_MARK "\n";
    size_t ml = strlen(mark);
    const char *p = text;
    for (;;) {
        const char *hit = strstr(p, mark);
        /* the marker must start a line */
        while (hit && hit != text && hit[-1] != '\n')
            hit = strstr(hit + 1, mark);
        if (hit == NULL)
            break;
        kc_strvec_push_nodup(out, kc_xstrndup(p, (size_t)(hit - p)));
        p = hit + ml;
    }
}

static char *trimmed(const char *s)
{
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    return kc_xstrndup(s, n);
}

static void parse_inspect(const char *section, struct kc_acc_probe *a)
{
    cJSON *arr = cJSON_Parse(section);
    cJSON *obj = cJSON_IsArray(arr) ? cJSON_GetArrayItem(arr, 0) : NULL;
    if (cJSON_IsObject(obj)) {
        a->inspect = cJSON_DetachItemFromArray(arr, 0);
        a->exists = true;
        cJSON *state = cJSON_GetObjectItemCaseSensitive(a->inspect, "State");
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(state, "Status"));
        a->status = kc_xstrdup(st ? st : "unknown");
    }
    cJSON_Delete(arr);
}

/* "HASH  path" lines (sha256sum) and "MODE U:G u:g path" lines (stat). */
static void parse_hashes(const char *section, struct kc_kvlist *sha)
{
    struct kc_strvec lines = KC_STRVEC_INIT;
    kc_strvec_split(&lines, section, "\n");
    for (size_t i = 0; i < lines.n; i++) {
        const char *l = lines.v[i];
        if (*l == '\\')
            l++; /* escaped name: kept as printed */
        const char *sep = strstr(l, "  ");
        if (sep && sep - l == 64) {
            char *hash = kc_xstrndup(l, 64);
            kc_kvlist_set(sha, sep + 2, hash);
            free(hash);
        }
    }
    kc_strvec_release(&lines);
}

static void parse_perms(const char *section, struct kc_kvlist *perms)
{
    struct kc_strvec lines = KC_STRVEC_INIT;
    kc_strvec_split(&lines, section, "\n");
    for (size_t i = 0; i < lines.n; i++) {
        /* MODE NAMES IDS PATH: the path is everything after the third space */
        const char *p = lines.v[i];
        int spaces = 0;
        while (*p && spaces < 3)
            if (*p++ == ' ')
                spaces++;
        if (spaces == 3) {
            char *meta = kc_xstrndup(lines.v[i], (size_t)(p - lines.v[i] - 1));
            kc_kvlist_set(perms, p, meta);
            free(meta);
        }
    }
    kc_strvec_release(&lines);
}

static void parse_accessory(char **sec, struct kc_acc_probe *a)
{
    parse_inspect(sec[0], a);
    kc_strvec_split(&a->others, sec[1], "\n");
    cJSON *img = cJSON_Parse(sec[2]);
    if (cJSON_IsObject(img)) {
        a->image_present = true;
        a->image_config = img;
    } else {
        cJSON_Delete(img);
        char *t = trimmed(sec[2]);
        a->image_present = strcmp(t, "null") == 0; /* an image without Config */
        free(t);
    }
    parse_hashes(sec[3], &a->sha);
    parse_perms(sec[4], &a->perms);
}

static bool looks_like_version(const char *s)
{
    return s[0] >= '0' && s[0] <= '9' && strchr(s, '.') && strchr(s, '\n') == NULL;
}

int kc_accessory_probe_parse(const char *text, size_t n, struct kc_host_probe *p,
                             struct kc_err *err)
{
    memset(p, 0, sizeof *p);
    struct kc_strvec sec = KC_STRVEC_INIT;
    split_sections(text, &sec);
    int rc = 0;
    if (sec.n < SECTIONS_HEAD + SECTIONS_PER_ACC * n) {
        rc = kc_err_set(err, KC_EREMOTE, "unexpected reply to the probe (%zu of %zu parts)",
                        sec.n, (size_t)(SECTIONS_HEAD + SECTIONS_PER_ACC * n));
        kc_strvec_release(&sec);
        return rc;
    }
    char *v = trimmed(sec.v[0]);
    if (looks_like_version(v)) {
        p->docker_version = v;
    } else {
        p->docker_error = *v ? v : kc_xstrdup("docker did not answer");
        if (!*v)
            free(v);
    }
    p->home = trimmed(sec.v[1]);
    char *net = trimmed(sec.v[2]);
    p->network_exists = strcmp(net, "kamal") == 0;
    free(net);
    p->n = n;
    p->acc = kc_xcalloc(n ? n : 1, sizeof *p->acc);
    for (size_t i = 0; i < n; i++)
        parse_accessory(&sec.v[SECTIONS_HEAD + SECTIONS_PER_ACC * i], &p->acc[i]);
    kc_strvec_release(&sec);
    return rc;
}

void kc_host_probe_release(struct kc_host_probe *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++) {
        struct kc_acc_probe *a = &p->acc[i];
        free(a->status);
        cJSON_Delete(a->inspect);
        cJSON_Delete(a->image_config);
        kc_strvec_release(&a->others);
        kc_kvlist_release(&a->sha);
        kc_kvlist_release(&a->perms);
    }
    free(p->acc);
    free(p->docker_version);
    free(p->docker_error);
    free(p->home);
    memset(p, 0, sizeof *p);
}
