/* secrets.h - .kamal/secrets* files (dotenv) and lazy secret lookup.
 *
 * Files, as Kamal reads them: <secrets_path>-common, then <secrets_path>
 * (or <secrets_path>.DEST with a destination; the plain file is then not
 * read). Missing files are skipped; later values override earlier ones.
 * Nothing is read until a verb asks for a value (kc_secrets_load). */
#ifndef KAMAL_C_SECRETS_H
#define KAMAL_C_SECRETS_H

#include "err.h"
#include "util.h"

/* Runs a $(command) substitution: the command's stdout goes into out as is
 * (the parser then removes one trailing newline, as Ruby's chomp). Returns 0
 * or KC_ECONFIG (non-zero exit, cannot run) with a short reason in err->msg,
 * such as "exited with status 3"; the parser adds file:line. */
typedef int (*kc_cmd_runner)(void *ud, const char *command, struct kc_buf *out, struct kc_err *err);

struct kc_dotenv_opts {
    kc_cmd_runner run; /* NULL: /bin/sh -c through kc_dotenv_run_sh */
    void *ud;
    bool lookup_process_env; /* $VAR falls back to getenv() (default in use) */
    /* Optional: told each value as soon as it is parsed (with ud), so that a
     * later command that interpolates it can be shown redacted. */
    void (*on_value)(void *ud, const char *value);
    /* Dotenv.load's rule (overwrite: false): a key already set in the
     * process environment takes that value, and its line is not evaluated
     * (no command runs); DOTENV_LINEBREAK_MODE excepted. */
    bool keep_process_env;
};

/* Parses dotenv text from file into vars (values already there are visible
 * to $VAR and are overridden by the file's own keys; kc_secrets_load passes
 * an empty list per file, as Kamal parses each file on its own).
 * Syntax (Ruby dotenv 3 as Kamal uses it, details in dotenv.c): KEY=value
 * lines, optional `export `, # comments (whole-line, and anywhere in an
 * unquoted value), single quotes literal, double quotes with \" \\ \$
 * escapes and interpolation (\n stays backslash-n unless
 * DOTENV_LINEBREAK_MODE=legacy, as in dotenv 3), unquoted values with
 * interpolation, $VAR, ${VAR}, $(command) with nested parentheses, \$ to
 * escape (inside a command, \( and \) are no parentheses). Lines that are
 * not KEY=value, a failing command and an unterminated $( are errors naming
 * file:line. `$(kamal secrets ...)` reaches the runner like any command (see
 * kc_dotenv_is_secrets_command). opts may be NULL (the shell runner, process
 * environment on). */
int kc_dotenv_parse(const char *text, size_t len, const char *file, struct kc_kvlist *vars,
                    const struct kc_dotenv_opts *opts, struct kc_err *err);

/* Kamal's rule for an inline secrets command (/\A\s*kamal\s*secrets\s+/,
 * here with a blank after `kamal`, and `kamal-c` too): such a command runs
 * inside the tool (ops/secrets.c), never as a program. */
bool kc_dotenv_is_secrets_command(const char *command);

/* The default runner: /bin/sh -c COMMAND, stdout captured (1 MiB cap),
 * stderr passed through to ours. It refuses a secrets command (KC_ECONFIG):
 * only kamal-c's own runner (kc_ctx_run_dotenv) runs those. */
int kc_dotenv_run_sh(void *ud, const char *command, struct kc_buf *out, struct kc_err *err);

struct kc_secrets {
    char *secrets_path;
    char *destination;
    bool loaded;
    struct kc_kvlist values;
    struct kc_strvec files; /* before loading: the candidate files, in order;
                             * after: the ones that existed and were read */
};

void kc_secrets_init(struct kc_secrets *s, const char *secrets_path, const char *destination);
/* Reads and parses the files (once). Returns 0 or KC_ECONFIG. */
int kc_secrets_load(struct kc_secrets *s, const struct kc_dotenv_opts *opts, struct kc_err *err);
/* Value of a loaded secret, or NULL. */
const char *kc_secrets_get(const struct kc_secrets *s, const char *name);
/* As kc_secrets_get, but a missing secret is KC_ECONFIG with Kamal's
 * message: "secret 'X' not found in .kamal/secrets-common, .kamal/secrets". */
int kc_secrets_require(const struct kc_secrets *s, const char *name, const char **value,
                       struct kc_err *err);
void kc_secrets_release(struct kc_secrets *s);

struct kc_registry;

/* A registry's username and password: written in deploy.yml, or ([NAME])
 * looked up in loaded secrets. A missing secret is kc_secrets_require's
 * error; an empty value is KC_ECONFIG naming the key, e.g. "registry.password:
 * the secret 'KAMAL_REGISTRY_PASSWORD' is empty" (an unset variable in a
 * secrets file would otherwise reach docker login). A local registry needs
 * none: both are set to NULL and 0 is returned. Results point into reg or
 * secrets. */
int kc_registry_credentials(const struct kc_registry *reg, const struct kc_secrets *secrets,
                            const char **username, const char **password, struct kc_err *err);

#endif
