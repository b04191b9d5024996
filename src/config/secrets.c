/* secrets.c - the .kamal/secrets* files, read lazily and layered as Kamal
 * does (lib/kamal/secrets.rb): <path>-common, then <path>.DEST with a
 * destination or <path> without one. Missing files are skipped.
 *
 * Like Kamal, every file is parsed on its own (Dotenv.parse(file)) and the
 * results are merged, later files winning: a $VAR in .kamal/secrets sees the
 * keys of that file and the process environment, not .kamal/secrets-common. */
#include "kamal-c/secrets.h"

#include "kamal-c/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KC_SECRETS_FILE_MAX (16 * 1024 * 1024)

static void candidates(const struct kc_secrets *s, struct kc_strvec *out)
{
    kc_strvec_pushf(out, "%s-common", s->secrets_path);
    if (s->destination)
        kc_strvec_pushf(out, "%s.%s", s->secrets_path, s->destination);
    else
        kc_strvec_push(out, s->secrets_path);
}

void kc_secrets_init(struct kc_secrets *s, const char *secrets_path, const char *destination)
{
    memset(s, 0, sizeof *s);
    s->secrets_path = kc_xstrdup(secrets_path ? secrets_path : ".kamal/secrets");
    s->destination = destination && *destination ? kc_xstrdup(destination) : NULL;
    candidates(s, &s->files);
}

/* Reads and parses one file into values; *found tells whether it existed. */
static int load_file(struct kc_secrets *s, const char *path, const struct kc_dotenv_opts *opts,
                     bool *found, struct kc_err *err)
{
    struct kc_buf text = KC_BUF_INIT;
    *found = false;
    if (kc_read_file(path, KC_SECRETS_FILE_MAX, &text) < 0) {
        int e = errno;
        kc_buf_release(&text);
        if (e == ENOENT)
            return 0;
        return kc_err_at(err, KC_ECONFIG, path, 0, 0, "cannot read the secrets file: %s",
                         strerror(e));
    }
    *found = true;
    struct kc_kvlist vars = KC_KVLIST_INIT;
    int rc = kc_dotenv_parse(text.data, text.len, path, &vars, opts, err);
    if (rc == 0)
        kc_kvlist_copy(&s->values, &vars);
    kc_kvlist_release(&vars);
    kc_buf_release(&text);
    return rc;
}

int kc_secrets_load(struct kc_secrets *s, const struct kc_dotenv_opts *opts, struct kc_err *err)
{
    if (s->loaded)
        return 0;
    struct kc_strvec wanted = KC_STRVEC_INIT, read = KC_STRVEC_INIT;
    candidates(s, &wanted);
    int rc = 0;
    for (size_t i = 0; i < wanted.n && rc == 0; i++) {
        bool found;
        rc = load_file(s, wanted.v[i], opts, &found, err);
        if (rc == 0 && found)
            kc_strvec_push(&read, wanted.v[i]);
    }
    kc_strvec_release(&wanted);
    if (rc) {
        kc_kvlist_release(&s->values);
        kc_strvec_release(&read);
        return rc;
    }
    kc_strvec_release(&s->files);
    s->files = read;
    s->loaded = true;
    return 0;
}

const char *kc_secrets_get(const struct kc_secrets *s, const char *name)
{
    return kc_kvlist_get(&s->values, name);
}

int kc_secrets_require(const struct kc_secrets *s, const char *name, const char **value,
                       struct kc_err *err)
{
    *value = NULL;
    if (!s->loaded)
        return kc_err_set(err, KC_ECONFIG, "secret '%s' requested before the secrets were loaded",
                          name);
    *value = kc_secrets_get(s, name);
    if (*value)
        return 0;
    if (s->files.n) {
        char *list = kc_strvec_join(&s->files, ", ");
        kc_err_set(err, KC_ECONFIG, "secret '%s' not found in %s", name, list);
        free(list);
        return KC_ECONFIG;
    }
    struct kc_strvec names = KC_STRVEC_INIT;
    candidates(s, &names);
    char *list = kc_strvec_join(&names, ", ");
    kc_err_set(err, KC_ECONFIG, "secret '%s' not found, no secret files (%s) provided", name, list);
    free(list);
    kc_strvec_release(&names);
    return KC_ECONFIG;
}

void kc_secrets_release(struct kc_secrets *s)
{
    if (s == NULL)
        return;
    free(s->secrets_path);
    free(s->destination);
    kc_kvlist_release(&s->values);
    kc_strvec_release(&s->files);
    memset(s, 0, sizeof *s);
}

/* One credential: as written, or the secret it names. */
static int credential(const struct kc_registry *reg, const struct kc_secrets *secrets,
                      const char *key, const char *value, bool is_secret, const char **out,
                      struct kc_err *err)
{
    *out = value;
    if (value == NULL)
        return kc_err_set(err, KC_ECONFIG, "%s.%s is required", reg->path, key);
    if (!is_secret)
        return 0;
    int rc = kc_secrets_require(secrets, value, out, err);
    if (rc) {
        kc_err_prefix(err, "%s.%s", reg->path, key);
        return rc;
    }
    if (**out)
        return 0;
    kc_err_set(err, KC_ECONFIG, "%s.%s: the secret '%s' is empty", reg->path, key, value);
    kc_err_set_hint(err,
                    "docker login would get an empty %s. Where .kamal/secrets sets %s from a "
                    "variable ($VAR) or a command, check that it gives a value here",
                    key, value);
    return KC_ECONFIG;
}

int kc_registry_credentials(const struct kc_registry *reg, const struct kc_secrets *secrets,
                            const char **username, const char **password, struct kc_err *err)
{
    *username = *password = NULL;
    if (reg->local)
        return 0;
    int rc =
        credential(reg, secrets, "username", reg->username, reg->username_is_secret, username, err);
    if (rc == 0)
        rc = credential(reg, secrets, "password", reg->password, reg->password_is_secret, password,
                        err);
    return rc;
}
