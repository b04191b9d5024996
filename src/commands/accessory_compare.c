/* accessory_compare.c - what differs between a container on a host and what
 * deploy.yml says it should be (see kc_accessory_compare in accessory.h). */
#include "kamal-c/accessory.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(get(o, k));
}

/* The member k of o when it is a JSON object, else NULL. Iterating the
 * members of what docker sends as objects (Labels, PortBindings,
 * LogConfig.Config) reads each member's name, which an array's items do not
 * have (NULL): a reply with an array there crashed the comparison (found by
 * tests/fuzz/fuzz_probe). */
static cJSON *object(const cJSON *o, const char *k)
{
    cJSON *v = get(o, k);
    return cJSON_IsObject(v) ? v : NULL;
}

static void strings_of(const cJSON *arr, struct kc_strvec *out)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (cJSON_IsString(it))
            kc_strvec_push(out, it->valuestring);
    }
}

/* Items of a missing from b, as "a, b, c" (NULL when none). */
static char *missing_from(const struct kc_strvec *a, const struct kc_strvec *b)
{
    struct kc_strvec miss = KC_STRVEC_INIT;
    for (size_t i = 0; i < a->n; i++)
        if (!kc_strvec_contains(b, a->v[i]))
            kc_strvec_push(&miss, a->v[i]);
    char *s = miss.n ? kc_strvec_join(&miss, ", ") : NULL;
    kc_strvec_release(&miss);
    return s;
}

/* Reports "what: OLD -> NEW" (or "add NEW", "remove OLD") when two sets
 * differ. */
static void compare_sets(const char *what, const struct kc_strvec *want,
                         const struct kc_strvec *have, struct kc_strvec *diffs)
{
    char *add = missing_from(want, have);
    char *del = missing_from(have, want);
    if (add && del)
        kc_strvec_pushf(diffs, "%s: %s -> %s", what, del, add);
    else if (add)
        kc_strvec_pushf(diffs, "%s: add %s", what, add);
    else if (del)
        kc_strvec_pushf(diffs, "%s: remove %s", what, del);
    free(add);
    free(del);
}

static void compare_image(const struct kc_accessory *acc, const cJSON *config,
                          struct kc_strvec *diffs)
{
    const char *have = str(config, "Image");
    if (have && strcmp(have, acc->image) != 0)
        kc_strvec_pushf(diffs, "image: %s -> %s", have, acc->image);
}

/* Words as a shell line, each quoted only when it needs it, so the drift
 * text keeps the quoting ("sh -c 'echo hi'"); "(none)" when empty. */
static char *shell_line(const struct kc_strvec *words)
{
    struct kc_buf b = KC_BUF_INIT;
    for (size_t i = 0; i < words->n; i++) {
        if (i)
            kc_buf_addc(&b, ' ');
        kc_shell_quote(&b, words->v[i]);
    }
    if (b.len == 0)
        kc_buf_adds(&b, "(none)");
    return kc_buf_detach(&b);
}

static void compare_cmd(const struct kc_accessory *acc, const cJSON *config, const cJSON *image,
                        struct kc_strvec *diffs)
{
    struct kc_strvec want = KC_STRVEC_INIT, have = KC_STRVEC_INIT;
    if (acc->cmd)
        kc_shell_split(acc->cmd, &want);
    else
        strings_of(get(image, "Cmd"), &want);
    strings_of(get(config, "Cmd"), &have);
    bool same = want.n == have.n;
    for (size_t i = 0; same && i < want.n; i++)
        same = strcmp(want.v[i], have.v[i]) == 0;
    if (!same) {
        /* deploy.yml's cmd as written; the container's words quoted back */
        char *w = acc->cmd ? kc_xstrdup(acc->cmd) : shell_line(&want);
        char *h = shell_line(&have);
        kc_strvec_pushf(diffs, "cmd: %s -> %s", h, w);
        free(w);
        free(h);
    }
    kc_strvec_release(&want);
    kc_strvec_release(&have);
}

static bool env_key_in(const char *kv, const struct kc_strvec *keys)
{
    size_t kl = strcspn(kv, "=");
    for (size_t i = 0; i < keys->n; i++)
        if (strlen(keys->v[i]) == kl && strncmp(keys->v[i], kv, kl) == 0)
            return true;
    return false;
}

/* Clear env: the container's variables, minus the image's own, minus those
 * from the env file and KAMAL_HOST, against deploy.yml's clear env. */
static void compare_env(const struct kc_accessory *acc, const cJSON *config, const cJSON *image,
                        struct kc_strvec *diffs)
{
    struct kc_strvec image_env = KC_STRVEC_INIT, have_all = KC_STRVEC_INIT;
    struct kc_strvec have = KC_STRVEC_INIT, want = KC_STRVEC_INIT, skip = KC_STRVEC_INIT;
    strings_of(get(image, "Env"), &image_env);
    strings_of(get(config, "Env"), &have_all);
    kc_strvec_push(&skip, "KAMAL_HOST");
    for (size_t i = 0; i < acc->env.secret.n; i++) {
        char *var, *secret;
        kc_env_secret_split(acc->env.secret.v[i], &var, &secret);
        kc_strvec_push_nodup(&skip, var);
        free(secret);
    }
    for (size_t i = 0; i < have_all.n; i++)
        if (!kc_strvec_contains(&image_env, have_all.v[i]) && !env_key_in(have_all.v[i], &skip))
            kc_strvec_push(&have, have_all.v[i]);
    for (size_t i = 0; i < acc->env.clear.n; i++) {
        char *kv = kc_xasprintf("%s=%s", acc->env.clear.v[i].key, acc->env.clear.v[i].value);
        if (!kc_strvec_contains(&image_env, kv))
            kc_strvec_push(&want, kv);
        free(kv);
    }
    /* name the variables only: values may be sensitive to the reader */
    struct kc_strvec wk = KC_STRVEC_INIT, hk = KC_STRVEC_INIT;
    for (size_t i = 0; i < want.n; i++)
        if (!kc_strvec_contains(&have, want.v[i]))
            kc_strvec_push_nodup(&wk, kc_xstrndup(want.v[i], strcspn(want.v[i], "=")));
    /* without the running image's own env (the image changed), a variable
     * the container has and deploy.yml lacks may come from that image */
    for (size_t i = 0; image && i < have.n; i++)
        if (!kc_strvec_contains(&want, have.v[i]))
            kc_strvec_push_nodup(&hk, kc_xstrndup(have.v[i], strcspn(have.v[i], "=")));
    if (wk.n || hk.n) {
        struct kc_strvec names = KC_STRVEC_INIT;
        for (size_t i = 0; i < wk.n; i++)
            kc_strvec_push_unique(&names, wk.v[i]);
        for (size_t i = 0; i < hk.n; i++)
            kc_strvec_push_unique(&names, hk.v[i]);
        char *s = kc_strvec_join(&names, ", ");
        kc_strvec_pushf(diffs, "env: %s", s);
        free(s);
        kc_strvec_release(&names);
    }
    kc_strvec_release(&wk);
    kc_strvec_release(&hk);
    kc_strvec_release(&image_env);
    kc_strvec_release(&have_all);
    kc_strvec_release(&have);
    kc_strvec_release(&want);
    kc_strvec_release(&skip);
}

/* "[ip:]host:container[/proto]" or "container[/proto]" -> "ip|host|container/proto" */
static char *norm_publish(const char *spec)
{
    struct kc_strvec parts = KC_STRVEC_INIT;
    char *copy = kc_xstrdup(spec);
    char *proto = strchr(copy, '/');
    const char *pr = "tcp";
    if (proto) {
        *proto = '\0';
        pr = proto + 1;
    }
    /* split on ':' but keep a bracketed IPv6 address whole */
    const char *p = copy;
    while (*p) {
        const char *end = *p == '[' ? strchr(p, ']') : NULL;
        end = end ? strchr(end, ':') : strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        kc_strvec_push_nodup(&parts, kc_xstrndup(p, len));
        p += len + (end ? 1 : 0);
    }
    char *out;
    if (parts.n >= 3)
        out = kc_xasprintf("%s|%s|%s/%s", parts.v[0], parts.v[1], parts.v[2], pr);
    else if (parts.n == 2)
        out = kc_xasprintf("|%s|%s/%s", parts.v[0], parts.v[1], pr);
    else
        out = kc_xasprintf("||%s/%s", parts.n ? parts.v[0] : "", pr);
    kc_strvec_release(&parts);
    free(copy);
    return out;
}

/* "ip|host|container/proto" back to the way people write it:
 * "[ip:]host:container[/proto]", "container" alone, /tcp left out. */
static char *human_publish(const char *norm)
{
    const char *bar1 = strchr(norm, '|');
    const char *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
    if (bar2 == NULL)
        return kc_xstrdup(norm);
    char *ip = kc_xstrndup(norm, (size_t)(bar1 - norm));
    char *host = kc_xstrndup(bar1 + 1, (size_t)(bar2 - bar1 - 1));
    char *port = kc_xstrdup(bar2 + 1);
    if (kc_ends_with(port, "/tcp"))
        port[strlen(port) - 4] = '\0';
    char *out = *ip     ? kc_xasprintf("%s:%s:%s", ip, host, port)
                : *host ? kc_xasprintf("%s:%s", host, port)
                        : kc_xstrdup(port);
    free(ip);
    free(host);
    free(port);
    return out;
}

static bool is_publish_option(const char *key)
{
    return strcmp(key, "publish") == 0 || strcmp(key, "p") == 0;
}

/* Compared in one normal form, shown as written ("8089:80"). */
static void compare_ports(const struct kc_accessory *acc, const cJSON *host_config,
                          struct kc_strvec *diffs)
{
    struct kc_strvec want = KC_STRVEC_INIT, have = KC_STRVEC_INIT;
    char *publish = kc_accessory_publish(acc);
    struct kc_strvec specs = KC_STRVEC_INIT;
    if (publish)
        kc_strvec_push(&specs, publish);
    free(publish);
    for (size_t i = 0; i < acc->options.n; i++)
        if (is_publish_option(acc->options.v[i].key))
            kc_strvec_copy(&specs, &acc->options.v[i].values);
    for (size_t i = 0; i < specs.n; i++) {
        char *norm = norm_publish(specs.v[i]);
        kc_strvec_push_nodup(&want, human_publish(norm));
        free(norm);
    }
    kc_strvec_release(&specs);
    const cJSON *bindings = object(host_config, "PortBindings"), *port;
    cJSON_ArrayForEach(port, bindings)
    {
        const cJSON *b;
        cJSON_ArrayForEach(b, port)
        {
            const char *ip = str(b, "HostIp"), *hp = str(b, "HostPort");
            char *norm = kc_xasprintf("%s|%s|%s", ip ? ip : "", hp ? hp : "", port->string);
            kc_strvec_push_nodup(&have, human_publish(norm));
            free(norm);
        }
    }
    compare_sets("ports", &want, &have, diffs);
    kc_strvec_release(&want);
    kc_strvec_release(&have);
}

static void want_bind(struct kc_strvec *want, const char *home, const char *host_path,
                      const struct kc_mount_spec *m)
{
    kc_strvec_pushf(want, "%s%s%s:%s%s%s", host_path[0] == '/' ? "" : home,
                    host_path[0] == '/' ? "" : "/", host_path, m->remote, m->options ? ":" : "",
                    m->options ? m->options : "");
}

static void compare_volumes(const struct kc_accessory *acc, const char *home,
                            const cJSON *host_config, struct kc_strvec *diffs)
{
    struct kc_strvec want = KC_STRVEC_INIT, have = KC_STRVEC_INIT;
    kc_strvec_copy(&want, &acc->volumes);
    for (size_t i = 0; i < acc->nfiles; i++) {
        char *hp = kc_accessory_file_host_path(acc, &acc->files[i]);
        want_bind(&want, home, hp, &acc->files[i]);
        free(hp);
    }
    for (size_t i = 0; i < acc->ndirectories; i++) {
        char *hp = kc_accessory_dir_host_path(acc, &acc->directories[i]);
        want_bind(&want, home, hp, &acc->directories[i]);
        free(hp);
    }
    strings_of(get(host_config, "Binds"), &have);
    compare_sets("volumes", &want, &have, diffs);
    kc_strvec_release(&want);
    kc_strvec_release(&have);
}

static void compare_restart(const struct kc_accessory *acc, const cJSON *host_config,
                            struct kc_strvec *diffs)
{
    const cJSON *rp = get(host_config, "RestartPolicy");
    const char *name = str(rp, "Name");
    double count = cJSON_GetNumberValue(get(rp, "MaximumRetryCount"));
    char have[64];
    /* converting a double outside int's range is undefined: a JSON number
     * can be anything (1e300, found by tests/fuzz/fuzz_probe) */
    if (name && strcmp(name, "on-failure") == 0 && count > 0 && count <= INT_MAX)
        snprintf(have, sizeof have, "on-failure:%d", (int)count);
    else
        snprintf(have, sizeof have, "%s", name && *name ? name : "no");
    const char *want = acc->restart;
    if (strcmp(have, want) != 0)
        kc_strvec_pushf(diffs, "restart: %s -> %s", have, want);
}

static void compare_network(const struct kc_accessory *acc, const cJSON *host_config,
                            struct kc_strvec *diffs)
{
    const char *have = str(host_config, "NetworkMode");
    const char *want = acc->network;
    if (have && strcmp(have, want) != 0)
        kc_strvec_pushf(diffs, "network: %s -> %s", have, want);
}

static void compare_logging(const struct kc_config *cfg, const cJSON *host_config,
                            struct kc_strvec *diffs)
{
    const cJSON *lc = get(host_config, "LogConfig");
    const char *type = str(lc, "Type");
    const struct kc_logging *l = &cfg->logging;
    if (l->driver && type && strcmp(type, l->driver) != 0)
        kc_strvec_pushf(diffs, "log driver: %s -> %s", type, l->driver);
    struct kc_strvec want = KC_STRVEC_INIT, have = KC_STRVEC_INIT;
    for (size_t i = 0; i < l->options.n; i++)
        kc_strvec_pushf(&want, "%s=%s", l->options.v[i].key, l->options.v[i].value);
    const cJSON *o;
    cJSON_ArrayForEach(o, object(lc, "Config"))
    {
        if (cJSON_IsString(o))
            kc_strvec_pushf(&have, "%s=%s", o->string, o->valuestring);
    }
    compare_sets("log options", &want, &have, diffs);
    kc_strvec_release(&want);
    kc_strvec_release(&have);
}

static void compare_labels(const struct kc_accessory *acc, const cJSON *config, const cJSON *image,
                           struct kc_strvec *diffs)
{
    struct kc_strvec want = KC_STRVEC_INIT, have = KC_STRVEC_INIT;
    kc_strvec_pushf(&want, "service=%s", acc->service);
    for (size_t i = 0; i < acc->labels.n; i++)
        kc_strvec_pushf(&want, "%s=%s", acc->labels.v[i].key, acc->labels.v[i].value);
    const cJSON *l, *image_labels = get(image, "Labels");
    cJSON_ArrayForEach(l, object(config, "Labels"))
    {
        /* kamal-c's own bookkeeping (digest, options) is not a label of the user's */
        if (!cJSON_IsString(l) || strncmp(l->string, "kamal-c.", 8) == 0)
            continue;
        const char *from_image = str(image_labels, l->string);
        if (from_image && strcmp(from_image, l->valuestring) == 0)
            continue;
        kc_strvec_pushf(&have, "%s=%s", l->string, l->valuestring);
    }
    for (size_t i = 0; i < want.n; i++) /* a label equal to the image's is fine */
        if (!kc_strvec_contains(&have, want.v[i])) {
            size_t kl = strcspn(want.v[i], "=");
            char *k = kc_xstrndup(want.v[i], kl);
            const char *from_image = str(image_labels, k);
            if (from_image && strcmp(from_image, want.v[i] + kl + 1) == 0)
                kc_strvec_push(&have, want.v[i]);
            free(k);
        }
    compare_sets("labels", &want, &have, diffs);
    kc_strvec_release(&want);
    kc_strvec_release(&have);
}

/* "64m", "a, b" for a repeated option, "on" for a flag, "(none)". */
static char *option_text(const cJSON *v)
{
    if (v == NULL)
        return kc_xstrdup("(none)");
    if (cJSON_IsTrue(v))
        return kc_xstrdup("on");
    struct kc_strvec vals = KC_STRVEC_INIT;
    strings_of(v, &vals);
    char *s = kc_strvec_join(&vals, ", ");
    kc_strvec_release(&vals);
    return s;
}

/* Each options: entry (ports aside: compared as ports) against the record
 * kamal-c stamped at docker run (KC_OPTIONS_LABEL), "memory: 64m -> 128m".
 * Returns false when the container has no record (booted by Kamal or an
 * older kamal-c): docker inspect does not give the options back as
 * written. */
static bool compare_options(const struct kc_accessory *acc, const cJSON *config,
                            struct kc_strvec *diffs)
{
    const char *record = str(object(config, "Labels"), KC_OPTIONS_LABEL);
    cJSON *have = record ? cJSON_Parse(record) : NULL;
    if (!cJSON_IsObject(have)) {
        cJSON_Delete(have);
        return false;
    }
    cJSON *want = kc_accessory_options_json(acc);
    struct kc_strvec keys = KC_STRVEC_INIT;
    const cJSON *it;
    cJSON_ArrayForEach(it, want) kc_strvec_push_unique(&keys, it->string);
    cJSON_ArrayForEach(it, have) kc_strvec_push_unique(&keys, it->string);
    for (size_t i = 0; i < keys.n; i++) {
        if (is_publish_option(keys.v[i]))
            continue;
        char *w = option_text(get(want, keys.v[i]));
        char *h = option_text(get(have, keys.v[i]));
        if (strcmp(w, h) != 0)
            kc_strvec_pushf(diffs, "%s: %s -> %s", keys.v[i], h, w);
        free(w);
        free(h);
    }
    kc_strvec_release(&keys);
    cJSON_Delete(want);
    cJSON_Delete(have);
    return true;
}

/* Field by field from docker inspect (containers booted by Kamal, or a
 * digest that changed). options: are compared with kamal-c's record of
 * them when the container carries it; otherwise only the digest catches a
 * change there. Returns whether options were compared. */
static bool compare_fields(const struct kc_config *cfg, const struct kc_accessory *acc,
                           const struct kc_host_probe *hp, const struct kc_acc_probe *p,
                           struct kc_strvec *diffs)
{
    const cJSON *config = get(p->inspect, "Config");
    const cJSON *host_config = get(p->inspect, "HostConfig");
    const cJSON *image = p->image_config;
    compare_image(acc, config, diffs);
    /* with a different image, the image's own env/cmd/labels say nothing */
    bool same_image = diffs->n == 0;
    if (same_image)
        compare_cmd(acc, config, image, diffs);
    compare_env(acc, config, same_image ? image : NULL, diffs);
    compare_ports(acc, host_config, diffs);
    compare_volumes(acc, hp->home ? hp->home : "", host_config, diffs);
    compare_restart(acc, host_config, diffs);
    compare_network(acc, host_config, diffs);
    compare_logging(cfg, host_config, diffs);
    compare_labels(acc, config, same_image ? image : NULL, diffs);
    return compare_options(acc, config, diffs);
}

static bool mode_equal(const char *want, const char *have)
{
    return strtol(want, NULL, 8) == strtol(have, NULL, 8);
}

/* "MODE U:G u:g" against the mount spec's mode and owner. */
static void compare_perms(const struct kc_mount_spec *f, const char *path, const char *meta,
                          struct kc_strvec *diffs)
{
    char mode[16] = "", names[128] = "", ids[64] = "";
    if (sscanf(meta, "%15s %127s %63s", mode, names, ids) != 3)
        return;
    const char *want_mode = f->mode ? f->mode : "755";
    if (!mode_equal(want_mode, mode))
        kc_strvec_pushf(diffs, "file %s: mode %s -> %s", path, mode, want_mode);
    if (f->owner) {
        bool has_group = strchr(f->owner, ':') != NULL;
        size_t ul = strcspn(names, ":"), il = strcspn(ids, ":");
        bool ok = has_group ? (strcmp(f->owner, names) == 0 || strcmp(f->owner, ids) == 0)
                            : ((strlen(f->owner) == ul && strncmp(f->owner, names, ul) == 0) ||
                               (strlen(f->owner) == il && strncmp(f->owner, ids, il) == 0));
        if (!ok)
            kc_strvec_pushf(diffs, "file %s: owner %s -> %s", path, names, f->owner);
    }
}

static void compare_files(const struct kc_config *cfg, const struct kc_accessory *acc,
                          const struct kc_acc_probe *p, const struct kc_acc_desired *want,
                          struct kc_strvec *diffs)
{
    char *env_file = kc_accessory_env_file(cfg, acc);
    const char *have_env = kc_kvlist_get(&p->sha, env_file);
    if (have_env == NULL)
        kc_strvec_pushf(diffs, "env file %s is missing", env_file);
    else if (want->env_sha && strcmp(have_env, want->env_sha) != 0)
        kc_strvec_push(diffs, "secret env changed");
    free(env_file);
    for (size_t i = 0; i < acc->nfiles; i++) {
        char *path = kc_accessory_file_host_path(acc, &acc->files[i]);
        const char *have = kc_kvlist_get(&p->sha, path);
        const char *wanted = kc_kvlist_get(&want->files, path);
        const char *meta = kc_kvlist_get(&p->perms, path);
        if (have == NULL)
            kc_strvec_pushf(diffs, "file %s is missing", path);
        else if (wanted && strcmp(have, wanted) != 0)
            kc_strvec_pushf(diffs, "file %s changed", path);
        if (have && meta)
            compare_perms(&acc->files[i], path, meta, diffs);
        free(path);
    }
}

static const char *digest_label(const struct kc_acc_probe *p)
{
    const cJSON *labels = get(get(p->inspect, "Config"), "Labels");
    return str(labels, KC_DIGEST_LABEL);
}

void kc_accessory_compare(const struct kc_config *cfg, const struct kc_accessory *acc,
                          const char *host, const struct kc_host_probe *hp,
                          const struct kc_acc_probe *p, const struct kc_acc_desired *want,
                          struct kc_strvec *diffs, bool *managed)
{
    (void)host;
    const char *have_digest = digest_label(p);
    *managed = have_digest != NULL;
    if (have_digest == NULL || want->digest == NULL || strcmp(have_digest, want->digest) != 0) {
        size_t before = diffs->n;
        bool options_known = compare_fields(cfg, acc, hp, p, diffs);
        if (have_digest && diffs->n == before)
            kc_strvec_push(diffs, options_known
                                      ? "the docker run line changed"
                                      : "options: changed (this container was booted without "
                                        "kamal-c's record of them, so which one is not known)");
    }
    compare_files(cfg, acc, p, want, diffs);
}

bool kc_accessory_drift_files_only(const struct kc_strvec *diffs)
{
    for (size_t i = 0; i < diffs->n; i++)
        if (strncmp(diffs->v[i], "file ", 5) != 0)
            return false;
    return diffs->n > 0;
}

char *kc_accessory_drift_advice(const char *name, const struct kc_strvec *diffs)
{
    if (kc_accessory_drift_files_only(diffs))
        return kc_xasprintf("run 'kamal-c accessory upload %s' and then 'kamal-c accessory "
                            "restart %s' to apply (the container is kept: no reboot needed)",
                            name, name);
    return kc_xasprintf("run 'kamal-c accessory reboot %s' to apply", name);
}

enum kc_acc_action kc_accessory_action(const char *status, bool crash_looping)
{
    static const struct {
        const char *status;
        enum kc_acc_action action;
    } table[] = {
        {"running", KC_ACT_NONE},      {"created", KC_ACT_START}, {"exited", KC_ACT_START},
        {"paused", KC_ACT_UNPAUSE},    {"dead", KC_ACT_REPLACE},  {"restarting", KC_ACT_FAIL},
        {"removing", KC_ACT_FAIL},
    };
    if (status == NULL)
        return KC_ACT_BOOT;
    if (crash_looping)
        return KC_ACT_FAIL;
    for (size_t i = 0; i < KC_ARRAY_LEN(table); i++)
        if (strcmp(status, table[i].status) == 0)
            return table[i].action;
    return KC_ACT_FAIL; /* a state docker may add later: do not guess */
}

bool kc_accessory_action_changes(enum kc_acc_action a)
{
    return a == KC_ACT_START || a == KC_ACT_UNPAUSE || a == KC_ACT_BOOT || a == KC_ACT_REPLACE;
}
