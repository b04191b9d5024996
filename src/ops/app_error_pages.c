/* app_error_pages.c - error_pages_path: the local directory's files are
 * uploaded to .kamal/proxy/apps-config/SVC[-DEST]/error_pages/VERSION on each
 * host before kamal-proxy deploy (which gets --error-pages), and the other
 * versions' directories are removed after it, as Kamal does. Files are 0644
 * (kamal-proxy's user reads them); subdirectories are not uploaded
 * (kamal-proxy reads only STATUS.html files at the top). */
#include "app_int.h"
#include "kamal-c/error_pages.h"
#include "kamal-c/ops.h"
#include "kamal-c/steps.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir, sorted. */
static int list_files(const char *dir, struct kc_strvec *out, struct kc_err *err)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return kc_err_set(err, KC_ECONFIG, "error_pages_path: cannot read the directory %s", dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *p = kc_xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            kc_strvec_push(out, e->d_name);
        free(p);
    }
    closedir(d);
    if (out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, cmp);
    return 0;
}

int kc_app_error_pages_upload(struct app_set *set, struct kc_host *h, struct kc_err *err)
{
    const struct kc_config *cfg = set->ctx->cfg;
    if (!cfg->error_pages_path || !*cfg->error_pages_path)
        return 0;
    struct kc_strvec names = KC_STRVEC_INIT;
    int rc = list_files(cfg->error_pages_path, &names, err);
    char *dir = kc_error_pages_host_dir(cfg, set->version);
    kc_step_doing(h, "upload error pages");
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        char *local = kc_xasprintf("%s/%s", cfg->error_pages_path, names.v[i]);
        struct kc_buf data = KC_BUF_INIT;
        if (kc_read_file(local, 16 * 1024 * 1024, &data) != 0)
            rc = kc_err_set(err, KC_ECONFIG, "error_pages_path: cannot read %s", local);
        char *remote = kc_xasprintf("%s/%s", dir, names.v[i]);
        if (rc == 0)
            rc = kc_step_upload(h, remote, data.data, data.len, 0644, err);
        free(remote);
        kc_buf_release(&data);
        free(local);
    }
    free(dir);
    kc_strvec_release(&names);
    return rc;
}

void kc_app_error_pages_clean(struct app_set *set, struct kc_host *h)
{
    const struct kc_config *cfg = set->ctx->cfg;
    if (!cfg->error_pages_path || !*cfg->error_pages_path)
        return;
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_err ignored = KC_ERR_INIT;
    kc_cmd_error_pages_clean(&c, cfg, set->version);
    kc_remote_run(h, &c, KC_MUTATE, NULL, &ignored); /* like Kamal: a leftover is harmless */
    kc_cmd_release(&c);
    kc_err_release(&ignored);
}
