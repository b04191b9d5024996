/* test_config_init.c - `kamal-c init` writes a config that loads, secrets
 * without credentials, nine executable hook samples, and never overwrites. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kamal-c/config.h"

static const char *const hooks[] = {
    "pre-connect",   "pre-build",        "pre-deploy",        "post-deploy",  "pre-app-boot",
    "post-app-boot", "pre-proxy-reboot", "post-proxy-reboot", "docker-setup",
};

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/kc-init-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    return kc_xstrdup(tmpl);
}

static void remove_tree(const char *dir)
{
    char *cmd = kc_xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static char *read_text(const char *dir, const char *rel)
{
    char *path = kc_xasprintf("%s/%s", dir, rel);
    struct kc_buf b = KC_BUF_INIT;
    assert_int_equal(kc_read_file(path, 0, &b), 0);
    free(path);
    return kc_buf_detach(&b);
}

static mode_t mode_of(const char *dir, const char *rel)
{
    char *path = kc_xasprintf("%s/%s", dir, rel);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    free(path);
    return st.st_mode & 07777;
}

static void test_init_writes_files(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct kc_strvec created = KC_STRVEC_INIT;
    struct kc_err err = KC_ERR_INIT;
    mode_t old = umask(077); /* hooks stay executable whatever the umask */
    assert_int_equal(kc_init_project(dir, &created, &err), 0);
    umask(old);
    assert_int_equal(created.n, 2 + KC_ARRAY_LEN(hooks));
    assert_string_equal(created.v[0], "config/deploy.yml");
    assert_string_equal(created.v[1], ".kamal/secrets");
    for (size_t i = 0; i < KC_ARRAY_LEN(hooks); i++) {
        char *rel = kc_xasprintf(".kamal/hooks/%s.sample", hooks[i]);
        assert_string_equal(created.v[2 + i], rel);
        assert_int_equal(mode_of(dir, rel), 0755);
        char *text = read_text(dir, rel);
        assert_true(kc_starts_with(text, "#!/bin/sh\n"));
        assert_non_null(strstr(text, hooks[i]));
        free(text);
        free(rel);
    }
    assert_int_equal(mode_of(dir, ".kamal/secrets"), 0600);
    assert_int_equal(mode_of(dir, "config/deploy.yml"), 0644);

    /* the secrets template names the registry password, runs nothing */
    char *secrets = read_text(dir, ".kamal/secrets");
    assert_non_null(strstr(secrets, "\nKAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\n"));
    /* no command substitution outside comments */
    struct kc_strvec lines = KC_STRVEC_INIT;
    kc_strvec_split(&lines, secrets, "\n");
    for (size_t i = 0; i < lines.n; i++)
        if (lines.v[i][0] != '#')
            assert_null(strstr(lines.v[i], "$("));
    kc_strvec_release(&lines);
    free(secrets);

    /* the generated deploy.yml is a valid configuration */
    struct kc_config cfg;
    char *path = kc_xasprintf("%s/config/deploy.yml", dir);
    struct kc_load_opts opts = {.config_file = path};
    kc_config_init(&cfg);
    assert_int_equal(kc_config_load(&cfg, &opts, &err), 0);
    assert_string_equal(cfg.service, "my-app");
    assert_string_equal(cfg.registry.password, "KAMAL_REGISTRY_PASSWORD");
    assert_true(cfg.registry.password_is_secret);
    assert_int_equal(cfg.naccessories, 0);
    kc_config_release(&cfg);
    free(path);

    kc_strvec_release(&created);
    kc_err_release(&err);
    remove_tree(dir);
    free(dir);
}

/* An example line is "# key: ..." or "#   indented: ...", possibly after
 * leading spaces; prose comments start otherwise. */
static bool example_line(const char *rest)
{
    if (*rest == ' ' || *rest == '-')
        return true;
    size_t key = strspn(rest, "abcdefghijklmnopqrstuvwxyz_");
    return key > 0 && rest[key] == ':' && (rest[key + 1] == ' ' || rest[key + 1] == '\n');
}

/* Every commented example in deploy.yml, uncommented, is valid too. */
static void test_init_examples_are_valid(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_init_project(dir, NULL, &err), 0);
    char *text = read_text(dir, "config/deploy.yml");
    struct kc_buf out = KC_BUF_INIT;
    size_t examples = 0;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line + 1) : strlen(line);
        size_t indent = strspn(line, " ");
        if (strncmp(line + indent, "# ", 2) == 0 && example_line(line + indent + 2)) {
            kc_buf_add(&out, line, indent);
            kc_buf_add(&out, line + indent + 2, len - indent - 2);
            examples++;
        } else {
            kc_buf_add(&out, line, len);
        }
        line += len;
    }
    assert_true(examples > 30);
    assert_non_null(strstr(kc_buf_str(&out), "\naccessories:\n  db:\n"));
    char *path = kc_xasprintf("%s/config/deploy.yml", dir);
    FILE *f = fopen(path, "w");
    fputs(kc_buf_str(&out), f);
    fclose(f);

    struct kc_config cfg;
    struct kc_load_opts opts = {.config_file = path};
    kc_config_init(&cfg);
    int rc = kc_config_load(&cfg, &opts, &err);
    if (rc) {
        char *msg = kc_err_format(&err);
        print_error("%s\n%s", msg, kc_buf_str(&out));
        free(msg);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(cfg.naccessories, 2);
    assert_int_equal(cfg.nroles, 2);
    assert_string_equal(cfg.ssh.user, "deploy");
    kc_config_release(&cfg);
    free(path);
    free(text);
    kc_buf_release(&out);
    kc_err_release(&err);
    remove_tree(dir);
    free(dir);
}

static void test_init_refuses_to_overwrite(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct kc_strvec created = KC_STRVEC_INIT;
    struct kc_err err = KC_ERR_INIT;
    assert_int_equal(kc_init_project(dir, NULL, &err), 0);

    /* everything exists: the first target is named */
    assert_int_equal(kc_init_project(dir, &created, &err), KC_ECONFIG);
    char *want = kc_xasprintf("%s/config/deploy.yml already exists, nothing was written", dir);
    assert_string_equal(err.msg, want);
    free(want);
    assert_int_equal(created.n, 0);

    /* only one hook sample is left: it is named and nothing else comes back */
    char *cmd = kc_xasprintf("cd '%s' && rm -f config/deploy.yml .kamal/secrets && "
                             "find .kamal/hooks -name '*.sample' ! -name 'docker-setup*' "
                             "-delete",
                             dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    assert_int_equal(kc_init_project(dir, &created, &err), KC_ECONFIG);
    want = kc_xasprintf("%s/.kamal/hooks/docker-setup.sample already exists, nothing was "
                        "written",
                        dir);
    assert_string_equal(err.msg, want);
    free(want);
    char *path = kc_xasprintf("%s/config/deploy.yml", dir);
    assert_int_equal(access(path, F_OK), -1);
    free(path);
    path = kc_xasprintf("%s/.kamal/hooks/pre-deploy.sample", dir);
    assert_int_equal(access(path, F_OK), -1);
    free(path);

    kc_strvec_release(&created);
    kc_err_release(&err);
    remove_tree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_writes_files),
        cmocka_unit_test(test_init_examples_are_valid),
        cmocka_unit_test(test_init_refuses_to_overwrite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
