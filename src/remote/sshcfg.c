/* sshcfg.c - the few ssh_config values libssh cannot report back.
 *
 * libssh applies the ssh config itself, but a program cannot read back
 * StrictHostKeyChecking (and libssh maps "no" to a flag that silently accepts
 * changed keys, so we force that flag on and need the real value) nor tell a
 * ProxyJump from a ProxyCommand (both become a ProxyCommand that runs the ssh
 * binary, which kamal-c never does). This reader answers just those questions
 * with OpenSSH's rules for Host blocks; Match blocks other than all/host/
 * originalhost cannot be evaluated here and are skipped. */
#include "session_int.h"

#include <ctype.h>
#include <glob.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define SSHCFG_MAX_DEPTH 16

struct scan {
    const char *host;
    const char *const *keys;
    char **vals;
    size_t nkeys;
    const char *base; /* directory for relative Include paths */
    const char *home;
    int depth;
};

bool kc_sshcfg_match_pattern(const char *p, const char *s)
{
    for (; *p; p++, s++) {
        if (*p == '*') {
            while (p[1] == '*')
                p++;
            if (p[1] == '\0')
                return true;
            for (; *s; s++)
                if (kc_sshcfg_match_pattern(p + 1, s))
                    return true;
            return false;
        }
        if (*s == '\0')
            return false;
        if (*p != '?' && tolower((unsigned char)*p) != tolower((unsigned char)*s))
            return false;
    }
    return *s == '\0';
}

bool kc_sshcfg_match_list(const char *list, const char *host)
{
    struct kc_strvec pats = KC_STRVEC_INIT;
    kc_strvec_split(&pats, list, ", \t");
    bool matched = false;
    for (size_t i = 0; i < pats.n; i++) {
        const char *p = pats.v[i];
        bool neg = p[0] == '!';
        if (!kc_sshcfg_match_pattern(neg ? p + 1 : p, host))
            continue;
        if (neg) {
            matched = false;
            break;
        }
        matched = true;
    }
    kc_strvec_release(&pats);
    return matched;
}

bool kc_sshcfg_strict_yes(const char *value)
{
    return value && (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0);
}

/* "Match" criteria we can evaluate: all, [!]host LIST, [!]originalhost LIST.
 * Anything else makes the block not apply. */
static bool match_criteria(const char *args, const char *host)
{
    struct kc_strvec t = KC_STRVEC_INIT;
    kc_strvec_split(&t, args, " \t");
    bool ok = t.n > 0;
    for (size_t i = 0; ok && i < t.n; i++) {
        const char *c = t.v[i];
        bool neg = c[0] == '!';
        if (neg)
            c++;
        if (strcasecmp(c, "all") == 0 && !neg)
            continue;
        if ((strcasecmp(c, "host") == 0 || strcasecmp(c, "originalhost") == 0) && i + 1 < t.n) {
            bool m = kc_sshcfg_match_list(t.v[++i], host);
            ok = neg ? !m : m;
            continue;
        }
        ok = false;
    }
    kc_strvec_release(&t);
    return ok;
}

static void scan_file(struct scan *sc, const char *path, bool active);

static char *include_path(const struct scan *sc, const char *p)
{
    if (p[0] == '~' && p[1] == '/')
        return kc_xasprintf("%s/%s", sc->home, p + 2);
    if (p[0] == '/')
        return kc_xstrdup(p);
    return kc_xasprintf("%s/%s", sc->base, p);
}

static void scan_include(struct scan *sc, const char *args, bool active)
{
    struct kc_strvec t = KC_STRVEC_INIT;
    kc_strvec_split(&t, args, " \t");
    for (size_t i = 0; i < t.n; i++) {
        char *pat = include_path(sc, t.v[i]);
        glob_t g;
        if (glob(pat, 0, NULL, &g) == 0) {
            for (size_t k = 0; k < g.gl_pathc; k++)
                scan_file(sc, g.gl_pathv[k], active);
            globfree(&g);
        }
        free(pat);
    }
    kc_strvec_release(&t);
}

static void set_value(struct scan *sc, const char *kw, const char *args)
{
    for (size_t i = 0; i < sc->nkeys; i++) {
        if (sc->vals[i] || strcasecmp(kw, sc->keys[i]) != 0)
            continue;
        size_t n = strlen(args);
        if (n >= 2 && args[0] == '"' && args[n - 1] == '"')
            sc->vals[i] = kc_xstrndup(args + 1, n - 2);
        else
            sc->vals[i] = kc_xstrdup(args);
    }
}

/* Splits "Keyword args", "Keyword=args" or "Keyword = args" in place. */
static bool split_line(char *line, char **kw, char **args)
{
    while (isspace((unsigned char)*line))
        line++;
    if (*line == '\0' || *line == '#')
        return false;
    *kw = line;
    while (*line && !isspace((unsigned char)*line) && *line != '=')
        line++;
    char *end = line;
    while (isspace((unsigned char)*line))
        line++;
    if (*line == '=')
        line++;
    while (isspace((unsigned char)*line))
        line++;
    *end = '\0';
    *args = line;
    size_t n = strlen(line);
    while (n > 0 && isspace((unsigned char)line[n - 1]))
        line[--n] = '\0';
    return true;
}

static void scan_line(struct scan *sc, char *line, bool *active)
{
    char *kw, *args;
    if (!split_line(line, &kw, &args))
        return;
    if (strcasecmp(kw, "Host") == 0) {
        *active = kc_sshcfg_match_list(args, sc->host);
        return;
    }
    if (strcasecmp(kw, "Match") == 0) {
        *active = match_criteria(args, sc->host);
        return;
    }
    if (!*active)
        return;
    if (strcasecmp(kw, "Include") == 0)
        scan_include(sc, args, *active);
    else
        set_value(sc, kw, args);
}

static void scan_file(struct scan *sc, const char *path, bool active)
{
    if (sc->depth >= SSHCFG_MAX_DEPTH)
        return;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    sc->depth++;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) != -1)
        scan_line(sc, line, &active);
    free(line);
    fclose(f);
    sc->depth--;
}

static char *home_dir(void)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res && res->pw_dir)
        return kc_xstrdup(res->pw_dir);
    const char *h = getenv("HOME");
    return kc_xstrdup(h ? h : "/");
}

void kc_sshcfg_lookup(const char *const *files, size_t nfiles, const char *host,
                      const char *const *keys, char **vals, size_t nkeys)
{
    for (size_t i = 0; i < nkeys; i++)
        vals[i] = NULL;
    char *home = home_dir();
    char *user_dir = kc_xasprintf("%s/.ssh", home);
    struct scan sc = {host, keys, vals, nkeys, NULL, home, 0};
    for (size_t i = 0; i < nfiles; i++) {
        sc.base = kc_starts_with(files[i], "/etc/ssh/") ? "/etc/ssh" : user_dir;
        scan_file(&sc, files[i], true);
    }
    free(user_dir);
    free(home);
}
