/* accessory.c - remote commands for accessories (see accessory.h). The
 * resulting containers and files match what Kamal 2.12 creates. */
#include "kamal-c/accessory.h"

#include <stdlib.h>
#include <string.h>

/* Root logging, as Kamal's logging_args (the loader applied its
 * max-size=10m default). */
static void logging_args(struct kc_cmd *c, const struct kc_config *cfg)
{
    const struct kc_logging *l = &cfg->logging;
    if (l->driver)
        kc_cmd_args(c, "--log-driver", l->driver, NULL);
    for (size_t i = 0; i < l->options.n; i++) {
        kc_cmd_arg(c, "--log-opt");
        kc_cmd_argf(c, "%s=%s", l->options.v[i].key, l->options.v[i].value);
    }
}

static void env_args(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_accessory *acc)
{
    for (size_t i = 0; i < acc->env.clear.n; i++) {
        kc_cmd_arg(c, "--env");
        kc_cmd_argf(c, "%s=%s", acc->env.clear.v[i].key, acc->env.clear.v[i].value);
    }
    char *env_file = kc_accessory_env_file(cfg, acc);
    kc_cmd_args(c, "--env-file", env_file, NULL);
    free(env_file);
}

/* --volume for a host path relative to the login directory: Kamal writes
 * $PWD/path for the remote shell to expand; "$PWD"/'path' gives the same. */
static void volume_arg(struct kc_cmd *c, const char *host_path, const struct kc_mount_spec *m)
{
    char *spec = kc_xasprintf("%s:%s%s%s", host_path, m->remote, m->options ? ":" : "",
                              m->options ? m->options : "");
    kc_cmd_arg(c, "--volume");
    if (host_path[0] == '/')
        kc_cmd_arg(c, spec);
    else
        kc_cmd_pwd_arg(c, spec);
    free(spec);
}

static void volume_args(struct kc_cmd *c, const struct kc_accessory *acc)
{
    for (size_t i = 0; i < acc->volumes.n; i++)
        kc_cmd_args(c, "--volume", acc->volumes.v[i], NULL);
    for (size_t i = 0; i < acc->nfiles; i++) {
        char *hp = kc_accessory_file_host_path(acc, &acc->files[i]);
        volume_arg(c, hp, &acc->files[i]);
        free(hp);
    }
    for (size_t i = 0; i < acc->ndirectories; i++) {
        char *hp = kc_accessory_dir_host_path(acc, &acc->directories[i]);
        volume_arg(c, hp, &acc->directories[i]);
        free(hp);
    }
}

static void label_args(struct kc_cmd *c, const struct kc_accessory *acc, const char *digest)
{
    kc_cmd_arg(c, "--label");
    kc_cmd_argf(c, "service=%s", acc->service);
    for (size_t i = 0; i < acc->labels.n; i++) {
        kc_cmd_arg(c, "--label");
        kc_cmd_argf(c, "%s=%s", acc->labels.v[i].key, acc->labels.v[i].value);
    }
    if (digest) {
        kc_cmd_arg(c, "--label");
        kc_cmd_argf(c, "%s=%s", KC_DIGEST_LABEL, digest);
        /* not part of the digest (it is computed without digest), so
         * containers booted before this label existed keep their digest */
        cJSON *opts = kc_accessory_options_json(acc);
        char *json = cJSON_PrintUnformatted(opts);
        kc_cmd_arg(c, "--label");
        kc_cmd_argf(c, "%s=%s", KC_OPTIONS_LABEL, json);
        cJSON_free(json);
        cJSON_Delete(opts);
    }
}

cJSON *kc_accessory_options_json(const struct kc_accessory *acc)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < acc->options.n; i++) {
        const struct kc_docker_option *opt = &acc->options.v[i];
        if (opt->flag) {
            cJSON_AddTrueToObject(o, opt->key);
            continue;
        }
        cJSON *vals = cJSON_AddArrayToObject(o, opt->key);
        for (size_t j = 0; j < opt->values.n; j++)
            cJSON_AddItemToArray(vals, cJSON_CreateString(opt->values.v[j]));
    }
    return o;
}

static void option_args(struct kc_cmd *c, const struct kc_docker_options *opts)
{
    for (size_t i = 0; i < opts->n; i++) {
        const struct kc_docker_option *o = &opts->v[i];
        if (o->flag) {
            kc_cmd_argf(c, "--%s", o->key);
            continue;
        }
        for (size_t j = 0; j < o->values.n; j++) {
            kc_cmd_argf(c, "--%s", o->key);
            kc_cmd_arg(c, o->values.v[j]);
        }
    }
}

/* cmd: is a command line Kamal appends unquoted; split it into the words a
 * shell would see (quotes honoured), but expand nothing. */
static int cmd_words(struct kc_cmd *c, const struct kc_accessory *acc, struct kc_err *err)
{
    if (acc->cmd == NULL)
        return 0;
    struct kc_strvec words = KC_STRVEC_INIT;
    int rc = 0;
    if (kc_shell_split(acc->cmd, &words) != 0)
        rc = kc_err_set(err, KC_ECONFIG, "accessories.%s.cmd: unmatched quote in '%s'", acc->name,
                        acc->cmd);
    for (size_t i = 0; rc == 0 && i < words.n; i++)
        kc_cmd_arg(c, words.v[i]);
    kc_strvec_release(&words);
    return rc;
}

int kc_cmd_accessory_run(struct kc_cmd *c, const struct kc_config *cfg,
                         const struct kc_accessory *acc, const char *host, const char *digest,
                         struct kc_err *err)
{
    kc_cmd_args(c, "docker", "run", "--name", acc->service, "--detach", "--restart", acc->restart,
                "--network", acc->network, NULL);
    logging_args(c, cfg);
    char *publish = kc_accessory_publish(acc);
    if (publish)
        kc_cmd_args(c, "--publish", publish, NULL);
    free(publish);
    kc_cmd_arg(c, "--env");
    kc_cmd_argf(c, "KAMAL_HOST=%s", host);
    env_args(c, cfg, acc);
    volume_args(c, acc);
    label_args(c, acc, digest);
    option_args(c, &acc->options);
    kc_cmd_arg(c, acc->image);
    return cmd_words(c, acc, err);
}

int kc_accessory_digest(const struct kc_config *cfg, const struct kc_accessory *acc,
                        const char *host, char out[65], struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    int rc = kc_cmd_accessory_run(&c, cfg, acc, host, NULL, err);
    if (rc == 0) {
        char *spec = kc_cmd_render_display(&c);
        kc_sha256_hex(spec, strlen(spec), out);
        free(spec);
    }
    kc_cmd_release(&c);
    return rc;
}

void kc_env_secret_split(const char *entry, char **var, char **secret)
{
    const char *colon = strchr(entry, ':');
    *var = colon ? kc_xstrndup(entry, (size_t)(colon - entry)) : kc_xstrdup(entry);
    *secret = kc_xstrdup(colon ? colon + 1 : entry);
}

int kc_accessory_env_content(const struct kc_accessory *acc, const struct kc_kvlist *values,
                             struct kc_buf *out, struct kc_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < acc->env.secret.n; i++) {
        char *var, *secret;
        kc_env_secret_split(acc->env.secret.v[i], &var, &secret);
        const char *v = kc_kvlist_get(values, secret);
        if (v == NULL)
            rc = kc_err_set(err, KC_ECONFIG, "accessories.%s.env.secret: secret '%s' has no value",
                            acc->name, secret);
        else if (strchr(v, '\n'))
            rc = kc_err_set(err, KC_ECONFIG,
                            "accessories.%s.env.secret: the value of '%s' contains a newline, "
                            "which docker's env-file format cannot carry",
                            acc->name, secret);
        else
            kc_buf_addf(out, "%s=%s\n", var, v);
        free(var);
        free(secret);
    }
    if (rc == 0 && out->len == 0)
        kc_buf_adds(out, "\n");
    return rc;
}

void kc_cmd_accessory_start(struct kc_cmd *c, const struct kc_accessory *acc)
{
    kc_cmd_args(c, "docker", "container", "start", acc->service, NULL);
}

void kc_cmd_accessory_stop(struct kc_cmd *c, const struct kc_accessory *acc)
{
    kc_cmd_args(c, "docker", "container", "stop", acc->service, NULL);
}

void kc_cmd_accessory_unpause(struct kc_cmd *c, const struct kc_accessory *acc)
{
    kc_cmd_args(c, "docker", "container", "unpause", acc->service, NULL);
}

void kc_cmd_accessory_rm(struct kc_cmd *c, const struct kc_accessory *acc)
{
    kc_cmd_args(c, "docker", "container", "rm", "--force", acc->service, NULL);
}

void kc_cmd_accessory_prune(struct kc_cmd *c, const struct kc_accessory *acc)
{
    kc_cmd_args(c, "docker", "container", "prune", "--force", "--filter", NULL);
    kc_cmd_argf(c, "label=service=%s", acc->service);
}

void kc_cmd_accessory_remove_image(struct kc_cmd *c, const struct kc_accessory *acc)
{
    kc_cmd_args(c, "docker", "image", "rm", "--force", acc->image, NULL);
}

void kc_cmd_accessory_remove_dir(struct kc_cmd *c, const struct kc_accessory *acc)
{
    kc_cmd_args(c, "rm", "-rf", acc->service, NULL);
}

void kc_cmd_accessory_details(struct kc_cmd *c, const struct kc_accessory *acc)
{
    kc_cmd_args(c, "docker", "ps", "--filter", NULL);
    kc_cmd_argf(c, "label=service=%s", acc->service);
}

void kc_cmd_accessory_directory(struct kc_cmd *c, const struct kc_accessory *acc,
                                const struct kc_mount_spec *d)
{
    char *hp = kc_accessory_dir_host_path(acc, d);
    kc_cmd_args(c, "mkdir", "-p", hp, NULL);
    if (d->mode) {
        kc_cmd_op(c, "&&");
        kc_cmd_args(c, "chmod", d->mode, hp, NULL);
    }
    if (d->owner) {
        kc_cmd_op(c, "&&");
        kc_cmd_args(c, "chown", d->owner, hp, NULL);
    }
    free(hp);
}

void kc_cmd_accessory_file_perms(struct kc_cmd *c, const struct kc_accessory *acc,
                                 const struct kc_mount_spec *f)
{
    char *hp = kc_accessory_file_host_path(acc, f);
    kc_cmd_args(c, "chmod", f->mode ? f->mode : "755", hp, NULL);
    if (f->owner) {
        kc_cmd_op(c, "&&");
        kc_cmd_args(c, "chown", f->owner, hp, NULL);
    }
    free(hp);
}

int kc_cmd_logs_of(struct kc_cmd *c, const char *container, const struct kc_logs_opts *o,
                   struct kc_err *err)
{
    kc_cmd_args(c, "docker", "logs", container, NULL);
    if (o->since)
        kc_cmd_args(c, "--since", o->since, NULL);
    const char *lines = o->lines;
    if (lines == NULL && !o->since && !o->grep)
        lines = o->follow ? "10" : "100";
    if (lines)
        kc_cmd_args(c, "--tail", lines, NULL);
    if (o->timestamps)
        kc_cmd_arg(c, "--timestamps");
    if (o->follow)
        kc_cmd_arg(c, "--follow");
    kc_cmd_op(c, "2>&1");
    if (o->grep) {
        kc_cmd_op(c, "|");
        kc_cmd_arg(c, "grep");
        if (o->follow)
            kc_cmd_arg(c, "--line-buffered");
        if (o->grep_options) {
            struct kc_strvec w = KC_STRVEC_INIT;
            int bad = kc_shell_split(o->grep_options, &w) != 0;
            for (size_t i = 0; !bad && i < w.n; i++)
                kc_cmd_arg(c, w.v[i]);
            kc_strvec_release(&w);
            if (bad)
                return kc_err_set(err, KC_EUSAGE, "--grep-options: unmatched quote");
        }
        kc_cmd_args(c, "--", o->grep, NULL);
    }
    return 0;
}

int kc_cmd_accessory_logs(struct kc_cmd *c, const struct kc_accessory *acc,
                          const struct kc_logs_opts *o, struct kc_err *err)
{
    return kc_cmd_logs_of(c, acc->service, o, err);
}

int kc_cmd_accessory_exec(struct kc_cmd *c, const struct kc_config *cfg,
                          const struct kc_accessory *acc, const char *command, bool reuse,
                          bool interactive, struct kc_err *err)
{
    (void)err;
    if (reuse) {
        kc_cmd_args(c, "docker", "exec", NULL);
        if (interactive)
            kc_cmd_arg(c, "-it");
        kc_cmd_arg(c, acc->service);
    } else {
        kc_cmd_args(c, "docker", "run", NULL);
        if (interactive)
            kc_cmd_arg(c, "-it");
        kc_cmd_args(c, "--rm", "--network", acc->network, NULL);
        env_args(c, cfg, acc);
        volume_args(c, acc);
        option_args(c, &acc->options); /* as Kamal: the accessory's options, minus restart */
        kc_cmd_arg(c, acc->image);
    }
    kc_cmd_user_shell(c, command);
    return 0;
}
