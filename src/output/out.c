/* out.c - the output sink: human text or one JSON document (see output.h). */
#include "kamal-c/output.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The results with one outcome: how many, on which hosts (first-seen order). */
struct kc_out_group {
    char *outcome;
    size_t count;
    struct kc_strvec hosts;
};

struct kc_out_host {
    char *host;
    cJSON *results; /* array of {subject, outcome, detail} */
    cJSON *planned; /* array of strings */
    struct kc_buf output;
    char *error;
    const char *error_kind;
};

/* ANSI colours, used only when o->color. */
#define C_RED    "\033[31m"
#define C_YELLOW "\033[33m"
#define C_GREEN  "\033[32m"
#define C_BLUE   "\033[34m"
#define C_DIM    "\033[2m"
#define C_OFF    "\033[0m"

static bool want_color(FILE *f)
{
    const char *nc = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    if (nc && *nc)
        return false;
    if (term && strcmp(term, "dumb") == 0)
        return false;
    return isatty(fileno(f));
}

void kc_out_init(struct kc_out *o, enum kc_format format, int verbosity, FILE *out, FILE *err)
{
    memset(o, 0, sizeof *o);
    o->format = format;
    o->verbosity = verbosity;
    o->out = out;
    o->err = err;
    o->color = format == KC_FMT_TEXT && want_color(out);
    o->color_err = want_color(err);
    o->t0 = kc_now();
    pthread_mutex_init(&o->mu, NULL);
}

static void host_release(struct kc_out_host *h)
{
    free(h->host);
    cJSON_Delete(h->results);
    cJSON_Delete(h->planned);
    kc_buf_release(&h->output);
    free(h->error);
}

void kc_out_release(struct kc_out *o)
{
    if (o == NULL)
        return;
    for (size_t i = 0; i < o->nhosts; i++)
        host_release(&o->hosts[i]);
    free(o->hosts);
    kc_strvec_release(&o->host_names);
    free(o->command);
    kc_strvec_release(&o->secrets);
    kc_strvec_release(&o->messages);
    for (size_t i = 0; i < o->ngroups; i++) {
        free(o->groups[i].outcome);
        kc_strvec_release(&o->groups[i].hosts);
    }
    free(o->groups);
    pthread_mutex_destroy(&o->mu);
}

void kc_out_set_command(struct kc_out *o, const char *command)
{
    free(o->command);
    o->command = kc_xstrdup(command);
}

void kc_out_add_secret(struct kc_out *o, const char *value)
{
    if (value == NULL || strlen(value) < 3)
        return;
    pthread_mutex_lock(&o->mu);
    /* longest first: a value holding another (the JSON of a secrets fetch
     * holds each value) is replaced whole before its parts are */
    if (kc_strvec_push_unique(&o->secrets, value)) {
        char **v = o->secrets.v;
        for (size_t i = o->secrets.n - 1; i > 0 && strlen(v[i - 1]) < strlen(v[i]); i--) {
            char *t = v[i - 1];
            v[i - 1] = v[i];
            v[i] = t;
        }
    }
    pthread_mutex_unlock(&o->mu);
}

/* Caller holds the mutex (or owns o exclusively). */
static char *redact_locked(struct kc_out *o, const char *s)
{
    char *cur = kc_xstrdup(s ? s : "");
    for (size_t i = 0; i < o->secrets.n; i++) {
        const char *secret = o->secrets.v[i];
        if (strstr(cur, secret) == NULL)
            continue;
        struct kc_buf b = KC_BUF_INIT;
        size_t sl = strlen(secret);
        const char *p = cur, *hit;
        while ((hit = strstr(p, secret)) != NULL) {
            kc_buf_add(&b, p, (size_t)(hit - p));
            kc_buf_adds(&b, "[REDACTED]");
            p = hit + sl;
        }
        kc_buf_adds(&b, p);
        free(cur);
        cur = kc_buf_detach(&b);
    }
    return cur;
}

char *kc_out_redact(struct kc_out *o, const char *s)
{
    pthread_mutex_lock(&o->mu);
    char *r = redact_locked(o, s);
    pthread_mutex_unlock(&o->mu);
    return r;
}

static struct kc_out_host *host_rec(struct kc_out *o, const char *host)
{
    ssize_t known = kc_strvec_index(&o->host_names, host);
    if (known >= 0)
        return &o->hosts[known];
    kc_strvec_push(&o->host_names, host);
    kc_xgrow((void **)&o->hosts, &o->caphosts, o->nhosts + 1, sizeof(*o->hosts));
    struct kc_out_host *h = &o->hosts[o->nhosts++];
    memset(h, 0, sizeof *h);
    h->host = kc_xstrdup(host);
    h->results = cJSON_CreateArray();
    h->planned = cJSON_CreateArray();
    return h;
}

static const char *paint_to(const struct kc_out *o, FILE *f, const char *code)
{
    return (f == o->err ? o->color_err : o->color) ? code : "";
}

static const char *paint(const struct kc_out *o, const char *code)
{
    return paint_to(o, o->out, code);
}

/* Writes "[host] " (or nothing) then text and a newline, to f. */
static void emit_line(struct kc_out *o, FILE *f, const char *host, const char *color,
                      const char *prefix, const char *text)
{
    if (host)
        fprintf(f, "%s[%s]%s ", paint_to(o, f, C_BLUE), host, paint_to(o, f, C_OFF));
    fprintf(f, "%s%s%s%s\n", color ? paint_to(o, f, color) : "", prefix ? prefix : "", text,
            color ? paint_to(o, f, C_OFF) : "");
}

void kc_out_msg(struct kc_out *o, enum kc_level lvl, const char *host, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *raw = kc_xvasprintf(fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&o->mu);
    char *s = redact_locked(o, raw);
    free(raw);
    if (o->format == KC_FMT_JSON) {
        /* errors and warnings still reach people on stderr */
        if (lvl <= KC_LVL_WARN)
            emit_line(o, o->err, host, NULL, lvl == KC_LVL_ERROR ? "error: " : "warning: ", s);
        else if (lvl == KC_LVL_INFO)
            kc_strvec_push(&o->messages, s);
    } else if (lvl == KC_LVL_ERROR) {
        emit_line(o, o->err, host, C_RED, "error: ", s);
    } else if (lvl == KC_LVL_WARN) {
        emit_line(o, o->err, host, C_YELLOW, "warning: ", s);
    } else if (lvl == KC_LVL_INFO && o->verbosity >= 0) {
        emit_line(o, o->out, host, NULL, NULL, s);
    } else if (lvl == KC_LVL_DEBUG && o->verbosity > 0) {
        emit_line(o, o->err, host, C_DIM, NULL, s);
    }
    fflush(o->out);
    free(s);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_trace_cmd(struct kc_out *o, const char *host, const char *cmdline)
{
    if (o->verbosity <= 0)
        return;
    pthread_mutex_lock(&o->mu);
    char *s = redact_locked(o, cmdline);
    emit_line(o, o->err, host, C_DIM, "$ ", s);
    free(s);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_trace_output(struct kc_out *o, const char *host, const char *text, bool is_stderr)
{
    if (o->verbosity <= 0 || text == NULL || *text == '\0')
        return;
    pthread_mutex_lock(&o->mu);
    char *s = redact_locked(o, text);
    char *save = NULL;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        emit_line(o, o->err, host, C_DIM, is_stderr ? "  ! " : "  | ", line);
    free(s);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_planned(struct kc_out *o, const char *host, const char *what)
{
    pthread_mutex_lock(&o->mu);
    char *s = redact_locked(o, what);
    if (o->format == KC_FMT_JSON)
        cJSON_AddItemToArray(host_rec(o, host)->planned, cJSON_CreateString(s));
    else
        emit_line(o, o->out, host, NULL, "would run: ", s);
    fflush(o->out);
    free(s);
    pthread_mutex_unlock(&o->mu);
}

static struct kc_out_group *group_of(struct kc_out *o, const char *outcome)
{
    for (size_t i = 0; i < o->ngroups; i++) /* a handful of outcomes */
        if (strcmp(o->groups[i].outcome, outcome) == 0)
            return &o->groups[i];
    kc_xgrow((void **)&o->groups, &o->capgroups, o->ngroups + 1, sizeof *o->groups);
    struct kc_out_group *g = &o->groups[o->ngroups++];
    memset(g, 0, sizeof *g);
    g->outcome = kc_xstrdup(outcome);
    return g;
}

static void count_outcome(struct kc_out *o, const char *host, const char *outcome)
{
    struct kc_out_group *g = group_of(o, outcome);
    g->count++;
    kc_strvec_push_unique(&g->hosts, host);
}

static bool is_failure(const char *outcome)
{
    return strcmp(outcome, "failed") == 0 || strcmp(outcome, "unreachable") == 0 ||
           strcmp(outcome, "interrupted") == 0;
}

/* What -q keeps: a result someone has to act on. */
static bool is_problem(const char *outcome)
{
    return is_failure(outcome) || strcmp(outcome, "drift") == 0;
}

static const char *outcome_color(const char *outcome)
{
    if (is_failure(outcome))
        return C_RED;
    if (strcmp(outcome, "drift") == 0)
        return C_YELLOW;
    if (strcmp(outcome, "unchanged") == 0)
        return C_DIM;
    return C_GREEN;
}

void kc_out_result(struct kc_out *o, const char *host, const char *subject, const char *outcome,
                   const char *detail)
{
    pthread_mutex_lock(&o->mu);
    char *d = detail ? redact_locked(o, detail) : NULL;
    struct kc_out_host *h = host_rec(o, host);
    count_outcome(o, host, outcome);
    if (o->format == KC_FMT_JSON) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "subject", subject);
        cJSON_AddStringToObject(r, "outcome", outcome);
        if (d)
            cJSON_AddStringToObject(r, "detail", d);
        cJSON_AddItemToArray(h->results, r);
    } else if (o->verbosity >= 0 || is_problem(outcome)) {
        FILE *f = o->out;
        fprintf(f, "%s[%s]%s %s: %s%s%s%s%s\n", paint(o, C_BLUE), host, paint(o, C_OFF), subject,
                paint(o, outcome_color(outcome)), outcome, paint(o, C_OFF), d ? " - " : "",
                d ? d : "");
        fflush(f);
    }
    free(d);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_block(struct kc_out *o, const char *label, const char *host, const char *text)
{
    pthread_mutex_lock(&o->mu);
    char *s = redact_locked(o, text);
    struct kc_out_host *h = host_rec(o, host); /* counted in the summary */
    if (o->format == KC_FMT_JSON) {
        if (h->output.len && h->output.data[h->output.len - 1] != '\n')
            kc_buf_addc(&h->output, '\n');
        kc_buf_adds(&h->output, s);
    } else {
        bool header = o->verbosity >= 0 || o->keep_headers;
        if (header)
            fprintf(o->out, "%s%s%s%s:%s\n", paint(o, C_BLUE), label ? label : "", label ? " " : "",
                    host, paint(o, C_OFF));
        size_t n = strlen(s);
        while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
            s[--n] = '\0';
        if (n)
            fprintf(o->out, "%s\n", s);
        if (header && o->verbosity >= 0)
            fputc('\n', o->out);
        fflush(o->out);
    }
    free(s);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_line(struct kc_out *o, const char *host, const char *line)
{
    pthread_mutex_lock(&o->mu);
    char *s = redact_locked(o, line);
    struct kc_out_host *h = host_rec(o, host);
    if (o->format == KC_FMT_JSON) {
        kc_buf_adds(&h->output, s);
        kc_buf_addc(&h->output, '\n');
    } else {
        emit_line(o, o->out, host, NULL, NULL, s);
        fflush(o->out);
    }
    free(s);
    pthread_mutex_unlock(&o->mu);
}

static void add_err_details(struct kc_out *o, FILE *f, const struct kc_err *err)
{
    if (err->command) {
        char *c = redact_locked(o, err->command);
        fprintf(f, "  command: %s\n", c);
        free(c);
    }
    if (err->remote_err && *err->remote_err) {
        char *r = redact_locked(o, err->remote_err);
        size_t n = strlen(r);
        while (n && r[n - 1] == '\n')
            r[--n] = '\0';
        char *save = NULL;
        for (char *line = strtok_r(r, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            fprintf(f, "  | %s\n", line);
        free(r);
    }
    if (err->hint) {
        char *h = redact_locked(o, err->hint);
        fprintf(f, "  hint: %s\n", h);
        free(h);
    }
}

void kc_out_host_error(struct kc_out *o, const char *host, const struct kc_err *err)
{
    pthread_mutex_lock(&o->mu);
    struct kc_out_host *h = host_rec(o, host);
    char *m = redact_locked(o, err->msg ? err->msg : kc_code_name(err->code));
    free(h->error);
    h->error = kc_xstrdup(m);
    h->error_kind = err->code == KC_EUNREACHABLE   ? "unreachable"
                    : err->code == KC_EINTERRUPTED ? "interrupted"
                                                   : "failed";
    if (o->format == KC_FMT_TEXT) {
        fprintf(o->err, "%s[%s]%s %serror:%s %s\n", paint_to(o, o->err, C_BLUE), host,
                paint_to(o, o->err, C_OFF), paint_to(o, o->err, C_RED), paint_to(o, o->err, C_OFF),
                m);
        add_err_details(o, o->err, err);
        fflush(o->err);
    }
    free(m);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_data(struct kc_out *o, const char *text, bool is_json)
{
    pthread_mutex_lock(&o->mu);
    char *s = redact_locked(o, text);
    if (o->format == KC_FMT_JSON && !is_json) {
        kc_strvec_push(&o->messages, s);
    } else {
        fputs(s, o->out);
        o->own_json |= is_json && o->format == KC_FMT_JSON;
    }
    fflush(o->out);
    free(s);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_reveal(struct kc_out *o, const char *text, bool is_json)
{
    pthread_mutex_lock(&o->mu);
    fputs(text, o->out);
    o->own_json |= is_json && o->format == KC_FMT_JSON;
    fflush(o->out);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_error(struct kc_out *o, const struct kc_err *err)
{
    pthread_mutex_lock(&o->mu);
    char *line = kc_err_format(err);
    char *s = redact_locked(o, line);
    free(line);
    fprintf(o->err, "%skamal-c: error:%s %s\n", paint_to(o, o->err, C_RED),
            paint_to(o, o->err, C_OFF), s);
    free(s);
    add_err_details(o, o->err, err);
    fflush(o->err);
    pthread_mutex_unlock(&o->mu);
}

/* Hosts that failed without a result of that kind (server exec, a failed
 * step before any result) count under their error; when no host reported a
 * result, the others count as "ok". Each group's hosts are then sorted
 * ("10.0.0.9" before "10.0.0.10"): they came in the order hosts finished.
 * Runs once, at the end. */
static void settle_groups(struct kc_out *o)
{
    bool any_results = o->ngroups > 0, any_error = false;
    for (size_t i = 0; i < o->nhosts; i++) {
        const struct kc_out_host *h = &o->hosts[i];
        if (h->error == NULL)
            continue;
        any_error = true;
        bool counted = false;
        for (size_t g = 0; g < o->ngroups && !counted; g++)
            counted = is_problem(o->groups[g].outcome) &&
                      kc_strvec_contains(&o->groups[g].hosts, h->host);
        if (!counted)
            count_outcome(o, h->host, h->error_kind);
    }
    for (size_t i = 0; !any_results && any_error && i < o->nhosts; i++)
        if (o->hosts[i].error == NULL)
            count_outcome(o, o->hosts[i].host, "ok");
    for (size_t g = 0; g < o->ngroups; g++)
        kc_strvec_sort(&o->groups[g].hosts, kc_natural_cmp_ptr);
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
            if (is_problem(g->outcome) != (bool)problems)
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

static cJSON *json_document(struct kc_out *o, int exit_code, const struct kc_err *err, double secs)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "command", o->command ? o->command : "");
    cJSON_AddBoolToObject(doc, "ok", exit_code == 0);
    cJSON_AddNumberToObject(doc, "exit_code", exit_code);
    cJSON_AddNumberToObject(doc, "duration_s", (double)(long)(secs * 1000) / 1000.0);
    cJSON *hosts = cJSON_AddArrayToObject(doc, "hosts");
    for (size_t i = 0; i < o->nhosts; i++) {
        struct kc_out_host *h = &o->hosts[i];
        cJSON *jh = cJSON_CreateObject();
        cJSON_AddStringToObject(jh, "host", h->host);
        cJSON_AddStringToObject(jh, "status", h->error ? h->error_kind : "ok");
        cJSON_AddItemToObject(jh, "results", h->results);
        h->results = NULL;
        if (cJSON_GetArraySize(h->planned) > 0) {
            cJSON_AddItemToObject(jh, "planned", h->planned);
            h->planned = NULL;
        }
        if (h->output.len)
            cJSON_AddStringToObject(jh, "output", kc_buf_str(&h->output));
        if (h->error)
            cJSON_AddStringToObject(jh, "error", h->error);
        cJSON_AddItemToArray(hosts, jh);
    }
    cJSON *summary = cJSON_AddObjectToObject(doc, "summary");
    cJSON *outcomes = cJSON_AddObjectToObject(doc, "outcomes");
    for (size_t i = 0; i < o->ngroups; i++) {
        const struct kc_out_group *g = &o->groups[i];
        cJSON_AddNumberToObject(summary, g->outcome, (double)g->count);
        cJSON *names = cJSON_AddArrayToObject(outcomes, g->outcome);
        for (size_t j = 0; j < g->hosts.n; j++)
            cJSON_AddItemToArray(names, cJSON_CreateString(g->hosts.v[j]));
    }
    if (o->messages.n) {
        cJSON *msgs = cJSON_AddArrayToObject(doc, "messages");
        for (size_t i = 0; i < o->messages.n; i++)
            cJSON_AddItemToArray(msgs, cJSON_CreateString(o->messages.v[i]));
    }
    if (err && err->code != KC_OK) {
        cJSON *je = cJSON_AddObjectToObject(doc, "error");
        cJSON_AddStringToObject(je, "kind", kc_code_name(err->code));
        char *m = kc_err_format(err);
        char *r = redact_locked(o, m);
        cJSON_AddStringToObject(je, "message", r);
        free(m);
        free(r);
        if (err->hint) {
            char *h = redact_locked(o, err->hint);
            cJSON_AddStringToObject(je, "hint", h);
            free(h);
        }
    }
    return doc;
}

int kc_out_finish(struct kc_out *o, int exit_code, const struct kc_err *err)
{
    pthread_mutex_lock(&o->mu);
    double secs = kc_now() - o->t0;
    bool failed_early = exit_code == 2 || exit_code == 3; /* nothing was contacted */
    settle_groups(o);
    if (o->format == KC_FMT_JSON && o->own_json && exit_code == 0) {
        /* the verb's own document was the output */
    } else if (o->format == KC_FMT_JSON) {
        cJSON *doc = json_document(o, exit_code, err, secs);
        char *text = cJSON_Print(doc);
        fprintf(o->out, "%s\n", text);
        cJSON_free(text);
        cJSON_Delete(doc);
    } else if (o->ngroups) {
        print_summary(o, secs);
    } else if (o->show_finished && o->verbosity >= 0 && !failed_early) {
        fprintf(o->out, "Finished in %.1f s\n", secs);
    }
    pthread_mutex_unlock(&o->mu);
    /* like git: a result that could not be written is a failure, unless the
     * reader went away (a closed pipe is the reader's choice) */
    if (fflush(o->out) != 0 || ferror(o->out)) {
        if (errno != EPIPE) {
            fprintf(o->err, "kamal-c: error: could not write output: %s\n", strerror(errno));
            return exit_code ? exit_code : 1;
        }
    }
    return exit_code;
}
