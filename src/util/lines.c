/* lines.c - splitting streamed output into lines. */
#include "kamal-c/util.h"

#include <string.h>

void kc_lines_init(struct kc_lines *l, bool strip_cr, size_t max)
{
    kc_buf_init(&l->buf, 0);
    l->strip_cr = strip_cr;
    l->max = max ? max : 65536;
}

static int emit(struct kc_lines *l, const char *p, size_t n, kc_lines_cb cb, void *ud)
{
    if (l->strip_cr && n > 0 && p[n - 1] == '\r')
        n--;
    return cb(ud, p, n);
}

/* Emits the buffered piece when it reached max bytes without a newline. */
static int emit_long(struct kc_lines *l, kc_lines_cb cb, void *ud)
{
    if (l->buf.len < l->max)
        return 0;
    int rc = cb(ud, l->buf.data, l->buf.len);
    kc_buf_reset(&l->buf);
    return rc;
}

int kc_lines_feed(struct kc_lines *l, const char *data, size_t len, kc_lines_cb cb, void *ud)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        size_t room = l->max - l->buf.len;
        if (take > room) { /* a very long line: hand it over in pieces */
            kc_buf_add(&l->buf, data, room);
            data += room;
            len -= room;
            int rc = emit_long(l, cb, ud);
            if (rc)
                return rc;
            continue;
        }
        kc_buf_add(&l->buf, data, take);
        data += take;
        len -= take;
        if (nl == NULL)
            break;
        data++; /* the newline */
        len--;
        int rc = emit(l, kc_buf_str(&l->buf), l->buf.len, cb, ud);
        kc_buf_reset(&l->buf);
        if (rc)
            return rc;
    }
    return 0;
}

int kc_lines_flush(struct kc_lines *l, kc_lines_cb cb, void *ud)
{
    if (l->buf.len == 0)
        return 0;
    int rc = emit(l, l->buf.data, l->buf.len, cb, ud);
    kc_buf_reset(&l->buf);
    return rc;
}

void kc_lines_release(struct kc_lines *l)
{
    if (l)
        kc_buf_release(&l->buf);
}
