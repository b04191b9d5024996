/* fuzz_erb.c - deploy.yml text through kc_erb_render (the ERB subset).
 * layer: kc_config
 *
 * Beyond "no crash, no leak", it checks the line map the YAML errors rely
 * on: one entry per output line, each a line that exists in the source, in
 * non-decreasing order. A few environment variables are set once (the
 * renderer reads getenv()) so that ENV[...] and ENV.fetch hit both the set
 * and the unset paths. File.read and Dotenv.load read only regular files,
 * so no input can block the harness on a device or a FIFO. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/erb.h"

static void setup(void)
{
    setenv("KC_FUZZ_SET", "value", 1);
    setenv("KC_FUZZ_EMPTY", "", 1);
    setenv("KC_FUZZ_LINES", "a\nb\n", 1);
    setenv("KAMAL_DESTINATION", "staging", 1);
    unsetenv("KC_FUZZ_UNSET");
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

static void fail(const char *what, size_t a, size_t b)
{
    fprintf(stderr, "fuzz_erb: %s (%zu, %zu)\n", what, a, b);
    abort();
}

static void check_line_map(const char *src, size_t srclen, const struct kc_buf *out,
                           const struct kc_intvec *map)
{
    size_t src_lines = 1, out_lines = 0;
    for (size_t i = 0; i < srclen; i++)
        src_lines += src[i] == '\n';
    for (size_t i = 0; i < out->len; i++)
        out_lines += i == 0 || out->data[i - 1] == '\n';
    if (map->n != out_lines)
        fail("line map length differs from the output's line count", map->n, out_lines);
    for (size_t i = 0; i < map->n; i++) {
        if (map->v[i] < 1 || (size_t)map->v[i] > src_lines)
            fail("line map entry outside the source", (size_t)map->v[i], src_lines);
        if (i && map->v[i] < map->v[i - 1])
            fail("line map goes backwards", (size_t)map->v[i - 1], (size_t)map->v[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        setup();
        ready = true;
    }
    struct kc_buf out = KC_BUF_INIT;
    struct kc_intvec map = KC_INTVEC_INIT;
    struct kc_err err = KC_ERR_INIT;
    struct kc_erb_opts opts = {fake_run, NULL};
    int rc = kc_erb_render((const char *)data, size, "config/deploy.yml", &opts, &out, &map, &err);
    if (rc == 0) {
        if (out.data == NULL || out.data[out.len] != '\0')
            fail("output is not a C string", 0, out.len);
        check_line_map((const char *)data, size, &out, &map);
    } else if (rc != KC_ECONFIG || err.msg == NULL) {
        fail("render failed without a message", (size_t)-rc, 0);
    } else {
        free(kc_err_format(&err));
    }
    kc_err_release(&err);
    kc_buf_release(&out);
    kc_intvec_release(&map);
    return 0;
}
