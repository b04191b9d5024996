/* report.c - per-host error reporting, outcomes and confirmations. */
#include "kamal-c/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int kc_report_host_errors(struct kc_ctx *ctx, struct kc_host *const *hosts, struct kc_err *errs,
                          size_t n, int code, struct kc_err *err)
{
    size_t failed = 0, unreachable = 0;
    for (size_t i = 0; i < n; i++) {
        if (errs[i].code == KC_OK)
            continue;
        if (errs[i].code == KC_EINTERRUPTED)
            continue;
        kc_out_host_error(ctx->out, hosts[i]->name, &errs[i]);
        if (errs[i].code == KC_EUNREACHABLE)
            unreachable++;
        else
            failed++;
    }
    if (code == KC_OK)
        return 0;
    if (code == KC_EINTERRUPTED)
        return kc_err_set(err, code, "interrupted");
    if (unreachable && failed)
        return kc_err_set(err, code, "%zu of %zu hosts unreachable, %zu failed", unreachable, n,
                          failed);
    if (unreachable)
        return kc_err_set(err, code, "%zu of %zu host%s unreachable", unreachable, n,
                          n == 1 ? "" : "s");
    if (failed == 1 && n == 1) {
        /* one host: its own error says it best */
        for (size_t i = 0; i < n; i++)
            if (errs[i].code != KC_OK) {
                kc_err_set(err, code, "failed on %s", hosts[i]->name);
                return code;
            }
    }
    return kc_err_set(err, code, "failed on %zu of %zu host%s", failed, n, n == 1 ? "" : "s");
}

int kc_confirm(struct kc_ctx *ctx, const char *question, struct kc_err *err)
{
    if (!isatty(STDIN_FILENO)) {
        kc_err_set(err, KC_EUSAGE, "%s: confirmation needed, but stdin is not a terminal",
                   question);
        kc_err_set_hint(err, "pass -y to confirm");
        return KC_EUSAGE;
    }
    (void)ctx;
    fprintf(stderr, "%s [y/N] ", question);
    fflush(stderr);
    char line[64];
    if (fgets(line, sizeof line, stdin) == NULL) {
        fputc('\n', stderr);
        return kc_err_set(err, KC_EABORTED, "aborted (no answer)");
    }
    line[strcspn(line, "\r\n")] = '\0';
    if (strcmp(line, "y") == 0 || strcmp(line, "Y") == 0 || strcmp(line, "yes") == 0)
        return 0;
    return kc_err_set(err, KC_EABORTED, "aborted");
}

int kc_verb_each_host(struct kc_ctx *ctx, const struct kc_strvec *names, kc_host_fn fn, void *ud,
                      struct kc_err *err)
{
    struct kc_host **hosts = kc_ctx_fleet_hosts(ctx, names);
    struct kc_err *errs = kc_xcalloc(names->n + 1, sizeof *errs);
    int code = kc_fleet_each(ctx->fleet, hosts, names->n, fn, ud, errs);
    int rc = kc_report_host_errors(ctx, hosts, errs, names->n, code, err);
    for (size_t i = 0; i < names->n; i++)
        kc_err_release(&errs[i]);
    free(errs);
    free(hosts);
    return rc;
}

/* Past-tense outcomes and what --dry-run says instead. */
static const char *const dry_outcomes[][2] = {
    {"booted", "would boot"},       {"started", "would start"},    {"rebooted", "would reboot"},
    {"stopped", "would stop"},      {"removed", "would remove"},   {"uploaded", "would upload"},
    {"created", "would create"},    {"logged in", "would log in"}, {"logged out", "would log out"},
    {"installed", "would install"},
};

const char *kc_outcome_of(int code)
{
    switch (code) {
    case KC_EUNREACHABLE:
        return "unreachable";
    case KC_EINTERRUPTED:
        return "interrupted";
    default:
        return "failed";
    }
}

void kc_report(struct kc_ctx *ctx, const char *host, const char *subject, const char *outcome,
               const char *detail)
{
    if (ctx->g.dry_run)
        for (size_t i = 0; i < KC_ARRAY_LEN(dry_outcomes); i++)
            if (strcmp(outcome, dry_outcomes[i][0]) == 0)
                outcome = dry_outcomes[i][1];
    kc_out_result(ctx->out, host, subject, outcome, detail);
}
