/* progress.c - live progress from the ops layer (see steps.h): what a host
 * is doing now, and how far a docker pull has got. Nothing here prints: the
 * output sink shows it in the live target and ignores it in the others. */
#include "kamal-c/steps.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void kc_step_doing(struct kc_host *h, const char *fmt, ...)
{
    struct kc_out *o = kc_host_out(h);
    if (!kc_out_is_live(o))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = kc_xvasprintf(fmt, ap);
    va_end(ap);
    kc_out_step(o, h->name, s);
    free(s);
}

void kc_step_progress(struct kc_host *h, const char *fmt, ...)
{
    struct kc_out *o = kc_host_out(h);
    if (!kc_out_is_live(o))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = kc_xvasprintf(fmt, ap);
    va_end(ap);
    kc_out_progress(o, h->name, s);
    free(s);
}

/* docker's layer messages are "<12+ hex digits>: <status>". */
static size_t layer_id_len(const char *line, size_t len)
{
    size_t n = 0;
    while (n < len && ((line[n] >= '0' && line[n] <= '9') || (line[n] >= 'a' && line[n] <= 'f')))
        n++;
    if (n < 12 || n + 2 > len || line[n] != ':' || line[n + 1] != ' ')
        return 0;
    return n;
}

static bool status_is(const char *status, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(status, want, len) == 0;
}

bool kc_pull_watch_line(struct kc_pull_watch *w, const char *line, size_t len)
{
    size_t idn = layer_id_len(line, len);
    if (idn == 0)
        return false;
    const char *status = line + idn + 2;
    size_t slen = len - idn - 2;
    while (slen && (status[slen - 1] == '\r' || status[slen - 1] == ' '))
        slen--;
    char *id = kc_xstrndup(line, idn);
    bool changed = kc_strvec_push_unique(&w->layers, id);
    bool there = status_is(status, slen, "Already exists");
    bool done = there || status_is(status, slen, "Pull complete");
    if (done || status_is(status, slen, "Download complete"))
        changed |= kc_strvec_push_unique(&w->downloaded, id);
    if (done)
        changed |= kc_strvec_push_unique(&w->done, id);
    free(id);
    return changed;
}

static int watch_line(void *ud, const char *line, size_t len)
{
    struct kc_pull_watch *w = ud;
    if (kc_pull_watch_line(w, line, len) && w->h)
        kc_step_progress(w->h, "pulling, %zu/%zu layers downloaded, %zu extracted",
                         w->downloaded.n, w->layers.n, w->done.n);
    return 0;
}

static int watch_chunk(void *ud, const char *data, size_t len, bool is_stderr)
{
    struct kc_pull_watch *w = ud;
    return kc_lines_feed(&w->lines[is_stderr], data, len, watch_line, w);
}

void kc_pull_watch_init(struct kc_pull_watch *w, struct kc_host *h)
{
    memset(w, 0, sizeof *w);
    w->h = h;
    kc_lines_init(&w->lines[0], true, 4096);
    kc_lines_init(&w->lines[1], true, 4096);
}

void kc_pull_watch_attach(struct kc_pull_watch *w, struct kc_exec_result *res)
{
    if (w->h && kc_out_is_live(kc_host_out(w->h))) {
        res->watch = watch_chunk;
        res->watch_ud = w;
    }
}

void kc_pull_watch_release(struct kc_pull_watch *w)
{
    kc_lines_release(&w->lines[0]);
    kc_lines_release(&w->lines[1]);
    kc_strvec_release(&w->layers);
    kc_strvec_release(&w->downloaded);
    kc_strvec_release(&w->done);
}
