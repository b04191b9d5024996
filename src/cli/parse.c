/* parse.c - command-line parsing: global options anywhere, verb lookup in
 * the table, verb options, `--`, and remote commands for exec-like verbs
 * (Thor's rule: kamal-c's own options are taken anywhere, after the command's
 * words too; a dash-word kamal-c does not know belongs to the command). Pure:
 * no I/O, so every rule is unit-tested. */
#include "parse.h"

#include <stdlib.h>
#include <string.h>

enum global_id {
    G_VERBOSE,
    G_QUIET,
    G_VERSION,
    G_PRIMARY,
    G_HOSTS,
    G_ROLES,
    G_CONFIG,
    G_DEST,
    G_SKIP_HOOKS,
    G_LOCK_WAIT,
    G_LOCK_WAIT_TIMEOUT,
    G_LOCK_WAIT_INTERVAL,
    G_DRY_RUN,
    G_FORMAT,
    G_HELP,
};

/* Kamal's class options plus ours (--dry-run, --format, --help). */
static const struct kc_opt global_opts[] = {
    [G_VERBOSE] = {"verbose", 'v', false, NULL, "show every remote command and its output"},
    [G_QUIET] = {"quiet", 'q', false, NULL, "only errors and results"},
    [G_VERSION] = {"version", 0, true, "VERSION", "the app version to act on"},
    [G_PRIMARY] = {"primary", 'p', false, NULL, "only the primary host"},
    [G_HOSTS] = {"hosts", 'h', true, "HOSTS", "comma list of hosts (globs allowed)"},
    [G_ROLES] = {"roles", 'r', true, "ROLES", "comma list of roles (globs allowed)"},
    [G_CONFIG] = {"config-file", 'c', true, "PATH", "configuration file (config/deploy.yml)"},
    [G_DEST] = {"destination", 'd', true, "DEST", "also load config/deploy.DEST.yml"},
    [G_SKIP_HOOKS] = {"skip-hooks", 'H', false, NULL, "do not run hooks"},
    [G_LOCK_WAIT] = {"lock-wait", 0, false, NULL, "wait for another run's deploy lock"},
    [G_LOCK_WAIT_TIMEOUT] = {"lock-wait-timeout", 0, true, "SECONDS", "how long (900)"},
    [G_LOCK_WAIT_INTERVAL] = {"lock-wait-interval", 0, true, "SECONDS",
                              "poll interval (1 for another run, else 15)"},
    [G_DRY_RUN] = {"dry-run", 0, false, NULL, "probe hosts, print what would run, change nothing"},
    [G_FORMAT] = {"format", 0, true, "text|json", "output format"},
    [G_HELP] = {"help", 0, false, NULL, "show help"},
    {NULL, 0, false, NULL, NULL},
};

/* What the shells complete for their values (the rest: free text). */
static const enum kc_complete global_complete[KC_ARRAY_LEN(global_opts)] = {
    [G_HOSTS] = KC_COMPLETE_HOST,
    [G_ROLES] = KC_COMPLETE_ROLE,
    [G_CONFIG] = KC_COMPLETE_CONFIG_FILE,
    [G_DEST] = KC_COMPLETE_DESTINATION,
};

const struct kc_opt *kc_global_opts(void)
{
    return global_opts;
}

enum kc_complete kc_global_opt_complete(size_t i)
{
    return i < KC_ARRAY_LEN(global_complete) ? global_complete[i] : KC_COMPLETE_NONE;
}

void kc_parsed_init(struct kc_parsed *p)
{
    memset(p, 0, sizeof *p);
    p->g.lock_wait_timeout = 900;
    p->g.lock_wait_interval = 0; /* unset: 1 s for an automatic lock, 15 s for a manual one */
    p->g.format = KC_FMT_TEXT;
}

void kc_parsed_release(struct kc_parsed *p)
{
    kc_strvec_release(&p->args.pos);
    kc_strvec_release(&p->alias_args);
    free(p->alias_name);
}

/* Accept both spellings Thor accepts: --skip-hooks and --skip_hooks. */
static bool long_name_eq(const char *written, size_t len, const char *name)
{
    if (strlen(name) != len)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = written[i] == '_' ? '-' : written[i];
        if (c != name[i])
            return false;
    }
    return true;
}

/* Finds an option by the word a ("--name[=v]" or "-x[v]"); sets *inline_val
 * to the text after '=' (long) or after the letter (short), else NULL. */
static int find_opt(const struct kc_opt *opts, const char *a, const char **inline_val)
{
    *inline_val = NULL;
    if (opts == NULL)
        return -1;
    if (a[1] == '-') {
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        for (int i = 0; opts[i].lname; i++) {
            if (long_name_eq(name, len, opts[i].lname)) {
                *inline_val = eq ? eq + 1 : NULL;
                return i;
            }
        }
        return -1;
    }
    for (int i = 0; opts[i].lname; i++) {
        if (opts[i].sname && opts[i].sname == a[1]) {
            if (a[2] != '\0') {
                if (!opts[i].takes_value)
                    return -1; /* no bundling of short flags */
                *inline_val = a[2] == '=' ? a + 3 : a + 2;
            }
            return i;
        }
    }
    return -1;
}

static bool is_root_verb(const char *word)
{
    const struct kc_verb *const *subs = kc_root_verb.subs;
    for (size_t i = 0; subs && subs[i]; i++)
        if (strcmp(subs[i]->name, word) == 0)
            return true;
    return false;
}

static int usage(struct kc_err *err, const char *fmt, const char *a, const char *b)
{
    return kc_err_set(err, KC_EUSAGE, fmt, a, b ? b : "");
}

static int set_long(const char *opt, const char *val, long *out, struct kc_err *err)
{
    long v;
    if (!kc_parse_long(val, &v) || v <= 0)
        return usage(err, "--%s: expected a positive number of seconds, got '%s'", opt, val);
    *out = v;
    return 0;
}

static int apply_global(struct kc_parsed *p, int id, const char *val, struct kc_err *err)
{
    struct kc_globals *g = &p->g;
    switch (id) {
    case G_VERBOSE:
        g->verbosity = 1;
        break;
    case G_QUIET:
        g->verbosity = -1;
        break;
    case G_VERSION:
        g->version = val;
        break;
    case G_PRIMARY:
        g->primary = true;
        break;
    case G_HOSTS:
        g->hosts = val;
        break;
    case G_ROLES:
        g->roles = val;
        break;
    case G_CONFIG:
        g->config_file = val;
        break;
    case G_DEST:
        g->destination = val;
        break;
    case G_SKIP_HOOKS:
        g->skip_hooks = true;
        break;
    case G_LOCK_WAIT:
        g->lock_wait = true;
        break;
    case G_LOCK_WAIT_TIMEOUT:
        return set_long("lock-wait-timeout", val, &g->lock_wait_timeout, err);
    case G_LOCK_WAIT_INTERVAL:
        return set_long("lock-wait-interval", val, &g->lock_wait_interval, err);
    case G_DRY_RUN:
        g->dry_run = true;
        break;
    case G_FORMAT:
        if (strcmp(val, "text") == 0)
            g->format = KC_FMT_TEXT;
        else if (strcmp(val, "json") == 0)
            g->format = KC_FMT_JSON;
        else
            return usage(err, "--format: expected 'text' or 'json', got '%s'%s", val, NULL);
        break;
    case G_HELP:
        g->help = true;
        break;
    }
    return 0;
}

/* Collects every option name valid here, for "did you mean". */
static const char *nearest_option(const char *a, const struct kc_verb *verb)
{
    const char *names[64];
    size_t n = 0;
    for (int i = 0; global_opts[i].lname && n < 64; i++)
        names[n++] = global_opts[i].lname;
    for (int i = 0; verb && verb->opts && verb->opts[i].lname && n < 64; i++)
        names[n++] = verb->opts[i].lname;
    const char *word = a;
    while (*word == '-')
        word++;
    char *w = kc_xstrndup(word, strcspn(word, "="));
    const char *best = kc_nearest(w, names, n);
    free(w);
    return best;
}

static int unknown_option(const char *a, const struct kc_verb *verb, struct kc_err *err)
{
    const char *near = nearest_option(a, verb);
    kc_err_set(err, KC_EUSAGE, "unknown option '%s'", a);
    if (near)
        kc_err_set_hint(err, "did you mean '--%s'?", near);
    return KC_EUSAGE;
}

/* Handles one option word at argv[*i]; advances *i past a separate value. */
static int parse_option(struct kc_parsed *p, int argc, char **argv, int *i, struct kc_err *err)
{
    const char *a = argv[*i];
    const char *inline_val = NULL;
    const struct kc_opt *opts = global_opts;
    int id = find_opt(global_opts, a, &inline_val);
    bool global = id >= 0;
    if (!global && p->verb) {
        opts = p->verb->opts;
        id = find_opt(opts, a, &inline_val);
    }
    if (id < 0)
        return unknown_option(a, p->verb, err);
    const struct kc_opt *o = &opts[id];
    const char *val = NULL;
    if (o->takes_value) {
        if (inline_val) {
            val = inline_val;
        } else if (*i + 1 < argc && argv[*i + 1][0] != '-' &&
                   !(global && id == G_VERSION && is_root_verb(argv[*i + 1]))) {
            val = argv[++*i];
        } else if (global && id == G_VERSION) {
            kc_err_set(err, KC_EUSAGE,
                       "--version needs a value: --version=VERSION selects the "
                       "app version");
            kc_err_set_hint(err, "to print kamal-c's own version, run 'kamal-c version'");
            return KC_EUSAGE;
        } else {
            return usage(err, "option '--%s' needs a value%s", o->lname, NULL);
        }
        if (*val == '\0' && id != G_VERSION)
            return usage(err, "option '--%s' needs a value%s", o->lname, NULL);
    } else if (inline_val) {
        return usage(err, "option '--%s' takes no value%s", o->lname, NULL);
    }
    if (global)
        return apply_global(p, id, val, err);
    if (id >= KC_MAX_VERB_OPTS)
        return usage(err, "internal error: too many options for '%s'%s", p->verb->name, NULL);
    p->args.set[id] = true;
    p->args.vals[id] = val;
    return 0;
}

static const struct kc_verb *find_sub(const struct kc_verb *group, const char *word)
{
    for (size_t i = 0; group->subs && group->subs[i]; i++)
        if (strcmp(group->subs[i]->name, word) == 0)
            return group->subs[i];
    return NULL;
}

static int pending_verb(const struct kc_parsed *p, const char *word, struct kc_err *err)
{
    const struct kc_verb *group = p->path[p->depth - 1];
    if (p->depth == 1)
        kc_err_set(err, KC_EUSAGE, "'%s' is a Kamal command that kamal-c does not implement yet",
                   word);
    else
        kc_err_set(err, KC_EUSAGE, "'%s %s' is a Kamal command that kamal-c does not implement yet",
                   group->name, word);
    kc_err_set_hint(err, "run 'kamal-c help%s%s' for the commands kamal-c has",
                    p->depth > 1 ? " " : "", p->depth > 1 ? group->name : "");
    return KC_EUSAGE;
}

static int unknown_verb(const struct kc_parsed *p, const char *word, struct kc_err *err)
{
    const struct kc_verb *group = p->path[p->depth - 1];
    const char *names[64];
    size_t n = 0;
    for (size_t i = 0; group->subs && group->subs[i] && n < 64; i++)
        if (!(group->subs[i]->flags & KC_V_HIDDEN))
            names[n++] = group->subs[i]->name;
    const char *near = kc_nearest(word, names, n);
    if (p->depth == 1)
        kc_err_set(err, KC_EUSAGE, "unknown command '%s'", word);
    else
        kc_err_set(err, KC_EUSAGE, "unknown command '%s %s'", group->name, word);
    if (near)
        kc_err_set_hint(err, "did you mean '%s'?", near);
    else
        kc_err_set_hint(err, "run 'kamal-c help%s%s' for the list", p->depth > 1 ? " " : "",
                        p->depth > 1 ? group->name : "");
    return KC_EUSAGE;
}

/* A word that is not an option: a sub-verb while none is chosen, else an
 * operand of the chosen verb. */
static int parse_word(struct kc_parsed *p, const char *word, struct kc_err *err)
{
    if (p->verb == NULL) {
        const struct kc_verb *group = p->path[p->depth - 1];
        const struct kc_verb *sub = find_sub(group, word);
        if (sub == NULL && kc_kamal_pending(p->depth > 1 ? group->name : NULL, word))
            return pending_verb(p, word, err);
        if (sub == NULL && p->depth == 1) {
            /* maybe an alias from deploy.yml: the dispatcher decides */
            p->alias_name = kc_xstrdup(word);
            p->in_alias_args = true;
            return 0;
        }
        if (sub == NULL)
            return unknown_verb(p, word, err);
        if (p->depth >= KC_MAX_DEPTH)
            return usage(err, "internal error: verbs nested too deep at '%s'%s", word, NULL);
        p->path[p->depth++] = sub;
        if (sub->subs == NULL) {
            p->verb = sub;
            p->args.opts = sub->opts;
        }
        return 0;
    }
    kc_strvec_push(&p->args.pos, word);
    return 0;
}

/* True once an exec-like verb's remote command has started: from then on a
 * dash-word that is none of kamal-c's options is one of the command's. */
static bool in_remote_command(const struct kc_parsed *p)
{
    return p->verb && (p->verb->flags & KC_V_PASSTHROUGH) &&
           (int)p->args.pos.n > p->verb->passthrough_at;
}

/* Whether a is one of the options valid here (global or the verb's). */
static bool known_option(const struct kc_parsed *p, const char *a)
{
    const char *ignored;
    return find_opt(global_opts, a, &ignored) >= 0 ||
           (p->verb && find_opt(p->verb->opts, a, &ignored) >= 0);
}

int kc_parse_argv(struct kc_parsed *p, int argc, char **argv, struct kc_err *err)
{
    p->path[0] = &kc_root_verb;
    p->depth = 1;
    bool dashdash = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (p->in_alias_args) {
            kc_strvec_push(&p->alias_args, a);
            continue;
        }
        if (dashdash) {
            /* after `--`: words, never options */
            int rc = parse_word(p, a, err);
            if (rc)
                return rc;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            dashdash = true;
            continue;
        }
        bool option = a[0] == '-' && a[1] != '\0';
        if (option && in_remote_command(p) && !known_option(p, a))
            option = false; /* `ls -l`: the command's */
        int rc = option ? parse_option(p, argc, argv, &i, err) : parse_word(p, a, err);
        if (rc)
            return rc;
    }
    return 0;
}

int kc_check_arity(const struct kc_parsed *p, struct kc_err *err)
{
    const struct kc_verb *v = p->verb;
    size_t n = p->args.pos.n;
    char *name = kc_verb_path_name(p);
    int rc = 0;
    if ((int)n < v->min_args) {
        rc = kc_err_set(err, KC_EUSAGE, "'kamal-c %s' needs %s", name,
                        v->usage ? v->usage : "more arguments");
        kc_err_set_hint(err, "usage: kamal-c %s %s", name, v->usage ? v->usage : "");
    } else if (v->max_args >= 0 && (int)n > v->max_args) {
        rc = kc_err_set(err, KC_EUSAGE, "'kamal-c %s' takes %s, got unexpected '%s'", name,
                        v->max_args == 0 ? "no arguments" : v->usage, p->args.pos.v[v->max_args]);
        kc_err_set_hint(err, "usage: kamal-c %s%s%s", name, v->usage ? " " : "",
                        v->usage ? v->usage : "");
    }
    free(name);
    return rc;
}

char *kc_verb_path_name(const struct kc_parsed *p)
{
    struct kc_buf b = KC_BUF_INIT;
    for (size_t i = 1; i < p->depth; i++) {
        if (i > 1)
            kc_buf_addc(&b, ' ');
        kc_buf_adds(&b, p->path[i]->name);
    }
    return kc_buf_detach(&b);
}

bool kc_args_flag(const struct kc_args *a, const char *lname)
{
    for (int i = 0; a->opts && a->opts[i].lname; i++)
        if (strcmp(a->opts[i].lname, lname) == 0)
            return a->set[i];
    return false;
}

const char *kc_args_value(const struct kc_args *a, const char *lname)
{
    for (int i = 0; a->opts && a->opts[i].lname; i++)
        if (strcmp(a->opts[i].lname, lname) == 0)
            return a->set[i] ? a->vals[i] : NULL;
    return NULL;
}
