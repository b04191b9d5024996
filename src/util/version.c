/* version.c - comparing dotted version numbers (Gem::Version's order). */
#include "kamal-c/util.h"

#include <ctype.h>
#include <string.h>

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return n > 0;
}

/* One segment each: numbers by value, a number beats letters, letters by
 * text; a missing segment is 0. */
static int compare_segment(const char *a, size_t an, const char *b, size_t bn)
{
    bool anum = an == 0 || all_digits(a, an), bnum = bn == 0 || all_digits(b, bn);
    if (anum && bnum) {
        while (an > 1 && *a == '0')
            a++, an--;
        while (bn > 1 && *b == '0')
            b++, bn--;
        if (an == 0 || bn == 0)
            return (an != 0 && strspn(a, "0") < an) - (bn != 0 && strspn(b, "0") < bn);
        if (an != bn)
            return an < bn ? -1 : 1;
        int c = memcmp(a, b, an);
        return (c > 0) - (c < 0);
    }
    if (anum != bnum)
        return anum ? 1 : -1;
    size_t m = an < bn ? an : bn;
    int c = memcmp(a, b, m);
    if (c == 0)
        c = (an > bn) - (an < bn);
    return (c > 0) - (c < 0);
}

int kc_version_compare(const char *a, const char *b)
{
    while (*a || *b) {
        size_t an = strcspn(a, "."), bn = strcspn(b, ".");
        int c = compare_segment(a, an, b, bn);
        if (c)
            return c;
        a += an + (a[an] == '.');
        b += bn + (b[bn] == '.');
    }
    return 0;
}
