/* test_config_errors.c - every tests/fixtures/bad file fails with KC_ECONFIG
 * and exactly the expected "file:line:col: message" (one cmocka test per
 * fixture), plus the errors that need no fixture: a missing base file, a
 * missing destination file, a file over the 1 MiB cap. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kamal-c/config.h"

#define BAD KC_FIXTURES "/bad/"

struct bad_case {
    const char *file;        /* under tests/fixtures/bad */
    const char *destination; /* -d, or NULL */
    const char *want;        /* the whole kc_err_format line; %s = the bad/ directory */
    bool prefix_only;        /* YAML/ERB errors: only "file:line:col: " is ours to pin */
};

static const struct bad_case cases[] = {
    /* unknown keys: at the key, with the nearest valid key */
    {"unknown_root_key.yml", NULL,
     "%sunknown_root_key.yml:4:1: unknown key 'sevrers' (did you mean 'servers'?)", false},
    {"unknown_role_key.yml", NULL,
     "%sunknown_role_key.yml:5:5: servers.web: unknown key 'hots' (did you mean 'hosts'?)", false},
    {"unknown_accessory_key.yml", NULL,
     "%sunknown_accessory_key.yml:15:5: accessories.db: unknown key 'enviroment'", false},
    {"unknown_key_no_suggestion.yml", NULL,
     "%sunknown_key_no_suggestion.yml:13:3: proxy: unknown key 'frobnicate'", false},
    /* several unknown keys: all named, at the first (issue 8, item 15) */
    {"unknown_keys_kamal1.yml", NULL,
     "%sunknown_keys_kamal1.yml:12:1: unknown keys: 'traefik', 'healthcheck'", false},
    {"builder_multiarch.yml", NULL,
     "%sbuilder_multiarch.yml:11:3: builder: unknown keys: 'multiarch', 'dockerfle' (did you "
     "mean 'dockerfile'?)",
     false},
    {"builder_remote_kamal1.yml", NULL,
     "%sbuilder_remote_kamal1.yml:12:5: builder.remote: expected a string, got a mapping", false},
    {"env_unknown_key.yml", NULL,
     "%senv_unknown_key.yml:14:3: env: unknown key 'secrets' (did you mean 'secret'?)", false},
    /* wrong types: at the value */
    {"wrong_type_port.yml", NULL,
     "%swrong_type_port.yml:16:7: accessories.db.port: expected a string or an integer, got a "
     "mapping",
     false},
    {"wrong_type_int.yml", NULL,
     "%swrong_type_int.yml:11:17: deploy_timeout: expected an integer, got a string ('30s')",
     false},
    {"wrong_type_servers.yml", NULL,
     "%swrong_type_servers.yml:3:10: servers: expected a sequence or a mapping, got a string "
     "('1.1.1.1')",
     false},
    {"wrong_type_host.yml", NULL,
     "%swrong_type_host.yml:7:9: servers.web.hosts[1]: expected a string or a mapping, got a "
     "sequence",
     false},
    {"wrong_type_env_secret.yml", NULL,
     "%swrong_type_env_secret.yml:14:11: env.secret: expected a sequence, got a string "
     "('DB_PASSWORD')",
     false},
    {"wrong_type_tag_secret.yml", NULL,
     "%swrong_type_tag_secret.yml:15:11: env.tags.tag1.secret[0]: expected a string, got a "
     "sequence",
     false},
    {"wrong_type_ssh_config.yml", NULL,
     "%swrong_type_ssh_config.yml:13:5: ssh.config: expected a string, a boolean or a "
     "sequence, got a mapping",
     false},
    {"ssh_config_number.yml", NULL,
     "%sssh_config_number.yml:12:11: ssh.config: expected a string, a boolean or a sequence, "
     "got an integer ('1')",
     false},
    {"multiple_hosts_entry.yml", NULL,
     "%smultiple_hosts_entry.yml:4:5: servers[0]: expected one host with its tags, found 2 hosts",
     false},
    {"tags_in_role_env.yml", NULL,
     "%stags_in_role_env.yml:8:7: servers.web.env: tags are only allowed in the root env", false},
    {"top_level_list.yml", NULL,
     "%stop_level_list.yml:1:1: expected a mapping at the top level, got a sequence", false},
    {"empty.yml", NULL, "%sempty.yml: the configuration is empty", false},
    /* missing required keys: at the key of the mapping that lacks them */
    {"missing_service.yml", NULL, "%smissing_service.yml:1:1: missing required key 'service'",
     false},
    {"missing_image.yml", NULL, "%smissing_image.yml:1:1: missing required key 'image'", false},
    {"missing_registry_password.yml", NULL,
     "%smissing_registry_password.yml:5:1: registry: missing required key 'password'", false},
    {"missing_builder.yml", NULL, "%smissing_builder.yml:1:1: missing required key 'builder'",
     false},
    {"missing_arch.yml", NULL, "%smissing_arch.yml:8:1: builder: missing required key 'arch'",
     false},
    {"accessory_file_missing_remote.yml", NULL,
     "%saccessory_file_missing_remote.yml:16:9: accessories.db.files[0]: missing required key "
     "'remote'",
     false},
    {"registry_two_secrets.yml", NULL,
     "%sregistry_two_secrets.yml:8:5: registry.password: expected a string or a sequence with "
     "one secret name, got 2 items",
     false},
    /* values */
    {"bad_cache_type.yml", NULL,
     "%sbad_cache_type.yml:11:11: builder.cache.type: expected 'gha' or 'registry', got 's3'",
     false},
    {"bad_hooks_output.yml", NULL,
     "%sbad_hooks_output.yml:12:15: hooks_output.pre-deploy: expected 'quiet' or 'verbose', got "
     "'loud'",
     false},
    {"bad_restart.yml", NULL,
     "%sbad_restart.yml:8:16: servers.web.options.restart: should be no, always, "
     "unless-stopped, on-failure, or on-failure:N, got 'sometimes'",
     false},
    {"restart_plain_no.yml", NULL,
     "%srestart_plain_no.yml:16:16: accessories.cache.options.restart: expected a string, got a "
     "boolean (use \"no\" to disable restarts)",
     false},
    {"bad_boot_limit.yml", NULL,
     "%sbad_boot_limit.yml:12:10: boot.limit: expected a positive integer or a percentage such "
     "as '25%%', got 'half'",
     false},
    {"ssh_bad_port.yml", NULL,
     "%sssh_bad_port.yml:12:9: ssh.port: expected a port number, got 'twenty-two'", false},
    {"bad_service_name.yml", NULL,
     "%sbad_service_name.yml:1:10: service: can only include alphanumeric characters, hyphens, "
     "and underscores, got 'my app'",
     false},
    {"reserved_label.yml", NULL,
     "%sreserved_label.yml:8:7: servers.web.labels.service: invalid label, destination, role, "
     "and service are reserved labels",
     false},
    {"minimum_version.yml", NULL,
     "%sminimum_version.yml:11:18: minimum_version: current version is 2.12.0, minimum "
     "required is 3.0.0",
     false},
    {"retain_zero.yml", NULL,
     "%sretain_zero.yml:11:20: retain_containers: must retain at least 1 container, got 0", false},
    {"builder_local_without_remote.yml", NULL,
     "%sbuilder_local_without_remote.yml:10:10: builder: cannot disable local builds, no remote "
     "is set",
     false},
    /* output: Kamal's loggers need their one setting (issue 8, item 13) */
    {"output_file_without_path.yml", NULL,
     "%soutput_file_without_path.yml:12:3: output.file: file path is required", false},
    {"output_otel_without_endpoint.yml", NULL,
     "%soutput_otel_without_endpoint.yml:12:3: output.otel: OTel endpoint is required", false},
    /* accessories */
    {"accessory_proxy_true.yml", NULL,
     "%saccessory_proxy_true.yml:15:12: accessories.redis.proxy: expected a mapping (or false), "
     "got a boolean ('true')",
     false},
    {"accessory_two_placements.yml", NULL,
     "%saccessory_two_placements.yml:15:5: accessories.db: specify one of `host`, `hosts`, "
     "`role`, `roles`, `tag` or `tags` (found more than one)",
     false},
    {"accessory_no_placement.yml", NULL,
     "%saccessory_no_placement.yml:12:3: accessories.db: specify one of `host`, `hosts`, "
     "`role`, `roles`, `tag` or `tags`",
     false},
    {"accessory_unknown_role.yml", NULL,
     "%saccessory_unknown_role.yml:14:11: accessories.db.role: unknown role database", false},
    {"accessory_unknown_roles.yml", NULL,
     "%saccessory_unknown_roles.yml:15:7: accessories.db.roles: unknown roles db, cache", false},
    {"accessory_bad_file.yml", NULL,
     "%saccessory_bad_file.yml:16:9: accessories.db.files[0]: expected "
     "'local:remote[:options]', got 'config/my.cnf'",
     false},
    /* aliases */
    {"alias_conflict.yml", NULL,
     "%salias_conflict.yml:13:3: aliases.deploy: alias 'deploy' conflicts with a built-in "
     "command",
     false},
    {"alias_bad_name.yml", NULL,
     "%salias_bad_name.yml:12:3: aliases.Shell: invalid alias name 'Shell', use only lowercase "
     "letters, digits, hyphens and underscores",
     false},
    /* roles and servers */
    {"primary_role_undefined.yml", NULL,
     "%sprimary_role_undefined.yml:3:1: the primary_role web isn't defined", false},
    {"empty_role.yml", NULL,
     "%sempty_role.yml:6:3: servers.workers: no servers specified for the workers role (allow "
     "it with allow_empty_roles: true)",
     false},
    {"no_servers.yml", NULL, "%sno_servers.yml:1:1: no servers or accessories specified", false},
    /* proxy */
    {"ssl_two_servers.yml", NULL,
     "%sssl_two_servers.yml:8:8: SSL is only supported on a single server unless you provide "
     "custom certificates, found 2 servers for role web",
     false},
    {"ssl_without_host.yml", NULL,
     "%sssl_without_host.yml:13:8: proxy: must set a host to enable automatic SSL", false},
    {"proxy_host_and_hosts.yml", NULL,
     "%sproxy_host_and_hosts.yml:13:3: proxy: specify one of 'host' or 'hosts', not both", false},
    {"proxy_run_conflict.yml", NULL,
     "%sproxy_run_conflict.yml:11:9: servers.api.proxy.run: conflicting proxy run "
     "configurations for host 1.1.1.1",
     false},
    {"proxy_bad_bind_ip.yml", NULL,
     "%sproxy_bad_bind_ip.yml:15:9: proxy.run.bind_ips[1]: invalid publish IP address: "
     "300.1.2.3",
     false},
    {"proxy_publish_false.yml", NULL,
     "%sproxy_publish_false.yml:13:14: proxy.run: cannot set http_port, https_port or bind_ips "
     "when publish is false",
     false},
    {"local_registry_remote_builder.yml", NULL,
     "%slocal_registry_remote_builder.yml:8:11: builder.remote: local registry with remote "
     "builder requires an SSH URL (e.g., ssh://user@host)",
     false},
    /* destinations */
    {"require_destination.yml", NULL,
     "%srequire_destination.yml:11:22: you must specify a destination", false},
    {"destination_base.yml", "nope", "configuration file not found: %sdestination_base.nope.yml",
     false},
    {"bad_in_destination.yml", "staging",
     "%sbad_in_destination.staging.yml:4:3: env: unknown key 'secert' (did you mean 'secret'?)",
     false},
    /* YAML and ERB (their messages belong to the loaders) */
    {"yaml_syntax.yml", NULL, "%syaml_syntax.yml:3:8: ", true},
    {"yaml_duplicate_key.yml", NULL, "%syaml_duplicate_key.yml:3:1: ", true},
    {"erb_unsupported.yml", NULL,
     "%serb_unsupported.yml:2:17: unsupported ERB: "
     "Gem::Specification.load(\"app.gemspec\").version",
     false},
    {"erb_command_fails.yml", NULL,
     "%serb_command_fails.yml:2:17: command `exit 7` failed: exited with status 7", false},
    {"erb_file_missing.yml", NULL,
     "%serb_file_missing.yml:4:9: File.read('.kc-no-such-ruby-version'): No such file or "
     "directory",
     false},
    {"erb_fetch_missing.yml", NULL,
     "%serb_fetch_missing.yml:2:8: key not found: \"KC_FIXTURE_NEVER_SET\"", false},
    {"yaml_tabs.yml", NULL, "%syaml_tabs.yml:3:1: ", true},
    {"yaml_recursive_alias.yml", NULL, "%syaml_recursive_alias.yml:3:5: ", true},
    {"yaml_merge_scalar.yml", NULL, "%syaml_merge_scalar.yml:5:9: ", true},
    {"yaml_invalid_utf8.yml", NULL, "%syaml_invalid_utf8.yml:2:", true},
};

static char *load_error(const char *path, const char *destination, int *rc)
{
    struct kc_config cfg;
    struct kc_err err = KC_ERR_INIT;
    struct kc_load_opts opts = {.config_file = path, .destination = destination};
    kc_config_init(&cfg);
    *rc = kc_config_load(&cfg, &opts, &err);
    char *msg = *rc ? kc_err_format(&err) : NULL;
    kc_config_release(&cfg);
    kc_err_release(&err);
    unsetenv("KAMAL_DESTINATION");
    return msg;
}

static void test_bad_fixture(void **state)
{
    const struct bad_case *c = *state;
    char *path = kc_xasprintf(BAD "%s", c->file);
    char *want = kc_xasprintf(c->want, BAD);
    int rc;
    char *got = load_error(path, c->destination, &rc);
    assert_int_equal(rc, KC_ECONFIG);
    if (c->prefix_only) {
        assert_true(kc_starts_with(got, want));
        assert_true(strlen(got) > strlen(want));
    } else {
        assert_string_equal(got, want);
    }
    free(got);
    free(want);
    free(path);
}

static void test_hints(void **state)
{
    (void)state;
    struct kc_config cfg;
    struct kc_err err = KC_ERR_INIT;
    struct kc_load_opts opts = {.config_file = BAD "missing_builder.yml"};
    kc_config_init(&cfg);
    assert_int_equal(kc_config_load(&cfg, &opts, &err), KC_ECONFIG);
    assert_non_null(strstr(err.hint, "builder.arch"));
    kc_config_release(&cfg);
    opts.config_file = BAD "require_destination.yml";
    kc_config_init(&cfg);
    assert_int_equal(kc_config_load(&cfg, &opts, &err), KC_ECONFIG);
    assert_non_null(strstr(err.hint, "-d"));
    kc_config_release(&cfg);
    /* with -d the same file loads (and needs its destination file) */
    opts.destination = "staging";
    kc_config_init(&cfg);
    assert_int_equal(kc_config_load(&cfg, &opts, &err), KC_ECONFIG);
    assert_string_equal(err.msg,
                        "configuration file not found: " BAD "require_destination.staging.yml");
    kc_config_release(&cfg);
    kc_err_release(&err);
    unsetenv("KAMAL_DESTINATION");
}

/* Kamal 1 keys: what replaced them in Kamal 2, as the hint. */
static void test_kamal1_hints(void **state)
{
    (void)state;
    static const struct {
        const char *file, *hint;
    } hints[] = {
        {"unknown_keys_kamal1.yml",
         "traefik: Kamal 2 replaced Traefik with kamal-proxy: configure it under proxy: (host, "
         "app_port, ssl, healthcheck); healthcheck: Kamal 2 moved it to proxy.healthcheck "
         "(path, interval, timeout); roles without the proxy use readiness_delay"},
        {"builder_multiarch.yml",
         "multiarch: Kamal 2 replaced it with builder.arch: amd64, arm64 or both"},
        {"builder_remote_kamal1.yml", "Kamal 2's builder.remote is the builder's URL "
                                      "(ssh://user@host); the architectures go in builder.arch"},
        {"unknown_key_no_suggestion.yml", NULL},
    };
    for (size_t i = 0; i < KC_ARRAY_LEN(hints); i++) {
        struct kc_config cfg;
        struct kc_err err = KC_ERR_INIT;
        char *path = kc_xasprintf(BAD "%s", hints[i].file);
        struct kc_load_opts opts = {.config_file = path};
        kc_config_init(&cfg);
        assert_int_equal(kc_config_load(&cfg, &opts, &err), KC_ECONFIG);
        if (hints[i].hint)
            assert_string_equal(err.hint, hints[i].hint);
        else
            assert_null(err.hint);
        kc_config_release(&cfg);
        kc_err_release(&err);
        free(path);
    }
}

static void test_missing_file(void **state)
{
    (void)state;
    int rc;
    char *got = load_error(BAD "does-not-exist.yml", NULL, &rc);
    assert_int_equal(rc, KC_ECONFIG);
    assert_string_equal(got, "configuration file not found: " BAD "does-not-exist.yml");
    free(got);

    /* the error says what to do about it */
    struct kc_config cfg;
    struct kc_err err = KC_ERR_INIT;
    struct kc_load_opts o = {.config_file = BAD "does-not-exist.yml"};
    kc_config_init(&cfg);
    assert_int_equal(kc_config_load(&cfg, &o, &err), KC_ECONFIG);
    assert_non_null(err.hint);
    assert_non_null(strstr(err.hint, "kamal-c init"));
    kc_config_release(&cfg);
    kc_err_release(&err);
}

/* A 10 MB file (generated here, never committed) stops at the 1 MiB cap. */
static void test_file_too_large(void **state)
{
    (void)state;
    char path[] = "/tmp/kc-config-large-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("service: app\nx-padding: |\n", f);
    for (int i = 0; i < 10 * 1024 * 16; i++)
        fprintf(f, "  %061d\n", i);
    fclose(f);
    int rc;
    char *got = load_error(path, NULL, &rc);
    unlink(path);
    assert_int_equal(rc, KC_ECONFIG);
    char *want = kc_xasprintf("%s: file too large (the limit is 1 MiB)", path);
    assert_string_equal(got, want);
    free(want);
    free(got);
}

/* Where the destination file is, as Ruby's Pathname#sub_ext puts it: the
 * extension of the last component (if any) is replaced. */
static void test_destination_paths(void **state)
{
    (void)state;
    static const struct {
        const char *config, *want;
    } paths[] = {
        {"deploy.yml", "deploy.prod.yml"},  {"deploy", "deploy.prod.yml"},
        {"deploy.yaml", "deploy.prod.yml"}, {"my.deploy.yml", "my.deploy.prod.yml"},
        {".deploy", ".deploy.prod.yml"},
    };
    char dir[] = "/tmp/kc.config-XXXXXX"; /* a dot in a directory is not an extension */
    assert_non_null(mkdtemp(dir));
    for (size_t i = 0; i < KC_ARRAY_LEN(paths); i++) {
        char *config = kc_xasprintf("%s/%s", dir, paths[i].config);
        FILE *f = fopen(config, "w");
        assert_non_null(f);
        fputs("service: app\n", f);
        fclose(f);
        int rc;
        char *got = load_error(config, "prod", &rc);
        unlink(config);
        char *want = kc_xasprintf("configuration file not found: %s/%s", dir, paths[i].want);
        assert_string_equal(got, want);
        free(want);
        free(got);
        free(config);
    }
    rmdir(dir);
}

int main(void)
{
    struct CMUnitTest tests[KC_ARRAY_LEN(cases) + 6];
    size_t n = 0;
    for (size_t i = 0; i < KC_ARRAY_LEN(cases); i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(test_bad_fixture, (void *)&cases[i]);
        t.name = cases[i].file;
        tests[n++] = t;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_hints);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_kamal1_hints);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_missing_file);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_file_too_large);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_destination_paths);
    return _cmocka_run_group_tests("config_errors", tests, n, NULL, NULL);
}
