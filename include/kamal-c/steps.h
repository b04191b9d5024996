/* steps.h - the host steps any verb needs (accessories today; app, proxy,
 * build and deploy next). Each builds its command in commands/ and sends it
 * through kc_remote_run / kc_remote_upload (or kc_local_run for this
 * machine), so --dry-run and -v need nothing here. They return 0 or a KC_E*
 * code with err filled (host, command, remote stderr) and never print except
 * through kc_report's callers. */
#ifndef KAMAL_C_STEPS_H
#define KAMAL_C_STEPS_H

#include "ctx.h"

/* Docker on h: present (*installed false), or installed from get.docker.com
 * when the SSH user is root or has passwordless sudo (*installed true); then
 * the .kamal run directory. KC_EREMOTE with a hint when it cannot be. */
int kc_step_bootstrap(struct kc_ctx *ctx, struct kc_host *h, bool *installed, struct kc_err *err);

/* docker network create kamal; "already exists" is success. */
int kc_step_network(struct kc_host *h, struct kc_err *err);

/* docker login on h, or on this machine when h is NULL; the password goes on
 * stdin. A failure is "docker login to SERVER failed: ...". */
int kc_step_registry_login(struct kc_ctx *ctx, struct kc_host *h, const struct kc_registry *reg,
                           struct kc_err *err);
/* docker logout on h, or on this machine when h is NULL. */
int kc_step_registry_logout(struct kc_ctx *ctx, struct kc_host *h, const struct kc_registry *reg,
                            struct kc_err *err);

/* docker image pull IMAGE. */
int kc_step_pull(struct kc_host *h, const char *image, struct kc_err *err);

/* Waits until container runs (and, when it has a health check, is healthy),
 * within the configuration's deploy_timeout: it must keep running for a
 * settle time (KAMAL_C_CONFIRM_MS, default 1000 ms) without restarting. A
 * container that stopped or restarted meanwhile, or turned unhealthy, is
 * KC_EREMOTE "LABEL: the container is ..." with its last log lines. Does
 * nothing under --dry-run. */
int kc_step_wait_running(struct kc_ctx *ctx, struct kc_host *h, const char *container,
                         const char *label, struct kc_err *err);
/* Kamal's readiness of a role without kamal-proxy (kc_app_ready_judge):
 * healthy when the image has a health check, else still running, without a
 * restart, readiness_delay seconds on; within deploy_timeout. A failure is
 * KC_EREMOTE "LABEL: container not ready after N seconds (status)" with the
 * last log lines. Does nothing under --dry-run. */
int kc_step_wait_ready(struct kc_ctx *ctx, struct kc_host *h, const char *container,
                       const char *label, struct kc_err *err);
/* A container seen running but restarted before may be between two crashes:
 * looks again after the settle time; *looping when it is not running then, or
 * restarted again. */
int kc_step_crash_loop_check(struct kc_ctx *ctx, struct kc_host *h, const char *container,
                             bool *looping, struct kc_err *err);
/* Adds the container's last 20 log lines to err (as the remote output). */
void kc_step_attach_logs(struct kc_host *h, const char *container, struct kc_err *err);

/* Appends "[time] [performer] [DEST] message" to the host's audit log, the
 * one place that writes it. Like Kamal, a line that cannot be written does
 * not fail the step. */
void kc_step_audit(struct kc_ctx *ctx, struct kc_host *h, const char *fmt, ...) KC_PRINTF(3, 4);

/* mkdir -p the parent directory of path, then writes data there with mode
 * (under --dry-run both are printed). */
int kc_step_upload(struct kc_host *h, const char *path, const void *data, size_t len, int mode,
                   struct kc_err *err);

/* ---- live progress (progress.c) ----
 * On a terminal, the live view shows one line per busy host: the host, the
 * step it is doing now, its elapsed time and the step's progress. These say
 * what goes on that line; they are no-ops in the text and JSON targets (and
 * cheap there: nothing is formatted). A host's line goes when a result or an
 * error of the host is reported, and comes back with its next step. The
 * shared steps above report their own ("docker network", "pull IMAGE",
 * "wait for CONTAINER", ...): a verb reports the steps of its own. */

/* h is now doing the step (replaces its previous step and progress). */
void kc_step_doing(struct kc_host *h, const char *fmt, ...) KC_PRINTF(2, 3);
/* The progress of h's current step ("pulling, 2/5 layers downloaded, 1
 * extracted"). */
void kc_step_progress(struct kc_host *h, const char *fmt, ...) KC_PRINTF(2, 3);

/* Follows docker's pull messages ("<layer>: Download complete", "... Pull
 * complete", on stdout for docker pull, on stderr for docker run) in a
 * command's output and reports "pulling, D/M layers downloaded, P extracted"
 * as h's progress (without a terminal docker prints no byte counts). Usage: init, attach to the
 * result given to kc_remote_run (nothing is attached unless the live view is on), run, release. */
struct kc_pull_watch {
    struct kc_host *h;
    struct kc_lines lines[2];    /* stdout, stderr */
    struct kc_strvec layers;     /* layer ids seen */
    struct kc_strvec downloaded; /* ... of those: downloaded (or there already) */
    struct kc_strvec done;       /* ... pulled: extracted (or there already) */
};
void kc_pull_watch_init(struct kc_pull_watch *w, struct kc_host *h);
void kc_pull_watch_attach(struct kc_pull_watch *w, struct kc_exec_result *res);
void kc_pull_watch_release(struct kc_pull_watch *w);
/* One line of docker's output; true when the counts changed. */
bool kc_pull_watch_line(struct kc_pull_watch *w, const char *line, size_t len);

#endif
