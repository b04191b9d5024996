/* config.h - the typed, validated configuration (Kamal 2.12's deploy.yml).
 *
 * Lifecycle (after OpenSSH's readconf): kc_config_init, kc_config_load
 * (ERB -> YAML -> destination deep merge -> schema validation -> typed
 * structs with defaults -> cross-checks -> derived names), and
 * kc_config_release. Loading never touches a host and never resolves
 * secrets: kc_secrets_* does that, only for verbs that need a value. */
#ifndef KAMAL_C_CONFIG_H
#define KAMAL_C_CONFIG_H

#include "err.h"
#include "node.h"
#include "util.h"
#include "version.h"

/* env: clear values and secret names ("NAME" or "NAME:SECRET_NAME"). */
struct kc_env {
    struct kc_kvlist clear;
    struct kc_strvec secret;
};

/* docker run options from an `options:` map, in order. flag: a bare flag
 * (true); otherwise values holds one value, or several for an array (the
 * flag repeats). */
struct kc_docker_option {
    char *key;
    struct kc_strvec values;
    bool flag;
};
struct kc_docker_options {
    struct kc_docker_option *v;
    size_t n;
};

struct kc_logging {
    char *driver; /* NULL = docker's default */
    struct kc_kvlist options;
};

/* A host as written in servers (its address or name) and its tags. */
struct kc_server {
    char *host;
    struct kc_strvec tags;
};

struct kc_role {
    char *name;
    const struct kc_node *node;              /* servers.NAME, or servers itself (list form) */
    struct kc_strvec hosts;                  /* in config order, unique */
    struct kc_strvec *host_tags;             /* parallel to hosts: each host's tags in this role */
    char *cmd;                               /* NULL when not set */
    long stop_timeout;                       /* -1 when not set */
    struct kc_env env;                       /* the role's own env (see kc_config_env_for) */
    struct kc_kvlist labels;                 /* custom labels: root labels, then the role's */
    const struct kc_node *options;           /* docker run options (map), may be NULL */
    struct kc_docker_options docker_options; /* options without restart */
    char *restart;                           /* options.restart, NULL when not set */
    const struct kc_node *logging;           /* role logging, deep-merged over root */
    struct kc_logging effective_logging;     /* root logging with the role's over it */
    const struct kc_node *proxy;             /* role proxy (bool or map), may be NULL */
    bool runs_proxy;
    struct kc_node *effective_proxy; /* runs_proxy: root proxy with the role's
                                        deep-merged over it (owned), else NULL */
    char *asset_path;                /* the role's, else the root's */
};

struct kc_registry {
    char *server; /* NULL = Docker Hub */
    char *username;
    bool username_is_secret; /* [NAME] form: value is a secret name */
    char *password;
    bool password_is_secret;
    bool local; /* server is localhost:PORT */
};

/* One entry of accessory files: or directories:. */
struct kc_mount_spec {
    char *local;   /* as written (files: a local path, relative to the cwd) */
    char *remote;  /* path inside the container */
    char *mode;    /* as written ("0644"); files default to "755", dirs: NULL = unset */
    char *owner;   /* "user[:group]" or NULL */
    char *options; /* volume options ("ro", "z", ...) or NULL */
};

struct kc_accessory {
    char *name;                 /* the key under accessories: */
    const struct kc_node *node; /* the raw accessories.NAME mapping */
    char *service;              /* container name and service label; default SVC-NAME */
    char *image;                /* with the accessory registry's server prefixed */
    struct kc_registry registry;
    bool has_registry;
    struct kc_strvec hosts; /* resolved placement, config order, unique */
    char *cmd;
    char *port;                       /* as written; see kc_accessory_publish */
    struct kc_kvlist labels;          /* custom labels (service=... is implied) */
    struct kc_docker_options options; /* without restart */
    char *restart;                    /* default "unless-stopped" */
    struct kc_env env;
    struct kc_mount_spec *files;
    size_t nfiles;
    struct kc_mount_spec *directories;
    size_t ndirectories;
    struct kc_strvec volumes;
    char *network;               /* default "kamal" */
    const struct kc_node *proxy; /* raw (map or bool), may be NULL */
    bool runs_proxy;             /* proxy is a non-empty map (or true) */
};

enum kc_ssh_config_mode {
    KC_SSH_CONFIG_DEFAULT,
    KC_SSH_CONFIG_TRUE,
    KC_SSH_CONFIG_FALSE,
    KC_SSH_CONFIG_FILES
};

struct kc_ssh {
    char *user;          /* default root */
    int port;            /* default 22 */
    bool port_set;       /* deploy.yml sets ssh.port */
    char *proxy;         /* jump host: [user@]host[:port] */
    char *proxy_command; /* ssh -W ... (not supported natively; error at connect) */
    char *log_level;     /* default fatal */
    bool keys_only;
    struct kc_strvec keys;
    struct kc_strvec key_data; /* secret names holding private keys */
    enum kc_ssh_config_mode config_mode;
    struct kc_strvec config_files;
    bool forward_agent;
};

struct kc_sshkit {
    int max_concurrent_starts; /* default 30 */
    int pool_idle_timeout;     /* default 900 */
    int dns_retries;           /* default 3 */
};

struct kc_config {
    /* where it came from */
    char *config_file;   /* as given (-c), default config/deploy.yml */
    char *dest_file;     /* config/deploy.DEST.yml, or NULL */
    char *destination;   /* -d, or NULL */
    struct kc_tree tree; /* the merged raw tree (config output, aliases) */

    /* root keys */
    char *service;
    char *image; /* without the registry server; a local registry defaults it to service */
    struct kc_registry registry;
    struct kc_kvlist labels;
    struct kc_strvec volumes;
    struct kc_role *roles; /* sorted by name, primary role moved first */
    size_t nroles;
    struct kc_server *servers; /* every host of servers, in config order, unique;
                                  tags are the union over its roles */
    size_t nservers;
    struct kc_strvec hosts; /* all hosts: roles' and accessories', unique, ordered */
    struct kc_env env;
    struct kc_env *env_tags; /* env.tags values, parallel to env_tag_keys */
    struct kc_strvec env_tag_keys;
    struct kc_accessory *accessories; /* in config order */
    size_t naccessories;
    struct kc_ssh ssh;
    struct kc_sshkit sshkit;
    struct kc_logging logging;
    struct kc_kvlist aliases; /* name -> command line */
    char *hooks_path;         /* default .kamal/hooks */
    char *secrets_path;       /* default .kamal/secrets */
    char *primary_role;       /* default web */
    char *minimum_version;
    char *asset_path;
    char *error_pages_path;
    bool require_destination;
    bool allow_empty_roles;
    long retain_containers;  /* default 5 */
    long readiness_delay;    /* default 7 */
    long deploy_timeout;     /* default 30 */
    long drain_timeout;      /* default 30 */
    long stop_timeout;       /* -1 = not set */
    long boot_limit;         /* -1 = not set */
    bool boot_limit_percent; /* boot_limit is a percentage of all hosts */
    long boot_wait;          /* -1 = not set */
    bool boot_parallel_roles;
    const struct kc_node *proxy;   /* raw, validated */
    const struct kc_node *builder; /* raw, validated */
    const struct kc_node *output;  /* raw, validated */
    const struct kc_node *hooks_output;

    /* derived, exactly as Kamal derives them */
    char *primary_host;            /* first host of the primary role, else first host */
    char *service_and_destination; /* SVC or SVC-DEST */
    char *run_dir;                 /* .kamal */
    char *lock_dir;                /* .kamal/lock-SVC[-DEST] */
    char *audit_log;               /* .kamal/SVC[-DEST]-audit.log */
    char *app_dir;                 /* .kamal/apps/SVC[-DEST] */
    char *accessory_env_dir;       /* .kamal/apps/SVC[-DEST]/env/accessories */
};

struct kc_load_opts {
    const char *config_file; /* NULL = config/deploy.yml */
    const char *destination; /* NULL = none */
    const char *version;     /* --version, for KAMAL_VERSION in ERB; may be NULL */
    bool skip_validation;    /* aliases: read the raw merged tree only */
    /* names an alias may not take (NULL-terminated); NULL = the list below */
    const char *const *builtin_commands;
};

/* kamal's built-in top-level commands, which aliases may not shadow. */
extern const char *const kc_config_builtin_commands[];

void kc_config_init(struct kc_config *cfg);
/* The whole pipeline. Returns 0 or KC_ECONFIG (also for a missing file, a
 * file over 1 MiB, a missing destination file). As Kamal does, it sets
 * KAMAL_DESTINATION (unsets it without -d) and, with opts->version,
 * KAMAL_VERSION in the process environment before rendering ERB. Errors carry
 * file:line:col and a dotted path (accessories.db.port: ...). After a failed
 * load, kc_config_release still frees whatever was filled. */
int kc_config_load(struct kc_config *cfg, const struct kc_load_opts *opts, struct kc_err *err);
/* The same pipeline on deploy.yml's text already in memory (the fuzz
 * harness, tools): file_name (NULL: as kc_config_load picks it) names it in
 * errors and marks; a destination file is still read from disk next to it. */
int kc_config_load_text(struct kc_config *cfg, const char *text, size_t len, const char *file_name,
                        const struct kc_load_opts *opts, struct kc_err *err);
void kc_config_release(struct kc_config *cfg);

const struct kc_accessory *kc_config_accessory(const struct kc_config *cfg, const char *name);
const struct kc_role *kc_config_role(const struct kc_config *cfg, const char *name);
/* Roles that include host, in the config's role order. */
void kc_config_roles_of_host(const struct kc_config *cfg, const char *host, struct kc_strvec *out);
/* The tags of a host (from the servers entries). */
const struct kc_strvec *kc_config_host_tags(const struct kc_config *cfg, const char *host);

/* Accessory derived values. */
/* "3306" -> "3306:3306"; "127.0.0.1:3306:3306" kept; NULL when no port. */
char *kc_accessory_publish(const struct kc_accessory *acc);
/* Host path of a files:/directories: entry, relative to the SSH user's home
 * (files: SERVICE/remote; relative directories: SERVICE/local; absolute
 * directories: local as written). */
char *kc_accessory_file_host_path(const struct kc_accessory *acc, const struct kc_mount_spec *f);
char *kc_accessory_dir_host_path(const struct kc_accessory *acc, const struct kc_mount_spec *d);
/* .kamal/apps/SVC[-DEST]/env/accessories/NAME.env */
char *kc_accessory_env_file(const struct kc_config *cfg, const struct kc_accessory *acc);

/* The env a role's container gets on host: root env, then the role's, then
 * each env.tags entry for the host's tags in that role, in tag order. Clear
 * values: later wins; secret names: union. out must be zeroed. */
void kc_config_env_for(const struct kc_config *cfg, const struct kc_role *role, const char *host,
                       struct kc_env *out);
void kc_env_release(struct kc_env *env);

/* Names Docker would reject (names.c). */
bool kc_docker_name_ok(const char *name);
bool kc_image_ref_ok(const char *ref);
bool kc_host_name_ok(const char *host);
/* False for an empty path or one with a ".." segment. */
bool kc_path_stays_inside(const char *path);

/* What `kamal-c config` prints: Kamal's config keys (roles, hosts,
 * primary_host, version, repository, absolute_image, service_with_version,
 * volume_args, ssh_options, sshkit, builder, accessories, logging) as YAML,
 * or as JSON when json. version may be NULL (then version, absolute_image
 * and service_with_version are left out). Secrets are never shown: registry
 * passwords and secret-backed usernames print as [REDACTED], env.secret
 * lists only names. */
void kc_config_dump(const struct kc_config *cfg, const char *version, bool json,
                    struct kc_buf *out);

/* `kamal-c init`: writes config/deploy.yml, .kamal/secrets and the nine
 * .kamal/hooks/HOOK.sample files under dir (created as needed). Refuses to
 * overwrite: if any of them exists, nothing is written and the error names
 * it. created gets the relative paths written, in order. */
int kc_init_project(const char *dir, struct kc_strvec *created, struct kc_err *err);

#endif
