/* accessory_probe.c - the batched read-only probe of a host's accessories
 * and its parser (see accessory.h). */
#include "kamal-c/accessory.h"
#include "kamal-c/commands.h"

#include <stdlib.h>
#include <string.h>

#define PROBE_MARK     "@@kamal-c-probe@@"
#define PROBE_SECTIONS 4 /* pwd, sha256sum, stat, docker inspect */

static void end_section(struct kc_cmd *c)
{
    kc_cmd_op(c, ";");
    kc_cmd_args(c, "echo", PROBE_MARK, NULL);
}

/* Host paths whose hash and permissions the probe reads: each accessory's
 * env file, then its files:. */
static void probe_paths(const struct kc_config *cfg, const struct kc_accessory *const *accs,
                        size_t n, struct kc_strvec *paths)
{
    for (size_t i = 0; i < n; i++) {
        kc_strvec_push_nodup(paths, kc_accessory_env_file(cfg, accs[i]));
        for (size_t f = 0; f < accs[i]->nfiles; f++)
            kc_strvec_push_nodup(paths, kc_accessory_file_host_path(accs[i], &accs[i]->files[f]));
    }
}

static void add_all(struct kc_cmd *c, const struct kc_strvec *v)
{
    for (size_t i = 0; i < v->n; i++)
        kc_cmd_arg(c, v->v[i]);
}

void kc_cmd_accessory_probe(struct kc_cmd *c, const struct kc_config *cfg,
                            const struct kc_accessory *const *accs, size_t n)
{
    struct kc_strvec paths = KC_STRVEC_INIT, objects = KC_STRVEC_INIT;
    probe_paths(cfg, accs, n, &paths);
    for (size_t i = 0; i < n; i++)
        kc_strvec_push_unique(&objects, accs[i]->service);
    for (size_t i = 0; i < n; i++)
        kc_strvec_push_unique(&objects, accs[i]->image);
    kc_strvec_push_unique(&objects, KC_NETWORK);

    kc_cmd_arg(c, "pwd");
    end_section(c);
    kc_cmd_op(c, ";");
    kc_cmd_args(c, "sha256sum", "--", NULL);
    add_all(c, &paths);
    kc_cmd_op(c, "2>/dev/null");
    end_section(c);
    kc_cmd_op(c, ";");
    kc_cmd_args(c, "stat", "-c", "%a %U:%G %u:%g %n", "--", NULL);
    add_all(c, &paths);
    kc_cmd_op(c, "2>/dev/null");
    end_section(c);
    kc_cmd_op(c, ";");
    /* stderr is left alone: "No such object" lines are expected, anything
     * else means docker itself did not answer */
    kc_cmd_args(c, "docker", "inspect", NULL);
    add_all(c, &objects);
    end_section(c);
    kc_strvec_release(&paths);
    kc_strvec_release(&objects);
}

void kc_cmd_accessory_labelled(struct kc_cmd *c, const struct kc_accessory *acc)
{
    kc_cmd_args(c, "docker", "ps", "-a", "--filter", NULL);
    kc_cmd_argf(c, "label=service=%s", acc->service);
    kc_cmd_args(c, "--format", "{{.Names}}", NULL);
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
        while (hit && hit != text && hit[-1] != '\n') /* the marker starts a line */
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

/* "HASH  path" lines (sha256sum). */
static void parse_hashes(const char *section, struct kc_kvlist *sha)
{
    struct kc_strvec lines = KC_STRVEC_INIT;
    kc_strvec_split(&lines, section, "\n");
    for (size_t i = 0; i < lines.n; i++) {
        const char *l = lines.v[i];
        if (*l == '\\')
            l++; /* an escaped name: kept as printed */
        const char *sep = strstr(l, "  ");
        if (sep && sep - l == 64) {
            char *hash = kc_xstrndup(l, 64);
            kc_kvlist_set(sha, sep + 2, hash);
            free(hash);
        }
    }
    kc_strvec_release(&lines);
}

/* "MODE U:G u:g path" lines (stat). */
static void parse_perms(const char *section, struct kc_kvlist *perms)
{
    struct kc_strvec lines = KC_STRVEC_INIT;
    kc_strvec_split(&lines, section, "\n");
    for (size_t i = 0; i < lines.n; i++) {
        const char *p = lines.v[i];
        int spaces = 0;
        while (*p && spaces < 3)
            if (*p++ == ' ')
                spaces++;
        if (spaces == 3 && p > lines.v[i]) {
            char *meta = kc_xstrndup(lines.v[i], (size_t)(p - lines.v[i] - 1));
            kc_kvlist_set(perms, p, meta);
            free(meta);
        }
    }
    kc_strvec_release(&lines);
}

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* The forms docker may list an image reference under: as written, with
 * :latest when untagged, and without docker.io/(library/). */
static bool image_matches(const char *want, const cJSON *image)
{
    struct kc_strvec forms = KC_STRVEC_INIT;
    const char *w = want;
    if (kc_starts_with(w, "docker.io/"))
        w += strlen("docker.io/");
    if (kc_starts_with(w, "library/"))
        w += strlen("library/");
    kc_strvec_push(&forms, w);
    const char *slash = strrchr(w, '/');
    const char *last = slash ? slash + 1 : w;
    if (strchr(last, ':') == NULL && strchr(w, '@') == NULL)
        kc_strvec_pushf(&forms, "%s:latest", w);
    bool hit = false;
    const char *keys[] = {"RepoTags", "RepoDigests"};
    for (size_t k = 0; k < 2 && !hit; k++) {
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(image, keys[k]))
        {
            if (cJSON_IsString(t) && kc_strvec_contains(&forms, t->valuestring))
                hit = true;
        }
    }
    kc_strvec_release(&forms);
    return hit;
}

static void take_container(struct kc_acc_probe *a, cJSON *obj)
{
    a->inspect = obj;
    a->exists = true;
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(obj, "State");
    const char *st = jstr(state, "Status");
    a->status = kc_xstrdup(st ? st : "unknown");
}

/* Hands each object of docker inspect's array to the accessory it belongs
 * to: containers by name, images by reference, the network by name. */
static void classify(cJSON *arr, const struct kc_accessory *const *accs, size_t n,
                     struct kc_host_probe *p)
{
    while (cJSON_GetArraySize(arr) > 0) {
        cJSON *obj = cJSON_DetachItemFromArray(arr, 0);
        bool used = false;
        const char *name = jstr(obj, "Name");
        bool container = cJSON_GetObjectItemCaseSensitive(obj, "State") != NULL;
        bool image = cJSON_GetObjectItemCaseSensitive(obj, "RepoTags") != NULL;
        if (!container && !image && kc_inspect_is_network(obj))
            p->network_exists = true;
        for (size_t i = 0; i < n && container && !used; i++) {
            if (name && name[0] == '/' && strcmp(name + 1, accs[i]->service) == 0 &&
                !p->acc[i].exists) {
                take_container(&p->acc[i], obj);
                used = true;
            }
        }
        for (size_t i = 0; i < n && image; i++) {
            if (!p->acc[i].image_present && image_matches(accs[i]->image, obj)) {
                p->acc[i].image_present = true;
                p->acc[i].image_config =
                    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(obj, "Config"), true);
            }
        }
        if (!used)
            cJSON_Delete(obj);
    }
}

/* docker's stderr: "Error: No such object: X" lines are answers; any other
 * line means the daemon (or the CLI) failed. */
static char *docker_failure(const char *err_text)
{
    struct kc_strvec lines = KC_STRVEC_INIT, bad = KC_STRVEC_INIT;
    kc_strvec_split(&lines, err_text ? err_text : "", "\n");
    for (size_t i = 0; i < lines.n; i++) /* once per line: docker repeats it per object */
        if (strstr(lines.v[i], "No such object") == NULL)
            kc_strvec_push_unique(&bad, lines.v[i]);
    char *s = bad.n ? kc_strvec_join(&bad, "\n") : NULL;
    kc_strvec_release(&lines);
    kc_strvec_release(&bad);
    return s;
}

int kc_accessory_probe_parse(const char *out, const char *err_text, const struct kc_config *cfg,
                             const struct kc_accessory *const *accs, size_t n,
                             struct kc_host_probe *p, struct kc_err *err)
{
    memset(p, 0, sizeof *p);
    struct kc_strvec sec = KC_STRVEC_INIT;
    split_sections(out, &sec);
    if (sec.n < PROBE_SECTIONS) {
        kc_strvec_release(&sec);
        return kc_err_set(err, KC_EREMOTE, "unexpected reply to the probe (%zu of %d parts)", sec.n,
                          PROBE_SECTIONS);
    }
    p->home = trimmed(sec.v[0]);
    p->n = n;
    p->acc = kc_xcalloc(n ? n : 1, sizeof *p->acc);
    struct kc_kvlist sha = KC_KVLIST_INIT, perms = KC_KVLIST_INIT;
    parse_hashes(sec.v[1], &sha);
    parse_perms(sec.v[2], &perms);
    /* each accessory gets the entries of its own paths */
    for (size_t i = 0; i < n; i++) {
        struct kc_strvec mine = KC_STRVEC_INIT;
        probe_paths(cfg, &accs[i], 1, &mine);
        for (size_t k = 0; k < mine.n; k++) {
            const char *h = kc_kvlist_get(&sha, mine.v[k]);
            const char *m = kc_kvlist_get(&perms, mine.v[k]);
            if (h)
                kc_kvlist_set(&p->acc[i].sha, mine.v[k], h);
            if (m)
                kc_kvlist_set(&p->acc[i].perms, mine.v[k], m);
        }
        kc_strvec_release(&mine);
    }
    kc_kvlist_release(&sha);
    kc_kvlist_release(&perms);
    char *json = trimmed(sec.v[3]);
    cJSON *arr = cJSON_Parse(json);
    bool is_array = cJSON_IsArray(arr);
    if (is_array)
        classify(arr, accs, n, p);
    cJSON_Delete(arr);
    p->docker_error = docker_failure(err_text);
    if (p->docker_error == NULL && !is_array && *json)
        p->docker_error = kc_xstrdup("docker inspect printed something that is not JSON");
    free(json);
    kc_strvec_release(&sec);
    return 0;
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
        kc_kvlist_release(&a->sha);
        kc_kvlist_release(&a->perms);
    }
    free(p->acc);
    free(p->docker_error);
    free(p->home);
    memset(p, 0, sizeof *p);
}
