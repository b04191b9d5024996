/* target.h - the output targets behind the kc_out_* API (private to output/).
 *
 * Like git's trace2 targets: out.c keeps what every target shares (the lock,
 * secret redaction, the per-host records, the outcome counts for the
 * summary) and hands each event, already redacted, to the run's target:
 *
 *   target_text.c  host-prefixed lines, colour on a terminal; the default
 *   target_json.c  collects the run into one document printed at the end
 *   target_live.c  the text target plus one redrawn line per busy host, on a
 *                  terminal (see kc_out_select_target)
 *
 * Every hook is called with o->mu held, except release. A NULL hook means the
 * event is nothing to that target (step and progress for text and JSON). */
#ifndef KAMAL_C_OUTPUT_TARGET_H
#define KAMAL_C_OUTPUT_TARGET_H

#include "kamal-c/output.h"

#include <cjson/cJSON.h>

/* One host of the run, in order of first report. */
struct kc_out_host {
    char *host;
    char *error; /* kc_out_host_error: the host failed */
    const char *error_kind;
    /* the JSON target's collection (NULL until it adds to them) */
    cJSON *results; /* array of {subject, outcome, detail} */
    cJSON *planned; /* array of strings */
    struct kc_buf output;
};

/* The results with one outcome: how many, on which hosts (first-seen order;
 * sorted when settled, before finish). */
struct kc_out_group {
    char *outcome;
    size_t count;
    struct kc_strvec hosts;
};

struct kc_out_target {
    const char *name;
    void (*msg)(struct kc_out *o, enum kc_level lvl, const char *host, const char *s);
    /* -v: one traced line ("$ " command, "  | " stdout, "  ! " stderr) */
    void (*trace)(struct kc_out *o, const char *host, const char *prefix, const char *s);
    void (*planned)(struct kc_out *o, struct kc_out_host *h, const char *s);
    void (*result)(struct kc_out *o, struct kc_out_host *h, const char *subject,
                   const char *outcome, const char *detail);
    void (*block)(struct kc_out *o, struct kc_out_host *h, const char *label, char *s);
    void (*line)(struct kc_out *o, struct kc_out_host *h, const char *s);
    /* msg is the redacted err->msg, already stored in h->error */
    void (*host_error)(struct kc_out *o, struct kc_out_host *h, const char *msg,
                       const struct kc_err *err);
    /* kc_out_data (redacted) and kc_out_reveal (raw: reveal) */
    void (*data)(struct kc_out *o, const char *s, bool is_json, bool reveal);
    /* the top-level error; line is kc_err_format's, redacted */
    void (*error)(struct kc_out *o, const char *line, const struct kc_err *err);
    void (*help)(struct kc_out *o, const char *text);
    void (*version)(struct kc_out *o, const char *version, const char *compat);
    void (*doc)(struct kc_out *o, const struct kc_out_doc *doc);
    /* live progress: host is now doing step / the step's progress (NULL: none) */
    void (*step)(struct kc_out *o, const char *host, const char *step);
    void (*progress)(struct kc_out *o, const char *host, const char *progress);
    /* the closing output; the outcome groups are settled */
    void (*finish)(struct kc_out *o, int exit_code, const struct kc_err *err, double secs);
    /* without the lock, from kc_out_release: stop threads, free state */
    void (*release)(struct kc_out *o);
};

extern const struct kc_out_target kc_out_target_text;
extern const struct kc_out_target kc_out_target_json;
extern const struct kc_out_target kc_out_target_live;

/* ---- shared by the targets (out.c) ---- */

/* A copy of s with every registered secret replaced; caller holds o->mu. */
char *kc_out_redact_locked(struct kc_out *o, const char *s);
/* What -q keeps: failed, unreachable, interrupted, drift. */
bool kc_out_is_problem(const char *outcome);
bool kc_out_is_failure(const char *outcome);

/* ---- the text target's renderers, reused by the others ---- */

/* "[host] " (or nothing), then prefix, text and a newline, to f; color is
 * one of the KC_OUT_C_* codes or NULL. */
void kc_out_text_emit(struct kc_out *o, FILE *f, const char *host, const char *color,
                      const char *prefix, const char *text);
/* The command, remote stderr and hint of err, indented, to f. */
void kc_out_text_err_details(struct kc_out *o, FILE *f, const struct kc_err *err);
/* code, when f is a terminal the run colours; "" otherwise */
const char *kc_out_paint(const struct kc_out *o, FILE *f, const char *code);

/* ANSI colours, used only when o->color (stdout) / o->color_err (stderr). */
#define KC_OUT_C_RED    "\033[31m"
#define KC_OUT_C_YELLOW "\033[33m"
#define KC_OUT_C_GREEN  "\033[32m"
#define KC_OUT_C_BLUE   "\033[34m"
#define KC_OUT_C_DIM    "\033[2m"
#define KC_OUT_C_OFF    "\033[0m"

#endif
