/* target_live.c - the live target: the text target's lines, plus at the
 * bottom of the terminal one line per busy host ("| [host] step: progress
 * (12.3 s)"), redrawn in place by a ticker thread. Before any text is printed
 * the live lines are erased, and drawn again after it, so what scrolls up is
 * exactly the text target's output; a host's line goes when its result (or
 * error) is printed, and all go before the summary. While lines are drawn the
 * cursor is hidden; erasing them shows it again (also from a signal handler:
 * kc_out_signal_reset). Chosen by kc_out_init on a terminal, see output.h. */
#include "target.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS 200

struct live_host {
    char *host;
    char *step;
    char *progress;
    double since; /* the host's first step: its line's clock */
    bool busy;    /* the host has a live line */
};

struct kc_out_live {
    struct live_host *v;
    size_t n, cap;
    int fd;       /* o->out's */
    int drawn;    /* live lines on the terminal now, the cursor below them */
    unsigned frame;
    pthread_t ticker;
    pthread_cond_t cv;
    bool ticking, stop;
};

static struct kc_out_live *live_of(struct kc_out *o)
{
    if (o->live == NULL) {
        o->live = kc_xcalloc(1, sizeof *o->live);
        o->live->fd = fileno(o->out);
        pthread_cond_init(&o->live->cv, NULL);
    }
    return o->live;
}

static struct live_host *host_of(struct kc_out_live *l, const char *host)
{
    for (size_t i = 0; i < l->n; i++) /* the hosts of one run: a linear scan is fine */
        if (strcmp(l->v[i].host, host) == 0)
            return &l->v[i];
    kc_xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v);
    struct live_host *h = &l->v[l->n++];
    memset(h, 0, sizeof *h);
    h->host = kc_xstrdup(host);
    h->since = kc_now();
    return h;
}

/* The terminal's columns and rows (80x24 when it does not say). */
static void term_size(const struct kc_out_live *l, int *cols, int *rows)
{
    struct winsize ws;
    bool ok = ioctl(l->fd, TIOCGWINSZ, &ws) == 0;
    *cols = ok && ws.ws_col > 10 ? ws.ws_col : 80;
    *rows = ok && ws.ws_row > 3 ? ws.ws_row : 24;
}

/* Control characters (docker's \r) would break the line count. */
static void add_clean(struct kc_buf *b, const char *s)
{
    for (; s && *s; s++)
        kc_buf_addc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

/* One live line, cut to the terminal's width (less one column, so it never
 * wraps), at a UTF-8 character boundary. */
static void add_line(struct kc_out *o, const struct live_host *h, int width, struct kc_buf *b)
{
    static const char spin[] = "|/-\\";
    struct kc_buf plain = KC_BUF_INIT;
    kc_buf_addf(&plain, "%c [", spin[o->live->frame % 4]);
    add_clean(&plain, h->host);
    kc_buf_adds(&plain, "] ");
    size_t head = plain.len; /* "| [host] " */
    add_clean(&plain, h->step);
    if (h->progress) {
        kc_buf_adds(&plain, ": ");
        add_clean(&plain, h->progress);
    }
    kc_buf_addf(&plain, " (%.1f s)", kc_now() - h->since);
    size_t cut = plain.len < (size_t)width - 1 ? plain.len : (size_t)width - 1;
    while (cut > 0 && cut < plain.len && ((unsigned char)plain.data[cut] & 0xC0) == 0x80)
        cut--;
    if (cut > head) {
        kc_buf_add(b, plain.data, 2);
        kc_buf_addf(b, "%s", KC_OUT_C_BLUE);
        kc_buf_add(b, plain.data + 2, head - 3);
        kc_buf_addf(b, "%s %s", KC_OUT_C_OFF, KC_OUT_C_DIM);
        kc_buf_add(b, plain.data + head, cut - head);
        kc_buf_adds(b, KC_OUT_C_OFF);
    } else {
        kc_buf_add(b, plain.data, cut);
    }
    kc_buf_adds(b, "\033[K\n");
    kc_buf_release(&plain);
}

/* Erases the live lines, then (with lines) draws the busy hosts' lines, in
 * one write; the cursor is hidden exactly while lines are drawn. They never
 * fill the screen (the cursor could not go back up over what scrolled
 * away): past rows - 2 hosts, the last line counts the others. */
static void frame(struct kc_out *o, bool lines)
{
    struct kc_out_live *l = o->live;
    if (l == NULL)
        return;
    struct kc_buf b = KC_BUF_INIT;
    if (l->drawn > 0)
        kc_buf_addf(&b, "\r\033[%dA\033[J", l->drawn);
    int was = l->drawn, now = 0, cols, rows;
    term_size(l, &cols, &rows);
    size_t busy = 0, room = (size_t)rows - 2, shown = 0;
    for (size_t i = 0; lines && i < l->n; i++)
        busy += l->v[i].busy;
    for (size_t i = 0; lines && i < l->n; i++) {
        if (!l->v[i].busy)
            continue;
        if (busy > room && shown + 1 == room) {
            kc_buf_addf(&b, "%s  and %zu more hosts%s\033[K\n", KC_OUT_C_DIM, busy - shown,
                        KC_OUT_C_OFF);
            now++;
            break;
        }
        add_line(o, &l->v[i], cols, &b);
        shown++;
        now++;
    }
    if (was == 0 && now > 0)
        kc_buf_adds(&b, "\033[?25l");
    if (was > 0 && now == 0)
        kc_buf_adds(&b, "\033[?25h");
    if (b.len) {
        fflush(o->out);
        fwrite(b.data, 1, b.len, o->out);
        fflush(o->out);
    }
    l->drawn = now;
    o->live_lines = now;
    kc_buf_release(&b);
}

static void *ticker(void *arg)
{
    struct kc_out *o = arg;
    struct kc_out_live *l = o->live;
    pthread_mutex_lock(&o->mu);
    while (!l->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&l->cv, &o->mu, &ts);
        if (!l->stop && l->drawn > 0) {
            l->frame++;
            frame(o, true);
        }
    }
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

/* The ticker runs with SIGINT and SIGTERM blocked: the handler then never
 * interrupts a frame half-built on this thread. */
static void start_ticker(struct kc_out *o)
{
    struct kc_out_live *l = o->live;
    if (l->ticking || l->stop)
        return;
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    l->ticking = pthread_create(&l->ticker, NULL, ticker, o) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void live_step(struct kc_out *o, const char *host, const char *step)
{
    struct kc_out_live *l = live_of(o);
    if (l->stop)
        return;
    struct live_host *h = host_of(l, host);
    free(h->step);
    free(h->progress);
    h->step = kc_xstrdup(step);
    h->progress = NULL;
    h->busy = true;
    start_ticker(o);
    frame(o, true);
}

static void live_progress(struct kc_out *o, const char *host, const char *progress)
{
    struct kc_out_live *l = live_of(o);
    struct live_host *h = host_of(l, host);
    if (!h->busy || (h->progress && progress && strcmp(h->progress, progress) == 0))
        return;
    free(h->progress);
    h->progress = progress ? kc_xstrdup(progress) : NULL;
    frame(o, true);
}

/* The host's line goes: its result is what stays on the screen. */
static void settle(struct kc_out *o, const char *host)
{
    if (o->live == NULL)
        return;
    for (size_t i = 0; i < o->live->n; i++)
        if (strcmp(o->live->v[i].host, host) == 0)
            o->live->v[i].busy = false;
}

/* Every text event: erase the live lines, print, draw them again. */
#define AROUND(o, call)                                                                            \
    do {                                                                                           \
        frame(o, false);                                                                           \
        call;                                                                                      \
        frame(o, true);                                                                            \
    } while (0)

static const struct kc_out_target *const text = &kc_out_target_text;

static void live_msg(struct kc_out *o, enum kc_level lvl, const char *host, const char *s)
{
    AROUND(o, text->msg(o, lvl, host, s));
}

static void live_trace(struct kc_out *o, const char *host, const char *prefix, const char *s)
{
    AROUND(o, text->trace(o, host, prefix, s));
}

static void live_planned(struct kc_out *o, struct kc_out_host *h, const char *s)
{
    AROUND(o, text->planned(o, h, s));
}

static void live_result(struct kc_out *o, struct kc_out_host *h, const char *subject,
                        const char *outcome, const char *d)
{
    settle(o, h->host);
    AROUND(o, text->result(o, h, subject, outcome, d));
}

static void live_block(struct kc_out *o, struct kc_out_host *h, const char *label, char *s)
{
    AROUND(o, text->block(o, h, label, s));
}

static void live_line(struct kc_out *o, struct kc_out_host *h, const char *s)
{
    AROUND(o, text->line(o, h, s));
}

static void live_host_error(struct kc_out *o, struct kc_out_host *h, const char *m,
                            const struct kc_err *err)
{
    settle(o, h->host);
    AROUND(o, text->host_error(o, h, m, err));
}

static void live_data(struct kc_out *o, const char *s, bool is_json, bool reveal)
{
    AROUND(o, text->data(o, s, is_json, reveal));
}

static void live_error(struct kc_out *o, const char *line, const struct kc_err *err)
{
    AROUND(o, text->error(o, line, err));
}

static void live_help(struct kc_out *o, const char *text_)
{
    AROUND(o, text->help(o, text_));
}

static void live_version(struct kc_out *o, const char *version, const char *compat)
{
    AROUND(o, text->version(o, version, compat));
}

static void live_doc(struct kc_out *o, const struct kc_out_doc *doc)
{
    AROUND(o, text->doc(o, doc));
}

static void live_finish(struct kc_out *o, int exit_code, const struct kc_err *err, double secs)
{
    if (o->live) {
        for (size_t i = 0; i < o->live->n; i++)
            o->live->v[i].busy = false;
        frame(o, false);
        o->live->stop = true;
        pthread_cond_signal(&o->live->cv);
    }
    text->finish(o, exit_code, err, secs);
}

static void live_release(struct kc_out *o)
{
    struct kc_out_live *l = o->live;
    if (l == NULL)
        return;
    pthread_mutex_lock(&o->mu);
    for (size_t i = 0; i < l->n; i++)
        l->v[i].busy = false;
    frame(o, false); /* kc_out_finish was not called: still leave a clean terminal */
    l->stop = true;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&o->mu);
    if (l->ticking)
        pthread_join(l->ticker, NULL);
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].host);
        free(l->v[i].step);
        free(l->v[i].progress);
    }
    free(l->v);
    pthread_cond_destroy(&l->cv);
    free(l);
    o->live = NULL;
}

/* Async-signal-safe: only write(2) on a buffer built by hand. */
void kc_out_signal_reset(struct kc_out *o)
{
    if (o == NULL || o->live == NULL)
        return;
    int n = o->live_lines;
    if (n <= 0)
        return;
    char buf[48] = "\r\033[";
    size_t k = 3;
    char digits[12];
    size_t d = 0;
    for (; n > 0 && d < sizeof digits; n /= 10)
        digits[d++] = (char)('0' + n % 10);
    while (d > 0)
        buf[k++] = digits[--d];
    static const char tail[] = "A\033[J\033[?25h";
    memcpy(buf + k, tail, sizeof tail - 1);
    k += sizeof tail - 1;
    ssize_t w = write(o->live->fd, buf, k);
    (void)w;
    o->live_lines = 0;
    o->live->drawn = 0; /* the ticker draws nothing more */
}

const struct kc_out_target kc_out_target_live = {
    .name = "live",
    .msg = live_msg,
    .trace = live_trace,
    .planned = live_planned,
    .result = live_result,
    .block = live_block,
    .line = live_line,
    .host_error = live_host_error,
    .data = live_data,
    .error = live_error,
    .help = live_help,
    .version = live_version,
    .doc = live_doc,
    .step = live_step,
    .progress = live_progress,
    .finish = live_finish,
    .release = live_release,
};
