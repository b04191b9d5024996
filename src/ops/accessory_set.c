/* accessory_set.c - which accessories and hosts a verb acts on, and what
 * their env files and files: should contain. */
#include "accessory_int.h"
#include "kamal-c/erb.h"
#include "kamal-c/ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int unknown_accessory(const struct kc_config *cfg, const char *name, struct kc_err *err)
{
    struct kc_strvec names = KC_STRVEC_INIT;
    const char *cands[64];
    size_t nc = 0;
    for (size_t i = 0; i < cfg->naccessories; i++) {
        kc_strvec_push(&names, cfg->accessories[i].name);
        if (nc < 64)
            cands[nc++] = cfg->accessories[i].name;
    }
    char *list = kc_strvec_join(&names, ", ");
    kc_err_set(err, KC_EUSAGE, "no accessory named '%s' (configured: %s)", name,
               names.n ? list : "none");
    const char *near = kc_nearest(name, cands, nc);
    if (near)
        kc_err_set_hint(err, "did you mean '%s'?", near);
    free(list);
    kc_strvec_release(&names);
    return KC_EUSAGE;
}

int kc_acc_set_select(struct kc_ctx *ctx, const char *name, bool allow_all, struct acc_set *set,
                      struct kc_err *err)
{
    const struct kc_config *cfg = ctx->cfg;
    memset(set, 0, sizeof *set);
    set->ctx = ctx;
    bool all = allow_all && strcmp(name, "all") == 0;
    if (!all && kc_config_accessory(cfg, name) == NULL)
        return unknown_accessory(cfg, name, err);
    set->accs = kc_xcalloc(cfg->naccessories + 1, sizeof *set->accs);
    for (size_t i = 0; i < cfg->naccessories; i++)
        if (all || strcmp(cfg->accessories[i].name, name) == 0)
            set->accs[set->n++] = &cfg->accessories[i];
    set->want = kc_xcalloc(set->n + 1, sizeof *set->want);
    for (size_t i = 0; i < set->n; i++)
        set->want[i].acc = set->accs[i];
    /* hosts in the selection's order (primary first), running any of them */
    for (size_t i = 0; i < ctx->hosts.n; i++)
        for (size_t j = 0; j < set->n; j++)
            if (kc_strvec_contains(&set->accs[j]->hosts, ctx->hosts.v[i])) {
                kc_strvec_push(&set->hosts, ctx->hosts.v[i]);
                break;
            }
    return 0;
}

void kc_acc_set_note_empty(const struct acc_set *set)
{
    for (size_t j = 0; j < set->n; j++) {
        bool any = false;
        for (size_t i = 0; i < set->hosts.n && !any; i++)
            any = kc_strvec_contains(&set->accs[j]->hosts, set->hosts.v[i]);
        if (!any)
            kc_out_msg(set->ctx->out, KC_LVL_INFO, NULL,
                       "accessory '%s' runs on none of the selected hosts", set->accs[j]->name);
    }
}

size_t kc_acc_set_on_host(const struct acc_set *set, const char *host, size_t *idx)
{
    size_t k = 0;
    for (size_t j = 0; j < set->n; j++)
        if (kc_strvec_contains(&set->accs[j]->hosts, host))
            idx[k++] = j;
    return k;
}

/* The accessory's env as ERB sees it while rendering its files: Kamal
 * exports clear and secret env into ENV for the render. */
static void export_env(const struct kc_accessory *acc, const struct kc_kvlist *secrets,
                       struct kc_kvlist *saved, struct kc_strvec *unset_after)
{
    struct kc_kvlist vars = KC_KVLIST_INIT;
    kc_kvlist_copy(&vars, &acc->env.clear);
    for (size_t i = 0; i < acc->env.secret.n; i++) {
        char *var, *secret;
        kc_env_secret_split(acc->env.secret.v[i], &var, &secret);
        const char *v = kc_kvlist_get(secrets, secret);
        if (v)
            kc_kvlist_set(&vars, var, v);
        free(var);
        free(secret);
    }
    for (size_t i = 0; i < vars.n; i++) {
        const char *old = getenv(vars.v[i].key);
        if (old)
            kc_kvlist_set(saved, vars.v[i].key, old);
        else
            kc_strvec_push(unset_after, vars.v[i].key);
        setenv(vars.v[i].key, vars.v[i].value, 1);
    }
    kc_kvlist_release(&vars);
}

static void restore_env(struct kc_kvlist *saved, struct kc_strvec *unset_after)
{
    for (size_t i = 0; i < saved->n; i++)
        setenv(saved->v[i].key, saved->v[i].value, 1);
    for (size_t i = 0; i < unset_after->n; i++)
        unsetenv(unset_after->v[i]);
    kc_kvlist_release(saved);
    kc_strvec_release(unset_after);
}

/* Reads a files: entry; a name ending in "erb" is rendered (Kamal's rule). */
static int load_file(const struct kc_accessory *acc, const struct kc_mount_spec *f,
                     const struct kc_kvlist *secrets, struct kc_buf *out, struct kc_err *err)
{
    struct kc_buf raw = KC_BUF_INIT;
    if (kc_read_file(f->local, 16 * 1024 * 1024, &raw) != 0) {
        kc_buf_release(&raw);
        return kc_err_set(err, KC_ECONFIG, "accessories.%s.files: cannot read '%s': %s", acc->name,
                          f->local, strerror(errno));
    }
    int rc = 0;
    if (kc_ends_with(f->local, "erb")) {
        struct kc_kvlist saved = KC_KVLIST_INIT;
        struct kc_strvec unset_after = KC_STRVEC_INIT;
        struct kc_intvec map = KC_INTVEC_INIT;
        export_env(acc, secrets, &saved, &unset_after);
        rc = kc_erb_render(raw.data, raw.len, f->local, NULL, out, &map, err);
        restore_env(&saved, &unset_after);
        kc_intvec_release(&map);
    } else {
        kc_buf_add(out, raw.data, raw.len);
    }
    kc_buf_release(&raw);
    return rc;
}

static int secret_values(struct kc_ctx *ctx, const struct kc_accessory *acc,
                         struct kc_kvlist *values, struct kc_err *err)
{
    /* a secrets file that cannot be read says where itself (file:line, the
     * secret's name): only a missing secret is this key's error */
    int loaded = acc->env.secret.n ? kc_ctx_secrets(ctx, err) : 0;
    if (loaded)
        return loaded;
    for (size_t i = 0; i < acc->env.secret.n; i++) {
        char *var, *secret;
        kc_env_secret_split(acc->env.secret.v[i], &var, &secret);
        const char *v = NULL;
        int rc = kc_ctx_secret(ctx, secret, &v, err);
        if (rc == 0)
            kc_kvlist_set(values, secret, v);
        else
            kc_err_prefix(err, "accessories.%s.env.secret", acc->name);
        free(var);
        free(secret);
        if (rc)
            return rc;
    }
    return 0;
}

static int prepare_one(struct kc_ctx *ctx, struct acc_want *w, struct kc_err *err)
{
    const struct kc_accessory *acc = w->acc;
    struct kc_kvlist values = KC_KVLIST_INIT;
    int rc = secret_values(ctx, acc, &values, err);
    if (rc == 0)
        rc = kc_accessory_env_content(acc, &values, &w->env, err);
    if (rc == 0)
        kc_sha256_hex(w->env.data, w->env.len, w->env_sha);
    w->files = kc_xcalloc(acc->nfiles + 1, sizeof *w->files);
    for (size_t i = 0; rc == 0 && i < acc->nfiles; i++) {
        rc = load_file(acc, &acc->files[i], &values, &w->files[i], err);
        if (rc)
            break;
        char sha[65];
        kc_sha256_hex(kc_buf_str(&w->files[i]), w->files[i].len, sha);
        char *hp = kc_accessory_file_host_path(acc, &acc->files[i]);
        kc_kvlist_set(&w->file_shas, hp, sha);
        free(hp);
    }
    /* an ERB file may carry secret values: never print its content */
    for (size_t i = 0; i < values.n; i++)
        kc_out_add_secret(ctx->out, values.v[i].value);
    kc_kvlist_release(&values);
    w->prepared = rc == 0;
    return rc;
}

/* A registry's credentials must resolve before any host is contacted
 * (exit 3 naming the key: a missing secret, an empty value), even when no
 * login turns out to be needed. */
static int check_registry_secrets(struct kc_ctx *ctx, const struct kc_registry *reg,
                                  struct kc_err *err)
{
    const char *user, *pass;
    return kc_ctx_registry_credentials(ctx, reg, &user, &pass, err);
}

int kc_acc_set_prepare(struct acc_set *set, struct kc_err *err)
{
    for (size_t i = 0; i < set->n; i++) {
        bool used = false;
        for (size_t j = 0; j < set->hosts.n && !used; j++)
            used = kc_strvec_contains(&set->accs[i]->hosts, set->hosts.v[j]);
        if (!used || set->want[i].prepared)
            continue;
        const struct kc_accessory *acc = set->accs[i];
        int rc = check_registry_secrets(
            set->ctx, acc->has_registry ? &acc->registry : &set->ctx->cfg->registry, err);
        if (rc == 0)
            rc = prepare_one(set->ctx, &set->want[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

void kc_acc_set_release(struct acc_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        struct acc_want *w = &set->want[i];
        kc_buf_release(&w->env);
        for (size_t f = 0; w->files && f < w->acc->nfiles; f++)
            kc_buf_release(&w->files[f]);
        free(w->files);
        kc_kvlist_release(&w->file_shas);
    }
    free(set->want);
    free(set->accs);
    kc_strvec_release(&set->hosts);
    memset(set, 0, sizeof *set);
}

int kc_acc_fold(struct kc_ctx *ctx, const char *host, const char *name, int rc, struct kc_err *one,
                int worst, struct kc_err *host_err)
{
    if (rc == 0)
        return worst;
    kc_report(ctx, host, name, kc_outcome_of(rc), rc == KC_EINTERRUPTED ? NULL : one->msg);
    if (worst == 0)
        kc_err_move(host_err, one);
    return kc_code_worst(worst, rc);
}

bool kc_acc_host_usable(int rc)
{
    return rc != KC_EUNREACHABLE && rc != KC_EINTERRUPTED;
}
