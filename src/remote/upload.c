/* upload.c - writing a file on the host with an exact mode.
 *
 * SFTP (one sftp session per connection, opened on first use): open with
 * O_TRUNC, chmod before writing the data (so new contents never sit under an
 * old, wider mode), write, close. When the server has no SFTP subsystem, the
 * same through `cat` on an exec channel. */
#include "session_int.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "kamal-c/cmd.h"

#define SFTP_CHUNK 32768

static const char *sftp_reason(struct kc_session *s)
{
    switch (sftp_get_error(s->sftp)) {
    case SSH_FX_NO_SUCH_FILE:
    case SSH_FX_NO_SUCH_PATH:
        return "no such file or directory";
    case SSH_FX_PERMISSION_DENIED:
        return "permission denied";
    case SSH_FX_FILE_ALREADY_EXISTS:
        return "file already exists";
    case SSH_FX_WRITE_PROTECT:
        return "read-only file system";
    case SSH_FX_NO_MEDIA:
        return "no media";
    default:
        return ssh_get_error(s->ssh);
    }
}

static int upload_err(struct kc_session *s, const char *path, const char *reason,
                      struct kc_err *err)
{
    if (kc_session_check_lost(s))
        return kc_session_lost_err(s, err);
    int rc = kc_err_set(err, KC_EREMOTE, "cannot write %s on %s: %s", path, s->host, reason);
    kc_err_set_host(err, s->host);
    return rc;
}

/* 0: s->sftp is ready; 1: the server has no SFTP subsystem; <0: error. */
static int sftp_ensure(struct kc_session *s, struct kc_err *err)
{
    if (s->sftp)
        return 0;
    if (kc_session_check_lost(s))
        return kc_session_lost_err(s, err);
    sftp_session sf = sftp_new(s->ssh);
    if (sf != NULL && sftp_init(sf) == SSH_OK) {
        s->sftp = sf;
        return 0;
    }
    if (sf)
        sftp_free(sf);
    if (kc_session_check_lost(s))
        return kc_session_lost_err(s, err);
    s->sftp_missing = true;
    return 1;
}

static int sftp_upload(struct kc_session *s, const char *path, const char *data, size_t len,
                       int mode, struct kc_err *err)
{
    sftp_file f = sftp_open(s->sftp, path, O_WRONLY | O_CREAT | O_TRUNC, (mode_t)mode);
    if (f == NULL)
        return upload_err(s, path, sftp_reason(s), err);
    int rc = 0;
    if (sftp_chmod(s->sftp, path, (mode_t)mode) < 0)
        rc = upload_err(s, path, sftp_reason(s), err);
    for (size_t off = 0; rc == 0 && off < len;) {
        size_t n = len - off > SFTP_CHUNK ? SFTP_CHUNK : len - off;
        ssize_t w = sftp_write(f, data + off, n);
        if (w <= 0)
            rc = upload_err(s, path, sftp_reason(s), err);
        else
            off += (size_t)w;
    }
    if (sftp_close(f) != SSH_OK && rc == 0)
        rc = upload_err(s, path, sftp_reason(s), err);
    return rc;
}

/* umask 077 && : > P && chmod 600 P && cat > P && chmod MODE P: the data only
 * ever sits in a private file, and an existing file's mode changes too. */
/* The fallback without SFTP: umask 077 && : > P && chmod 600 P && cat > P &&
 * chmod MODE P, built from tokens like every remote command (the file is
 * emptied and made private before the data arrives). */
static char *cat_command(const char *path, int mode)
{
    struct kc_cmd c = KC_CMD_INIT;
    kc_cmd_args(&c, "umask", "077", NULL);
    kc_cmd_op(&c, "&&");
    kc_cmd_arg(&c, ":");
    kc_cmd_op(&c, ">");
    kc_cmd_arg(&c, path);
    kc_cmd_op(&c, "&&");
    kc_cmd_args(&c, "chmod", "600", path, NULL);
    kc_cmd_op(&c, "&&");
    kc_cmd_arg(&c, "cat");
    kc_cmd_op(&c, ">");
    kc_cmd_arg(&c, path);
    kc_cmd_op(&c, "&&");
    kc_cmd_arg(&c, "chmod");
    kc_cmd_argf(&c, "%04o", (unsigned)mode & 07777u);
    kc_cmd_arg(&c, path);
    char *line = kc_cmd_render_exec(&c);
    kc_cmd_release(&c);
    return line;
}

static int cat_upload(struct kc_session *s, const char *path, const char *data, size_t len,
                      int mode, struct kc_err *err)
{
    char *cmd = cat_command(path, mode);
    struct kc_exec_result r;
    kc_exec_result_init(&r);
    int rc = kc_session_exec(s, cmd, data, len, 65536, &r, err);
    if (rc == 0 && r.status != 0) {
        kc_buf_rtrim(&r.err);
        rc = upload_err(s, path, r.err.len ? kc_buf_str(&r.err) : "the upload command failed", err);
        kc_err_set_remote(err, kc_buf_str(&r.err));
    }
    kc_exec_result_release(&r);
    free(cmd);
    return rc;
}

int kc_session_upload(struct kc_session *s, const char *path, const void *data, size_t len,
                      int mode, struct kc_err *err)
{
    if (path == NULL || path[0] == '\0')
        return kc_err_set(err, KC_EREMOTE, "upload to %s: empty path", s->host);
    if (!s->sftp_missing) {
        int rc = sftp_ensure(s, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return sftp_upload(s, path, data, len, mode, err);
    }
    return cat_upload(s, path, data, len, mode, err);
}
