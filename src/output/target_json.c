/* target_json.c - the JSON target: the run is collected per host and printed
 * as one document at the end (--format json); errors and warnings still
 * reach people on stderr, as text. A verb that prints its own document
 * (version, config, secrets) replaces the run document when it succeeds. */
#include "target.h"

#include <stdlib.h>
#include <string.h>

static cJSON *array_of(cJSON **slot)
{
    if (*slot == NULL)
        *slot = cJSON_CreateArray();
    return *slot;
}

static void json_msg(struct kc_out *o, enum kc_level lvl, const char *host, const char *s)
{
    if (lvl <= KC_LVL_WARN)
        kc_out_text_emit(o, o->err, host, NULL, lvl == KC_LVL_ERROR ? "error: " : "warning: ", s);
    else if (lvl == KC_LVL_INFO)
        kc_strvec_push(&o->messages, s);
}

/* -v traces, the top-level error and help are the text target's, on stderr
 * (help on stdout: it has no JSON form) */
static void json_trace(struct kc_out *o, const char *host, const char *prefix, const char *s)
{
    kc_out_target_text.trace(o, host, prefix, s);
}

static void json_error(struct kc_out *o, const char *line, const struct kc_err *err)
{
    kc_out_target_text.error(o, line, err);
}

static void json_help(struct kc_out *o, const char *text)
{
    kc_out_target_text.help(o, text);
}

static void json_planned(struct kc_out *o, struct kc_out_host *h, const char *s)
{
    (void)o;
    cJSON_AddItemToArray(array_of(&h->planned), cJSON_CreateString(s));
}

static void json_result(struct kc_out *o, struct kc_out_host *h, const char *subject,
                        const char *outcome, const char *d)
{
    (void)o;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "subject", subject);
    cJSON_AddStringToObject(r, "outcome", outcome);
    if (d)
        cJSON_AddStringToObject(r, "detail", d);
    cJSON_AddItemToArray(array_of(&h->results), r);
}

static void json_block(struct kc_out *o, struct kc_out_host *h, const char *label, char *s)
{
    (void)o;
    (void)label;
    if (h->output.len && h->output.data[h->output.len - 1] != '\n')
        kc_buf_addc(&h->output, '\n');
    kc_buf_adds(&h->output, s);
}

static void json_line(struct kc_out *o, struct kc_out_host *h, const char *s)
{
    (void)o;
    kc_buf_adds(&h->output, s);
    kc_buf_addc(&h->output, '\n');
}

static void json_host_error(struct kc_out *o, struct kc_out_host *h, const char *m,
                            const struct kc_err *err)
{
    (void)o; /* in the document, from h->error */
    (void)h;
    (void)m;
    (void)err;
}

static void json_data(struct kc_out *o, const char *s, bool is_json, bool reveal)
{
    if (!is_json && !reveal) {
        kc_strvec_push(&o->messages, s);
        return;
    }
    fputs(s, o->out);
    o->own_json |= is_json;
}

static void json_version(struct kc_out *o, const char *version, const char *compat)
{
    char *s = kc_xasprintf("{\"version\": \"%s\", \"kamal_config\": \"%s\"}\n", version, compat);
    json_data(o, s, true, false);
    free(s);
}

static void json_doc(struct kc_out *o, const struct kc_out_doc *doc)
{
    struct kc_buf b = KC_BUF_INIT;
    doc->json(doc->ud, &b);
    char *s = kc_out_redact_locked(o, kc_buf_str(&b));
    json_data(o, s, true, false);
    free(s);
    kc_buf_release(&b);
}

static cJSON *host_object(struct kc_out_host *h)
{
    cJSON *jh = cJSON_CreateObject();
    cJSON_AddStringToObject(jh, "host", h->host);
    cJSON_AddStringToObject(jh, "status", h->error ? h->error_kind : "ok");
    cJSON_AddItemToObject(jh, "results", array_of(&h->results));
    h->results = NULL;
    if (cJSON_GetArraySize(h->planned) > 0) {
        cJSON_AddItemToObject(jh, "planned", h->planned);
        h->planned = NULL;
    }
    if (h->output.len)
        cJSON_AddStringToObject(jh, "output", kc_buf_str(&h->output));
    if (h->error)
        cJSON_AddStringToObject(jh, "error", h->error);
    return jh;
}

static cJSON *json_document(struct kc_out *o, int exit_code, const struct kc_err *err, double secs)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "command", o->command ? o->command : "");
    cJSON_AddBoolToObject(doc, "ok", exit_code == 0);
    cJSON_AddNumberToObject(doc, "exit_code", exit_code);
    cJSON_AddNumberToObject(doc, "duration_s", (double)(long)(secs * 1000) / 1000.0);
    cJSON *hosts = cJSON_AddArrayToObject(doc, "hosts");
    for (size_t i = 0; i < o->nhosts; i++)
        cJSON_AddItemToArray(hosts, host_object(&o->hosts[i]));
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
        char *r = kc_out_redact_locked(o, m);
        cJSON_AddStringToObject(je, "message", r);
        free(m);
        free(r);
        if (err->hint) {
            char *h = kc_out_redact_locked(o, err->hint);
            cJSON_AddStringToObject(je, "hint", h);
            free(h);
        }
    }
    return doc;
}

static void json_finish(struct kc_out *o, int exit_code, const struct kc_err *err, double secs)
{
    if (o->own_json && exit_code == 0)
        return; /* the verb's own document was the output */
    cJSON *doc = json_document(o, exit_code, err, secs);
    char *text = cJSON_Print(doc);
    fprintf(o->out, "%s\n", text);
    cJSON_free(text);
    cJSON_Delete(doc);
}

const struct kc_out_target kc_out_target_json = {
    .name = "json",
    .msg = json_msg,
    .trace = json_trace,
    .planned = json_planned,
    .result = json_result,
    .block = json_block,
    .line = json_line,
    .host_error = json_host_error,
    .data = json_data,
    .error = json_error,
    .help = json_help,
    .version = json_version,
    .doc = json_doc,
    .finish = json_finish,
};
