/* accessory_proxy.c - proxied accessories (accessories.X.proxy): the
 * accessory's container is a kamal-proxy service under its service name.
 * boot, start and reboot register it (booting kamal-proxy on the host when it
 * is not running), stop and remove deregister it. A boot that finds the
 * route live, to the running container, with the same options, registers
 * nothing: the flags digest of the last deploy is kept on the host, as for
 * the app's roles. */
#include "accessory_int.h"
#include "proxy_int.h"
#include "kamal-c/accessory_proxy.h"
#include "kamal-c/app.h"
#include "kamal-c/ops.h"
#include "kamal-c/proxy.h"
#include "kamal-c/steps.h"

#include <stdlib.h>
#include <string.h>

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static char *why_of(const struct kc_config *cfg, const struct kc_app_probe *p,
                    const struct kc_accessory *acc, const char *have_flags)
{
    if (!p->proxy_exists || !kc_streq(p->proxy_status, "running"))
        return kc_xstrdup("kamal-proxy is not running");
    const cJSON *cont = cJSON_GetObjectItemCaseSensitive(p->containers, acc->service);
    const char *status = jstr(cJSON_GetObjectItemCaseSensitive(cont, "State"), "Status");
    if (!kc_streq(status, "running"))
        return NULL; /* nothing to route to; the boot decides about the container */
    if (p->list_error)
        return kc_xasprintf("kamal-proxy list failed: %s", p->list_error);
    const char *full = jstr(cont, "Id");
    char id[13] = {0};
    strncpy(id, full ? full : "", 12);
    const struct kc_app_route *r = kc_app_route(p, acc->service);
    if (r == NULL)
        return kc_xstrdup("kamal-proxy does not route to it");
    if (!kc_starts_with(r->target, id))
        return kc_xstrdup("kamal-proxy routes to another container");
    char want[65];
    kc_accessory_proxy_digest(cfg, acc, want);
    if (!kc_streq(have_flags, want))
        return kc_xstrdup("the proxy options differ from deploy.yml");
    return NULL;
}

int kc_acc_proxy_check(struct kc_ctx *ctx, struct kc_host *h,
                       const struct kc_accessory *const *accs, size_t n, char **whys,
                       struct kc_err *err)
{
    struct kc_strvec files = KC_STRVEC_INIT, names = KC_STRVEC_INIT;
    for (size_t i = 0; i < n; i++) {
        kc_strvec_push_nodup(&files, kc_accessory_proxy_flags_file(ctx->cfg, accs[i]));
        kc_strvec_push(&names, accs[i]->service);
    }
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    struct kc_app_probe p;
    memset(&p, 0, sizeof p);
    kc_cmd_proxy_targets_probe(&c, &files, &names);
    int rc = kc_remote_run(h, &c, KC_PROBE, &res, err);
    if (rc == 0)
        rc = kc_app_probe_parse(kc_buf_str(&res.out), kc_buf_str(&res.err), n, &p, err);
    if (rc == 0 && p.docker_error) {
        rc = kc_err_set(err, KC_EREMOTE, "docker is not available on %s", h->name);
        kc_err_set_remote(err, p.docker_error);
    }
    for (size_t i = 0; i < n; i++)
        whys[i] = rc ? NULL : why_of(ctx->cfg, &p, accs[i], p.flags.v[i]);
    kc_app_probe_release(&p);
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    kc_strvec_release(&files);
    kc_strvec_release(&names);
    return rc;
}

/* kamal-proxy must run on h: boot it (as `proxy boot` does) or start it. */
static int ensure_proxy(struct kc_ctx *ctx, struct kc_host *h, struct kc_err *err)
{
    struct kc_proxy_probe p;
    memset(&p, 0, sizeof p);
    int rc = kc_proxy_probe_host(ctx, h, &p, err);
    if (rc == 0 && p.exists && kc_proxy_too_old(kc_image_tag(p.image)))
        rc = kc_err_set(err, KC_EREMOTE,
                        "kamal-proxy version %s is too old, run `kamal-c proxy reboot` in order "
                        "to update to at least %s",
                        kc_image_tag(p.image), KC_PROXY_VERSION);
    if (rc == 0 && !p.exists) {
        kc_step_doing(h, "boot kamal-proxy");
        if (!p.network_exists)
            rc = kc_step_network(h, err);
        struct kc_cmd c = KC_CMD_INIT;
        kc_cmd_proxy_mkdir_apps(&c, ctx->cfg);
        if (rc == 0)
            rc = kc_remote_run(h, &c, KC_MUTATE | KC_CHECK, NULL, err);
        kc_cmd_release(&c);
        if (rc == 0)
            rc = kc_proxy_login(ctx, h, err);
        if (rc == 0)
            rc = kc_proxy_run_container(ctx, h, &p.files, err);
        if (rc == 0) {
            kc_step_audit(ctx, h, "Booted proxy");
            kc_report(ctx, h->name, "kamal-proxy", "booted", "for a proxied accessory");
        }
    } else if (rc == 0 && !kc_streq(p.status, "running")) {
        rc = kc_proxy_cmd(h, kc_cmd_proxy_start, KC_MUTATE | KC_CHECK, NULL, err);
        if (rc == 0)
            rc = kc_step_wait_running(ctx, h, KC_PROXY_CONTAINER, "kamal-proxy", err);
        if (rc == 0) {
            kc_step_audit(ctx, h, "Started proxy");
            kc_report(ctx, h->name, "kamal-proxy", "started", "for a proxied accessory");
        }
    }
    kc_proxy_probe_release(&p);
    return rc;
}

static int container_id(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
                        char **id, struct kc_err *err)
{
    if (ctx->g.dry_run) {
        *id = kc_xstrdup("CONTAINER_ID");
        return 0;
    }
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    kc_cmd_accessory_proxy_id(&c, acc);
    int rc = kc_remote_run(h, &c, KC_PROBE | KC_CHECK, &res, err);
    kc_buf_rtrim(&res.out);
    if (rc == 0 && res.out.len == 0)
        rc = kc_err_set(err, KC_EREMOTE, "%s: no container %s to register with kamal-proxy",
                        acc->name, acc->service);
    *id = rc ? NULL : kc_xstrndup(kc_buf_str(&res.out), 12);
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    return rc;
}

int kc_acc_proxy_register(struct kc_ctx *ctx, struct kc_host *h, const struct kc_accessory *acc,
                          struct kc_err *err)
{
    if (!acc->runs_proxy)
        return 0;
    char *id = NULL;
    int rc = ensure_proxy(ctx, h, err);
    if (rc == 0)
        rc = container_id(ctx, h, acc, &id, err);
    struct kc_cmd c = KC_CMD_INIT;
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    if (rc == 0) {
        kc_step_doing(h, "%s: kamal-proxy deploy", acc->name);
        kc_cmd_accessory_proxy_deploy(&c, ctx->cfg, acc, id);
        rc = kc_remote_run(h, &c, KC_MUTATE, &res, err);
    }
    if (rc == 0 && res.status != 0) {
        char *d = kc_cmd_render_display(&c);
        rc = kc_err_set(err, KC_EREMOTE, "%s: kamal-proxy deploy failed: %s", acc->name,
                        res.err.len ? kc_buf_str(&res.err) : kc_buf_str(&res.out));
        kc_err_set_command(err, d);
        free(d);
        kc_step_attach_logs(h, acc->service, err);
    }
    if (rc == 0) {
        char digest[65];
        kc_accessory_proxy_digest(ctx->cfg, acc, digest);
        char *f = kc_accessory_proxy_flags_file(ctx->cfg, acc);
        rc = kc_step_upload(h, f, digest, strlen(digest), 0644, err);
        free(f);
    }
    if (rc == 0)
        kc_step_audit(ctx, h, "Registered %s accessory with kamal-proxy", acc->name);
    kc_cmd_release(&c);
    kc_exec_result_release(&res);
    free(id);
    return rc;
}

void kc_acc_proxy_deregister(struct kc_ctx *ctx, struct kc_host *h,
                             const struct kc_accessory *acc)
{
    if (!acc->runs_proxy)
        return;
    struct kc_err ignored = KC_ERR_INIT;
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_accessory_proxy_remove(&c, acc);
    kc_remote_run(h, &c, KC_MUTATE, NULL, &ignored); /* no proxy, no route: nothing to do */
    kc_cmd_release(&c);
    kc_cmd_accessory_proxy_forget(&c, ctx->cfg, acc);
    kc_remote_run(h, &c, KC_MUTATE, NULL, &ignored);
    kc_cmd_release(&c);
    kc_err_release(&ignored);
}
