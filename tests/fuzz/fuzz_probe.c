/* fuzz_probe.c - a host's reply to the accessory probe through
 * kc_accessory_probe_parse (marker split, sha256sum and stat lines, the one
 * docker inspect array sorted into containers, images and the network,
 * docker's stderr), then kc_accessory_compare of every probed accessory
 * against tests/fixtures/accessory/deploy.yml (loaded once).
 * layer: kc_commands
 *
 * Input: byte 0 picks the accessories probed (bits 0-1: how many, 0 to 3;
 * bits 2-6: the first, in deploy.yml's order; bit 7: the same one n times);
 * the rest is the probe's stdout, then a NUL byte and its stderr. The
 * desired digest, env hash and file hash are fixed (they are in
 * probe.dict, so the "digest matches" path is reachable). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/accessory.h"

#ifndef KC_FIXTURES
#error "KC_FIXTURES must name tests/fixtures"
#endif

#define WANT_DIGEST "d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1"
#define WANT_ENV    "e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2"
#define WANT_FILE   "f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3"

static struct kc_config cfg;
static bool loaded;

static void setup(void)
{
    struct kc_err err = KC_ERR_INIT;
    struct kc_load_opts o = {.config_file = KC_FIXTURES "/accessory/deploy.yml"};
    kc_config_init(&cfg);
    if (kc_config_load(&cfg, &o, &err) != 0 || cfg.naccessories == 0) {
        fprintf(stderr, "fuzz_probe: cannot load the fixture: %s\n", err.msg ? err.msg : "?");
        abort();
    }
    kc_err_release(&err);
    loaded = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!loaded)
        setup();
    if (size == 0)
        return 0;
    /* bits 0-1: how many; 2-6: the first; 7: all the same one */
    size_t n = data[0] & 3, first = (data[0] >> 2) & 31, stride = data[0] & 0x80 ? 0 : 1;
    const struct kc_accessory *accs[3];
    for (size_t i = 0; i < n; i++)
        accs[i] = &cfg.accessories[(first + i * stride) % cfg.naccessories];
    /* stdout up to the first NUL, stderr after it: both arrive as C strings */
    char *text = kc_xstrndup((const char *)data + 1, size - 1);
    size_t out_len = strlen(text);
    char *err_text = out_len < size - 1
                         ? kc_xstrndup((const char *)data + 2 + out_len, size - 2 - out_len)
                         : NULL;
    struct kc_host_probe hp;
    struct kc_err err = KC_ERR_INIT;
    int rc = kc_accessory_probe_parse(text, err_text, &cfg, accs, n, &hp, &err);
    if (rc == 0) {
        if (hp.n != n || hp.home == NULL) {
            fprintf(stderr, "fuzz_probe: inconsistent probe result\n");
            abort();
        }
        bool says_null = strstr(text, "(null)") || (err_text && strstr(err_text, "(null)"));
        struct kc_acc_desired want = {WANT_DIGEST, WANT_ENV, KC_KVLIST_INIT};
        for (size_t i = 0; i < n; i++) {
            const struct kc_accessory *acc = accs[i];
            kc_kvlist_release(&want.files);
            for (size_t j = 0; j < acc->nfiles; j++) {
                char *path = kc_accessory_file_host_path(acc, &acc->files[j]);
                kc_kvlist_set(&want.files, path, WANT_FILE);
                free(path);
            }
            struct kc_strvec diffs = KC_STRVEC_INIT;
            bool managed = false;
            const char *host = acc->hosts.n ? acc->hosts.v[0] : "1.1.1.1";
            kc_accessory_compare(&cfg, acc, host, &hp, &hp.acc[i], &want, &diffs, &managed);
            /* a NULL string given to "%s" (glibc prints "(null)") is a bug,
             * unless the reply itself says "(null)" somewhere */
            for (size_t d = 0; d < diffs.n && !says_null; d++)
                if (strstr(diffs.v[d], "(null)")) {
                    fprintf(stderr, "fuzz_probe: diff with a NULL string: %s\n", diffs.v[d]);
                    abort();
                }
            kc_strvec_release(&diffs);
        }
        kc_kvlist_release(&want.files);
    } else if (rc != KC_EREMOTE || err.msg == NULL) {
        fprintf(stderr, "fuzz_probe: parse failed with %d and no message\n", rc);
        abort();
    }
    kc_host_probe_release(&hp);
    kc_err_release(&err);
    free(text);
    free(err_text);
    return 0;
}
