/* strvec.c - vectors of owned strings and ordered key/value lists. */
#include "kamal-c/util.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the index: open addressing over positions, for the long vectors ---- */

struct kc_strindex {
    char *const *v; /* the array it was built for, and how many of it */
    size_t n;
    size_t mask;     /* slots - 1, slots a power of two >= 2 * n */
    uint32_t *slots; /* position + 1 of the first string with that value, 0 = free */
};

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Adds position i unless an equal string is already there (the first one
 * stays, as kc_strvec_index finds it). */
static void index_add(struct kc_strindex *x, char *const *v, size_t i)
{
    for (size_t s = str_hash(v[i]) & x->mask;; s = (s + 1) & x->mask) {
        if (x->slots[s] == 0) {
            x->slots[s] = (uint32_t)(i + 1);
            return;
        }
        if (strcmp(v[x->slots[s] - 1], v[i]) == 0)
            return;
    }
}

static void index_free(struct kc_strvec *sv)
{
    if (sv->index)
        free(sv->index->slots);
    free(sv->index);
    sv->index = NULL;
}

static void index_rebuild(struct kc_strvec *sv)
{
    struct kc_strindex *x = sv->index ? sv->index : kc_xcalloc(1, sizeof *x);
    size_t slots = 64;
    while (slots < 4 * sv->n)
        slots *= 2;
    free(x->slots);
    x->slots = kc_xcalloc(slots, sizeof *x->slots);
    x->mask = slots - 1;
    for (size_t i = 0; i < sv->n; i++)
        index_add(x, sv->v, i);
    x->v = sv->v;
    x->n = sv->n;
    sv->index = x;
}

static bool index_valid(const struct kc_strvec *sv)
{
    return sv->index && sv->index->v == sv->v && sv->index->n == sv->n;
}

/* After a push of one string (the index, if any, was valid for the n - 1
 * before it, at the array it had then). */
static void index_pushed(struct kc_strvec *sv, char *const *old_v)
{
    struct kc_strindex *x = sv->index;
    if (sv->n < KC_STRVEC_INDEX_MIN || sv->n > UINT32_MAX - 1)
        return;
    if (x == NULL || x->v != old_v || x->n != sv->n - 1 || 2 * sv->n > x->mask + 1) {
        index_rebuild(sv);
        return;
    }
    x->v = sv->v;
    x->n = sv->n;
    index_add(x, sv->v, sv->n - 1);
}

void kc_strvec_push_nodup(struct kc_strvec *sv, char *s)
{
    char *const *old_v = sv->v;
    kc_xgrow((void **)&sv->v, &sv->cap, sv->n + 2, sizeof(char *));
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
    index_pushed(sv, old_v);
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
    if (index_valid(sv)) {
        const struct kc_strindex *x = sv->index;
        for (size_t i = str_hash(s) & x->mask; x->slots[i]; i = (i + 1) & x->mask)
            if (strcmp(sv->v[x->slots[i] - 1], s) == 0)
                return (ssize_t)x->slots[i] - 1;
        return -1;
    }
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

void kc_strvec_take_all(struct kc_strvec *dst, struct kc_strvec *src)
{
    for (size_t i = 0; i < src->n; i++)
        kc_strvec_push_nodup(dst, src->v[i]);
    free(src->v);
    index_free(src);
    src->v = NULL;
    src->n = src->cap = 0;
}

void kc_strvec_sort(struct kc_strvec *sv, int (*cmp)(const void *, const void *))
{
    if (sv->n > 1)
        qsort(sv->v, sv->n, sizeof *sv->v, cmp);
    if (sv->index)
        index_rebuild(sv);
}

void kc_strvec_release(struct kc_strvec *sv)
{
    if (sv == NULL)
        return;
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    index_free(sv);
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
