/* out.c - the output sink (see output.h): what every target shares (the
 * lock, secret redaction, the per-host records and the outcome counts) and
 * the dispatch of each event to the run's target (target.h). */
#include "target.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    if (format == KC_FMT_JSON)
        o->target = &kc_out_target_json;
    else if (o->color && verbosity >= 0)
        o->target = &kc_out_target_live;
    else
        o->target = &kc_out_target_text;
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
    if (o->target && o->target->release)
        o->target->release(o);
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

char *kc_out_redact_locked(struct kc_out *o, const char *s)
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
    char *r = kc_out_redact_locked(o, s);
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
    return h;
}

void kc_out_msg(struct kc_out *o, enum kc_level lvl, const char *host, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *raw = kc_xvasprintf(fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&o->mu);
    char *s = kc_out_redact_locked(o, raw);
    free(raw);
    o->target->msg(o, lvl, host, s);
    fflush(o->out);
    free(s);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_trace_cmd(struct kc_out *o, const char *host, const char *cmdline)
{
    if (o->verbosity <= 0)
        return;
    pthread_mutex_lock(&o->mu);
    char *s = kc_out_redact_locked(o, cmdline);
    o->target->trace(o, host, "$ ", s);
    free(s);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_trace_output(struct kc_out *o, const char *host, const char *text, bool is_stderr)
{
    if (o->verbosity <= 0 || text == NULL || *text == '\0')
        return;
    pthread_mutex_lock(&o->mu);
    char *s = kc_out_redact_locked(o, text);
    char *save = NULL;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        o->target->trace(o, host, is_stderr ? "  ! " : "  | ", line);
    free(s);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_planned(struct kc_out *o, const char *host, const char *what)
{
    pthread_mutex_lock(&o->mu);
    char *s = kc_out_redact_locked(o, what);
    o->target->planned(o, host_rec(o, host), s);
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

bool kc_out_is_failure(const char *outcome)
{
    return strcmp(outcome, "failed") == 0 || strcmp(outcome, "unreachable") == 0 ||
           strcmp(outcome, "interrupted") == 0;
}

bool kc_out_is_problem(const char *outcome)
{
    return kc_out_is_failure(outcome) || strcmp(outcome, "drift") == 0;
}

void kc_out_result(struct kc_out *o, const char *host, const char *subject, const char *outcome,
                   const char *detail)
{
    pthread_mutex_lock(&o->mu);
    char *d = detail ? kc_out_redact_locked(o, detail) : NULL;
    struct kc_out_host *h = host_rec(o, host);
    count_outcome(o, host, outcome);
    o->target->result(o, h, subject, outcome, d);
    free(d);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_block(struct kc_out *o, const char *label, const char *host, const char *text)
{
    pthread_mutex_lock(&o->mu);
    char *s = kc_out_redact_locked(o, text);
    o->target->block(o, host_rec(o, host) /* counted in the summary */, label, s);
    free(s);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_line(struct kc_out *o, const char *host, const char *line)
{
    pthread_mutex_lock(&o->mu);
    char *s = kc_out_redact_locked(o, line);
    o->target->line(o, host_rec(o, host), s);
    free(s);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_host_error(struct kc_out *o, const char *host, const struct kc_err *err)
{
    pthread_mutex_lock(&o->mu);
    struct kc_out_host *h = host_rec(o, host);
    char *m = kc_out_redact_locked(o, err->msg ? err->msg : kc_code_name(err->code));
    free(h->error);
    h->error = kc_xstrdup(m);
    h->error_kind = err->code == KC_EUNREACHABLE   ? "unreachable"
                    : err->code == KC_EINTERRUPTED ? "interrupted"
                                                   : "failed";
    o->target->host_error(o, h, m, err);
    free(m);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_data(struct kc_out *o, const char *text, bool is_json)
{
    pthread_mutex_lock(&o->mu);
    char *s = kc_out_redact_locked(o, text);
    o->target->data(o, s, is_json, false);
    fflush(o->out);
    free(s);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_reveal(struct kc_out *o, const char *text, bool is_json)
{
    pthread_mutex_lock(&o->mu);
    o->target->data(o, text, is_json, true);
    fflush(o->out);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_help(struct kc_out *o, const char *text)
{
    pthread_mutex_lock(&o->mu);
    o->target->help(o, text);
    fflush(o->out);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_version(struct kc_out *o, const char *version, const char *compat)
{
    pthread_mutex_lock(&o->mu);
    o->target->version(o, version, compat);
    fflush(o->out);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_doc(struct kc_out *o, const struct kc_out_doc *doc)
{
    pthread_mutex_lock(&o->mu);
    o->target->doc(o, doc);
    fflush(o->out);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_step(struct kc_out *o, const char *host, const char *step)
{
    if (o->target->step == NULL || host == NULL)
        return;
    pthread_mutex_lock(&o->mu);
    char *s = kc_out_redact_locked(o, step);
    o->target->step(o, host, s);
    free(s);
    pthread_mutex_unlock(&o->mu);
}

void kc_out_progress(struct kc_out *o, const char *host, const char *progress)
{
    if (o->target->progress == NULL || host == NULL)
        return;
    pthread_mutex_lock(&o->mu);
    char *s = progress ? kc_out_redact_locked(o, progress) : NULL;
    o->target->progress(o, host, s);
    free(s);
    pthread_mutex_unlock(&o->mu);
}

bool kc_out_is_live(const struct kc_out *o)
{
    return o->target == &kc_out_target_live;
}

void kc_out_error(struct kc_out *o, const struct kc_err *err)
{
    pthread_mutex_lock(&o->mu);
    char *line = kc_err_format(err);
    char *s = kc_out_redact_locked(o, line);
    free(line);
    o->target->error(o, s, err);
    free(s);
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
            counted = kc_out_is_problem(o->groups[g].outcome) &&
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

int kc_out_finish(struct kc_out *o, int exit_code, const struct kc_err *err)
{
    pthread_mutex_lock(&o->mu);
    double secs = kc_now() - o->t0;
    settle_groups(o);
    o->target->finish(o, exit_code, err, secs);
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
