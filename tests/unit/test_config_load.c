/* test_config_load.c - good deploy.yml fixtures load into the typed config:
 * values, defaults, derived names, destination merge, ERB, anchors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kamal-c/config.h"

#include "../../src/config/schema.h"

#define CONFIGS KC_FIXTURES "/configs/"

/* Loads CONFIGS/name (with destination, may be NULL) and fails the test on
 * any error, printing it. */
static void load(struct kc_config *cfg, const char *name, const char *destination)
{
    struct kc_err err = KC_ERR_INIT;
    char *path = kc_xasprintf(CONFIGS "%s", name);
    struct kc_load_opts opts = {.config_file = path, .destination = destination};
    kc_config_init(cfg);
    int rc = kc_config_load(cfg, &opts, &err);
    if (rc != 0) {
        char *msg = kc_err_format(&err);
        print_error("%s\n", msg);
        free(msg);
    }
    kc_err_release(&err);
    free(path);
    assert_int_equal(rc, 0);
}

static void assert_strvec(const struct kc_strvec *sv, const char *const *want)
{
    size_t n = 0;
    while (want[n])
        n++;
    assert_int_equal(sv->n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(sv->v[i], want[i]);
}

#define STRS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_STRS   ((const char *const[]){NULL})

static void test_simple_defaults(void **state)
{
    (void)state;
    struct kc_config cfg;
    load(&cfg, "simple.yml", NULL);
    assert_string_equal(cfg.service, "app");
    assert_string_equal(cfg.image, "dhh/app");
    assert_int_equal(cfg.nroles, 1);
    assert_string_equal(cfg.roles[0].name, "web");
    assert_true(cfg.roles[0].runs_proxy);
    assert_true(cfg.roles[0].primary);
    assert_null(cfg.roles[0].proxy.node); /* no proxy: anywhere, defaults only */
    assert_strvec(&cfg.roles[0].hosts, STRS("1.1.1.1", "1.1.1.2"));
    assert_strvec(&cfg.hosts, STRS("1.1.1.1", "1.1.1.2"));
    assert_string_equal(cfg.primary_host, "1.1.1.1");
    /* registry: Docker Hub, secret-backed password */
    assert_null(cfg.registry.server);
    assert_false(cfg.registry.local);
    assert_string_equal(cfg.registry.username, "dhh");
    assert_false(cfg.registry.username_is_secret);
    assert_string_equal(cfg.registry.password, "KAMAL_REGISTRY_PASSWORD");
    assert_true(cfg.registry.password_is_secret);
    /* Kamal's defaults */
    assert_string_equal(cfg.primary_role, "web");
    assert_string_equal(cfg.hooks_path, ".kamal/hooks");
    assert_string_equal(cfg.secrets_path, ".kamal/secrets");
    assert_int_equal(cfg.retain_containers, 5);
    assert_int_equal(cfg.readiness_delay, 7);
    assert_int_equal(cfg.deploy_timeout, 30);
    assert_int_equal(cfg.drain_timeout, 30);
    assert_int_equal(cfg.stop_timeout, -1);
    assert_int_equal(cfg.boot_limit, -1);
    assert_int_equal(cfg.boot_wait, -1);
    assert_false(cfg.boot_parallel_roles);
    assert_false(cfg.require_destination);
    assert_false(cfg.allow_empty_roles);
    assert_null(cfg.minimum_version);
    assert_string_equal(cfg.ssh.user, "root");
    assert_int_equal(cfg.ssh.port, 22);
    assert_false(cfg.ssh.port_set);
    assert_string_equal(cfg.ssh.log_level, "fatal");
    assert_int_equal(cfg.ssh.config_mode, KC_SSH_CONFIG_DEFAULT);
    assert_int_equal(cfg.sshkit.max_concurrent_starts, 30);
    assert_int_equal(cfg.sshkit.pool_idle_timeout, 900);
    assert_int_equal(cfg.sshkit.dns_retries, 3);
    /* logging: Kamal's --log-opt max-size=10m, applied once by the loader */
    assert_null(cfg.logging.driver);
    assert_int_equal(cfg.logging.options.n, 1);
    assert_string_equal(kc_kvlist_get(&cfg.logging.options, "max-size"), "10m");
    assert_string_equal(kc_kvlist_get(&cfg.roles[0].effective_logging.options, "max-size"), "10m");
    assert_string_equal(cfg.roles[0].restart, "unless-stopped");
    assert_int_equal(cfg.roles[0].stop_timeout, -1);
    assert_int_equal(cfg.roles[0].docker_stop_timeout, -1); /* kamal-proxy drains */
    assert_null(cfg.roles[0].asset_path);
    assert_int_equal(cfg.naccessories, 0);
    assert_int_equal(cfg.aliases.n, 0);
    /* the root proxy: Kamal's and kamal-proxy's defaults */
    const struct kc_proxy *px = &cfg.roles[0].proxy;
    assert_null(cfg.proxy.node);
    assert_int_equal(px->app_port, 80);
    assert_int_equal(px->hosts.n, 0);
    assert_false(px->ssl);
    assert_false(px->custom_ssl);
    assert_false(px->ssl_redirect.set);
    assert_true(px->ssl_redirect.value);
    assert_false(px->forward_headers.set);
    assert_true(px->forward_headers.value); /* forwarded unless ssl */
    assert_false(px->response_timeout.set);
    assert_int_equal(px->response_timeout.value, 30);
    assert_true(px->strip_path_prefix.value);
    assert_string_equal(px->healthcheck.path.value, "/up");
    assert_false(px->healthcheck.path.set);
    assert_int_equal(px->healthcheck.interval.value, 1);
    assert_int_equal(px->healthcheck.timeout.value, 5);
    assert_true(px->buffering.requests);
    assert_true(px->buffering.responses);
    assert_int_equal(px->buffering.memory.value, 1048576);
    assert_int_equal(px->buffering.max_request_body.value, 0);
    assert_strvec(&px->log_request_headers, STRS("Cache-Control", "Last-Modified", "User-Agent"));
    assert_int_equal(px->log_response_headers.n, 0);
    assert_false(px->run.given);
    assert_int_equal(px->run.http_port, 80);
    assert_int_equal(px->run.https_port, 443);
    assert_true(px->run.publish);
    assert_string_equal(px->run.log_max_size, "10m");
    assert_string_equal(px->run.image, "basecamp/kamal-proxy:v0.9.2");
    assert_int_equal(px->run.metrics_port, 0);
    assert_null(kc_config_proxy_run(&cfg, "1.1.1.1"));
    assert_int_equal(cfg.proxy.app_port, 80);
    /* builder defaults */
    assert_non_null(cfg.builder.node);
    assert_strvec(&cfg.builder.arches, STRS("amd64"));
    assert_true(cfg.builder.local);
    assert_null(cfg.builder.remote);
    assert_null(cfg.builder.context);
    assert_string_equal(cfg.builder.dockerfile, "Dockerfile");
    assert_string_equal(cfg.builder.driver, "docker-container");
    assert_false(cfg.builder.docker_driver);
    assert_false(cfg.builder.cache);
    assert_false(cfg.builder.pack);
    assert_null(cfg.output.file_path);
    assert_null(cfg.output.otel_endpoint);
    assert_null(kc_config_hooks_output(&cfg, "pre-deploy"));
    assert_int_equal(cfg.boot_group_size, 0);
    /* derived names */
    assert_null(cfg.destination);
    assert_null(cfg.dest_file);
    assert_string_equal(cfg.service_and_destination, "app");
    assert_string_equal(cfg.run_dir, ".kamal");
    assert_string_equal(cfg.lock_dir, ".kamal/lock-app");
    assert_string_equal(cfg.audit_log, ".kamal/app-audit.log");
    assert_string_equal(cfg.app_dir, ".kamal/apps/app");
    assert_string_equal(cfg.accessory_env_dir, ".kamal/apps/app/env/accessories");
    assert_string_equal(cfg.repository, "dhh/app");
    assert_string_equal(cfg.latest_tag, "latest");
    assert_string_equal(cfg.env_dir, ".kamal/apps/app/env");
    assert_string_equal(cfg.assets_dir, ".kamal/apps/app/assets");
    assert_string_equal(cfg.proxy_dir, ".kamal/proxy");
    assert_string_equal(cfg.proxy_apps_dir, ".kamal/proxy/apps-config");
    assert_string_equal(cfg.proxy_app_dir, ".kamal/proxy/apps-config/app");
    assert_string_equal(cfg.proxy_app_container_dir, "/home/kamal-proxy/.apps-config/app");
    assert_string_equal(cfg.roles[0].container_prefix, "app-web");
    assert_string_equal(cfg.roles[0].env_file, ".kamal/apps/app/env/roles/web.env");
    kc_config_release(&cfg);
    kc_config_release(&cfg); /* a released config can be released again */
}

static void test_roles_and_env(void **state)
{
    (void)state;
    struct kc_config cfg;
    load(&cfg, "roles.yml", NULL);
    /* sorted by name, primary first */
    assert_int_equal(cfg.nroles, 2);
    const struct kc_role *web = &cfg.roles[0], *workers = &cfg.roles[1];
    assert_string_equal(web->name, "web");
    assert_string_equal(workers->name, "workers");
    assert_ptr_equal(kc_config_role(&cfg, "workers"), workers);
    assert_null(kc_config_role(&cfg, "db"));
    assert_strvec(&web->hosts, STRS("10.0.0.1", "10.0.0.2", "10.0.0.3"));
    assert_strvec(&web->host_tags[1], STRS("reader"));
    assert_strvec(&web->host_tags[2], NO_STRS);
    assert_true(web->runs_proxy);
    assert_false(workers->runs_proxy);
    assert_null(workers->proxy.node);
    assert_int_equal(workers->docker_stop_timeout, 60);
    assert_null(web->cmd);
    assert_int_equal(web->stop_timeout, -1);

    assert_strvec(&workers->hosts, STRS("10.0.0.3", "10.0.0.4"));
    assert_strvec(&workers->host_tags[1], STRS("reader", "experimental"));
    assert_string_equal(workers->cmd, "bin/jobs");
    assert_int_equal(workers->stop_timeout, 60);
    assert_string_equal(workers->restart, "on-failure:5");
    const struct kc_docker_options *o = &workers->docker_options;
    assert_int_equal(o->n, 4);
    assert_string_equal(o->v[0].key, "memory");
    assert_strvec(&o->v[0].values, STRS("2g"));
    assert_string_equal(o->v[1].key, "cpus");
    assert_strvec(&o->v[1].values, STRS("4"));
    assert_string_equal(o->v[2].key, "init");
    assert_true(o->v[2].flag);
    assert_int_equal(o->v[2].values.n, 0);
    assert_string_equal(o->v[3].key, "add-host");
    assert_strvec(&o->v[3].values, STRS("db:10.0.0.9", "cache:10.0.0.10"));
    /* labels: root's, then the role's */
    assert_int_equal(workers->labels.n, 2);
    assert_string_equal(kc_kvlist_get(&workers->labels, "team"), "platform");
    assert_string_equal(kc_kvlist_get(&workers->labels, "queue"), "default");
    assert_int_equal(web->labels.n, 1);
    /* logging: the role's options over the root's */
    assert_string_equal(workers->effective_logging.driver, "json-file");
    assert_string_equal(kc_kvlist_get(&workers->effective_logging.options, "max-size"), "50m");
    assert_string_equal(kc_kvlist_get(&workers->effective_logging.options, "max-file"), "3");
    assert_string_equal(kc_kvlist_get(&web->effective_logging.options, "max-size"), "100m");

    /* env: clear/secret with aliasing, tags */
    assert_string_equal(kc_kvlist_get(&cfg.env.clear, "RAILS_ENV"), "production");
    assert_string_equal(kc_kvlist_get(&cfg.env.clear, "DEBUG"), "false");
    assert_strvec(&cfg.env.secret, STRS("RAILS_MASTER_KEY", "DB_PASSWORD:MAIN_DB_PASSWORD"));
    assert_strvec(&cfg.env_tag_keys, STRS("reader", "experimental"));
    assert_string_equal(kc_kvlist_get(&cfg.env_tags[0].clear, "DB_HOST"), "replica");
    assert_string_equal(kc_kvlist_get(&cfg.env_tags[1].clear, "FEATURE_X"), "on");
    assert_strvec(&cfg.env_tags[1].secret, STRS("EXPERIMENT_KEY"));
    assert_string_equal(kc_kvlist_get(&workers->env.clear, "WORKERS"), "8");
    assert_strvec(&workers->env.secret, STRS("JOBS_TOKEN"));

    struct kc_env env;
    memset(&env, 0, sizeof env);
    kc_config_env_for(&cfg, workers, "10.0.0.4", &env);
    assert_int_equal(env.clear.n, 5);
    assert_string_equal(kc_kvlist_get(&env.clear, "DB_HOST"), "replica");
    assert_string_equal(kc_kvlist_get(&env.clear, "WORKERS"), "8");
    assert_strvec(&env.secret, STRS("RAILS_MASTER_KEY", "DB_PASSWORD:MAIN_DB_PASSWORD",
                                    "JOBS_TOKEN", "EXPERIMENT_KEY"));
    kc_env_release(&env);
    memset(&env, 0, sizeof env);
    kc_config_env_for(&cfg, web, "10.0.0.1", &env);
    assert_int_equal(env.clear.n, 2);
    assert_int_equal(env.secret.n, 2);
    kc_env_release(&env);

    /* servers: every host once, in file order, tags over all roles */
    assert_int_equal(cfg.nservers, 4);
    assert_string_equal(cfg.servers[0].host, "10.0.0.3");
    assert_string_equal(cfg.servers[2].host, "10.0.0.1");
    assert_strvec(kc_config_host_tags(&cfg, "10.0.0.4"), STRS("reader", "experimental"));
    assert_strvec(kc_config_host_tags(&cfg, "10.0.0.2"), STRS("reader"));
    assert_null(kc_config_host_tags(&cfg, "10.9.9.9"));
    struct kc_strvec roles = KC_STRVEC_INIT;
    kc_config_roles_of_host(&cfg, "10.0.0.3", &roles);
    assert_strvec(&roles, STRS("web", "workers"));
    kc_strvec_release(&roles);

    assert_strvec(&cfg.hosts, STRS("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"));
    assert_string_equal(cfg.registry.server, "ghcr.io");
    assert_true(cfg.registry.username_is_secret);
    assert_string_equal(cfg.registry.username, "GHCR_USER");
    assert_string_equal(kc_kvlist_get(&cfg.aliases, "console"),
                        "app exec -i --reuse \"bin/rails console\"");
    assert_string_equal(kc_kvlist_get(&cfg.aliases, "logs-web"), "app logs -r web -f");
    kc_config_release(&cfg);
}

static void test_accessories(void **state)
{
    (void)state;
    struct kc_config cfg;
    load(&cfg, "accessories.yml", NULL);
    assert_int_equal(cfg.naccessories, 3);
    const struct kc_accessory *mysql = kc_config_accessory(&cfg, "mysql");
    const struct kc_accessory *redis = kc_config_accessory(&cfg, "redis");
    const struct kc_accessory *box = kc_config_accessory(&cfg, "busybox");
    assert_ptr_equal(mysql, &cfg.accessories[0]);
    assert_null(kc_config_accessory(&cfg, "web"));

    assert_string_equal(mysql->service, "app-mysql");
    assert_string_equal(mysql->image, "mysql:8.0");
    assert_false(mysql->has_registry);
    assert_strvec(&mysql->hosts, STRS("1.1.1.5"));
    assert_string_equal(mysql->port, "127.0.0.1:3306:3306");
    assert_string_equal(mysql->restart, "always");
    assert_int_equal(mysql->options.n, 2);
    assert_string_equal(mysql->options.v[1].key, "memory");
    assert_strvec(&mysql->options.v[1].values, STRS("2GB"));
    assert_string_equal(kc_kvlist_get(&mysql->env.clear, "MYSQL_ROOT_HOST"), "%");
    assert_strvec(&mysql->env.secret, STRS("MYSQL_ROOT_PASSWORD"));
    assert_string_equal(mysql->network, "kamal");
    assert_false(mysql->runs_proxy);
    /* files: string form (with and without options) and hash form */
    assert_int_equal(mysql->nfiles, 3);
    assert_string_equal(mysql->files[0].local, "config/mysql/my.cnf.erb");
    assert_string_equal(mysql->files[0].remote, "/etc/mysql/my.cnf");
    assert_null(mysql->files[0].options);
    assert_string_equal(mysql->files[0].mode, "755");
    assert_string_equal(mysql->files[1].options, "ro");
    assert_string_equal(mysql->files[2].mode, "0600");
    assert_string_equal(mysql->files[2].owner, "mysql:mysql");
    /* directories */
    assert_int_equal(mysql->ndirectories, 3);
    assert_string_equal(mysql->directories[0].local, "data");
    assert_null(mysql->directories[0].mode);
    assert_string_equal(mysql->directories[1].options, "z");
    assert_string_equal(mysql->directories[2].owner, "999:999");
    assert_string_equal(mysql->directories[2].options, "ro");

    char *s = kc_accessory_publish(mysql);
    assert_string_equal(s, "127.0.0.1:3306:3306");
    free(s);
    s = kc_accessory_file_host_path(mysql, &mysql->files[0]);
    assert_string_equal(s, "app-mysql/etc/mysql/my.cnf");
    free(s);
    s = kc_accessory_dir_host_path(mysql, &mysql->directories[0]);
    assert_string_equal(s, "app-mysql/data");
    free(s);
    s = kc_accessory_dir_host_path(mysql, &mysql->directories[1]);
    assert_string_equal(s, "/srv/mysql-logs");
    free(s);
    s = kc_accessory_env_file(&cfg, mysql);
    assert_string_equal(s, ".kamal/apps/app/env/accessories/mysql.env");
    free(s);

    /* redis: placed on a role, integer port, its own registry */
    assert_strvec(&redis->hosts, STRS("1.1.1.1", "1.1.1.2"));
    assert_string_equal(redis->port, "6379");
    s = kc_accessory_publish(redis);
    assert_string_equal(s, "6379:6379");
    free(s);
    assert_true(redis->has_registry);
    assert_string_equal(redis->image, "registry.hub.example/redis:7.0");
    assert_string_equal(redis->registry.password, "plain-redis-pass");
    assert_string_equal(redis->restart, "unless-stopped");
    assert_string_equal(redis->cmd, "redis-server --appendonly yes");
    assert_strvec(&redis->volumes, STRS("/var/run/redis:/var/run/redis"));

    /* busybox: own service name, placed by tag, secret-backed registry */
    assert_string_equal(box->service, "custom-box");
    assert_string_equal(box->image, "other.registry/busybox:latest");
    assert_strvec(&box->hosts, STRS("1.1.1.1", "1.1.1.3"));
    assert_true(box->registry.username_is_secret);
    assert_string_equal(box->registry.username, "OTHER_USER");
    assert_string_equal(box->network, "host");
    assert_string_equal(kc_kvlist_get(&box->labels, "backup"), "true");
    assert_null(kc_accessory_publish(box));

    /* accessory hosts are part of all hosts */
    assert_strvec(&cfg.hosts, STRS("1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.5"));
    kc_config_release(&cfg);
}

static void test_destination_merge(void **state)
{
    (void)state;
    struct kc_config cfg;
    load(&cfg, "dest.yml", "staging");
    assert_string_equal(cfg.destination, "staging");
    assert_string_equal(cfg.dest_file, CONFIGS "dest.staging.yml");
    /* arrays are replaced, mappings merged */
    assert_strvec(&cfg.hosts, STRS("10.2.0.1", "10.2.0.2"));
    assert_int_equal(cfg.env.clear.n, 3);
    assert_string_equal(kc_kvlist_get(&cfg.env.clear, "APP_NAME"), "shop");
    assert_string_equal(kc_kvlist_get(&cfg.env.clear, "LOG_LEVEL"), "debug");
    assert_string_equal(kc_kvlist_get(&cfg.env.clear, "STAGING"), "true");
    assert_strvec(&cfg.env.secret, STRS("SECRET_KEY_BASE"));
    assert_true(cfg.builder.cache);
    assert_string_equal(cfg.builder.cache_type, "registry");
    assert_string_equal(cfg.builder.cache_options, "mode=max");
    assert_string_equal(cfg.latest_tag, "latest-staging");
    /* derived names carry the destination */
    assert_string_equal(cfg.service_and_destination, "shop-staging");
    assert_string_equal(cfg.lock_dir, ".kamal/lock-shop-staging");
    assert_string_equal(cfg.audit_log, ".kamal/shop-staging-audit.log");
    assert_string_equal(cfg.app_dir, ".kamal/apps/shop-staging");
    assert_string_equal(cfg.accessory_env_dir, ".kamal/apps/shop-staging/env/accessories");
    /* the merged tree keeps where each value came from */
    const struct kc_node *servers = kc_map_get(cfg.tree.root, "servers");
    assert_string_equal(servers->mark.file, CONFIGS "dest.staging.yml");
    assert_int_equal(servers->items[0]->mark.line, 2);
    assert_string_equal(kc_map_get(cfg.tree.root, "service")->mark.file, CONFIGS "dest.yml");
    kc_config_release(&cfg);

    load(&cfg, "dest.yml", NULL);
    assert_strvec(&cfg.hosts, STRS("10.1.0.1"));
    assert_string_equal(kc_kvlist_get(&cfg.env.clear, "LOG_LEVEL"), "info");
    kc_config_release(&cfg);
}

static void test_anchors_and_extensions(void **state)
{
    (void)state;
    struct kc_config cfg;
    load(&cfg, "anchors.yml", NULL);
    const struct kc_role *web = kc_config_role(&cfg, "web");
    const struct kc_role *jobs = kc_config_role(&cfg, "jobs");
    assert_ptr_equal(web, &cfg.roles[0]); /* primary first, though "jobs" sorts first */
    assert_string_equal(web->docker_options.v[0].key, "memory");
    assert_strvec(&web->docker_options.v[0].values, STRS("1g"));
    assert_strvec(&jobs->docker_options.v[0].values, STRS("4g")); /* own key wins */
    assert_string_equal(kc_kvlist_get(&jobs->labels, "owner"), "ops");
    assert_string_equal(jobs->cmd, "bin/jobs");
    const struct kc_accessory *primary = kc_config_accessory(&cfg, "primary");
    const struct kc_accessory *replica = kc_config_accessory(&cfg, "replica");
    assert_string_equal(primary->image, "postgres:16");
    assert_string_equal(primary->port, "127.0.0.1:5432:5432");
    assert_string_equal(replica->port, "127.0.0.1:5433:5432");
    assert_strvec(&replica->env.secret, STRS("POSTGRES_PASSWORD"));
    assert_strvec(&cfg.hosts, STRS("192.168.1.10", "192.168.1.11", "192.168.1.20", "192.168.1.21"));
    assert_non_null(kc_map_get(cfg.tree.root, "x-db")); /* kept in the raw tree */
    kc_config_release(&cfg);
}

static void test_erb(void **state)
{
    (void)state;
    struct kc_config cfg;
    unsetenv("KC_TEST_IMAGE");
    unsetenv("KC_TEST_HOST");
    unsetenv("KC_TEST_STAGING_HOST");
    setenv("KC_TEST_USER", "robot", 1);
    load(&cfg, "erb.yml", NULL);
    assert_string_equal(cfg.service, "erbapp-dev");
    assert_string_equal(cfg.image, "acme/erbapp");
    assert_strvec(&cfg.hosts, STRS("127.0.0.1"));
    assert_string_equal(cfg.registry.server, "registry.example.com");
    assert_string_equal(cfg.registry.username, "robot");
    assert_null(getenv("KAMAL_DESTINATION"));
    /* line numbers survive the trimmed ERB comment line */
    assert_int_equal(kc_map_get(cfg.tree.root, "service")->mark.line, 4);
    kc_config_release(&cfg);

    /* KAMAL_DESTINATION is set before ERB, for both files */
    setenv("KC_TEST_IMAGE", "acme/erbapp-ci", 1);
    setenv("KC_TEST_STAGING_HOST", "10.9.0.7", 1);
    load(&cfg, "erb.yml", "staging");
    assert_string_equal(getenv("KAMAL_DESTINATION"), "staging");
    assert_string_equal(cfg.service, "erbapp-staging");
    assert_string_equal(cfg.image, "acme/erbapp-ci");
    assert_strvec(&cfg.hosts, STRS("10.9.0.7"));
    kc_config_release(&cfg);
    unsetenv("KC_TEST_IMAGE");
    unsetenv("KC_TEST_USER");
    unsetenv("KC_TEST_STAGING_HOST");
    unsetenv("KAMAL_DESTINATION");
}

/* A runner standing in for the shell: "CMD" prints "<CMD>". */
static int bracket_run(void *ud, const char *command, struct kc_buf *out, struct kc_err *err)
{
    (void)err;
    ++*(int *)ud;
    kc_buf_addf(out, "<%s>", command);
    return 0;
}

/* The Ruby real deploy.yml files put in ERB (issue 8, item 14). */
static void test_erb_ruby(void **state)
{
    (void)state;
    struct kc_config cfg;
    setenv("KC_TEST_FIXTURES", KC_FIXTURES, 1);
    unsetenv("KC_TEST_SERVICE");
    unsetenv("KC_TEST_TIER");
    unsetenv("KC_TEST_FROM_DOTENV");
    unsetenv("KC_TEST_HOST_NUM");
    load(&cfg, "erb_ruby.yml", NULL);
    assert_string_equal(cfg.service, "rubyapp");
    assert_string_equal(cfg.image, "acme/rubyapp:1a2b3c4");
    assert_string_equal(kc_kvlist_get(&cfg.labels, "ruby"), "3.3.6");
    assert_string_equal(kc_kvlist_get(&cfg.labels, "tier"), "standard");
    assert_string_equal(kc_kvlist_get(&cfg.labels, "mode"), "test");
    assert_string_equal(kc_kvlist_get(&cfg.labels, "from_dotenv"), "loaded");
    assert_strvec(&cfg.hosts, STRS("10.4.0.1"));
    assert_string_equal(cfg.registry.password, "ecr-token");
    assert_false(cfg.registry.password_is_secret);
    kc_config_release(&cfg);

    /* the commands go through the runner the load options give */
    struct kc_err err = KC_ERR_INIT;
    int calls = 0;
    struct kc_load_opts opts = {.config_file = CONFIGS "erb_ruby.yml",
                                .destination = "production",
                                .run = bracket_run,
                                .run_ud = &calls};
    setenv("KC_TEST_HOST_NUM", "7", 1);
    kc_config_init(&cfg);
    assert_int_equal(kc_config_load(&cfg, &opts, &err), KC_ECONFIG); /* no production file */
    kc_config_release(&cfg);
    assert_int_equal(calls, 2);
    const char *text = "service: x\nimage: <%= `a` %><%= %x(b) %>\n";
    opts = (struct kc_load_opts){.run = bracket_run, .run_ud = &calls, .skip_validation = true};
    assert_int_equal(kc_config_load_text(&cfg, text, strlen(text), "t.yml", &opts, &err), 0);
    assert_string_equal(kc_node_text(kc_map_get(cfg.tree.root, "image")), "<a><b>");
    assert_int_equal(calls, 4);
    kc_config_release(&cfg);
    kc_err_release(&err);
    unsetenv("KC_TEST_FIXTURES");
    unsetenv("KC_TEST_FROM_DOTENV");
    unsetenv("KC_TEST_TIER");
    unsetenv("KC_TEST_HOST_NUM");
    unsetenv("KAMAL_DESTINATION");
}

static void test_proxy_and_builder(void **state)
{
    (void)state;
    struct kc_config cfg;
    load(&cfg, "proxy.yml", NULL);
    const struct kc_role *web = kc_config_role(&cfg, "web");
    const struct kc_role *api = kc_config_role(&cfg, "api");
    const struct kc_role *jobs = kc_config_role(&cfg, "jobs");
    assert_ptr_equal(web, &cfg.roles[0]);
    assert_true(web->runs_proxy);
    assert_true(api->runs_proxy);
    assert_false(jobs->runs_proxy);
    /* the role's proxy is deep-merged over the root's */
    assert_strvec(&api->proxy.hosts, STRS("api.example.com"));
    assert_true(api->proxy.response_timeout.set);
    assert_int_equal(api->proxy.response_timeout.value, 15);
    assert_int_equal(api->proxy.app_port, 3000);
    assert_strvec(&api->proxy.path_prefixes, STRS("/v1", "/v2"));
    assert_int_equal(web->proxy.response_timeout.value, 10);
    assert_strvec(&web->proxy.hosts, STRS("www.example.com"));
    assert_int_equal(web->proxy.path_prefixes.n, 0);
    assert_null(jobs->proxy.node);
    assert_int_equal(jobs->docker_stop_timeout, 5); /* drain_timeout: no proxy drains it */
    /* every key typed, on the root and on each proxied role */
    const struct kc_proxy *px = &web->proxy;
    assert_true(px->ssl);
    assert_false(px->custom_ssl);
    assert_true(px->forward_headers.set);
    assert_true(px->forward_headers.value);
    assert_true(px->healthcheck.path.set);
    assert_string_equal(px->healthcheck.path.value, "/health");
    assert_int_equal(px->healthcheck.interval.value, 3);
    assert_int_equal(px->healthcheck.timeout.value, 3);
    assert_true(px->buffering.requests);
    assert_false(px->buffering.responses);
    assert_true(px->buffering.max_request_body.set);
    assert_int_equal(px->buffering.max_request_body.value, 40000000);
    assert_int_equal(px->buffering.memory.value, 2000000);
    assert_false(px->buffering.max_response_body.set);
    assert_strvec(&px->log_request_headers, STRS("Cache-Control", "X-Forwarded-Proto"));
    assert_strvec(&px->log_response_headers, STRS("X-Request-ID"));
    assert_true(px->run.given);
    assert_int_equal(px->run.http_port, 8080);
    assert_int_equal(px->run.https_port, 8443);
    assert_strvec(&px->run.bind_ips, STRS("127.0.0.1", "::1"));
    assert_int_equal(px->run.metrics_port, 9090);
    assert_string_equal(px->run.log_max_size, "20m");
    assert_string_equal(px->run.image, "basecamp/kamal-proxy:v0.9.2");
    assert_int_equal(px->run.options.n, 1);
    assert_string_equal(px->run.options.v[0].key, "memory");
    assert_int_equal(cfg.proxy.buffering.max_request_body.value, 40000000);
    assert_ptr_equal(kc_config_proxy_run(&cfg, "10.0.1.2"), &api->proxy.run);
    assert_null(kc_config_proxy_run(&cfg, "10.0.1.3"));
    struct kc_strvec proxy_hosts = KC_STRVEC_INIT;
    kc_config_proxy_hosts(&cfg, &proxy_hosts);
    assert_strvec(&proxy_hosts, STRS("10.0.1.1", "10.0.1.2"));
    kc_strvec_release(&proxy_hosts);
    assert_int_equal(cfg.deploy_timeout, 60);
    assert_int_equal(cfg.drain_timeout, 5);
    assert_int_equal(cfg.readiness_delay, 3);
    /* builder */
    const struct kc_builder *b = &cfg.builder;
    assert_string_equal(b->remote, "ssh://builder@10.0.9.9");
    assert_false(b->local);
    assert_string_equal(b->cache_type, "registry");
    assert_string_equal(b->cache_image, "web-app-build-cache");
    assert_string_equal(b->cache_ref, "registry.example.com:5443/web-app-build-cache");
    assert_string_equal(b->context, ".");
    assert_string_equal(b->dockerfile, "Dockerfile.production");
    assert_string_equal(b->target, "production");
    assert_string_equal(kc_kvlist_get(&b->args, "RUBY_VERSION"), "3.3.0");
    assert_strvec(&b->secrets, STRS("GITHUB_TOKEN"));
    assert_string_equal(b->ssh, "default=$SSH_AUTH_SOCK");
    assert_string_equal(b->provenance, "false");
    assert_null(b->sbom);
    assert_string_equal(cfg.repository, "registry.example.com:5443/acme/web-app");
    kc_config_release(&cfg);
}

static void test_local_registry_accessories_only(void **state)
{
    (void)state;
    struct kc_config cfg;
    load(&cfg, "local_registry.yml", NULL);
    assert_true(cfg.registry.local);
    assert_string_equal(cfg.image, "tools"); /* defaults to the service */
    assert_null(cfg.registry.username);
    assert_int_equal(cfg.nroles, 0);
    const struct kc_accessory *minio = kc_config_accessory(&cfg, "minio");
    assert_strvec(&minio->hosts, STRS("10.3.0.1", "10.3.0.2"));
    assert_true(minio->runs_proxy);
    assert_strvec(&cfg.hosts, STRS("10.3.0.1", "10.3.0.2"));
    assert_string_equal(cfg.primary_host, "10.3.0.1");
    kc_config_release(&cfg);
}

static void test_everything(void **state)
{
    (void)state;
    struct kc_config cfg;
    load(&cfg, "everything.yml", NULL);
    assert_string_equal(cfg.primary_role, "main");
    assert_ptr_equal(kc_config_role(&cfg, "main"), &cfg.roles[0]);
    assert_int_equal(kc_config_role(&cfg, "cron")->hosts.n, 0);
    assert_true(cfg.allow_empty_roles);
    assert_string_equal(cfg.roles[0].asset_path, "/rails/public/assets");
    assert_string_equal(cfg.roles[0].asset_path_options, "ro");
    assert_null(cfg.roles[1].asset_path_options);
    assert_string_equal(cfg.roles[1].asset_path, "/public");
    assert_string_equal(cfg.primary_host, "app1.example.com");
    assert_int_equal(cfg.retain_containers, 3);
    assert_string_equal(cfg.minimum_version, "2.4.0");
    assert_int_equal(cfg.readiness_delay, 4);
    assert_int_equal(cfg.deploy_timeout, 45);
    assert_int_equal(cfg.drain_timeout, 12);
    assert_int_equal(cfg.stop_timeout, 20);
    assert_string_equal(cfg.run_dir, ".kamal"); /* run_directory is ignored */
    assert_string_equal(cfg.hooks_path, "bin/kamal-hooks");
    assert_string_equal(cfg.secrets_path, "config/secrets");
    assert_string_equal(cfg.error_pages_path, "public/errors");
    assert_string_equal(cfg.asset_path, "/public");
    assert_string_equal(kc_config_hooks_output(&cfg, "pre-deploy"), "verbose");
    assert_string_equal(kc_config_hooks_output(&cfg, "pre-build"), "quiet");
    assert_null(kc_config_hooks_output(&cfg, "post-deploy"));
    assert_strvec(&cfg.volumes, STRS("/srv/shared:/shared:ro", "/srv/uploads:/uploads"));
    assert_string_equal(kc_kvlist_get(&cfg.labels, "tier"), "gold");
    assert_string_equal(kc_kvlist_get(&cfg.env.clear, "THREADS"), "5");
    assert_int_equal(cfg.env.secret.n, 0);
    /* ssh */
    assert_string_equal(cfg.ssh.user, "deploy");
    assert_int_equal(cfg.ssh.port, 2222);
    assert_true(cfg.ssh.port_set);
    assert_string_equal(cfg.ssh.proxy, "bastion.example.com");
    assert_string_equal(cfg.ssh.log_level, "debug");
    assert_true(cfg.ssh.keys_only);
    assert_strvec(&cfg.ssh.keys, STRS("~/.ssh/deploy_ed25519"));
    assert_strvec(&cfg.ssh.key_data, STRS("DEPLOY_KEY"));
    assert_int_equal(cfg.ssh.config_mode, KC_SSH_CONFIG_FILES);
    assert_strvec(&cfg.ssh.config_files, STRS("~/.ssh/config", "config/ssh_config"));
    assert_true(cfg.ssh.forward_agent);
    assert_int_equal(cfg.sshkit.max_concurrent_starts, 10);
    assert_int_equal(cfg.sshkit.pool_idle_timeout, 300);
    assert_int_equal(cfg.sshkit.dns_retries, 0);
    assert_int_equal(cfg.boot_limit, 25);
    assert_true(cfg.boot_limit_percent);
    assert_int_equal(cfg.boot_wait, 2);
    assert_true(cfg.boot_parallel_roles);
    assert_string_equal(cfg.logging.driver, "journald");
    assert_string_equal(kc_kvlist_get(&cfg.logging.options, "tag"), "every-thing");
    assert_string_equal(cfg.output.otel_endpoint, "http://otel-gateway:4318");
    assert_string_equal(cfg.output.file_path, "log/kamal/");
    assert_true(cfg.builder.docker_driver);
    assert_true(cfg.builder.pack);
    assert_string_equal(cfg.builder.pack_builder, "heroku/builder:24");
    assert_strvec(&cfg.builder.pack_buildpacks, STRS("heroku/ruby", "heroku/procfile"));
    assert_int_equal(cfg.boot_group_size, 1); /* 25% of the hosts, at least one */
    assert_string_equal(kc_kvlist_get(&cfg.aliases, "shell"),
                        "app exec --interactive --reuse \"bash\"");
    kc_config_release(&cfg);
}

static void test_skip_validation(void **state)
{
    (void)state;
    /* alias resolution reads the raw merged tree, even of a config that
     * would not validate */
    struct kc_config cfg;
    struct kc_err err = KC_ERR_INIT;
    struct kc_load_opts opts = {.config_file = KC_FIXTURES "/bad/alias_conflict.yml",
                                .skip_validation = true};
    kc_config_init(&cfg);
    assert_int_equal(kc_config_load(&cfg, &opts, &err), 0);
    const struct kc_node *aliases = kc_map_get(cfg.tree.root, "aliases");
    assert_string_equal(kc_node_text(kc_map_get(aliases, "deploy")), "deploy -d production");
    assert_null(cfg.service); /* nothing typed */
    kc_config_release(&cfg);

    /* a missing file is still an error */
    opts.config_file = KC_FIXTURES "/configs/nope.yml";
    kc_config_init(&cfg);
    assert_int_equal(kc_config_load(&cfg, &opts, &err), KC_ECONFIG);
    kc_config_release(&cfg);
    kc_err_release(&err);
}

static void test_builtin_commands_option(void **state)
{
    (void)state;
    static const char *const builtins[] = {"console", NULL};
    struct kc_config cfg;
    struct kc_err err = KC_ERR_INIT;
    struct kc_load_opts opts = {.config_file = CONFIGS "roles.yml", .builtin_commands = builtins};
    kc_config_init(&cfg);
    assert_int_equal(kc_config_load(&cfg, &opts, &err), KC_ECONFIG);
    assert_string_equal(err.msg, "aliases.console: alias 'console' conflicts with a built-in "
                                 "command");
    kc_config_release(&cfg);
    kc_err_release(&err);
}

static void test_version_compare(void **state)
{
    (void)state;
    assert_int_equal(kc_version_compare("2.12.0", "2.12.0"), 0);
    assert_int_equal(kc_version_compare("2.12", "2.12.0"), 0);
    assert_true(kc_version_compare("2.12.0", "2.9.5") > 0);
    assert_true(kc_version_compare("2.9", "2.12.0") < 0);
    assert_true(kc_version_compare("3.0.0", "2.12.0") > 0);
    assert_true(kc_version_compare("2.12.1", "2.12") > 0);
    assert_true(kc_version_compare("2.12.0.beta1", "2.12.0") < 0);
    assert_true(kc_version_compare("2.12.0.rc1", "2.12.0.beta2") > 0);
    assert_true(kc_version_compare("1.010", "1.9") > 0);
    assert_int_equal(kc_version_compare("01.2", "1.2"), 0);
}

static void test_schema_defaults(void **state)
{
    (void)state;
    assert_string_equal(kc_schema_default("retain_containers"), "5");
    assert_string_equal(kc_schema_default("ssh.port"), "22");
    assert_string_equal(kc_schema_default("accessories.*.network"), "kamal");
    assert_string_equal(kc_schema_default("proxy.run.version"), "v0.9.2");
    assert_null(kc_schema_default("service"));
    assert_null(kc_schema_default("no.such.key"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_defaults),
        cmocka_unit_test(test_roles_and_env),
        cmocka_unit_test(test_accessories),
        cmocka_unit_test(test_destination_merge),
        cmocka_unit_test(test_anchors_and_extensions),
        cmocka_unit_test(test_erb),
        cmocka_unit_test(test_erb_ruby),
        cmocka_unit_test(test_proxy_and_builder),
        cmocka_unit_test(test_local_registry_accessories_only),
        cmocka_unit_test(test_everything),
        cmocka_unit_test(test_skip_validation),
        cmocka_unit_test(test_builtin_commands_option),
        cmocka_unit_test(test_version_compare),
        cmocka_unit_test(test_schema_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
