/* proxy.h - pure pieces of kamal-proxy management (Kamal §4.7): the docker
 * run of the proxy container (from proxy.run, or from the boot_config files
 * read on the host, or Kamal's defaults), the one-command probe of a host
 * and its parser, the kamal-proxy control commands and the drift check.
 * No I/O; unit-tested by exact strings. */
#ifndef KAMAL_C_PROXY_H
#define KAMAL_C_PROXY_H

#include <cjson/cJSON.h>

#include "cmd.h"
#include "config.h"
#include "err.h"

/* The four boot_config files under .kamal/proxy (NULL: absent). */
struct kc_proxy_files {
    char *options;       /* docker run options, as one line */
    char *image;         /* [registry/]repository/kamal-proxy */
    char *image_version; /* the tag */
    char *run_command;   /* "kamal-proxy run --debug ..." */
};
void kc_proxy_files_release(struct kc_proxy_files *f);

/* What the probe of one host found. */
struct kc_proxy_probe {
    char *docker_error;   /* non-NULL: docker did not answer */
    bool network_exists;  /* the kamal network */
    bool apps_dir;        /* .kamal/proxy/apps-config exists */
    struct kc_proxy_files files;
    bool exists;          /* a kamal-proxy container */
    char *status;         /* its State.Status */
    char *image;          /* its Config.Image */
    char *digest;         /* its kamal-c.digest label, or NULL */
    long apps;            /* entries under .kamal/apps (remove's guard) */
};
void kc_proxy_probe_release(struct kc_proxy_probe *p);

/* The probe: the boot_config files, the apps-config directory, the
 * number of apps, and ONE docker inspect of kamal-proxy and the network. */
void kc_cmd_proxy_probe(struct kc_cmd *c, const struct kc_config *cfg);
int kc_proxy_probe_parse(const char *out, const char *err_text, struct kc_proxy_probe *p,
                         struct kc_err *err);

/* docker run of kamal-proxy on host: Kamal's fixed part, then proxy.run's
 * arguments when deploy.yml has one for host, else those the boot_config
 * files give (files may be NULL: the defaults). digest NULL: no label. */
int kc_cmd_proxy_run(struct kc_cmd *c, const struct kc_config *cfg, const char *host,
                     const struct kc_proxy_files *files, const char *digest, struct kc_err *err);
/* The image the run above uses. Caller frees. */
char *kc_proxy_image(const struct kc_config *cfg, const char *host,
                     const struct kc_proxy_files *files);
/* sha256 of the run line without the label. */
int kc_proxy_digest(const struct kc_config *cfg, const char *host,
                    const struct kc_proxy_files *files, char out[65], struct kc_err *err);

/* The tag of an image reference ("reg:5443/x/y:v1" -> "v1"), NULL when none. */
const char *kc_image_tag(const char *image);
/* Whether the tag is older than v0.9.2 (Kamal's minimum). */
bool kc_proxy_too_old(const char *tag);

void kc_cmd_proxy_mkdir_apps(struct kc_cmd *c, const struct kc_config *cfg);
void kc_cmd_proxy_start(struct kc_cmd *c);
void kc_cmd_proxy_stop(struct kc_cmd *c);
void kc_cmd_proxy_prune_container(struct kc_cmd *c);
void kc_cmd_proxy_prune_image(struct kc_cmd *c);
void kc_cmd_proxy_rm(struct kc_cmd *c); /* docker container rm --force kamal-proxy */
void kc_cmd_proxy_remove_dir(struct kc_cmd *c, const struct kc_config *cfg);
void kc_cmd_proxy_details(struct kc_cmd *c);
/* rm -f .kamal/proxy/FILE (FILE: options, image, image_version, run_command) */
void kc_cmd_proxy_reset_file(struct kc_cmd *c, const struct kc_config *cfg, const char *file);
/* The file's host path. Caller frees. */
char *kc_proxy_file_path(const struct kc_config *cfg, const char *file);
/* `kamal-proxy list`, through docker exec. */
void kc_cmd_proxy_list(struct kc_cmd *c);

/* kc_cmd_logs_of (docker logs of any container): accessory.h. */

/* What `proxy boot_config set` writes (Kamal's option semantics). */
struct kc_proxy_boot_opts {
    bool publish;
    struct kc_strvec publish_host_ips;
    long http_port, https_port;
    const char *log_max_size;
    const char *registry, *repository, *image_version;
    long metrics_port; /* 0: none */
    bool debug;
    struct kc_strvec docker_options; /* "a=b" each */
};
/* The four files' contents (NULL: remove the file, it is the default). */
void kc_proxy_boot_files(const struct kc_proxy_boot_opts *o, struct kc_proxy_files *out);

#endif
