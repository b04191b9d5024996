/* fuzz_config.c - deploy.yml bytes through the whole loader: ERB, YAML,
 * destination deep merge, schema validation, typed structs, cross-checks,
 * then what `kamal-c config` prints (YAML that must load again, JSON that
 * must parse), each role's env on each host and the accessory paths.
 * layer: kc_config
 *
 * Input: deploy.yml text; when it holds a line "#@dest", what follows that
 * line is deploy.fuzz.yml and the load runs with -d fuzz (the overlay is
 * written to a private temp dir made once per process, the only file this
 * harness writes). Nothing runs a command: the ERB subset has no command
 * forms and the loader never resolves secrets (kc_secrets_* is not called). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "kamal-c/config.h"

#define DEST_SEPARATOR "\n#@dest\n"

static char tmpdir[64];
static char base_file[96];
static char dest_file[96];

static void cleanup(void)
{
    unlink(dest_file);
    rmdir(tmpdir);
}

static void setup(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/kc-fuzz-config.XXXXXX", t && strlen(t) < 30 ? t : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("fuzz_config: mkdtemp");
        abort();
    }
    /* the base file is never on disk: its text is handed to the loader */
    snprintf(base_file, sizeof base_file, "%s/deploy.yml", tmpdir);
    snprintf(dest_file, sizeof dest_file, "%s/deploy.fuzz.yml", tmpdir);
    atexit(cleanup);
}

/* The separator line, or NULL (memmem is a GNU extension). */
static const char *find_separator(const char *text, size_t size)
{
    size_t n = strlen(DEST_SEPARATOR);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(text + i, DEST_SEPARATOR, n) == 0)
            return text + i;
    return NULL;
}

static void write_overlay(const char *text, size_t len)
{
    FILE *f = fopen(dest_file, "wb");
    if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        perror("fuzz_config: overlay");
        abort();
    }
}

static void fail(const char *what, const char *text, const char *detail)
{
    fprintf(stderr, "fuzz_config: %s: %s\n--- output ---\n%s\n", what, detail, text);
    abort();
}

/* What a successful load hands to the rest of the program. `kamal-c config`
 * output must be what it says: YAML that loads, JSON that parses. */
static void use_config(const struct kc_config *cfg)
{
    struct kc_buf out = KC_BUF_INIT;
    struct kc_tree tree = KC_TREE_INIT;
    struct kc_err err = KC_ERR_INIT;
    kc_config_dump_yaml(cfg, NULL, &out);
    if (kc_yaml_load(kc_buf_str(&out), out.len, "config.yml", NULL, 0, &tree, &err) != 0)
        fail("kamal-c config printed YAML that does not load", kc_buf_str(&out), err.msg);
    kc_tree_release(&tree);
    kc_err_release(&err);
    kc_buf_reset(&out);
    kc_config_dump_json(cfg, "0123abc", &out);
    cJSON *json = cJSON_Parse(kc_buf_str(&out));
    if (json == NULL)
        fail("kamal-c config --json printed JSON that does not parse", kc_buf_str(&out), "");
    cJSON_Delete(json);
    kc_buf_release(&out);
    for (size_t i = 0; i < cfg->nroles; i++) {
        const struct kc_role *r = &cfg->roles[i];
        for (size_t h = 0; h < r->hosts.n; h++) {
            struct kc_env env;
            memset(&env, 0, sizeof env);
            kc_config_env_for(cfg, r, r->hosts.v[h], &env);
            kc_env_release(&env);
            struct kc_strvec roles = KC_STRVEC_INIT;
            kc_config_roles_of_host(cfg, r->hosts.v[h], &roles);
            kc_strvec_release(&roles);
            kc_config_host_tags(cfg, r->hosts.v[h]);
        }
    }
    for (size_t i = 0; i < cfg->naccessories; i++) {
        const struct kc_accessory *a = &cfg->accessories[i];
        free(kc_accessory_publish(a));
        free(kc_accessory_env_file(cfg, a));
        for (size_t j = 0; j < a->nfiles; j++)
            free(kc_accessory_file_host_path(a, &a->files[j]));
        for (size_t j = 0; j < a->ndirectories; j++)
            free(kc_accessory_dir_host_path(a, &a->directories[j]));
    }
}

/* No shell ever runs: `cmd` and %x(cmd) go to fake_run, which answers from
 * the command text alone ("fail..." fails, "empty" prints nothing, anything
 * else echoes itself back with a newline). */
static int fake_run(void *ud, const char *command, struct kc_buf *out, struct kc_err *err)
{
    (void)ud;
    if (kc_starts_with(command, "fail"))
        return kc_err_set(err, KC_ECONFIG, "exited with status 3");
    if (strcmp(command, "empty") != 0)
        kc_buf_addf(out, "%s\n", command);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (tmpdir[0] == '\0')
        setup();
    const char *text = (const char *)data;
    size_t len = size;
    struct kc_load_opts opts = {.run = fake_run};
    const char *sep = find_separator(text, size);
    if (sep) {
        const char *overlay = sep + strlen(DEST_SEPARATOR);
        write_overlay(overlay, size - (size_t)(overlay - text));
        len = (size_t)(sep - text) + 1; /* keep the newline ending the base */
        opts.destination = "fuzz";
    }
    struct kc_config cfg;
    struct kc_err err = KC_ERR_INIT;
    kc_config_init(&cfg);
    int rc = kc_config_load_text(&cfg, text, len, base_file, &opts, &err);
    if (rc == 0) {
        use_config(&cfg);
    } else {
        if (rc != KC_ECONFIG || err.msg == NULL) {
            fprintf(stderr, "fuzz_config: load failed with %d and no message\n", rc);
            abort();
        }
        free(kc_err_format(&err));
    }
    kc_err_release(&err);
    kc_config_release(&cfg);
    return 0;
}
