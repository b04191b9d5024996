/* names.c - names Docker would reject, refused when the configuration loads
 * rather than half-way through a boot: container names and image references
 * (Docker's grammars), and accessory names and paths that could leave their
 * directory on the host. */
#include "kamal-c/config.h"

#include <ctype.h>
#include <string.h>

/* [a-zA-Z0-9][a-zA-Z0-9_.-]* (Docker's container name rule) */
bool kc_docker_name_ok(const char *s)
{
    if (!isalnum((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
            return false;
    return true;
}

/* path-component: [a-z0-9]+ ([_.]|__|-+ [a-z0-9]+)* */
static bool path_component_ok(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t run = 0;
        while (i < n && (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]))) {
            i++;
            run++;
        }
        if (run == 0)
            return false;
        if (i == n)
            return true;
        size_t sep = 0;
        while (i < n && strchr("_.-", s[i]) && sep < 64) {
            i++;
            sep++;
        }
        if (i == n || sep == 0)
            return false;
    }
    return n > 0;
}

/* domain[:port]: labels of [A-Za-z0-9-] separated by dots, a numeric port */
static bool domain_ok(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t hn = colon ? (size_t)(colon - s) : n;
    if (hn == 0)
        return false;
    for (size_t i = 0; i < hn; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
            return false;
    if (colon) {
        if (colon + 1 == s + n)
            return false;
        for (const char *p = colon + 1; p < s + n; p++)
            if (!isdigit((unsigned char)*p))
                return false;
    }
    return true;
}

/* Docker's reference grammar: [domain/]path[:tag][@digest]. The first
 * component is a domain when it has a dot or a port, or is "localhost". */
bool kc_image_ref_ok(const char *ref)
{
    size_t len = strlen(ref);
    if (len == 0 || len > 4096)
        return false;
    const char *at = strchr(ref, '@');
    size_t name_end = at ? (size_t)(at - ref) : len;
    if (at) {
        const char *colon = strchr(at + 1, ':');
        if (colon == NULL || colon == at + 1 || colon[1] == '\0')
            return false;
        for (const char *p = colon + 1; *p; p++)
            if (!isxdigit((unsigned char)*p))
                return false;
    }
    /* a tag is after the last ':' that comes after the last '/' */
    const char *slash = NULL;
    for (size_t i = 0; i < name_end; i++)
        if (ref[i] == '/')
            slash = ref + i;
    const char *tag = NULL;
    for (const char *p = slash ? slash : ref; p < ref + name_end; p++)
        if (*p == ':')
            tag = p;
    if (tag) {
        size_t tl = (size_t)(ref + name_end - tag - 1);
        if (tl == 0 || tl > 128 || !(isalnum((unsigned char)tag[1]) || tag[1] == '_'))
            return false;
        for (const char *p = tag + 1; p < ref + name_end; p++)
            if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
                return false;
        name_end = (size_t)(tag - ref);
    }
    if (name_end == 0)
        return false;
    const char *p = ref, *end = ref + name_end;
    const char *first_slash = memchr(p, '/', name_end);
    if (first_slash) {
        size_t fl = (size_t)(first_slash - p);
        const char *upper = strpbrk(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        bool is_domain = memchr(p, '.', fl) || memchr(p, ':', fl) ||
                         (fl == 9 && strncmp(p, "localhost", 9) == 0) ||
                         (upper && upper < first_slash);
        if (is_domain) {
            if (!domain_ok(p, fl))
                return false;
            p = first_slash + 1;
        }
    }
    while (p < end) {
        const char *s = memchr(p, '/', (size_t)(end - p));
        size_t n = s ? (size_t)(s - p) : (size_t)(end - p);
        if (!path_component_ok(p, n))
            return false;
        p += n + (s ? 1 : 0);
        if (s && p == end)
            return false;
    }
    return true;
}

/* No "..", no empty path: a path that stays where it is put. */
bool kc_path_stays_inside(const char *path)
{
    if (*path == '\0')
        return false;
    const char *p = path;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += n;
        while (*p == '/')
            p++;
    }
    return true;
}

/* A host name, an IPv4/IPv6 address (brackets and %zone allowed), an ssh
 * config alias, optionally user@host:port as SSHKit accepts: no blanks, no
 * shell syntax. */
bool kc_host_name_ok(const char *s)
{
    if (*s == '\0' || *s == '-' || strlen(s) > 255)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._:%@[]-", *s))
            return false;
    return true;
}
