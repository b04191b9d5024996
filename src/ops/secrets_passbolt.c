/* secrets_passbolt.c - the Passbolt adapter, as Kamal's: names are NAME or
 * FOLDER[/SUBFOLDER...]/NAME; the folders are looked up first (top level by
 * name, then each level by name and parent id), then one `passbolt list
 * resources` with a filter for every name and a --folder for every folder
 * found. The result is keyed by the resources' names alone. */
#include "secrets_int.h"

#include <stdlib.h>
#include <string.h>

struct pb_folder {
    char *id, *name, *parent; /* parent: "" at the top */
};

struct pb_folders {
    struct pb_folder *v;
    size_t n;
};

static void folders_release(struct pb_folders *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].id);
        free(f->v[i].name);
        free(f->v[i].parent);
    }
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

/* A member as text: a string as is, a number as JSON, null or absent as "". */
static char *member_text(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return v == NULL || cJSON_IsNull(v) ? kc_xstrdup("") : kc_sec_stringify(v);
}

static void folders_add(struct pb_folders *f, const cJSON *list)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        f->v = kc_xrealloc(f->v, (f->n + 1) * sizeof *f->v);
        f->v[f->n++] = (struct pb_folder){member_text(it, "id"), member_text(it, "name"),
                                          member_text(it, "folder_parent_id")};
    }
}

static const struct pb_folder *folder_by_id(const struct pb_folders *f, const char *id)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].id, id) == 0)
            return &f->v[i];
    return NULL;
}

/* "a/b/c": the names from the top down to folder (as far as parents are
 * known). Caller frees. */
static char *folder_path(const struct pb_folders *f, const struct pb_folder *folder)
{
    struct kc_strvec up = KC_STRVEC_INIT;
    for (size_t depth = 0; folder && depth <= f->n; depth++) {
        kc_strvec_push(&up, folder->name);
        folder = *folder->parent ? folder_by_id(f, folder->parent) : NULL;
    }
    struct kc_buf b = KC_BUF_INIT;
    kc_buf_add(&b, "", 0);
    for (size_t i = up.n; i > 0; i--)
        kc_buf_addf(&b, "%s%s", i < up.n ? "/" : "", up.v[i - 1]);
    kc_strvec_release(&up);
    return kc_buf_detach(&b);
}

/* A quoted string of Passbolt's filter language. */
static void filter_string(struct kc_buf *b, const char *s)
{
    kc_buf_addc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            kc_buf_addc(b, '\\');
        kc_buf_addc(b, *s);
    }
    kc_buf_addc(b, '"');
}

static int list_folders(struct kc_sec_call *c, const char *filter, cJSON **out, struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_sec_runv(c, KC_SEC_SECRET, &res, err, "passbolt", "list", "folders", "--filter",
                         filter, "--json", NULL);
    *out = NULL;
    if (rc == 0 && res.status != 0)
        rc = kc_sec_fail(c, &res, err, "could not read folders from Passbolt");
    if (rc == 0 && (*out = kc_sec_parse(c, &res, "list folders", err)) == NULL)
        rc = KC_EREMOTE;
    kc_exec_result_release(&res);
    return rc;
}

/* Below the top folder: each level by name and its parent's id. A level
 * that cannot be read is skipped, an empty answer ends the walk. */
static int walk_subfolders(struct kc_sec_call *c, const struct kc_strvec *path,
                           const struct pb_folder *top, struct pb_folders *all, struct kc_err *err)
{
    char *parent = kc_xstrdup(top->id);
    int rc = 0;
    for (size_t i = 1; rc == 0 && i < path->n; i++) {
        struct kc_buf f = KC_BUF_INIT;
        kc_buf_adds(&f, "Name == ");
        filter_string(&f, path->v[i]);
        kc_buf_adds(&f, " && FolderParentID == ");
        filter_string(&f, parent);
        cJSON *j = NULL;
        struct kc_err ignored = KC_ERR_INIT;
        int lrc = list_folders(c, kc_buf_str(&f), &j, &ignored);
        kc_err_release(&ignored);
        kc_buf_release(&f);
        if (lrc == KC_EINTERRUPTED)
            rc = kc_err_set(err, lrc, "interrupted");
        if (lrc)
            continue;
        bool empty = cJSON_GetArraySize(j) == 0;
        if (!empty) {
            folders_add(all, j);
            free(parent);
            parent = member_text(cJSON_GetArrayItem(j, 0), "id");
        }
        cJSON_Delete(j);
        if (empty)
            break;
    }
    free(parent);
    return rc;
}

/* Every folder the names need, or an error naming the ones not found. */
static int find_folders(struct kc_sec_call *c, const struct kc_strvec *secrets,
                        struct pb_folders *all, struct kc_err *err)
{
    struct kc_strvec paths = KC_STRVEC_INIT, tops = KC_STRVEC_INIT;
    for (size_t i = 0; i < secrets->n; i++) {
        const char *slash = strrchr(secrets->v[i], '/');
        if (slash == NULL)
            continue;
        char *p = kc_xstrndup(secrets->v[i], (size_t)(slash - secrets->v[i]));
        kc_strvec_push_unique(&paths, p);
        p[strcspn(p, "/")] = '\0';
        kc_strvec_push_unique(&tops, p);
        free(p);
    }
    int rc = 0;
    if (paths.n) {
        struct kc_buf f = KC_BUF_INIT;
        for (size_t i = 0; i < tops.n; i++) {
            kc_buf_adds(&f, i ? " || Name == " : "Name == ");
            filter_string(&f, tops.v[i]);
        }
        cJSON *j = NULL;
        rc = list_folders(c, kc_buf_str(&f), &j, err);
        folders_add(all, j);
        for (size_t i = 0; rc == 0 && i < paths.n; i++) {
            struct kc_strvec path = KC_STRVEC_INIT;
            kc_sec_split_path(paths.v[i], &path);
            const cJSON *top = NULL, *it;
            cJSON_ArrayForEach(it, j) if (!top && kc_streq(kc_sec_str(it, "name"), path.v[0])) top =
                it;
            if (top && path.n > 1) {
                struct pb_folder t = {member_text(top, "id"), NULL, NULL};
                rc = walk_subfolders(c, &path, &t, all, err);
                free(t.id);
            }
            kc_strvec_release(&path);
        }
        cJSON_Delete(j);
        kc_buf_release(&f);
    }
    struct kc_strvec found = KC_STRVEC_INIT, missing = KC_STRVEC_INIT;
    for (size_t i = 0; i < all->n; i++)
        kc_strvec_push_nodup(&found, folder_path(all, &all->v[i]));
    for (size_t i = 0; i < paths.n; i++)
        if (!kc_strvec_contains(&found, paths.v[i]))
            kc_strvec_push(&missing, paths.v[i]);
    if (rc == 0 && missing.n) {
        char *m = kc_sec_list(&missing);
        rc = kc_sec_fail(c, NULL, err, "could not find the following folders in Passbolt: %s", m);
        free(m);
    }
    kc_strvec_release(&found);
    kc_strvec_release(&missing);
    kc_strvec_release(&paths);
    kc_strvec_release(&tops);
    return rc;
}

/* The deepest folder whose path is the name's folder path (or a prefix). */
static const struct pb_folder *name_folder(const struct pb_folders *all, const struct kc_strvec *p)
{
    const struct pb_folder *cur = NULL;
    struct kc_buf at = KC_BUF_INIT;
    for (size_t i = 0; i + 1 < p->n; i++) {
        kc_buf_addf(&at, "%s%s", i ? "/" : "", p->v[i]);
        for (size_t k = 0; k < all->n; k++) {
            char *fp = folder_path(all, &all->v[k]);
            bool match = strcmp(fp, kc_buf_str(&at)) == 0;
            free(fp);
            if (match) {
                cur = &all->v[k];
                break;
            }
        }
    }
    kc_buf_release(&at);
    return cur;
}

static void build_list(const struct kc_strvec *secrets, const struct pb_folders *all,
                       struct kc_cmd *cmd, struct kc_strvec *names)
{
    struct kc_buf filter = KC_BUF_INIT;
    for (size_t i = 0; i < secrets->n; i++) {
        struct kc_strvec p = KC_STRVEC_INIT;
        kc_sec_split_path(secrets->v[i], &p);
        const char *name = p.n ? p.v[p.n - 1] : "";
        kc_strvec_push(names, name);
        const struct pb_folder *f = p.n > 1 ? name_folder(all, &p) : NULL;
        if (p.n <= 1 || f) {
            kc_buf_adds(&filter, filter.len ? " || " : "");
            kc_buf_adds(&filter, f ? "(Name == " : "Name == ");
            filter_string(&filter, name);
            if (f) {
                kc_buf_adds(&filter, " && FolderParentID == ");
                filter_string(&filter, f->id);
                kc_buf_addc(&filter, ')');
            }
        }
        kc_strvec_release(&p);
    }
    kc_cmd_args(cmd, "passbolt", "list", "resources", NULL);
    if (filter.len)
        kc_cmd_args(cmd, "--filter", kc_buf_str(&filter), NULL);
    for (size_t i = 0; i < all->n; i++)
        kc_cmd_args(cmd, "--folder", all->v[i].id, NULL);
    kc_cmd_args(cmd, "--column", "name", "--column", "password", "--json", NULL);
    kc_buf_release(&filter);
}

static int put_resources(struct kc_sec_call *c, const struct kc_exec_result *res,
                         const struct kc_strvec *names, struct kc_err *err)
{
    cJSON *j = kc_sec_parse(c, res, "list resources", err);
    if (j == NULL)
        return KC_EREMOTE;
    struct kc_strvec missing = KC_STRVEC_INIT;
    for (size_t i = 0; i < names->n; i++) {
        bool found = false;
        const cJSON *it;
        cJSON_ArrayForEach(it, j) found = found || kc_streq(kc_sec_str(it, "name"), names->v[i]);
        if (!found)
            kc_strvec_push_unique(&missing, names->v[i]);
    }
    int rc = 0;
    if (missing.n) {
        char *m = kc_sec_list(&missing);
        rc = kc_sec_fail(c, NULL, err, "could not find the following secrets in Passbolt: %s", m);
        free(m);
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, (rc ? NULL : j))
    {
        const char *name = kc_sec_str(it, "name"), *pw = kc_sec_str(it, "password");
        if (name)
            kc_sec_put(c, name, pw ? pw : "");
    }
    kc_strvec_release(&missing);
    cJSON_Delete(j);
    return rc;
}

static int passbolt_fetch(struct kc_sec_call *c, struct kc_err *err)
{
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    int rc = kc_sec_runv(c, KC_SEC_SECRET, &res, err, "passbolt", "verify", NULL);
    if (rc == 0 && res.status != 0)
        rc = kc_sec_fail(c, &res, err, "failed to log in to Passbolt");
    struct kc_strvec secrets = KC_STRVEC_INIT, names = KC_STRVEC_INIT;
    kc_sec_prefixed(c, &secrets);
    if (rc == 0 && secrets.n == 0)
        rc = kc_sec_usage(c, err, "name the secrets to fetch");
    struct pb_folders all = {NULL, 0};
    if (rc == 0)
        rc = find_folders(c, &secrets, &all, err);
    struct kc_cmd cmd = KC_CMD_INIT;
    build_list(&secrets, &all, &cmd, &names);
    char *list = kc_sec_list(&secrets);
    if (rc == 0)
        rc = kc_sec_run(c, &cmd, KC_SEC_SECRET, &res, err);
    if (rc == 0 && res.status != 0)
        rc = kc_sec_fail(c, &res, err, "could not read %s from Passbolt", list);
    if (rc == 0)
        rc = put_resources(c, &res, &names, err);
    free(list);
    kc_cmd_release(&cmd);
    folders_release(&all);
    kc_strvec_release(&names);
    kc_strvec_release(&secrets);
    kc_exec_result_release(&res);
    return rc;
}

const struct kc_sec_adapter kc_sec_passbolt = {
    .name = "passbolt",
    .cli = "passbolt",
    .product = "Passbolt CLI",
    .version_arg = "--version",
    .fetch = passbolt_fetch,
};
