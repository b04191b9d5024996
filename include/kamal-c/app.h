/* app.h - pure pieces of the app verbs (Kamal §4.8): the app container's
 * docker run, its env file, the kamal-proxy control commands, the one-command
 * probe of a host and its parser, and the digests the convergent `app boot`
 * compares. No I/O; unit-tested by exact strings. */
#ifndef KAMAL_C_APP_H
#define KAMAL_C_APP_H

#include <cjson/cJSON.h>

#include "cmd.h"
#include "config.h"
#include "err.h"

/* Labels kamal-c adds to an app container: the digest of its run
 * specification (never of secret values) and of its kamal-proxy flags. */
#define KC_APP_DIGEST_LABEL "kamal-c.digest"
#define KC_APP_PROXY_LABEL  "kamal-c.proxy"

/* SVC-ROLE[-DEST]-VERSION. Caller frees. */
char *kc_app_container(const struct kc_role *role, const char *version);
/* [registry/]image:VERSION. Caller frees. */
char *kc_app_image(const struct kc_config *cfg, const char *version);
/* Where the proxy flags digest of the last kamal-proxy deploy is kept:
 * .kamal/apps/SVC[-DEST]/proxy/ROLE.flags. Caller frees. */
char *kc_app_flags_file(const struct kc_config *cfg, const struct kc_role *role);

/* docker run for role on host, Kamal's argument order. hostname: the
 * --hostname value; digest/proxy_digest NULL: no kamal-c labels. */
int kc_cmd_app_run(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role,
                   const char *host, const char *version, const char *hostname,
                   const char *digest, const char *proxy_digest, struct kc_err *err);
/* sha256 of the run specification (no labels of ours, a fixed hostname). */
int kc_app_digest(const struct kc_config *cfg, const struct kc_role *role, const char *host,
                  const char *version, char out[65], struct kc_err *err);

/* docker exec kamal-proxy kamal-proxy deploy SVC-ROLE[-DEST] --target=ID:PORT
 * and every proxy option of deploy.yml, in Kamal's order. */
void kc_cmd_app_deploy(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role,
                       const char *target_id);
/* The flags after --target for proxy settings p (shared with proxied
 * accessories); tls_name: the tls/<name> directory of custom certificates,
 * NULL: none passed. */
void kc_cmd_proxy_deploy_flags(struct kc_cmd *c, const struct kc_config *cfg,
                               const struct kc_proxy *p, const char *tls_name);
/* sha256 of the flags above (the target left out). */
void kc_app_proxy_digest(const struct kc_config *cfg, const struct kc_role *role, char out[65]);
/* kamal-proxy remove|resume SVC-ROLE[-DEST] */
void kc_cmd_app_proxy_remove(struct kc_cmd *c, const struct kc_role *role);
void kc_cmd_app_proxy_resume(struct kc_cmd *c, const struct kc_role *role);
/* kamal-proxy stop SVC-ROLE[-DEST] --drain-timeout=Ns [--message=M] */
void kc_cmd_app_proxy_stop(struct kc_cmd *c, const struct kc_role *role, long drain,
                           const char *message);

/* The env file: the role's secret env on host, KEY=value lines (values
 * literally, as for accessories); "\n" without secrets. values: secret name
 * -> value. */
int kc_app_env_content(const struct kc_config *cfg, const struct kc_role *role, const char *host,
                       const struct kc_kvlist *values, struct kc_buf *out, struct kc_err *err);
/* sha256 of the env a container gets (clear env, KAMAL_DESTINATION and the
 * env file's lines; docker's precedence), less the lines equal to one of
 * image_env and the KAMAL_ values that vary per container. The same
 * function hashes a container's Config.Env (env_file NULL, clear NULL). */
void kc_app_env_sha(const struct kc_strvec *lines, const cJSON *image_env, char out[65]);
/* The env lines a container of role gets on host (see kc_app_env_sha). */
void kc_app_env_lines(const struct kc_config *cfg, const struct kc_role *role, const char *host,
                      const char *env_file_content, struct kc_strvec *out);

/* ---- probe: one command per host ----
 * ONE docker inspect of the wanted containers, the image and kamal-proxy,
 * `kamal-proxy list`, and the flags files. */
struct kc_app_route {
    char *service, *target, *state;
};

struct kc_app_probe {
    char *docker_error;  /* non-NULL: docker did not answer */
    cJSON *containers;   /* name -> docker inspect object (owned) */
    cJSON *image;        /* the image's inspect object, or NULL */
    bool proxy_exists;
    char *proxy_status;
    char *proxy_image;
    char *list_error;    /* kamal-proxy list failed: its output */
    struct kc_app_route *routes;
    size_t nroutes;
    struct kc_strvec flags; /* parallel to the roles probed: the flags file, or NULL */
    bool net_seen;                /* with_network: the kamal network was inspected */
    struct kc_strvec net_names;   /* its attached (running) containers' names */
    struct kc_strvec net_ids;     /* parallel: their full IDs */
    struct kc_strvec running;       /* kc_app_running_parse: the service's running containers */
    struct kc_strvec running_ids;   /* parallel: each one's short ID */
    struct kc_strvec running_roles; /* parallel: each one's role label */
};
void kc_app_probe_release(struct kc_app_probe *p);

/* One command: each role's flags file, one docker inspect of the version's
 * containers, the image and kamal-proxy, the proxy's routes; with_network
 * also inspects the kamal network, whose attached containers tell (without a
 * second docker call) whether a stale one may run (kc_app_probe_net_clear). */
void kc_cmd_app_probe(struct kc_cmd *c, const struct kc_config *cfg,
                      const struct kc_role *const *roles, size_t n, const char *version,
                      bool with_network);
/* True when the probe saw the kamal network and none of its containers is
 * possibly a stale one of roles: named like the role's containers but neither
 * the version's nor the one kamal-proxy routes to. Conservative: a false
 * answer only means "look with kc_cmd_app_running". Roles with their own
 * network option (not on the kamal network) are never clear. */
bool kc_app_probe_net_clear(const struct kc_app_probe *p, const struct kc_role *const *roles,
                            size_t n, const char *version);
/* The service's running containers, "ID NAME ROLE" lines (the exact answer
 * to "does a stale container run?"); parsed by kc_app_running_parse. */
void kc_cmd_app_running(struct kc_cmd *c, const struct kc_config *cfg);
void kc_app_running_parse(const char *out, struct kc_app_probe *p);
/* The same probe over any containers: each flags file (a section each),
 * one docker inspect of names and kamal-proxy, and the routes; parsed by
 * kc_app_probe_parse with nroles = flags_files->n. */
void kc_cmd_proxy_targets_probe(struct kc_cmd *c, const struct kc_strvec *flags_files,
                                const struct kc_strvec *names);
int kc_app_probe_parse(const char *out, const char *err_text, size_t nroles,
                       struct kc_app_probe *p, struct kc_err *err);
const struct kc_app_route *kc_app_route(const struct kc_app_probe *p, const char *service);
/* The routes of `kamal-proxy list`'s output (its styling stripped) into p. */
void kc_app_routes_parse(const char *list_output, struct kc_app_probe *p);

/* ---- other commands ---- */

/* docker ps -a --filter label=service=SVC --filter label=destination=[DEST]
 * [--filter label=role=ROLE] --format '{{.ID}} {{.Names}} {{.State}}' */
void kc_cmd_app_list(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role);
void kc_cmd_app_rename(struct kc_cmd *c, const char *from, const char *to);
/* docker stop [-t N] NAME... */
void kc_cmd_app_stop(struct kc_cmd *c, const struct kc_role *role, const struct kc_strvec *names);
void kc_cmd_app_start(struct kc_cmd *c, const char *name);
void kc_cmd_app_rm(struct kc_cmd *c, const char *name);
/* docker tag IMG:VERSION IMG:latest[-DEST]: what Kamal's app boot leaves on
 * each host after booting (its running-version query and `app exec` without
 * --version read that tag). */
void kc_cmd_app_tag_latest(struct kc_cmd *c, const struct kc_config *cfg, const char *version);
/* Kamal's details/containers/images lines. */
void kc_cmd_app_details(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role);
void kc_cmd_app_containers(struct kc_cmd *c, const struct kc_config *cfg);
void kc_cmd_app_images(struct kc_cmd *c, const struct kc_config *cfg);
/* docker container prune --force --filter label=service=SVC
 * --filter label=destination=[DEST] --filter label=role=ROLE */
void kc_cmd_app_prune(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role);
/* docker image prune --all --force --filter label=service=SVC */
void kc_cmd_app_prune_images(struct kc_cmd *c, const struct kc_config *cfg);
/* rm -rf .kamal/apps/SVC[-DEST] .kamal/proxy/apps-config/SVC[-DEST] */
void kc_cmd_app_remove_dirs(struct kc_cmd *c, const struct kc_config *cfg);
/* docker run [-it|-i] [--detach|--rm] --name SVC-ROLE-exec-VER-HEX
 * --network kamal [env] --env-file F [-e K=V] [logging] [volumes] [options]
 * IMAGE CMD, or docker exec [-it|-i] [-e K=V] NAME CMD (reuse_name). */
struct kc_app_exec {
    const char *command;
    const char *version;
    const char *suffix; /* 6 hex */
    const struct kc_kvlist *env;
    const char *reuse_name; /* non-NULL: docker exec in this container */
    bool interactive, detach;
};
void kc_cmd_app_exec(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role,
                     const char *host, const struct kc_app_exec *x);

#endif
