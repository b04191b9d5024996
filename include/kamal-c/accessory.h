/* accessory.h - pure pieces of accessory management: the remote commands
 * (Kamal-compatible footprint, reference §4.9), the env file, the run-spec
 * digest, the batched read-only probe and its parser, and the comparison of
 * a running container against deploy.yml. No I/O; unit-tested. */
#ifndef KAMAL_C_ACCESSORY_H
#define KAMAL_C_ACCESSORY_H

#include <cjson/cJSON.h>

#include "cmd.h"
#include "config.h"
#include "err.h"

/* The label kamal-c stamps at docker run: a digest of the run specification
 * (never of secret values or file contents). */
#define KC_DIGEST_LABEL "kamal-c.digest"
/* The label that records options: as JSON ({"memory":["64m"],"privileged":true}),
 * stamped with the digest, so drift can name each changed option. */
#define KC_OPTIONS_LABEL "kamal-c.options"

/* acc's options: as that JSON object. Caller frees (cJSON_Delete). */
cJSON *kc_accessory_options_json(const struct kc_accessory *acc);

/* docker run for acc on host, Kamal's argument order (§4.9), plus the digest
 * and options labels when digest is not NULL. Fails only on a cmd with an unmatched quote. */
int kc_cmd_accessory_run(struct kc_cmd *c, const struct kc_config *cfg,
                         const struct kc_accessory *acc, const char *host, const char *digest,
                         struct kc_err *err);
/* sha256 (hex) of the run specification for acc on host. */
int kc_accessory_digest(const struct kc_config *cfg, const struct kc_accessory *acc,
                        const char *host, char out[65], struct kc_err *err);

/* The env file (secret env only), one KEY=value line each. values maps
 * secret names to values. A value docker's env-file format cannot carry (a
 * newline) is KC_ECONFIG. An accessory without secrets gets "\n" as Kamal
 * writes it. */
int kc_accessory_env_content(const struct kc_accessory *acc, const struct kc_kvlist *values,
                             struct kc_buf *out, struct kc_err *err);
/* For "NAME" or "NAME:SECRET": the variable name and the secret to read. */
void kc_env_secret_split(const char *entry, char **var, char **secret);

/* Simple steps. */
void kc_cmd_accessory_start(struct kc_cmd *c, const struct kc_accessory *acc);
void kc_cmd_accessory_stop(struct kc_cmd *c, const struct kc_accessory *acc);
void kc_cmd_accessory_unpause(struct kc_cmd *c, const struct kc_accessory *acc);
void kc_cmd_accessory_rm(struct kc_cmd *c, const struct kc_accessory *acc);
void kc_cmd_accessory_prune(struct kc_cmd *c, const struct kc_accessory *acc);
void kc_cmd_accessory_remove_image(struct kc_cmd *c, const struct kc_accessory *acc);
void kc_cmd_accessory_remove_dir(struct kc_cmd *c, const struct kc_accessory *acc);
void kc_cmd_accessory_details(struct kc_cmd *c, const struct kc_accessory *acc);
/* mkdir -p DIR [&& chmod MODE DIR] [&& chown OWNER DIR] */
void kc_cmd_accessory_directory(struct kc_cmd *c, const struct kc_accessory *acc,
                                const struct kc_mount_spec *d);
/* chmod MODE HOSTPATH [&& chown OWNER HOSTPATH] */
void kc_cmd_accessory_file_perms(struct kc_cmd *c, const struct kc_accessory *acc,
                                 const struct kc_mount_spec *f);

struct kc_logs_opts {
    const char *since;
    const char *lines; /* NULL: 100 unless since or grep is given */
    const char *grep;
    const char *grep_options;
    bool timestamps;
    bool follow;
};
/* docker logs CONTAINER [--since S] [--tail N] [--timestamps] [--follow] 2>&1
 * [| grep [--line-buffered] [OPTS] -- PATTERN]: any container's logs (the
 * accessories', the app's, kamal-proxy's). */
int kc_cmd_logs_of(struct kc_cmd *c, const char *container, const struct kc_logs_opts *o,
                   struct kc_err *err);
int kc_cmd_accessory_logs(struct kc_cmd *c, const struct kc_accessory *acc,
                          const struct kc_logs_opts *o, struct kc_err *err);
/* docker run --rm ... IMAGE CMD (new container) or docker exec NAME CMD. */
int kc_cmd_accessory_exec(struct kc_cmd *c, const struct kc_config *cfg,
                          const struct kc_accessory *acc, const char *command, bool reuse,
                          bool interactive, struct kc_err *err);

/* ---- probe: one read-only command per host for all its accessories ----
 * pwd, the hashes and permissions of the env files and files:, and ONE
 * `docker inspect` of every container, image and the kamal network (each
 * docker CLI call costs ~40 ms on a host; the no-op boot pays for one). */

struct kc_acc_probe {
    bool exists;
    char *status;   /* created, running, paused, restarting, removing, exited, dead */
    cJSON *inspect; /* the container's docker inspect object (owned) */
    bool image_present;
    cJSON *image_config;    /* the image's Config (Env, Cmd, Labels, Healthcheck) */
    struct kc_kvlist sha;   /* host path -> sha256 of the file there */
    struct kc_kvlist perms; /* host path -> "MODE OWNER:GROUP UID:GID" */
};

struct kc_host_probe {
    char *docker_error;       /* non-NULL: the daemon did not answer (its message) */
    char *home;               /* the login directory */
    bool network_exists;      /* the kamal network */
    struct kc_acc_probe *acc; /* parallel to the accessories probed */
    size_t n;
};

void kc_cmd_accessory_probe(struct kc_cmd *c, const struct kc_config *cfg,
                            const struct kc_accessory *const *accs, size_t n);
/* Parses the probe's stdout and stderr. KC_EREMOTE on a reply that is not a
 * probe reply. */
int kc_accessory_probe_parse(const char *out, const char *err_text, const struct kc_config *cfg,
                             const struct kc_accessory *const *accs, size_t n,
                             struct kc_host_probe *p, struct kc_err *err);
void kc_host_probe_release(struct kc_host_probe *p);

/* docker ps -a --filter label=service=SVC --format {{.Names}}: containers
 * carrying the accessory's label (one under another name blocks a boot). */
void kc_cmd_accessory_labelled(struct kc_cmd *c, const struct kc_accessory *acc);

/* ---- the convergence table of `accessory boot` ----
 *   state found                    action
 *   missing                        boot (directories, files, env, run)
 *   running                        nothing (drift, if any, is reported)
 *   created / exited               docker start
 *   paused                         docker unpause
 *   dead                           remove it, then boot
 *   restarting (a crash loop)      fail with its last logs
 *   removing                       fail (try again later)
 * A running container caught between two crashes counts as restarting. */
enum kc_acc_action {
    KC_ACT_NONE,
    KC_ACT_START,
    KC_ACT_UNPAUSE,
    KC_ACT_BOOT,
    KC_ACT_REPLACE,
    KC_ACT_FAIL,
};

/* status: docker's State.Status, or NULL when there is no container. */
enum kc_acc_action kc_accessory_action(const char *status, bool crash_looping);
/* Whether the action changes the host (the lock is taken only for these). */
bool kc_accessory_action_changes(enum kc_acc_action a);

/* What kamal-c would put on the host, for the comparison. */
struct kc_acc_desired {
    const char *digest;     /* run spec digest (hex) */
    const char *env_sha;    /* sha256 of the env file content */
    struct kc_kvlist files; /* host path -> sha256 of the content to upload */
};

/* Lists what differs between the container (probe) and deploy.yml, one short
 * phrase each ("image: postgres:15 -> postgres:16"). Uses the digest label
 * when the container has one (a match means only the file and env hashes
 * are compared); otherwise compares field by field from docker inspect.
 * *managed tells whether the container carries kamal-c's digest label. */
void kc_accessory_compare(const struct kc_config *cfg, const struct kc_accessory *acc,
                          const char *host, const struct kc_host_probe *hp,
                          const struct kc_acc_probe *p, const struct kc_acc_desired *want,
                          struct kc_strvec *diffs, bool *managed);

/* Whether every difference is a files: entry's ("file PATH ..."): uploading
 * the files and a restart apply it, no new container is needed. */
bool kc_accessory_drift_files_only(const struct kc_strvec *diffs);
/* What to run to apply the drift: upload and restart for a files-only
 * drift, else reboot. Caller frees. */
char *kc_accessory_drift_advice(const char *name, const struct kc_strvec *diffs);

#endif
