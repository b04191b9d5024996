/* glob.c - fnmatch with {a,b} alternatives, for --hosts/--roles filters. */
#include "kamal-c/util.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* Finds the '}' closing the '{' at open (skipping nested braces); NULL when
 * unbalanced. */
static const char *closing_brace(const char *open)
{
    int depth = 0;
    for (const char *p = open; *p; p++) {
        if (*p == '{')
            depth++;
        else if (*p == '}' && --depth == 0)
            return p;
    }
    return NULL;
}

/* Expands the first {..} group of pattern and matches each alternative. */
static bool match_braces(const char *pattern, const char *s, int depth)
{
    const char *open = strchr(pattern, '{');
    const char *close = open ? closing_brace(open) : NULL;
    if (open == NULL || close == NULL || depth > 16)
        return fnmatch(pattern, s, 0) == 0;
    const char *alt = open + 1;
    while (alt <= close) {
        /* find the end of this alternative at nesting depth 1 */
        const char *end = alt;
        int d = 0;
        while (end < close && !(d == 0 && *end == ',')) {
            if (*end == '{')
                d++;
            else if (*end == '}')
                d--;
            end++;
        }
        char *expanded = kc_xasprintf("%.*s%.*s%s", (int)(open - pattern), pattern,
                                      (int)(end - alt), alt, close + 1);
        bool ok = match_braces(expanded, s, depth + 1);
        free(expanded);
        if (ok)
            return true;
        alt = end + 1;
    }
    return false;
}

bool kc_glob_match(const char *pattern, const char *s)
{
    return match_braces(pattern, s, 0);
}

