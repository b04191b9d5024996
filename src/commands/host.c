/* host.c - builders for the run directory, the deploy lock, the audit log,
 * registry login/logout and server bootstrap (see commands.h). */
#include "kamal-c/commands.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

void kc_cmd_ensure_run_dir(struct kc_cmd *c, const struct kc_config *cfg)
{
    kc_cmd_args(c, "mkdir", "-p", cfg->run_dir, NULL);
}

void kc_cmd_lock_acquire(struct kc_cmd *c, const struct kc_config *cfg, const char *details_b64)
{
    char *details = kc_xasprintf("%s/details", cfg->lock_dir);
    kc_cmd_ensure_run_dir(c, cfg);
    kc_cmd_op(c, "&&");
    kc_cmd_args(c, "mkdir", cfg->lock_dir, NULL);
    kc_cmd_op(c, "&&");
    kc_cmd_args(c, "echo", details_b64, NULL);
    kc_cmd_op(c, ">");
    kc_cmd_arg(c, details);
    free(details);
}

void kc_cmd_lock_release(struct kc_cmd *c, const struct kc_config *cfg)
{
    char *details = kc_xasprintf("%s/details", cfg->lock_dir);
    kc_cmd_args(c, "rm", "-f", details, NULL);
    kc_cmd_op(c, "&&");
    kc_cmd_args(c, "rm", "-r", cfg->lock_dir, NULL);
    free(details);
}

void kc_cmd_lock_release_if(struct kc_cmd *c, const struct kc_config *cfg, const char *details_file)
{
    char *details = kc_xasprintf("%s/details", cfg->lock_dir);
    kc_cmd_args(c, "cmp", "-s", details, "-", NULL);
    kc_cmd_op(c, "&&");
    kc_cmd_args(c, "rm", "-f", details, NULL);
    kc_cmd_op(c, "&&");
    kc_cmd_args(c, "rm", "-r", cfg->lock_dir, NULL);
    kc_cmd_set_stdin(c, details_file, strlen(details_file), false);
    free(details);
}

void kc_cmd_lock_status(struct kc_cmd *c, const struct kc_config *cfg)
{
    char *details = kc_xasprintf("%s/details", cfg->lock_dir);
    kc_cmd_args(c, "test", "-d", cfg->lock_dir, NULL);
    kc_cmd_op(c, "&&");
    kc_cmd_op(c, "(");
    kc_cmd_args(c, "cat", details, NULL);
    kc_cmd_op(c, "||");
    kc_cmd_args(c, "true", NULL);
    kc_cmd_op(c, ")");
    free(details);
}

char *kc_lock_details(const char *locked_by, const char *when_iso, const char *version,
                      const char *message)
{
    return kc_xasprintf("Locked by: %s at %s\nVersion: %s\nMessage: %s", locked_by, when_iso,
                        version, message);
}

void kc_cmd_audit_record(struct kc_cmd *c, const struct kc_config *cfg, const char *when_iso,
                         const char *performer, const char *detail, const char *message)
{
    struct kc_buf line = KC_BUF_INIT;
    kc_buf_addf(&line, "[%s] [%s]", when_iso, performer);
    if (cfg->destination)
        kc_buf_addf(&line, " [%s]", cfg->destination);
    if (detail)
        kc_buf_addf(&line, " [%s]", detail);
    kc_buf_addf(&line, " %s", message);
    kc_cmd_ensure_run_dir(c, cfg);
    kc_cmd_op(c, "&&");
    kc_cmd_args(c, "echo", kc_buf_str(&line), NULL);
    kc_cmd_op(c, ">>");
    kc_cmd_arg(c, cfg->audit_log);
    kc_buf_release(&line);
}

void kc_cmd_audit_reveal(struct kc_cmd *c, const struct kc_config *cfg)
{
    kc_cmd_args(c, "tail", "-n", "50", cfg->audit_log, NULL);
}

void kc_cmd_registry_login(struct kc_cmd *c, const struct kc_registry *reg, const char *username,
                           const char *password, bool username_is_secret)
{
    kc_cmd_args(c, "docker", "login", NULL);
    if (reg->server)
        kc_cmd_arg(c, reg->server);
    kc_cmd_arg(c, "-u");
    if (username_is_secret)
        kc_cmd_secret_arg(c, username, reg->username);
    else
        kc_cmd_arg(c, username);
    kc_cmd_arg(c, "--password-stdin");
    kc_cmd_set_stdin(c, password, strlen(password), true);
}

void kc_cmd_registry_logout(struct kc_cmd *c, const struct kc_registry *reg)
{
    kc_cmd_args(c, "docker", "logout", NULL);
    if (reg->server)
        kc_cmd_arg(c, reg->server);
}

void kc_cmd_docker_version(struct kc_cmd *c)
{
    kc_cmd_args(c, "docker", "-v", NULL);
}

void kc_cmd_docker_superuser(struct kc_cmd *c)
{
    kc_cmd_args(c, "sh", "-c", "[ \"${EUID:-$(id -u)}\" -eq 0 ] || sudo -nl usermod >/dev/null",
                NULL);
}

void kc_cmd_docker_install(struct kc_cmd *c)
{
    kc_cmd_args(c, "sh", "-c",
                "curl -fsSL https://get.docker.com || wget -O - https://get.docker.com || "
                "echo \"exit 1\"",
                NULL);
    kc_cmd_op(c, "|");
    kc_cmd_arg(c, "sh");
}

bool kc_inspect_is_network(const cJSON *obj)
{
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "Name"));
    return name && strcmp(name, KC_NETWORK) == 0 &&
           !cJSON_GetObjectItemCaseSensitive(obj, "State") &&
           cJSON_GetObjectItemCaseSensitive(obj, "Driver");
}

void kc_cmd_network_create(struct kc_cmd *c, const char *network)
{
    kc_cmd_args(c, "docker", "network", "create", network, NULL);
}

/* ---- images, containers and files, for any verb ---- */

void kc_cmd_image_pull(struct kc_cmd *c, const char *image)
{
    kc_cmd_args(c, "docker", "image", "pull", image, NULL);
}

void kc_cmd_container_state(struct kc_cmd *c, const char *container)
{
    kc_cmd_args(c, "docker", "inspect", "--type", "container", "--format",
                "{{.State.Status}} {{.RestartCount}} "
                "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}",
                container, NULL);
}

void kc_cmd_container_last_logs(struct kc_cmd *c, const char *container, int lines)
{
    kc_cmd_args(c, "docker", "logs", "--tail", NULL);
    kc_cmd_argf(c, "%d", lines);
    kc_cmd_arg(c, container);
    kc_cmd_op(c, "2>&1");
}

void kc_cmd_mkdir_parent(struct kc_cmd *c, const char *path)
{
    char *copy = kc_xstrdup(path);
    kc_cmd_args(c, "mkdir", "-p", dirname(copy), NULL);
    free(copy);
}
