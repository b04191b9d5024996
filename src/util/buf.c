/* buf.c - growable, optionally capped byte buffers. */
#include "kamal-c/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kc_buf_init(struct kc_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

int kc_buf_add(struct kc_buf *b, const void *data, size_t len)
{
    if (b->max && b->len + len > b->max)
        return -1;
    kc_xgrow((void **)&b->data, &b->cap, b->len + len + 1, 1);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int kc_buf_adds(struct kc_buf *b, const char *s)
{
    return kc_buf_add(b, s, strlen(s));
}

int kc_buf_addc(struct kc_buf *b, char c)
{
    return kc_buf_add(b, &c, 1);
}

int kc_buf_vaddf(struct kc_buf *b, const char *fmt, va_list ap)
{
    char *s = kc_xvasprintf(fmt, ap);
    int rc = kc_buf_adds(b, s);
    free(s);
    return rc;
}

int kc_buf_addf(struct kc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = kc_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *kc_buf_str(const struct kc_buf *b)
{
    return b->data ? b->data : "";
}

void kc_buf_reset(struct kc_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void kc_buf_release(struct kc_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *kc_buf_detach(struct kc_buf *b)
{
    char *p = b->data ? b->data : kc_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void kc_buf_rtrim(struct kc_buf *b)
{
    while (b->len && isspace((unsigned char)b->data[b->len - 1]))
        b->data[--b->len] = '\0';
}
