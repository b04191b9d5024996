/* accessory_steps.c - the steps that put an accessory on one host. The
 * generic ones (network, registry login, waiting, audit, uploads) are
 * ops/steps.c's; every remote command is built in commands/ and sent through
 * kc_remote_run. */
#include "accessory_int.h"
#include "kamal-c/commands.h"
#include "kamal-c/ops.h"
#include "kamal-c/steps.h"

#include <stdlib.h>
#include <string.h>

int kc_acc_step(struct kc_host *h, void (*build)(struct kc_cmd *, const struct kc_accessory *),
                const struct kc_accessory *acc, unsigned flags, struct kc_exec_result *res,
                struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    build(&c, acc);
    int rc = kc_remote_run(h, &c, flags, res, err);
    kc_cmd_release(&c);
    return rc;
}

int kc_acc_network(struct kc_host *h, const struct kc_accessory *acc, struct kc_err *err)
{
    if (strcmp(acc->network, KC_NETWORK) != 0)
        return 0;
    return kc_step_network(h, err);
}

/* The registry an accessory's image comes from: its own, else the app's. */
static const struct kc_registry *registry_of(const struct kc_config *cfg,
                                             const struct kc_accessory *acc)
{
    return acc->has_registry ? &acc->registry : &cfg->registry;
}

int kc_acc_login(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
                 struct kc_err *err)
{
    const struct kc_registry *reg = registry_of(ctx->cfg, acc);
    if (reg->local)
        return 0;
    return kc_step_registry_login(ctx, h, reg, err);
}

int kc_acc_directories(struct kc_host *h, const struct kc_accessory *acc, struct kc_err *err)
{
    if (acc->ndirectories)
        kc_step_doing(h, "%s: directories", acc->name);
    for (size_t i = 0; i < acc->ndirectories; i++) {
        struct kc_cmd c = KC_CMD_INIT;
        kc_cmd_accessory_directory(&c, acc, &acc->directories[i]);
        int rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_mode(const char *mode)
{
    return mode ? (int)strtol(mode, NULL, 8) : 0755;
}

int kc_acc_files(struct kc_host *h, const struct acc_want *w, struct kc_err *err)
{
    const struct kc_accessory *acc = w->acc;
    for (size_t i = 0; i < acc->nfiles; i++) {
        const struct kc_mount_spec *f = &acc->files[i];
        char *hp = kc_accessory_file_host_path(acc, f);
        int rc = kc_step_upload(h, hp, w->files[i].data, w->files[i].len, parse_mode(f->mode), err);
        free(hp);
        if (rc == 0 && f->owner) {
            struct kc_cmd c = KC_CMD_INIT;
            kc_cmd_accessory_file_perms(&c, acc, f);
            rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
            kc_cmd_release(&c);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int upload_env(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w,
                      struct kc_err *err)
{
    char *path = kc_accessory_env_file(ctx->cfg, w->acc);
    int rc = kc_step_upload(h, path, w->env.data, w->env.len, 0600, err);
    free(path);
    return rc;
}

/* docker run with the digest label; a failed run leaves no container. */
static int docker_run(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
                      struct kc_err *err)
{
    char digest[65];
    int rc = kc_accessory_digest(ctx->cfg, acc, h->name, digest, err);
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    struct kc_pull_watch watch; /* docker run pulls a missing image: the long step */
    kc_exec_result_init(&res);
    kc_pull_watch_init(&watch, h);
    kc_pull_watch_attach(&watch, &res);
    kc_step_doing(h, "%s: docker run", acc->name);
    if (rc == 0)
        rc = kc_cmd_accessory_run(&c, ctx->cfg, acc, h->name, digest, err);
    if (rc == 0)
        rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, &res, err);
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    kc_pull_watch_release(&watch);
    if (rc == KC_EREMOTE) {
        kc_err_prefix(err, "%s: docker run failed", acc->name);
        /* docker run may leave a created container behind: remove it, so the
         * next boot starts from deploy.yml rather than from this failure */
        struct kc_err ignored = KC_ERR_INIT;
        kc_acc_step(h, kc_cmd_accessory_rm, acc, KC_MUTATE | KC_QUIET, NULL, &ignored);
        kc_err_release(&ignored);
    }
    return rc;
}

int kc_acc_wait_running(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
                        struct kc_err *err)
{
    return kc_step_wait_running(ctx, h, acc->service, acc->name, err);
}

int kc_acc_boot_steps(struct kc_ctx *ctx, struct kc_host *h, const struct acc_want *w, bool login,
                      bool network, struct kc_err *err)
{
    const struct kc_accessory *acc = w->acc;
    int rc = 0;
    if (network)
        rc = kc_acc_network(h, acc, err);
    if (rc == 0 && login)
        rc = kc_acc_login(ctx, h, acc, err);
    if (rc == 0)
        rc = kc_acc_directories(h, acc, err);
    if (rc == 0)
        rc = kc_acc_files(h, w, err);
    if (rc == 0)
        rc = upload_env(ctx, h, w, err);
    if (rc == 0)
        rc = docker_run(ctx, h, acc, err);
    if (rc == 0) {
        rc = kc_acc_wait_running(ctx, h, acc, err);
        if (rc == KC_EREMOTE) {
            /* it exited or crash-loops: keep nothing half-done on the host */
            struct kc_err ignored = KC_ERR_INIT;
            kc_acc_step(h, kc_cmd_accessory_rm, acc, KC_MUTATE | KC_QUIET, NULL, &ignored);
            kc_err_release(&ignored);
        }
    }
    if (rc == 0)
        kc_step_audit(ctx, h, "Booted %s accessory", acc->name);
    return rc;
}
