/* dispatch.c - kc_main: parse, resolve aliases, act on the verb's capability
 * flags once (config, host selection, lock), run the verb, print the error
 * once and map it to the exit status. */
#include "kamal-c/cli.h"
#include "kamal-c/ops.h"
#include "parse.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KC_MAX_ALIAS_DEPTH 8

/* The one piece of global state: set by the signal handler, read through
 * ctx->cancel everywhere else. */
static volatile sig_atomic_t cancel_flag;
static struct timespec first_signal; /* when cancel_flag was set */
/* The run's output, so that a second Ctrl-C can erase its live lines. */
static struct kc_out *signal_out;

/* Seconds during which a repeated signal counts as the same interruption:
 * `timeout -s INT` and CI runners signal the process and then its process
 * group, so one stop request often arrives twice within microseconds. */
#define KC_SIGNAL_REPEAT_WINDOW 1

static void on_signal(int sig)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now); /* async-signal-safe */
    if (cancel_flag) {
        long long ns = (long long)(now.tv_sec - first_signal.tv_sec) * 1000000000LL +
                       (now.tv_nsec - first_signal.tv_nsec);
        if (ns < KC_SIGNAL_REPEAT_WINDOW * 1000000000LL)
            return;
        /* a second Ctrl-C: the user wants out now, leaving a clean terminal */
        kc_out_signal_reset(signal_out);
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    first_signal = now;
    cancel_flag = sig;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Looks name up in the aliases of the raw merged configuration. */
static int lookup_alias(const struct kc_globals *g, const char *name, char **command,
                        struct kc_err *err)
{
    *command = NULL;
    const char *file = g->config_file ? g->config_file : "config/deploy.yml";
    if (access(file, F_OK) != 0)
        return 0;
    struct kc_config cfg;
    kc_config_init(&cfg);
    struct kc_load_opts lo = {.config_file = g->config_file,
                              .destination = g->destination,
                              .version = g->version,
                              .skip_validation = true};
    int rc = kc_config_load(&cfg, &lo, err);
    if (rc == 0) {
        const struct kc_node *aliases = kc_map_get(cfg.tree.root, "aliases");
        const char *cmd = kc_node_text(kc_map_get(aliases, name));
        if (cmd)
            *command = kc_xstrdup(cmd);
    }
    kc_config_release(&cfg);
    return rc;
}

/* argv for a re-parse: the words before the alias, the alias expansion,
 * then the words after it. */
static int expand_alias(const struct kc_parsed *p, int argc, char **argv, const char *command,
                        struct kc_strvec *out, struct kc_err *err)
{
    kc_strvec_push(out, argv[0]);
    int at = 1;
    while (at < argc && strcmp(argv[at], p->alias_name) != 0)
        kc_strvec_push(out, argv[at++]);
    int rc = 0;
    if (kc_shell_split(command, out) != 0)
        rc = kc_err_set(err, KC_ECONFIG, "alias '%s': unmatched quote in '%s'", p->alias_name,
                        command);
    for (size_t i = 0; rc == 0 && i < p->alias_args.n; i++)
        kc_strvec_push(out, p->alias_args.v[i]);
    return rc;
}

/* The visible root command nearest to word, or NULL. */
static const char *near_command(const char *word)
{
    const struct kc_verb *const *subs = kc_root_verb.subs;
    const char *names[64];
    size_t n = 0;
    for (size_t i = 0; subs[i] && n < 64; i++)
        if (!(subs[i]->flags & KC_V_HIDDEN))
            names[n++] = subs[i]->name;
    return kc_nearest(word, names, n);
}

static int unknown_command(const char *word, struct kc_err *err)
{
    const char *near = near_command(word);
    kc_err_set(err, KC_EUSAGE, "unknown command '%s'", word);
    if (near)
        kc_err_set_hint(err, "did you mean '%s'?", near);
    else
        kc_err_set_hint(err, "run 'kamal-c help' for the list of commands");
    return KC_EUSAGE;
}

/* Parses argv, following aliases; *owned keeps expanded argv alive. */
static int parse_with_aliases(struct kc_parsed *p, int argc, char **argv, struct kc_strvec *owned,
                              struct kc_err *err)
{
    char *via = NULL; /* the alias that led here, for messages */
    for (int depth = 0;; depth++) {
        int rc = kc_parse_argv(p, argc, argv, err);
        if (rc && via)
            kc_err_prefix(err, "alias %s", via);
        if (rc || p->alias_name == NULL) {
            free(via);
            return rc;
        }
        if (depth >= KC_MAX_ALIAS_DEPTH) {
            free(via);
            return kc_err_set(err, KC_ECONFIG, "alias '%s' expands into itself", p->alias_name);
        }
        char *command = NULL;
        rc = lookup_alias(&p->g, p->alias_name, &command, err);
        if (rc && near_command(p->alias_name)) {
            /* a typo of a command is likelier than an alias in a broken file */
            kc_err_release(err);
            rc = unknown_command(p->alias_name, err);
        }
        if (rc) {
            free(via);
            return rc;
        }
        if (command == NULL) {
            rc = unknown_command(p->alias_name, err);
            if (via)
                kc_err_prefix(err, "alias %s", via);
            free(via);
            return rc;
        }
        free(via);
        via = kc_xasprintf("'%s' (%s)", p->alias_name, command);
        struct kc_strvec next = KC_STRVEC_INIT;
        rc = expand_alias(p, argc, argv, command, &next, err);
        free(command);
        if (rc) {
            kc_strvec_release(&next);
            free(via);
            return rc;
        }
        kc_strvec_release(owned);
        *owned = next;
        argc = (int)owned->n;
        argv = owned->v;
        kc_parsed_release(p);
        kc_parsed_init(p);
    }
}

static int load_config(struct kc_ctx *ctx, struct kc_config *cfg, struct kc_err *err)
{
    kc_config_init(cfg);
    struct kc_load_opts lo = {.config_file = ctx->g.config_file,
                              .destination = ctx->g.destination,
                              .version = ctx->g.version,
                              .run = kc_ctx_run_shell,
                              .run_ud = ctx};
    int rc = kc_config_load(cfg, &lo, err);
    if (rc)
        return rc;
    ctx->cfg = cfg;
    kc_secrets_init(&ctx->secrets, cfg->secrets_path, cfg->destination);
    return 0;
}

/* Runs the verb with its capability flags applied. */
static int run_verb(struct kc_ctx *ctx, const struct kc_parsed *p, struct kc_err *err)
{
    const struct kc_verb *v = p->verb;
    struct kc_config cfg;
    bool have_cfg = false;
    int rc = 0;
    if (v->flags & KC_V_CONFIG) {
        rc = load_config(ctx, &cfg, err);
        have_cfg = true; /* a failed load still owns what it built so far */
    }
    if (rc == 0 && (v->flags & KC_V_SECRETS)) {
        rc = kc_ctx_secrets(ctx, err);
        if (rc)
            kc_err_set_hint(err,
                            "'%s' reads the secrets files to redact their values from "
                            "what the hosts print; fix the file, or the command it runs",
                            p->path[p->depth - 1]->name);
    }
    if (rc == 0 && (v->flags & KC_V_HOSTS))
        rc = kc_ctx_select(ctx, err);
    if (rc == 0 && (v->flags & KC_V_HOSTS))
        rc = kc_ctx_fleet(ctx, err);
    /* once, locally, before the first connection (the lock is one) */
    if (rc == 0 && (v->flags & KC_V_HOSTS))
        rc = kc_hook_run(ctx, "pre-connect", NULL, true, err);
    if (rc == 0 && (v->flags & KC_V_LOCK_UPFRONT))
        rc = kc_lock_take(ctx, NULL, err);
    if (rc == 0)
        rc = v->exec(ctx, &p->args, err);
    /* Whatever happened, a lock this run took (or may have taken: a mkdir cut
     * short) is released: after Ctrl-C too, on a channel that ignores the
     * flag (KC_CLEANUP). The flag stays set, so a second Ctrl-C still ends
     * the process at once. */
    if (kc_ctx_cancelled(ctx))
        ctx->cancel_signal = (int)*ctx->cancel;
    struct kc_err rel = KC_ERR_INIT;
    int rrc = kc_lock_drop(ctx, &rel);
    if (rrc && rc == 0) {
        kc_err_move(err, &rel);
        rc = rrc;
    } else if (rrc) {
        /* the run failed already: its error stays the error (and the exit
         * status), but a lock left behind must never go unmentioned */
        char *why = kc_err_format(&rel);
        kc_out_msg(ctx->out, KC_LVL_WARN, NULL, "%s; %s", why, rel.hint);
        free(why);
    }
    kc_err_release(&rel);
    bool released = ctx->lock_released;
    if (ctx->cancel_signal) {
        const char *sig = ctx->cancel_signal == SIGTERM ? "SIGTERM" : "SIGINT";
        if (rc == 0 || rc == KC_EINTERRUPTED) {
            rc = kc_err_set(err, KC_EINTERRUPTED, "interrupted by %s", sig);
        } else {
            /* A step the signal cut short fails with its own error: a Ctrl-C
             * reaches the whole process group, so a running hook dies of the
             * same SIGINT ("hook failed with exit status 130"). The run was
             * still interrupted: say so first, keep the step's error as
             * context, and exit 130 rather than 1. */
            kc_err_prefix(err, "interrupted by %s", sig);
            err->code = KC_EINTERRUPTED;
            rc = KC_EINTERRUPTED;
        }
        if (released)
            kc_err_set_hint(err, "the deploy lock was released");
    }
    /* the fleet's sessions must close before the configuration goes */
    kc_fleet_free(ctx->fleet);
    ctx->fleet = NULL;
    if (have_cfg) {
        kc_config_release(&cfg);
        ctx->cfg = NULL;
    }
    return rc;
}

/* -i/--interactive hands the terminal to the remote command: without one on
 * stdin (CI, a pipe) it fails at once, before any connection, as a
 * confirmation does. */
static int check_terminal(const struct kc_parsed *p, struct kc_err *err)
{
    if (!kc_args_flag(&p->args, "interactive") || isatty(STDIN_FILENO))
        return 0;
    char *name = kc_verb_path_name(p);
    kc_err_set(err, KC_EUSAGE, "'%s -i' needs a terminal on stdin, and stdin is not one", name);
    kc_err_set_hint(err, "run it from a terminal, or leave out -i: the command's output is then "
                         "printed per host");
    free(name);
    return KC_EUSAGE;
}

static int help_for(struct kc_out *out, const struct kc_parsed *p)
{
    kc_help_out(out, p->path, p->depth);
    return 0;
}

int kc_main(int argc, char **argv)
{
    struct kc_parsed p;
    struct kc_err err = KC_ERR_INIT;
    struct kc_strvec owned = KC_STRVEC_INIT;
    kc_parsed_init(&p);
    int rc = parse_with_aliases(&p, argc, argv, &owned, &err);

    struct kc_out out;
    kc_out_init(&out, p.g.format, p.g.verbosity, stdout, stderr);
    int status;
    bool quiet_stop = false;
    if (rc == 0 && (p.g.help || (p.verb == NULL && p.depth == 1))) {
        status = help_for(&out, &p);
        goto done;
    }
    if (rc == 0 && p.verb == NULL) {
        char *name = kc_verb_path_name(&p);
        kc_err_set(&err, KC_EUSAGE, "'kamal-c %s' needs a subcommand", name);
        kc_err_set_hint(&err, "run 'kamal-c help %s' to list them", name);
        free(name);
        rc = KC_EUSAGE;
    }
    if (rc == 0)
        rc = kc_check_arity(&p, &err);
    if (rc == 0)
        rc = check_terminal(&p, &err);
    if (rc == 0) {
        signal_out = &out;
        install_signals();
        struct kc_ctx ctx;
        kc_ctx_init(&ctx, &out, &cancel_flag);
        ctx.g = p.g;
        ctx.command = p.path[1]->name;
        ctx.subcommand = p.depth > 2 ? p.path[2]->name : NULL;
        ctx.may_lock = (p.verb->flags & KC_V_LOCK) != 0;
        char *name = kc_verb_path_name(&p);
        kc_out_set_command(&out, name);
        free(name);
        out.show_finished = (p.verb->flags & (KC_V_FINISHED | KC_V_HOSTS)) != 0;
        rc = run_verb(&ctx, &p, &err);
        /* Ctrl-C is how `logs -f` ends: exit 130 as a script expects, but
         * no error line for the person who pressed it */
        quiet_stop = rc == KC_EINTERRUPTED && ctx.interrupt_ok;
        kc_ctx_release(&ctx);
    }
    if (rc && !quiet_stop)
        kc_out_error(&out, &err);
    status = kc_out_finish(&out, kc_exit_status(rc), &err);
done:
    signal_out = NULL;
    kc_out_release(&out);
    kc_err_release(&err);
    kc_parsed_release(&p);
    kc_strvec_release(&owned);
    return status;
}
