/* exec.c - one command, stdout and stderr captured separately. */
#include "session_int.h"

#include <string.h>

#define KC_EXEC_CAP_DEFAULT (1024 * 1024)

void kc_exec_result_init(struct kc_exec_result *r)
{
    r->status = -1;
    kc_buf_init(&r->out, 0);
    kc_buf_init(&r->err, 0);
    r->truncated = false;
    r->signal[0] = '\0';
    r->watch = NULL;
    r->watch_ud = NULL;
}

void kc_exec_result_release(struct kc_exec_result *r)
{
    if (r == NULL)
        return;
    kc_buf_release(&r->out);
    kc_buf_release(&r->err);
}

/* Keeps what fits under the cap and drops the rest (still reading it, so the
 * remote command is never blocked by a full window). */
static int capture(void *ud, const char *data, size_t len, bool is_stderr)
{
    struct kc_exec_result *r = ud;
    if (r->watch)
        r->watch(r->watch_ud, data, len, is_stderr);
    struct kc_buf *b = is_stderr ? &r->err : &r->out;
    size_t room = b->max > b->len ? b->max - b->len : 0;
    if (len > room) {
        r->truncated = true;
        len = room;
    }
    if (len > 0)
        kc_buf_add(b, data, len);
    return 0;
}

int kc_session_exec(struct kc_session *s, const char *cmdline, const void *stdin_data,
                    size_t stdin_len, size_t cap, struct kc_exec_result *res, struct kc_err *err)
{
    if (cap == 0)
        cap = KC_EXEC_CAP_DEFAULT;
    kc_buf_reset(&res->out);
    kc_buf_reset(&res->err);
    res->out.max = res->err.max = cap;
    res->status = -1;
    res->truncated = false;
    res->signal[0] = '\0';

    struct kc_chan c;
    int rc = kc_chan_open(&c, s, err);
    if (rc == 0 && ssh_channel_request_exec(c.ch, cmdline) != SSH_OK)
        rc = kc_chan_fail(&c, "cannot start a command", err);
    if (rc == 0) {
        c.in = stdin_data;
        c.in_len = stdin_data ? stdin_len : 0;
        c.eof_after = true;
        c.sink = capture;
        c.ud = res;
        rc = kc_chan_run(&c, err);
    }
    if (rc == 0) {
        res->status = kc_chan_exit_status(&c);
        if (c.signaled)
            memcpy(res->signal, c.signame, sizeof res->signal);
    }
    kc_chan_close(&c);
    return rc;
}
