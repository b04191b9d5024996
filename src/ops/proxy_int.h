/* proxy_int.h - shared by the proxy and app orchestration files. */
#ifndef KAMAL_C_OPS_PROXY_INT_H
#define KAMAL_C_OPS_PROXY_INT_H

#include "kamal-c/fleet.h"
#include "kamal-c/ops_proxy.h"

/* Builds one proxy command with build and runs it with flags. */
int kc_proxy_cmd(struct kc_host *h, void (*build)(struct kc_cmd *), unsigned flags,
                 struct kc_exec_result *res, struct kc_err *err);
/* The proxy probe of one host; docker not answering is KC_EREMOTE. */
int kc_proxy_probe_host(struct kc_ctx *ctx, struct kc_host *h, struct kc_proxy_probe *p,
                        struct kc_err *err);
/* docker run of kamal-proxy (digest label), then wait until it runs. */
int kc_proxy_run_container(struct kc_ctx *ctx, struct kc_host *h,
                           const struct kc_proxy_files *files, struct kc_err *err);
/* docker login to the app's registry (not for a local registry). */
int kc_proxy_login(struct kc_ctx *ctx, struct kc_host *h, struct kc_err *err);

/* Runs fn on the hosts of names whose pick flag is set (all when NULL);
 * each host's error lands in errs at its index. */
int kc_proxy_phase(struct kc_ctx *ctx, const struct kc_strvec *names, const bool *pick,
                   kc_host_fn fn, void *ud, struct kc_err *errs);
/* The convergent pattern: p1 on every host (probe, decide, report what needs
 * nothing), changed() says which hosts need a change, the deploy lock only
 * then, p2 on those (re-probe, act); errors reported and folded. When the run
 * already holds the lock (deploy), p2 runs once on every host instead: p2
 * must report a host that needs nothing as p1 does. */
int kc_proxy_converge(struct kc_ctx *ctx, const struct kc_strvec *names, kc_host_fn p1,
                      kc_host_fn p2, void *ud, void (*changed)(void *ud, bool *out, size_t n),
                      struct kc_err *err);

#endif
