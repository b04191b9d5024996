/* registry.c - `registry login|logout`: on this machine, then on every
 * selected host. The password goes to docker on stdin, never on a command
 * line (kc_step_registry_login). */
#include "kamal-c/ops.h"
#include "kamal-c/ops_host.h"
#include "kamal-c/steps.h"

static int refuse_local(const struct kc_registry *reg, const char *verb, struct kc_err *err)
{
    if (!reg->local)
        return 0;
    return kc_err_set(err, KC_EUSAGE,
                      "cannot use 'registry %s' with a local registry (%s): it needs no login",
                      verb, reg->server);
}

struct reg_job {
    struct kc_ctx *ctx;
    bool login;
};

static int registry_host(struct kc_host *h, void *ud, struct kc_err *err)
{
    struct reg_job *job = ud;
    const struct kc_registry *reg = &job->ctx->cfg->registry;
    int rc = job->login ? kc_step_registry_login(job->ctx, h, reg, err)
                        : kc_step_registry_logout(job->ctx, h, reg, err);
    if (rc == 0)
        kc_report(job->ctx, h->name, "registry", job->login ? "logged in" : "logged out", NULL);
    return rc;
}

static int registry_run(struct kc_ctx *ctx, const struct kc_registry_request *req, bool login,
                        struct kc_err *err)
{
    const struct kc_registry *reg = &ctx->cfg->registry;
    const char *user = NULL, *pass = NULL;
    int rc = refuse_local(reg, login ? "login" : "logout", err);
    /* credentials first: a missing secret is exit 3 before anything runs */
    if (rc == 0 && login)
        rc = kc_ctx_registry_credentials(ctx, reg, &user, &pass, err);
    if (rc == 0 && !req->skip_local)
        rc = login ? kc_step_registry_login(ctx, NULL, reg, err)
                   : kc_step_registry_logout(ctx, NULL, reg, err);
    struct reg_job job = {ctx, login};
    if (rc == 0 && !req->skip_remote)
        rc = kc_verb_each_host(ctx, &ctx->hosts, registry_host, &job, err);
    return rc;
}

int kc_registry_login(struct kc_ctx *ctx, const struct kc_registry_request *req, struct kc_err *err)
{
    return registry_run(ctx, req, true, err);
}

int kc_registry_logout(struct kc_ctx *ctx, const struct kc_registry_request *req,
                       struct kc_err *err)
{
    return registry_run(ctx, req, false, err);
}
