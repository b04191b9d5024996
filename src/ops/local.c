/* local.c - kc_local_run: the choke point for programs run on this machine
 * (see local.h). Processes are started by util/proc.c. */
#include "kamal-c/local.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

#define KC_LOCAL_HOST "local"

/* Our environment with env's variables set on top. */
static void build_env(const struct kc_kvlist *env, struct kc_strvec *out)
{
    for (char **e = environ; *e; e++) {
        size_t kl = strcspn(*e, "=");
        bool replaced = false;
        for (size_t i = 0; env && i < env->n && !replaced; i++)
            replaced = strlen(env->v[i].key) == kl && strncmp(*e, env->v[i].key, kl) == 0;
        if (!replaced)
            kc_strvec_push(out, *e);
    }
    for (size_t i = 0; env && i < env->n; i++)
        kc_strvec_pushf(out, "%s=%s", env->v[i].key, env->v[i].value);
}

/* The command's tokens as argv; only plain arguments run without a shell. */
static int build_argv(const struct kc_cmd *cmd, const char *display, struct kc_strvec *argv,
                      struct kc_err *err)
{
    for (size_t i = 0; i < cmd->n; i++) {
        if (cmd->toks[i].kind != KC_TOK_ARG)
            return kc_err_set(err, KC_EREMOTE,
                              "cannot run '%s' locally: only plain arguments run without a shell",
                              display);
        kc_strvec_push(argv, cmd->toks[i].text);
    }
    if (argv->n == 0)
        return kc_err_set(err, KC_EREMOTE, "cannot run an empty local command");
    return 0;
}

struct trace {
    struct kc_out *out;
    bool show; /* -v and the output is not secret */
    const struct kc_local_opts *opts;
};

static int on_line(void *ud, const char *line, size_t len, bool is_stderr)
{
    struct trace *t = ud;
    if (t->show) {
        char *l = kc_xstrndup(line, len);
        kc_out_trace_output(t->out, KC_LOCAL_HOST, l, is_stderr);
        free(l);
    }
    return t->opts && t->opts->on_line ? t->opts->on_line(t->opts->ud, line, len, is_stderr) : 0;
}

static void signal_name(int sig, char out[32])
{
    static const struct {
        int sig;
        const char *name;
    } names[] = {{SIGTERM, "TERM"}, {SIGKILL, "KILL"}, {SIGINT, "INT"},   {SIGHUP, "HUP"},
                 {SIGQUIT, "QUIT"}, {SIGABRT, "ABRT"}, {SIGSEGV, "SEGV"}, {SIGPIPE, "PIPE"}};
    snprintf(out, 32, "%d", sig);
    for (size_t i = 0; i < KC_ARRAY_LEN(names); i++)
        if (names[i].sig == sig)
            snprintf(out, 32, "%s", names[i].name);
}

static int failed(const char *display, const struct kc_exec_result *res, struct kc_err *err)
{
    kc_err_set(err, KC_EREMOTE, "local command failed with exit status %d", res->status);
    kc_err_set_host(err, KC_LOCAL_HOST);
    kc_err_set_command(err, display);
    kc_err_set_remote(err, res->err.len ? kc_buf_str(&res->err) : kc_buf_str(&res->out));
    return KC_EREMOTE;
}

/* Starts the program and waits for it. */
static int spawn(struct kc_ctx *ctx, const struct kc_cmd *cmd, unsigned flags,
                 const struct kc_local_opts *opts, const char *display, struct kc_exec_result *res,
                 struct kc_err *err)
{
    struct kc_strvec argv = KC_STRVEC_INIT, env = KC_STRVEC_INIT;
    int rc = build_argv(cmd, display, &argv, err);
    if (rc)
        return rc;
    if (opts && opts->env)
        build_env(opts->env, &env);
    bool verbose = ctx->out->verbosity > 0 && !(flags & KC_QUIET);
    struct trace t = {ctx->out, verbose && !(flags & KC_SECRET_OUTPUT), opts};
    struct kc_proc p = KC_PROC_INIT;
    struct kc_proc_result pr;
    p.argv = (const char *const *)argv.v;
    p.envp = env.n ? env.v : NULL;
    p.stdin_data = cmd->stdin_data;
    p.stdin_len = cmd->stdin_len;
    p.stderr_mode = opts && opts->merge_stderr         ? KC_PROC_ERR_MERGE
                    : opts && opts->stderr_to_terminal ? KC_PROC_ERR_INHERIT
                                                       : KC_PROC_ERR_CAPTURE;
    p.out = &res->out;
    p.err = &res->err;
    p.cap = opts ? opts->cap : 0;
    p.on_line = t.show || (opts && opts->on_line) ? on_line : NULL;
    p.ud = &t;
    p.cancel = ctx->cancel;
    p.stdin_inherit = opts && opts->stdin_from_terminal;
    if (verbose)
        kc_out_trace_cmd(ctx->out, KC_LOCAL_HOST, display);
    if (verbose && (flags & KC_SECRET_OUTPUT))
        kc_out_trace_output(ctx->out, KC_LOCAL_HOST,
                            "(output not shown: it may be derived from secrets)", false);
    int started;
    if (ctx->local_transport) {
        memset(&pr, 0, sizeof pr);
        started =
            ctx->local_transport->run(ctx->local_transport->ud, p.argv, opts ? opts->env : NULL,
                                      p.stdin_data, p.stdin_len, res);
        pr.status = res->status;
    } else {
        started = kc_proc_run(&p, &pr);
    }
    if (started != 0) {
        rc = kc_err_set(err, KC_EREMOTE, "could not run '%s': %s", argv.v[0], strerror(errno));
    } else {
        res->status = pr.status;
        res->truncated = pr.truncated;
        if (pr.signal)
            signal_name(pr.signal, res->signal);
        if (pr.cancelled && kc_ctx_cancelled(ctx))
            rc = kc_err_set(err, KC_EINTERRUPTED, "'%s' was stopped: interrupted", display);
        else if ((flags & KC_CHECK) && pr.status != 0)
            rc = failed(display, res, err);
    }
    kc_strvec_release(&argv);
    kc_strvec_release(&env);
    return rc;
}

int kc_local_run(struct kc_ctx *ctx, const struct kc_cmd *cmd, unsigned flags,
                 const struct kc_local_opts *opts, struct kc_exec_result *res, struct kc_err *err)
{
    struct kc_exec_result mine;
    if (res == NULL) {
        kc_exec_result_init(&mine);
        res = &mine;
    }
    kc_buf_reset(&res->out);
    kc_buf_reset(&res->err);
    res->status = 0;
    res->truncated = false;
    res->signal[0] = '\0';
    char *display = kc_cmd_render_display(cmd);
    int rc = 0;
    if ((flags & KC_MUTATE) && ctx->g.dry_run)
        kc_out_planned(ctx->out, KC_LOCAL_HOST, display);
    else
        rc = spawn(ctx, cmd, flags, opts, display, res, err);
    free(display);
    if (res == &mine)
        kc_exec_result_release(&mine);
    return rc;
}

char *kc_local_line(struct kc_ctx *ctx, const char *const argv[])
{
    struct kc_cmd c = KC_CMD_INIT;
    for (size_t i = 0; argv[i]; i++)
        kc_cmd_arg(&c, argv[i]);
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    struct kc_err ignored = KC_ERR_INIT;
    char *line = NULL;
    if (kc_local_run(ctx, &c, KC_PROBE | KC_QUIET, NULL, &res, &ignored) == 0 && res.status == 0) {
        const char *s = kc_buf_str(&res.out);
        size_t n = strcspn(s, "\n");
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\r'))
            n--;
        if (n)
            line = kc_xstrndup(s, n);
    }
    kc_err_release(&ignored);
    kc_exec_result_release(&res);
    kc_cmd_release(&c);
    return line;
}
