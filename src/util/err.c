/* err.c - filling, moving and formatting struct kc_err. */
#include "kamal-c/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void replace(char **slot, char *value)
{
    free(*slot);
    *slot = value;
}

int kc_err_vset(struct kc_err *err, int code, const char *fmt, va_list ap)
{
    if (err == NULL)
        return code;
    kc_err_release(err);
    err->code = code;
    err->msg = kc_xvasprintf(fmt, ap);
    return code;
}

int kc_err_set(struct kc_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kc_err_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int kc_err_at(struct kc_err *err, int code, const char *file, int line, int col, const char *fmt,
              ...)
{
    if (err == NULL)
        return code;
    va_list ap;
    va_start(ap, fmt);
    kc_err_vset(err, code, fmt, ap);
    va_end(ap);
    err->file = file ? kc_xstrdup(file) : NULL;
    err->line = line;
    err->col = col;
    return code;
}

void kc_err_set_host(struct kc_err *err, const char *host)
{
    if (err)
        replace(&err->host, host ? kc_xstrdup(host) : NULL);
}

void kc_err_set_command(struct kc_err *err, const char *command)
{
    if (err)
        replace(&err->command, command ? kc_xstrdup(command) : NULL);
}

void kc_err_set_remote(struct kc_err *err, const char *remote_stderr)
{
    if (err)
        replace(&err->remote_err, remote_stderr ? kc_xstrdup(remote_stderr) : NULL);
}

void kc_err_set_hint(struct kc_err *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    replace(&err->hint, kc_xvasprintf(fmt, ap));
    va_end(ap);
}

void kc_err_prefix(struct kc_err *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *pre = kc_xvasprintf(fmt, ap);
    va_end(ap);
    replace(&err->msg, kc_xasprintf("%s: %s", pre, err->msg ? err->msg : "error"));
    free(pre);
}

void kc_err_move(struct kc_err *dst, struct kc_err *src)
{
    if (dst == NULL) {
        kc_err_release(src);
        return;
    }
    kc_err_release(dst);
    *dst = *src;
    memset(src, 0, sizeof *src);
}

void kc_err_release(struct kc_err *err)
{
    if (err == NULL)
        return;
    free(err->msg);
    free(err->file);
    free(err->host);
    free(err->command);
    free(err->remote_err);
    free(err->hint);
    memset(err, 0, sizeof *err);
}

char *kc_err_format(const struct kc_err *err)
{
    const char *msg = err->msg ? err->msg : kc_code_name(err->code);
    if (err->file && err->line > 0)
        return kc_xasprintf("%s:%d:%d: %s", err->file, err->line, err->col > 0 ? err->col : 1, msg);
    if (err->file)
        return kc_xasprintf("%s: %s", err->file, msg);
    if (err->host)
        return kc_xasprintf("[%s] %s", err->host, msg);
    return kc_xstrdup(msg);
}

int kc_exit_status(int code)
{
    switch (code) {
    case KC_OK:
        return 0;
    case KC_EUSAGE:
        return 2;
    case KC_ECONFIG:
        return 3;
    case KC_EUNREACHABLE:
        return 4;
    case KC_ELOCKED:
        return 5;
    case KC_EDRIFT:
        return 6;
    case KC_EINTERRUPTED:
        return 130;
    default:
        return 1;
    }
}

const char *kc_code_name(int code)
{
    switch (code) {
    case KC_OK:
        return "ok";
    case KC_EREMOTE:
        return "failed";
    case KC_EUSAGE:
        return "usage error";
    case KC_ECONFIG:
        return "configuration error";
    case KC_EUNREACHABLE:
        return "unreachable";
    case KC_ELOCKED:
        return "locked";
    case KC_EDRIFT:
        return "drift";
    case KC_EIO:
        return "i/o error";
    case KC_EINTERRUPTED:
        return "interrupted";
    case KC_EABORTED:
        return "aborted";
    default:
        return "error";
    }
}
