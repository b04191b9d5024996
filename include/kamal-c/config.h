/* config.h - the typed, validated configuration (Kamal 2.12's deploy.yml).
 *
 * Lifecycle (after OpenSSH's readconf): kc_config_init, kc_config_load
 * (ERB -> YAML -> destination deep merge -> schema validation -> typed
 * structs with defaults -> cross-checks -> derived names), and
 * kc_config_release. Loading never touches a host and never resolves
 * secrets: kc_secrets_* does that, only for verbs that need a value
 * (kc_registry_credentials for a registry's).
 *
 * Consumers trust the struct: every default is applied once, at load
 * (key defaults from the schema table, the rest from defaults.h), so a
 * field documented "default X" holds X when deploy.yml leaves it out.
 * Fields that can be absent say what absent looks like (NULL, -1, 0, or a
 * struct kc_opt_* whose set is false). The raw tree (cfg->tree, and the
 * node pointers kept next to typed fields) is for `config` output and
 * error locations only.
 *
 * Where a verb finds things:
 *   app containers, per role   cfg->roles[i] (primary first): hosts, cmd, env
 *                              (kc_config_env_for), labels, docker_options,
 *                              restart, effective_logging, container_prefix
 *   kamal-proxy deploy options role->proxy when role->runs_proxy: the root
 *                              proxy: with the role's deep-merged over it, as
 *                              Kamal's Role#proxy; accessory->proxy likewise
 *                              (the accessory's own mapping only)
 *   kamal-proxy boot options   kc_config_proxy_run(cfg, host), else the
 *                              defaults in cfg->proxy.run; kc_config_proxy_hosts
 *   image builds               cfg->builder, cfg->repository, cfg->latest_tag
 *   paths on the hosts         cfg->*_dir, role->env_file, kc_accessory_env_file */
#ifndef KAMAL_C_CONFIG_H
#define KAMAL_C_CONFIG_H

#include "err.h"
#include "node.h"
#include "defaults.h"
#include "secrets.h" /* kc_cmd_runner */
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

/* Logging as docker run gets it: driver and options, or (nothing set)
 * options max-size=10m, already applied. */
struct kc_logging {
    char *driver; /* NULL = docker's default */
    struct kc_kvlist options;
};

/* A setting Kamal passes on only when deploy.yml gives it (kamal-proxy
 * flags): value is deploy.yml's value, else the default in effect (the one
 * kamal-proxy applies); set tells whether deploy.yml gives it. */
struct kc_opt_long {
    long value;
    bool set;
};
struct kc_opt_bool {
    bool value;
    bool set;
};
struct kc_opt_str {
    char *value;
    bool set;
};

/* proxy.run: how kamal-proxy's container is run on a host (Kamal's
 * Proxy::Run). Every field has its default applied, also when deploy.yml
 * has no run: (given is then false and Kamal boots the proxy from the
 * .kamal/proxy boot_config files, whose defaults are these). */
struct kc_proxy_run {
    bool given;                       /* a non-empty run: mapping */
    const struct kc_node *node;       /* run: as written (Kamal compares runs by it), or NULL */
    long http_port;                   /* 80: --publish [IP:]http_port:80 */
    long https_port;                  /* 443: --publish [IP:]https_port:443 */
    bool publish;                     /* true; false: no --publish at all */
    struct kc_strvec bind_ips;        /* as written; empty = every address */
    char *log_max_size;               /* "10m": --log-opt max-size=... ("" = none) */
    long metrics_port;                /* 0 = none; else --expose=P and --metrics-port */
    bool debug;                       /* kamal-proxy run --debug */
    char *registry;                   /* NULL */
    char *repository;                 /* basecamp/kamal-proxy */
    char *version;                    /* v0.9.2 */
    char *image;                      /* [registry/]repository:version */
    struct kc_docker_options options; /* extra docker run options */
};

/* A proxy: mapping (Kamal's Configuration::Proxy), as `kamal-proxy deploy`
 * options. Defaults are applied; struct kc_opt_* fields say whether
 * deploy.yml sets them, because Kamal passes those flags only then. */
struct kc_proxy {
    const struct kc_node *node; /* the mapping the fields come from (for a role:
                                   the merged one, owned here), NULL when empty */
    struct kc_node *merged;     /* owned: a role's root proxy with its own over it */
    struct kc_strvec hosts;     /* hosts:, or host: split at ','; empty = any host */
    long app_port;              /* 80: --target=CONTAINER:app_port */
    bool ssl;                   /* ssl: true or a certificate mapping: --tls */
    bool custom_ssl;            /* both certificate secrets are set */
    char *ssl_certificate_pem;  /* secret names (ssl: {certificate_pem, private_key_pem}) */
    char *ssl_private_key_pem;
    struct kc_opt_bool ssl_redirect;      /* true: --tls-redirect */
    struct kc_opt_bool forward_headers;   /* kamal-proxy: true unless ssl */
    struct kc_opt_long response_timeout;  /* 30 s: --target-timeout */
    struct kc_strvec path_prefixes;       /* path_prefixes, or path_prefix split at ',' */
    struct kc_opt_bool strip_path_prefix; /* true */
    struct {
        struct kc_opt_str path;      /* /up */
        struct kc_opt_long interval; /* 1 s */
        struct kc_opt_long timeout;  /* 5 s */
    } healthcheck;
    struct {
        bool requests;                        /* true: --buffer-requests (always passed) */
        bool responses;                       /* true: --buffer-responses (always passed) */
        struct kc_opt_long memory;            /* bytes; kamal-proxy: 1 MB */
        struct kc_opt_long max_request_body;  /* bytes; kamal-proxy: 1 GB */
        struct kc_opt_long max_response_body; /* bytes; kamal-proxy: 0 = unlimited */
    } buffering;
    struct kc_strvec log_request_headers;  /* default Cache-Control, Last-Modified,
                                              User-Agent (always passed) */
    struct kc_strvec log_response_headers; /* may be empty */
    struct kc_proxy_run run;               /* run.given: this proxy sets proxy.run */
};

/* builder: (Kamal's Configuration::Builder). Which builder runs (local,
 * remote, hybrid, pack, cloud) also depends on the local docker's
 * architecture, so that choice is the build verb's. */
struct kc_builder {
    const struct kc_node *node; /* builder: as written (config output) */
    struct kc_strvec arches;    /* arch: amd64 and/or arm64, at least one */
    char *remote;               /* ssh://user@host or another docker host URL; NULL = none */
    bool local;                 /* true; false: always build on the remote */
    bool pack;                  /* pack: Cloud Native Buildpacks */
    char *pack_builder;         /* pack.builder */
    struct kc_strvec pack_buildpacks;
    bool cache;               /* cache: is set */
    char *cache_type;         /* "gha" or "registry" */
    char *cache_options;      /* NULL */
    char *cache_image;        /* default IMAGE-build-cache */
    char *cache_ref;          /* registry cache: [server/]cache_image */
    char *context;            /* NULL: build a git clone of HEAD (Kamal's default in a
                                 git repository), else this directory ("." = as is) */
    char *dockerfile;         /* "Dockerfile" */
    char *target;             /* NULL */
    struct kc_kvlist args;    /* --build-arg K=V, in order */
    struct kc_strvec secrets; /* secret names: --secret id=NAME */
    char *ssh;                /* --ssh value, NULL */
    char *driver;             /* "docker-container"; "docker"; "cloud ORG/NAME" */
    bool docker_driver;       /* driver is "docker": no --builder, no builder create */
    bool cloud;               /* driver starts with "cloud" */
    char *provenance;         /* as written ("false" is passed on), NULL */
    char *sbom;
};

/* output: where each run's log goes besides the terminal (Kamal 2.12). */
struct kc_output_config {
    char *file_path;     /* output.file.path, a directory; NULL = none */
    char *otel_endpoint; /* output.otel.endpoint; NULL = none */
};

/* A host as written in servers (its address or name) and its tags. */
struct kc_server {
    char *host;
    struct kc_strvec tags;
};

struct kc_role {
    char *name;
    const struct kc_node *node;              /* servers.NAME, or servers itself (list form) */
    bool primary;                            /* the primary_role */
    struct kc_strvec hosts;                  /* in config order, unique */
    struct kc_strvec *host_tags;             /* parallel to hosts: each host's tags in this role */
    char *cmd;                               /* NULL when not set */
    long stop_timeout;                       /* the role's, else the root's; -1 when not set */
    long docker_stop_timeout;                /* docker stop -t: stop_timeout, else drain_timeout
                                                when the role runs no proxy; -1 = no -t */
    struct kc_env env;                       /* the role's own env (see kc_config_env_for) */
    struct kc_kvlist labels;                 /* custom labels: root labels, then the role's */
    const struct kc_node *options;           /* docker run options (map), may be NULL */
    struct kc_docker_options docker_options; /* options without restart */
    char *restart;                           /* options.restart, default unless-stopped */
    const struct kc_node *logging;           /* the role's own logging:, may be NULL */
    struct kc_logging effective_logging;     /* root logging with the role's merged over */
    const struct kc_node *proxy_node;        /* the role's proxy: (bool or map), may be NULL */
    bool runs_proxy;          /* primary: unless proxy: false; others: proxy: true or a mapping */
    struct kc_proxy proxy;    /* runs_proxy: the root proxy with the role's deep-merged over it */
    char *asset_path;         /* the role's asset_path, else the root's, before any ':' */
    char *asset_path_options; /* what follows the ':' (volume options), or NULL */
    char *container_prefix;   /* SVC-ROLE[-DEST]: containers and the kamal-proxy service */
    char *env_file;           /* .kamal/apps/SVC[-DEST]/env/roles/ROLE.env */
};

struct kc_registry {
    char *path;   /* "registry" or "accessories.NAME.registry", for messages */
    char *server; /* NULL = Docker Hub */
    char *username;
    bool username_is_secret; /* [NAME] form: value is a secret name */
    char *password;
    bool password_is_secret;
    bool local;      /* server is localhost:PORT */
    long local_port; /* local: the PORT, else 0 */
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
    char *restart;                    /* default unless-stopped */
    struct kc_env env;
    struct kc_mount_spec *files;
    size_t nfiles;
    struct kc_mount_spec *directories;
    size_t ndirectories;
    struct kc_strvec volumes;
    char *network;                    /* default kamal */
    const struct kc_node *proxy_node; /* proxy: as written (map or bool), may be NULL */
    bool runs_proxy;                  /* proxy: is present (a non-empty map, or true) */
    struct kc_proxy proxy;            /* runs_proxy: the accessory's own (no root merge) */
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
    size_t nservers, capservers;
    struct kc_strvec server_names; /* servers[i].host, in the same order: the lookup */
    struct kc_strvec hosts;        /* all hosts: roles' and accessories', unique, ordered */
    struct kc_env env;
    struct kc_env *env_tags; /* env.tags values, parallel to env_tag_keys */
    struct kc_strvec env_tag_keys;
    struct kc_accessory *accessories; /* in config order */
    size_t naccessories;
    struct kc_ssh ssh;
    struct kc_sshkit sshkit;
    struct kc_logging logging;             /* root logging, default applied */
    struct kc_kvlist aliases;              /* name -> command line */
    char *hooks_path;                      /* default .kamal/hooks */
    char *hooks_output;                    /* hooks_output: quiet|verbose for every hook, or NULL */
    struct kc_kvlist hooks_output_by_hook; /* hooks_output: {HOOK: level} (see
                                              kc_config_hooks_output) */
    char *secrets_path;                    /* default .kamal/secrets */
    char *primary_role;                    /* default web */
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
    long boot_group_size;    /* hosts booted at once: boot_limit, or that percentage of
                                all hosts (at least 1); 0 = all at once */
    long boot_wait;          /* -1 = not set */
    bool boot_parallel_roles;
    struct kc_proxy proxy; /* the root proxy: (defaults when absent); a role's
                              effective proxy is kc_role.proxy */
    struct kc_builder builder;
    struct kc_output_config output;

    /* derived, exactly as Kamal derives them */
    char *primary_host;            /* first host of the primary role, else first host */
    char *service_and_destination; /* SVC or SVC-DEST */
    char *repository;              /* [registry.server/]image */
    char *latest_tag;              /* latest or latest-DEST */
    char *run_dir;                 /* .kamal */
    char *lock_dir;                /* .kamal/lock-SVC[-DEST] */
    char *audit_log;               /* .kamal/SVC[-DEST]-audit.log */
    char *app_dir;                 /* .kamal/apps/SVC[-DEST] */
    char *env_dir;                 /* .kamal/apps/SVC[-DEST]/env */
    char *accessory_env_dir;       /* .kamal/apps/SVC[-DEST]/env/accessories */
    char *assets_dir;              /* .kamal/apps/SVC[-DEST]/assets */
    char *proxy_dir;               /* .kamal/proxy (boot_config files) */
    char *proxy_apps_dir;          /* .kamal/proxy/apps-config (mounted in kamal-proxy) */
    char *proxy_app_dir;           /* .kamal/proxy/apps-config/SVC[-DEST] */
    char *proxy_app_container_dir; /* /home/kamal-proxy/.apps-config/SVC[-DEST] */
};

struct kc_load_opts {
    const char *config_file; /* NULL = config/deploy.yml */
    const char *destination; /* NULL = none */
    const char *version;     /* --version, for KAMAL_VERSION in ERB; may be NULL */
    bool skip_validation;    /* aliases: read the raw merged tree only */
    /* names an alias may not take (NULL-terminated); NULL = the list below */
    const char *const *builtin_commands;
    /* Runs the commands ERB gives (`cmd`, %x(cmd)) at load, as the $(cmd) of
     * secrets files do; NULL = kc_dotenv_run_sh. */
    kc_cmd_runner run;
    void *run_ud;
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
/* The proxy.run in effect on host (Kamal's proxy_run(host)): the first
 * role or accessory there that runs the proxy with a run: (they all agree,
 * a load checks it); NULL when none sets one (then the proxy boots from
 * the .kamal/proxy boot_config files, or cfg->proxy.run's defaults). */
const struct kc_proxy_run *kc_config_proxy_run(const struct kc_config *cfg, const char *host);
/* Hosts that run kamal-proxy: those of proxied roles, then of proxied
 * accessories, once each. */
void kc_config_proxy_hosts(const struct kc_config *cfg, struct kc_strvec *out);
/* hooks_output for one hook: "quiet", "verbose" or NULL (not set). */
const char *kc_config_hooks_output(const struct kc_config *cfg, const char *hook);

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
 * volume_args, ssh_options, sshkit, builder, accessories, logging) as YAML
 * or as JSON (the output target picks one: kc_out_doc). version may be NULL
 * (then version, absolute_image and service_with_version are left out). Secrets are never shown: registry
 * passwords and secret-backed usernames print as [REDACTED], env.secret
 * lists only names. */
void kc_config_dump_yaml(const struct kc_config *cfg, const char *version, struct kc_buf *out);
void kc_config_dump_json(const struct kc_config *cfg, const char *version, struct kc_buf *out);

/* `kamal-c init`: writes config/deploy.yml, .kamal/secrets and the nine
 * .kamal/hooks/HOOK.sample files under dir (created as needed). Refuses to
 * overwrite: if any of them exists, nothing is written and the error names
 * it. created gets the relative paths written, in order. */
int kc_init_project(const char *dir, struct kc_strvec *created, struct kc_err *err);

#endif
