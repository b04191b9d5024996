/* fuzz_dotenv.c - .kamal/secrets text through kc_dotenv_parse.
 * layer: kc_config
 *
 * No shell ever runs: $(command) goes to fake_run below, which answers from
 * the command text alone (a command starting with "fail" fails, "empty"
 * prints nothing, anything else echoes itself back with a newline, so the
 * output can carry "$" and "(" into the value). The process environment is
 * not consulted (lookup_process_env false); one variable is preset so that
 * $PRESET / ${PRESET} resolve from the list. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/secrets.h"

static int fake_run(void *ud, const char *command, struct kc_buf *out, struct kc_err *err)
{
    size_t *calls = ud;
    (*calls)++;
    if (kc_starts_with(command, "fail"))
        return kc_err_set(err, KC_ECONFIG, "exited with status 3");
    if (strcmp(command, "empty") == 0)
        return 0;
    kc_buf_addf(out, "%s\n", command);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t calls = 0;
    struct kc_dotenv_opts opts = {.run = fake_run, .ud = &calls};
    struct kc_kvlist vars = KC_KVLIST_INIT;
    struct kc_err err = KC_ERR_INIT;
    kc_kvlist_set(&vars, "PRESET", "preset-value");
    int rc = kc_dotenv_parse((const char *)data, size, ".kamal/secrets", &vars, &opts, &err);
    if (rc != 0 && (rc != KC_ECONFIG || err.msg == NULL)) {
        fprintf(stderr, "fuzz_dotenv: parse failed with %d and no message\n", rc);
        abort();
    }
    /* every value is a complete C string */
    for (size_t i = 0; i < vars.n; i++)
        if (vars.v[i].key == NULL || vars.v[i].value == NULL || vars.v[i].key[0] == '\0') {
            fprintf(stderr, "fuzz_dotenv: entry %zu has no key or no value\n", i);
            abort();
        }
    free(kc_err_format(&err));
    kc_err_release(&err);
    kc_kvlist_release(&vars);
    return 0;
}
