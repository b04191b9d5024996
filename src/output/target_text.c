/* target_text.c - the text target: host-prefixed lines on stdout, errors,
 * warnings and traces on stderr, colour only on a terminal (see output.h). */
#include "target.h"

#include <stdlib.h>
#include <string.h>

const char *kc_out_paint(const struct kc_out *o, FILE *f, const char *code)
{
    return (f == o->err ? o->color_err : o->color) ? code : "";
}

void kc_out_text_emit(struct kc_out *o, FILE *f, const char *host, const char *color,
                      const char *prefix, const char *text)
{
    if (host)
        fprintf(f, "%s[%s]%s ", kc_out_paint(o, f, KC_OUT_C_BLUE), host,
                kc_out_paint(o, f, KC_OUT_C_OFF));
    fprintf(f, "%s%s%s%s\n", color ? kc_out_paint(o, f, color) : "", prefix ? prefix : "", text,
            color ? kc_out_paint(o, f, KC_OUT_C_OFF) : "");
}

void kc_out_text_err_details(struct kc_out *o, FILE *f, const struct kc_err *err)
{
    if (err->command) {
        char *c = kc_out_redact_locked(o, err->command);
        fprintf(f, "  command: %s\n", c);
        free(c);
    }
    if (err->remote_err && *err->remote_err) {
        char *r = kc_out_redact_locked(o, err->remote_err);
        size_t n = strlen(r);
        while (n && r[n - 1] == '\n')
            r[--n] = '\0';
        char *save = NULL;
        for (char *line = strtok_r(r, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            fprintf(f, "  | %s\n", line);
        free(r);
    }
    if (err->hint) {
        char *h = kc_out_redact_locked(o, err->hint);
        fprintf(f, "  hint: %s\n", h);
        free(h);
    }
}

static void text_msg(struct kc_out *o, enum kc_level lvl, const char *host, const char *s)
{
    if (lvl == KC_LVL_ERROR)
        kc_out_text_emit(o, o->err, host, KC_OUT_C_RED, "error: ", s);
    else if (lvl == KC_LVL_WARN)
        kc_out_text_emit(o, o->err, host, KC_OUT_C_YELLOW, "warning: ", s);
    else if (lvl == KC_LVL_INFO && o->verbosity >= 0)
        kc_out_text_emit(o, o->out, host, NULL, NULL, s);
    else if (lvl == KC_LVL_DEBUG && o->verbosity > 0)
        kc_out_text_emit(o, o->err, host, KC_OUT_C_DIM, NULL, s);
}

static void text_trace(struct kc_out *o, const char *host, const char *prefix, const char *s)
{
    kc_out_text_emit(o, o->err, host, KC_OUT_C_DIM, prefix, s);
}

static void text_planned(struct kc_out *o, struct kc_out_host *h, const char *s)
{
    kc_out_text_emit(o, o->out, h->host, NULL, "would run: ", s);
}

static const char *outcome_color(const char *outcome)
{
    if (kc_out_is_failure(outcome))
        return KC_OUT_C_RED;
    if (strcmp(outcome, "drift") == 0)
        return KC_OUT_C_YELLOW;
    if (strcmp(outcome, "unchanged") == 0)
        return KC_OUT_C_DIM;
    return KC_OUT_C_GREEN;
}

static void text_result(struct kc_out *o, struct kc_out_host *h, const char *subject,
                        const char *outcome, const char *d)
{
    if (o->verbosity < 0 && !kc_out_is_problem(outcome))
        return;
    FILE *f = o->out;
    fprintf(f, "%s[%s]%s %s: %s%s%s%s%s\n", kc_out_paint(o, f, KC_OUT_C_BLUE), h->host,
            kc_out_paint(o, f, KC_OUT_C_OFF), subject, kc_out_paint(o, f, outcome_color(outcome)),
            outcome, kc_out_paint(o, f, KC_OUT_C_OFF), d ? " - " : "", d ? d : "");
    fflush(f);
}

static void text_block(struct kc_out *o, struct kc_out_host *h, const char *label, char *s)
{
    bool header = o->verbosity >= 0 || o->keep_headers;
    if (header)
        fprintf(o->out, "%s%s%s%s:%s\n", kc_out_paint(o, o->out, KC_OUT_C_BLUE),
                label ? label : "", label ? " " : "", h->host,
                kc_out_paint(o, o->out, KC_OUT_C_OFF));
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
    if (n)
        fprintf(o->out, "%s\n", s);
    if (header && o->verbosity >= 0)
        fputc('\n', o->out);
    fflush(o->out);
}

static void text_line(struct kc_out *o, struct kc_out_host *h, const char *s)
{
    kc_out_text_emit(o, o->out, h->host, NULL, NULL, s);
    fflush(o->out);
}

static void text_host_error(struct kc_out *o, struct kc_out_host *h, const char *m,
                            const struct kc_err *err)
{
    FILE *f = o->err;
    fprintf(f, "%s[%s]%s %serror:%s %s\n", kc_out_paint(o, f, KC_OUT_C_BLUE), h->host,
            kc_out_paint(o, f, KC_OUT_C_OFF), kc_out_paint(o, f, KC_OUT_C_RED),
            kc_out_paint(o, f, KC_OUT_C_OFF), m);
    kc_out_text_err_details(o, f, err);
    fflush(f);
}

static void text_data(struct kc_out *o, const char *s, bool is_json, bool reveal)
{
    (void)is_json;
    (void)reveal;
    fputs(s, o->out);
}

static void text_error(struct kc_out *o, const char *line, const struct kc_err *err)
{
    FILE *f = o->err;
    fprintf(f, "%skamal-c: error:%s %s\n", kc_out_paint(o, f, KC_OUT_C_RED),
            kc_out_paint(o, f, KC_OUT_C_OFF), line);
    kc_out_text_err_details(o, f, err);
    fflush(f);
}

static void text_help(struct kc_out *o, const char *text)
{
    fputs(text, o->out);
}

static void text_version(struct kc_out *o, const char *version, const char *compat)
{
    char *s = kc_xasprintf("kamal-c %s (Kamal %s configuration)\n", version, compat);
    text_data(o, s, false, false);
    free(s);
}

static void text_doc(struct kc_out *o, const struct kc_out_doc *doc)
{
    struct kc_buf b = KC_BUF_INIT;
    doc->text(doc->ud, &b);
    char *s = kc_out_redact_locked(o, kc_buf_str(&b));
    text_data(o, s, false, false);
    free(s);
    kc_buf_release(&b);
}

/* ": h1, h2, h3", at most KC_OUT_NAMED names, then "and N more" */
static void add_names(struct kc_buf *b, const struct kc_strvec *hosts)
{
    size_t shown = hosts->n > KC_OUT_NAMED ? KC_OUT_NAMED : hosts->n;
    for (size_t i = 0; i < shown; i++)
        kc_buf_addf(b, "%s%s", i ? ", " : ": ", hosts->v[i]);
    if (shown < hosts->n)
        kc_buf_addf(b, " and %zu more", hosts->n - shown);
}

/* "100 hosts: 197 unchanged, 3 failed: h1, h2, h3 (4.0 s)": the outcomes that
 * need no action first, then the others with their hosts ("; " after a list
 * of names); the time in parentheses, so an outcome ending in "in" reads well
 * ("3 logged in (0.2 s)") */
static void print_summary(struct kc_out *o, double secs)
{
    struct kc_buf b = KC_BUF_INIT;
    kc_buf_addf(&b, "%zu host%s:", o->nhosts, o->nhosts == 1 ? "" : "s");
    bool first = true, after_names = false;
    for (int problems = 0; problems <= 1; problems++) {
        for (size_t i = 0; i < o->ngroups; i++) {
            const struct kc_out_group *g = &o->groups[i];
            if (kc_out_is_problem(g->outcome) != (bool)problems)
                continue;
            kc_buf_addf(&b, "%s %zu %s",
                        first         ? ""
                        : after_names ? ";"
                                      : ",",
                        g->count, g->outcome);
            if (problems)
                add_names(&b, &g->hosts);
            first = false;
            after_names = problems;
        }
    }
    kc_buf_addf(&b, " (%.1f s)", secs);
    fprintf(o->out, "%s\n", kc_buf_str(&b));
    kc_buf_release(&b);
}

static void text_finish(struct kc_out *o, int exit_code, const struct kc_err *err, double secs)
{
    (void)err;
    bool failed_early = exit_code == 2 || exit_code == 3; /* nothing was contacted */
    if (o->ngroups)
        print_summary(o, secs);
    else if (o->show_finished && o->verbosity >= 0 && !failed_early)
        fprintf(o->out, "Finished in %.1f s\n", secs);
}

const struct kc_out_target kc_out_target_text = {
    .name = "text",
    .msg = text_msg,
    .trace = text_trace,
    .planned = text_planned,
    .result = text_result,
    .block = text_block,
    .line = text_line,
    .host_error = text_host_error,
    .data = text_data,
    .error = text_error,
    .help = text_help,
    .version = text_version,
    .doc = text_doc,
    .finish = text_finish,
};
