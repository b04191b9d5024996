/* fleet.c - per-host sessions opened lazily, the remote-command choke point,
 * and the parallel runner (see fleet.h). */
#include "kamal-c/fleet.h"
#include "session_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

struct kc_fleet {
    struct kc_out *out;
    struct kc_fleet_opts opts;
    struct kc_host **hosts;
    size_t n, cap;
    struct kc_strvec names; /* hosts[i]->name, in the same order: the lookup */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int starting; /* connection starts in flight */
};

struct kc_fleet *kc_fleet_new(struct kc_out *out, const struct kc_fleet_opts *opts)
{
    struct kc_fleet *f = kc_xcalloc(1, sizeof *f);
    f->out = out;
    f->opts = *opts;
    if (f->opts.max_starts <= 0)
        f->opts.max_starts = 30;
    if (f->opts.connect_timeout <= 0)
        f->opts.connect_timeout = 10;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    return f;
}

static void host_free(struct kc_host *h)
{
    kc_session_close(h->session);
    free(h->name);
    free(h->user);
    free(h->jump);
    kc_strvec_release(&h->keys);
    kc_strvec_release(&h->key_data);
    kc_strvec_release(&h->config_files);
    kc_err_release(&h->conn_err);
    free(h);
}

void kc_fleet_free(struct kc_fleet *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n; i++)
        host_free(f->hosts[i]);
    free(f->hosts);
    kc_strvec_release(&f->names);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}

bool kc_fleet_dry_run(const struct kc_fleet *f)
{
    return f->opts.dry_run;
}

static void copy_vec(struct kc_strvec *dst, const struct kc_strvec *src)
{
    if (src)
        kc_strvec_copy(dst, src);
}

struct kc_host *kc_fleet_host(struct kc_fleet *f, const char *name, const struct kc_ssh_opts *ssh)
{
    ssize_t known = kc_strvec_index(&f->names, name);
    if (known >= 0)
        return f->hosts[known];
    struct kc_host *h = kc_xcalloc(1, sizeof *h);
    h->fleet = f;
    h->name = kc_xstrdup(name);
    if (ssh) {
        h->user = ssh->user ? kc_xstrdup(ssh->user) : NULL;
        h->port = ssh->port;
        h->jump = ssh->jump ? kc_xstrdup(ssh->jump) : NULL;
        copy_vec(&h->keys, ssh->keys);
        copy_vec(&h->key_data, ssh->key_data);
        h->keys_only = ssh->keys_only;
        h->config_mode = ssh->config_mode;
        copy_vec(&h->config_files, ssh->config_files);
    }
    kc_xgrow((void **)&f->hosts, &f->cap, f->n + 1, sizeof(*f->hosts));
    f->hosts[f->n++] = h;
    kc_strvec_push(&f->names, name);
    return h;
}

struct kc_out *kc_host_out(const struct kc_host *h)
{
    return h->fleet->out;
}

static bool fleet_cancelled(const struct kc_fleet *f)
{
    return f->opts.cancel && *f->opts.cancel;
}

/* A failure once the run is being interrupted is the interruption's doing (a
 * signal cuts libssh's waits short): report the host as interrupted. */
static int interrupted(struct kc_host *h, struct kc_err *err)
{
    kc_err_set(err, KC_EINTERRUPTED, "interrupted");
    kc_err_set_host(err, h->name);
    return KC_EINTERRUPTED;
}

static void fill_ssh_opts(const struct kc_host *h, struct kc_ssh_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = h->name;
    o->user = h->user;
    o->port = h->port;
    o->jump = h->jump;
    o->keys = &h->keys;
    o->key_data = &h->key_data;
    o->keys_only = h->keys_only;
    o->config_mode = h->config_mode;
    o->config_files = &h->config_files;
    o->connect_timeout = h->fleet->opts.connect_timeout;
    o->keepalive_interval = h->fleet->opts.keepalive;
    o->cancel = h->fleet->opts.cancel;
}

static void copy_err(struct kc_err *dst, const struct kc_err *src)
{
    if (dst == NULL)
        return;
    kc_err_set(dst, src->code, "%s", src->msg ? src->msg : kc_code_name(src->code));
    kc_err_set_host(dst, src->host);
    if (src->hint)
        kc_err_set_hint(dst, "%s", src->hint);
}

static int host_connect(struct kc_host *h, bool cleanup, struct kc_err *err)
{
    struct kc_fleet *f = h->fleet;
    if (h->session)
        return 0;
    if (h->conn_code) {
        copy_err(err, &h->conn_err);
        return h->conn_code;
    }
    pthread_mutex_lock(&f->mu);
    while (f->starting >= f->opts.max_starts)
        pthread_cond_wait(&f->cv, &f->mu);
    f->starting++;
    pthread_mutex_unlock(&f->mu);

    struct kc_ssh_opts o;
    fill_ssh_opts(h, &o);
    if (cleanup) {
        o.cancel = NULL;
        o.connect_timeout = KC_CLEANUP_SECONDS / 2;
    }
    kc_out_msg(f->out, KC_LVL_DEBUG, h->name, "connecting");
    int rc = kc_session_open(&h->session, &o, &h->conn_err);

    pthread_mutex_lock(&f->mu);
    f->starting--;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);

    if (rc && !cleanup && fleet_cancelled(f)) {
        /* not remembered: the clean-up may connect again */
        h->session = NULL;
        kc_err_release(&h->conn_err);
        return interrupted(h, err);
    }
    if (rc) {
        h->session = NULL;
        h->conn_code = rc;
        kc_err_set_host(&h->conn_err, h->name);
        copy_err(err, &h->conn_err);
    }
    return rc;
}

int kc_host_connect(struct kc_host *h, struct kc_err *err)
{
    return host_connect(h, false, err);
}

/* KC_CLEANUP: the command runs on the host's session unless that one was set
 * aside (lost, or cut short by the interruption), else on a fresh one; a
 * session that turns out dead is replaced once. Returns the exec's code. */
static int run_cleanup(struct kc_host *h, const char *line, const struct kc_cmd *cmd,
                       struct kc_exec_result *res, struct kc_err *err)
{
    double deadline = kc_now() + KC_CLEANUP_SECONDS;
    int rc = KC_EUNREACHABLE;
    for (int attempt = 0; attempt < 2 && rc == KC_EUNREACHABLE; attempt++) {
        if (h->session && (h->lost || attempt > 0)) {
            kc_session_close(h->session);
            h->session = NULL;
            h->lost = false;
        }
        if (h->session == NULL && h->conn_code == 0) {
            rc = host_connect(h, true, err);
            if (rc)
                return rc;
        } else if (h->session == NULL) {
            copy_err(err, &h->conn_err);
            return h->conn_code;
        }
        kc_session_cleanup_mode(h->session, deadline);
        rc = kc_session_exec(h->session, line, cmd->stdin_data, cmd->stdin_len, 0, res, err);
        if (kc_now() > deadline)
            break;
    }
    if (rc == KC_EUNREACHABLE)
        h->lost = true;
    return rc;
}

/* The line of a command's stderr that says what went wrong: the first one
 * mentioning an error ("Error response from daemon: No such container: x"),
 * else the last non-empty one; NULL when there is none. Caller frees. */
static char *stderr_gist(const char *text)
{
    const char *pick = NULL, *last = NULL;
    size_t pick_len = 0, last_len = 0;
    for (const char *p = text; p && *p;) {
        size_t len = strcspn(p, "\n");
        if (len > 0) {
            last = p;
            last_len = len;
            char *line = kc_xstrndup(p, len);
            bool error = strstr(line, "rror") != NULL || strstr(line, "denied") != NULL;
            free(line);
            if (error && pick == NULL) {
                pick = p;
                pick_len = len;
            }
        }
        p += len + (p[len] == '\n');
    }
    if (pick == NULL) {
        pick = last;
        pick_len = last_len;
    }
    if (pick == NULL)
        return NULL;
    return kc_xstrndup(pick, pick_len > 300 ? 300 : pick_len);
}

static int ran_with_failure(struct kc_host *h, const struct kc_cmd *cmd,
                            const struct kc_exec_result *res, struct kc_err *err)
{
    char *display = kc_cmd_render_display(cmd);
    /* the gist of docker's message in the one line that is the host's
     * result; the whole stderr follows in the details */
    char *gist = stderr_gist(res->err.len ? kc_buf_str(&res->err) : kc_buf_str(&res->out));
    if (gist)
        kc_err_set(err, KC_EREMOTE, "command failed with exit status %d: %s", res->status, gist);
    else
        kc_err_set(err, KC_EREMOTE, "command failed with exit status %d", res->status);
    free(gist);
    kc_err_set_host(err, h->name);
    kc_err_set_command(err, display);
    kc_err_set_remote(err, res->err.len ? kc_buf_str(&res->err) : kc_buf_str(&res->out));
    free(display);
    return KC_EREMOTE;
}

int kc_remote_run(struct kc_host *h, const struct kc_cmd *cmd, unsigned flags,
                  struct kc_exec_result *res, struct kc_err *err)
{
    struct kc_fleet *f = h->fleet;
    struct kc_exec_result local;
    if (res == NULL) {
        kc_exec_result_init(&local);
        res = &local;
    }
    kc_buf_reset(&res->out);
    kc_buf_reset(&res->err);
    res->status = 0;

    char *display = kc_cmd_render_display(cmd);
    if ((flags & KC_MUTATE) && f->opts.dry_run) {
        kc_out_planned(f->out, h->name, display);
        free(display);
        if (res == &local)
            kc_exec_result_release(&local);
        return 0;
    }
    int rc = 0;
    if (!(flags & KC_CLEANUP) && fleet_cancelled(f)) {
        rc = interrupted(h, err); /* nothing new starts after Ctrl-C */
    } else if ((flags & KC_CLEANUP) && !f->opts.transport) {
        if (!(flags & KC_QUIET))
            kc_out_trace_cmd(f->out, h->name, display);
        char *line = kc_cmd_render_exec(cmd);
        rc = run_cleanup(h, line, cmd, res, err);
        free(line);
        if (rc)
            kc_err_set_host(err, h->name);
    } else if ((rc = f->opts.transport ? 0 : kc_host_connect(h, err)) == 0) {
        if (!(flags & KC_QUIET))
            kc_out_trace_cmd(f->out, h->name, display);
        char *line = kc_cmd_render_exec(cmd);
        if (f->opts.transport)
            rc = f->opts.transport->exec(f->opts.transport->ud, h->name, line, cmd->stdin_data,
                                         cmd->stdin_len, res, err);
        else
            rc = kc_session_exec(h->session, line, cmd->stdin_data, cmd->stdin_len, 0, res, err);
        free(line);
        if (rc == KC_EUNREACHABLE || rc == KC_EINTERRUPTED)
            h->lost = true; /* set aside: a clean-up opens a fresh session */
        if (rc == KC_EUNREACHABLE && fleet_cancelled(f))
            rc = interrupted(h, err);
        if (rc == KC_EUNREACHABLE)
            kc_err_set_host(err, h->name);
    }
    if (rc == 0 && !(flags & (KC_QUIET | KC_SECRET_OUTPUT))) {
        kc_out_trace_output(f->out, h->name, kc_buf_str(&res->out), false);
        kc_out_trace_output(f->out, h->name, kc_buf_str(&res->err), true);
    } else if (rc == 0 && (flags & KC_SECRET_OUTPUT)) {
        kc_out_trace_output(f->out, h->name, "(output not shown: it may be derived from secrets)",
                            false);
    }
    if (rc == 0 && (flags & KC_CHECK) && res->status != 0)
        rc = ran_with_failure(h, cmd, res, err);
    free(display);
    if (res == &local)
        kc_exec_result_release(&local);
    return rc;
}

int kc_remote_upload(struct kc_host *h, const char *path, const void *data, size_t len, int mode,
                     struct kc_err *err)
{
    struct kc_fleet *f = h->fleet;
    if (f->opts.dry_run) {
        char *what = kc_xasprintf("(upload) write %s (mode %04o, %zu bytes)", path, mode, len);
        kc_out_planned(f->out, h->name, what);
        free(what);
        return 0;
    }
    if (fleet_cancelled(f))
        return interrupted(h, err);
    int rc = f->opts.transport ? 0 : kc_host_connect(h, err);
    if (rc)
        return rc;
    kc_out_msg(f->out, KC_LVL_DEBUG, h->name, "uploading %s (mode %04o, %zu bytes)", path, mode,
               len);
    if (f->opts.transport)
        rc = f->opts.transport->upload(f->opts.transport->ud, h->name, path, data, len, mode, err);
    else
        rc = kc_session_upload(h->session, path, data, len, mode, err);
    if (rc == KC_EUNREACHABLE || rc == KC_EINTERRUPTED)
        h->lost = true;
    if (rc && fleet_cancelled(f))
        rc = interrupted(h, err);
    if (rc)
        kc_err_set_host(err, h->name);
    return rc;
}

/* Connects h, traces cmd and returns the line to send (caller frees), or
 * NULL with *rc set. */
static char *connect_and_trace(struct kc_host *h, const struct kc_cmd *cmd, int *rc,
                               struct kc_err *err)
{
    if (h->fleet->opts.transport) {
        *rc = kc_err_set(err, KC_EREMOTE, "a scripted transport cannot stream or run a terminal");
        return NULL;
    }
    *rc = kc_host_connect(h, err);
    if (*rc)
        return NULL;
    char *display = kc_cmd_render_display(cmd);
    kc_out_trace_cmd(h->fleet->out, h->name, display);
    free(display);
    return kc_cmd_render_exec(cmd);
}

int kc_remote_stream(struct kc_host *h, const struct kc_cmd *cmd, bool pty, kc_line_cb cb, void *ud,
                     int *status, struct kc_err *err)
{
    int rc;
    char *line = connect_and_trace(h, cmd, &rc, err);
    if (line == NULL)
        return rc;
    rc = kc_session_stream_in(h->session, line, pty, cmd->stdin_data, cmd->stdin_len, cb, ud,
                              status, err);
    free(line);
    if (rc)
        kc_err_set_host(err, h->name);
    return rc;
}

int kc_remote_interactive(struct kc_host *h, const struct kc_cmd *cmd, int *status,
                          struct kc_err *err)
{
    int rc;
    char *line = connect_and_trace(h, cmd, &rc, err);
    if (line == NULL)
        return rc;
    rc = kc_session_interactive(h->session, line, status, err);
    free(line);
    if (rc)
        kc_err_set_host(err, h->name);
    return rc;
}

/* ---- parallel runner ---------------------------------------------------- */

struct each_job {
    struct kc_host *const *hosts;
    size_t n;
    size_t next;
    kc_host_fn fn;
    void *ud;
    struct kc_err *errs;
    int *codes;
    pthread_mutex_t mu;
};

static void *each_worker(void *arg)
{
    struct each_job *job = arg;
    for (;;) {
        pthread_mutex_lock(&job->mu);
        size_t i = job->next++;
        pthread_mutex_unlock(&job->mu);
        if (i >= job->n)
            return NULL;
        job->codes[i] = job->fn(job->hosts[i], job->ud, &job->errs[i]);
        if (job->codes[i] && job->errs[i].code == KC_OK)
            job->errs[i].code = job->codes[i];
        if (job->codes[i] && job->errs[i].host == NULL)
            kc_err_set_host(&job->errs[i], job->hosts[i]->name);
    }
}

int kc_code_worst(int a, int b)
{
    static const int order[] = {KC_EUNREACHABLE, KC_EINTERRUPTED, KC_ELOCKED, KC_EREMOTE,
                                KC_EDRIFT};
    if (a == b)
        return a;
    for (size_t i = 0; i < KC_ARRAY_LEN(order); i++)
        if (a == order[i] || b == order[i])
            return order[i];
    return a ? a : b;
}

/* Every host of a run gets its own worker, up to this many: a host waits for
 * a free worker only in fleets larger than that (connection starts are capped
 * apart, by max_starts). */
#define KC_MAX_WORKERS 256

/* Each open session holds a socket (a jump host adds a socketpair and its own
 * connection) and sessions stay open for the whole run: make sure the soft
 * limit on open files allows that for every host of the fleet, up to the hard
 * limit (the usual soft limit, 1024, would end a fleet of ~300 hosts behind a
 * jump host with "too many open files"). */
static void reserve_fds(size_t hosts)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)hosts * 4 + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

int kc_fleet_each(struct kc_fleet *f, struct kc_host *const *hosts, size_t n, kc_host_fn fn,
                  void *ud, struct kc_err *errs)
{
    if (n == 0)
        return 0;
    if (!f->opts.transport)
        reserve_fds(f->n);
    struct each_job job = {
        hosts, n, 0, fn, ud, errs, kc_xcalloc(n, sizeof(int)), PTHREAD_MUTEX_INITIALIZER};
    size_t nthreads = n < KC_MAX_WORKERS ? n : KC_MAX_WORKERS;
    int worst = 0;
    /* worker threads even for one host: SIGINT/SIGTERM are blocked there, so
     * they reach the main thread, waiting in pthread_join, and never cut a
     * libssh wait short */
    pthread_t *tids = kc_xcalloc(nthreads, sizeof(pthread_t));
    size_t started = 0;
    for (; started < nthreads; started++)
        if (kc_remote_thread_start(&tids[started], each_worker, &job) != 0)
            break;
    if (started == 0)
        each_worker(&job);
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    free(tids);
    for (size_t i = 0; i < n; i++)
        worst = kc_code_worst(worst, job.codes[i]);
    free(job.codes);
    pthread_mutex_destroy(&job.mu);
    return worst;
}
