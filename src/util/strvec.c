/* strvec.c - vectors of owned strings and ordered key/value lists. */
#include "kamal-c/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void kc_strvec_push_nodup(struct kc_strvec *sv, char *s)
{
    kc_xgrow((void **)&sv->v, &sv->cap, sv->n + 2, sizeof(char *));
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
}

void kc_strvec_push(struct kc_strvec *sv, const char *s)
{
    kc_strvec_push_nodup(sv, kc_xstrdup(s));
}

void kc_strvec_pushf(struct kc_strvec *sv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kc_strvec_push_nodup(sv, kc_xvasprintf(fmt, ap));
    va_end(ap);
}

ssize_t kc_strvec_index(const struct kc_strvec *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return (ssize_t)i;
    return -1;
}

bool kc_strvec_contains(const struct kc_strvec *sv, const char *s)
{
    return kc_strvec_index(sv, s) >= 0;
}

bool kc_strvec_push_unique(struct kc_strvec *sv, const char *s)
{
    if (kc_strvec_contains(sv, s))
        return false;
    kc_strvec_push(sv, s);
    return true;
}

void kc_strvec_copy(struct kc_strvec *dst, const struct kc_strvec *src)
{
    for (size_t i = 0; i < src->n; i++)
        kc_strvec_push(dst, src->v[i]);
}

void kc_strvec_release(struct kc_strvec *sv)
{
    if (sv == NULL)
        return;
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

char *kc_strvec_join(const struct kc_strvec *sv, const char *sep)
{
    struct kc_buf b = KC_BUF_INIT;
    for (size_t i = 0; i < sv->n; i++) {
        if (i)
            kc_buf_adds(&b, sep);
        kc_buf_adds(&b, sv->v[i]);
    }
    return kc_buf_detach(&b);
}

void kc_strvec_split(struct kc_strvec *sv, const char *s, const char *seps)
{
    while (*s) {
        size_t n = strcspn(s, seps);
        const char *a = s, *e = s + n;
        while (a < e && isspace((unsigned char)*a))
            a++;
        while (e > a && isspace((unsigned char)e[-1]))
            e--;
        if (e > a)
            kc_strvec_push_nodup(sv, kc_xstrndup(a, (size_t)(e - a)));
        s += n;
        if (*s)
            s++;
    }
}

void kc_kvlist_set(struct kc_kvlist *l, const char *key, const char *value)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].key, key) == 0) {
            free(l->v[i].value);
            l->v[i].value = kc_xstrdup(value);
            return;
        }
    }
    kc_xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
    l->v[l->n].key = kc_xstrdup(key);
    l->v[l->n].value = kc_xstrdup(value);
    l->n++;
}

const char *kc_kvlist_get(const struct kc_kvlist *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].key, key) == 0)
            return l->v[i].value;
    return NULL;
}

void kc_kvlist_copy(struct kc_kvlist *dst, const struct kc_kvlist *src)
{
    for (size_t i = 0; i < src->n; i++)
        kc_kvlist_set(dst, src->v[i].key, src->v[i].value);
}

void kc_kvlist_release(struct kc_kvlist *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}
