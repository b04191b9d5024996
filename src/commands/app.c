/* app.c - the app container's commands (see app.h). The container, its
 * labels and env file match what Kamal 2.12's `app boot` creates (§4.8). */
#include "kamal-c/app.h"
#include "kamal-c/accessory.h" /* kc_env_secret_split */
#include "kamal-c/assets.h"
#include "kamal-c/commands.h"

#include <stdlib.h>
#include <string.h>

char *kc_app_container(const struct kc_role *role, const char *version)
{
    return kc_xasprintf("%s-%s", role->container_prefix, version);
}

char *kc_app_image(const struct kc_config *cfg, const char *version)
{
    return kc_xasprintf("%s:%s", cfg->repository, version);
}

char *kc_app_flags_file(const struct kc_config *cfg, const struct kc_role *role)
{
    return kc_xasprintf("%s/proxy/%s.flags", cfg->app_dir, role->name);
}

static void env_args(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role,
                     const char *host)
{
    struct kc_env env;
    memset(&env, 0, sizeof env);
    kc_config_env_for(cfg, role, host, &env);
    for (size_t i = 0; i < env.clear.n; i++) {
        kc_cmd_arg(c, "--env");
        kc_cmd_argf(c, "%s=%s", env.clear.v[i].key, env.clear.v[i].value);
    }
    kc_env_release(&env);
    kc_cmd_args(c, "--env-file", role->env_file, NULL);
}

static void logging_args(struct kc_cmd *c, const struct kc_role *role)
{
    const struct kc_logging *l = &role->effective_logging;
    if (l->driver)
        kc_cmd_args(c, "--log-driver", l->driver, NULL);
    for (size_t i = 0; i < l->options.n; i++) {
        kc_cmd_arg(c, "--log-opt");
        kc_cmd_argf(c, "%s=%s", l->options.v[i].key, l->options.v[i].value);
    }
}

static void volume_args(struct kc_cmd *c, const struct kc_config *cfg)
{
    for (size_t i = 0; i < cfg->volumes.n; i++)
        kc_cmd_args(c, "--volume", cfg->volumes.v[i], NULL);
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

static void label_args(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role)
{
    kc_cmd_arg(c, "--label");
    kc_cmd_argf(c, "service=%s", cfg->service);
    kc_cmd_arg(c, "--label");
    kc_cmd_argf(c, "role=%s", role->name);
    kc_cmd_arg(c, "--label");
    if (cfg->destination)
        kc_cmd_argf(c, "destination=%s", cfg->destination);
    else
        kc_cmd_arg(c, "destination");
    for (size_t i = 0; i < role->labels.n; i++) {
        kc_cmd_arg(c, "--label");
        kc_cmd_argf(c, "%s=%s", role->labels.v[i].key, role->labels.v[i].value);
    }
}

static int cmd_words(struct kc_cmd *c, const struct kc_role *role, struct kc_err *err)
{
    if (role->cmd == NULL)
        return 0;
    struct kc_strvec w = KC_STRVEC_INIT;
    int rc = 0;
    if (kc_shell_split(role->cmd, &w) != 0)
        rc = kc_err_set(err, KC_ECONFIG, "servers.%s.cmd: unmatched quote in '%s'", role->name,
                        role->cmd);
    for (size_t i = 0; rc == 0 && i < w.n; i++)
        kc_cmd_arg(c, w.v[i]);
    kc_strvec_release(&w);
    return rc;
}

int kc_cmd_app_run(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role,
                   const char *host, const char *version, const char *hostname,
                   const char *digest, const char *proxy_digest, struct kc_err *err)
{
    char *name = kc_app_container(role, version);
    kc_cmd_args(c, "docker", "run", "--detach", "--restart", role->restart, "--name", name,
                "--network", KC_NETWORK, NULL);
    if (hostname)
        kc_cmd_args(c, "--hostname", hostname, NULL);
    kc_cmd_arg(c, "--env");
    kc_cmd_argf(c, "KAMAL_CONTAINER_NAME=%s", name);
    kc_cmd_arg(c, "--env");
    kc_cmd_argf(c, "KAMAL_VERSION=%s", version);
    kc_cmd_arg(c, "--env");
    kc_cmd_argf(c, "KAMAL_HOST=%s", host);
    if (cfg->destination) {
        kc_cmd_arg(c, "--env");
        kc_cmd_argf(c, "KAMAL_DESTINATION=%s", cfg->destination);
    }
    env_args(c, cfg, role, host);
    logging_args(c, role);
    volume_args(c, cfg);
    kc_cmd_assets_volume(c, cfg, role, version);
    label_args(c, cfg, role);
    if (digest) {
        kc_cmd_arg(c, "--label");
        kc_cmd_argf(c, "%s=%s", KC_APP_DIGEST_LABEL, digest);
    }
    if (proxy_digest) {
        kc_cmd_arg(c, "--label");
        kc_cmd_argf(c, "%s=%s", KC_APP_PROXY_LABEL, proxy_digest);
    }
    option_args(c, &role->docker_options);
    char *image = kc_app_image(cfg, version);
    kc_cmd_arg(c, image);
    free(image);
    free(name);
    return cmd_words(c, role, err);
}

int kc_app_digest(const struct kc_config *cfg, const struct kc_role *role, const char *host,
                  const char *version, char out[65], struct kc_err *err)
{
    struct kc_cmd c = KC_CMD_INIT;
    int rc = kc_cmd_app_run(&c, cfg, role, host, version, "HOSTNAME", NULL, NULL, err);
    if (rc == 0) {
        char *line = kc_cmd_render_display(&c);
        kc_sha256_hex(line, strlen(line), out);
        free(line);
    }
    kc_cmd_release(&c);
    return rc;
}

/* ---- kamal-proxy ---- */

static void opt_secs(struct kc_cmd *c, const char *name, const struct kc_opt_long *v)
{
    if (v->set)
        kc_cmd_argf(c, "--%s=%lds", name, v->value);
}

static void opt_long(struct kc_cmd *c, const char *name, const struct kc_opt_long *v)
{
    if (v->set)
        kc_cmd_argf(c, "--%s=%ld", name, v->value);
}

static void opt_bool(struct kc_cmd *c, const char *name, bool set, bool value)
{
    if (!set)
        return;
    if (value)
        kc_cmd_argf(c, "--%s", name);
    else
        kc_cmd_argf(c, "--%s=false", name);
}

void kc_cmd_proxy_deploy_flags(struct kc_cmd *c, const struct kc_config *cfg,
                               const struct kc_proxy *p, const char *tls_name)
{
    for (size_t i = 0; i < p->hosts.n; i++)
        kc_cmd_argf(c, "--host=%s", p->hosts.v[i]);
    if (p->ssl)
        kc_cmd_arg(c, "--tls");
    if (p->custom_ssl && tls_name) {
        kc_cmd_argf(c, "--tls-certificate-path=%s/tls/%s/cert.pem", cfg->proxy_app_container_dir,
                    tls_name);
        kc_cmd_argf(c, "--tls-private-key-path=%s/tls/%s/key.pem", cfg->proxy_app_container_dir,
                    tls_name);
    }
    kc_cmd_argf(c, "--deploy-timeout=%lds", cfg->deploy_timeout);
    kc_cmd_argf(c, "--drain-timeout=%lds", cfg->drain_timeout);
    opt_secs(c, "health-check-interval", &p->healthcheck.interval);
    opt_secs(c, "health-check-timeout", &p->healthcheck.timeout);
    if (p->healthcheck.path.set)
        kc_cmd_argf(c, "--health-check-path=%s", p->healthcheck.path.value);
    opt_secs(c, "target-timeout", &p->response_timeout);
    opt_bool(c, "buffer-requests", true, p->buffering.requests);
    opt_bool(c, "buffer-responses", true, p->buffering.responses);
    opt_long(c, "buffer-memory", &p->buffering.memory);
    opt_long(c, "max-request-body", &p->buffering.max_request_body);
    opt_long(c, "max-response-body", &p->buffering.max_response_body);
    for (size_t i = 0; i < p->path_prefixes.n; i++)
        kc_cmd_argf(c, "--path-prefix=%s", p->path_prefixes.v[i]);
    opt_bool(c, "strip-path-prefix", p->strip_path_prefix.set, p->strip_path_prefix.value);
    opt_bool(c, "forward-headers", p->forward_headers.set, p->forward_headers.value);
    opt_bool(c, "tls-redirect", p->ssl_redirect.set, p->ssl_redirect.value);
    for (size_t i = 0; i < p->log_request_headers.n; i++)
        kc_cmd_argf(c, "--log-request-header=%s", p->log_request_headers.v[i]);
    for (size_t i = 0; i < p->log_response_headers.n; i++)
        kc_cmd_argf(c, "--log-response-header=%s", p->log_response_headers.v[i]);
}

static void deploy_flags(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role)
{
    kc_cmd_proxy_deploy_flags(c, cfg, &role->proxy, role->name);
}

static void proxy_exec(struct kc_cmd *c, const char *verb, const struct kc_role *role)
{
    kc_cmd_args(c, "docker", "exec", KC_PROXY_CONTAINER, "kamal-proxy", verb,
                role->container_prefix, NULL);
}

void kc_cmd_app_deploy(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role,
                       const char *target_id)
{
    proxy_exec(c, "deploy", role);
    kc_cmd_argf(c, "--target=%s:%ld", target_id, role->proxy.app_port);
    deploy_flags(c, cfg, role);
}

void kc_app_proxy_digest(const struct kc_config *cfg, const struct kc_role *role, char out[65])
{
    struct kc_cmd c = KC_CMD_INIT;
    proxy_exec(&c, "deploy", role);
    kc_cmd_argf(&c, "--app-port=%ld", role->proxy.app_port);
    deploy_flags(&c, cfg, role);
    char *line = kc_cmd_render_display(&c);
    kc_sha256_hex(line, strlen(line), out);
    free(line);
    kc_cmd_release(&c);
}

void kc_cmd_app_proxy_remove(struct kc_cmd *c, const struct kc_role *role)
{
    proxy_exec(c, "remove", role);
}

void kc_cmd_app_proxy_resume(struct kc_cmd *c, const struct kc_role *role)
{
    proxy_exec(c, "resume", role);
}

void kc_cmd_app_proxy_stop(struct kc_cmd *c, const struct kc_role *role, long drain,
                           const char *message)
{
    proxy_exec(c, "stop", role);
    kc_cmd_argf(c, "--drain-timeout=%lds", drain);
    if (message)
        kc_cmd_argf(c, "--message=%s", message);
}

/* ---- env ---- */

int kc_app_env_content(const struct kc_config *cfg, const struct kc_role *role, const char *host,
                       const struct kc_kvlist *values, struct kc_buf *out, struct kc_err *err)
{
    struct kc_env env;
    memset(&env, 0, sizeof env);
    kc_config_env_for(cfg, role, host, &env);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < env.secret.n; i++) {
        char *var, *secret;
        kc_env_secret_split(env.secret.v[i], &var, &secret);
        const char *v = kc_kvlist_get(values, secret);
        if (v == NULL)
            rc = kc_err_set(err, KC_ECONFIG, "env.secret: secret '%s' has no value", secret);
        else if (strchr(v, '\n'))
            rc = kc_err_set(err, KC_ECONFIG,
                            "env.secret: the value of '%s' contains a newline, which docker's "
                            "env-file format cannot carry",
                            secret);
        else
            kc_buf_addf(out, "%s=%s\n", var, v);
        free(var);
        free(secret);
    }
    kc_env_release(&env);
    if (rc == 0 && out->len == 0)
        kc_buf_adds(out, "\n");
    return rc;
}

static bool varies_per_container(const char *line)
{
    return kc_starts_with(line, "KAMAL_CONTAINER_NAME=") || kc_starts_with(line, "KAMAL_VERSION=") ||
           kc_starts_with(line, "KAMAL_HOST=");
}

static bool in_image(const cJSON *image_env, const char *line)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, image_env)
    {
        if (cJSON_IsString(e) && strcmp(e->valuestring, line) == 0)
            return true;
    }
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void kc_app_env_sha(const struct kc_strvec *lines, const cJSON *image_env, char out[65])
{
    struct kc_strvec keep = KC_STRVEC_INIT;
    for (size_t i = 0; i < lines->n; i++)
        if (!varies_per_container(lines->v[i]) && !in_image(image_env, lines->v[i]))
            kc_strvec_push(&keep, lines->v[i]);
    kc_strvec_sort(&keep, cmp_str);
    struct kc_buf b = KC_BUF_INIT;
    for (size_t i = 0; i < keep.n; i++) {
        kc_buf_adds(&b, keep.v[i]);
        kc_buf_addc(&b, '\n');
    }
    kc_sha256_hex(b.data ? b.data : "", b.len, out);
    kc_buf_release(&b);
    kc_strvec_release(&keep);
}

void kc_app_env_lines(const struct kc_config *cfg, const struct kc_role *role, const char *host,
                      const char *env_file_content, struct kc_strvec *out)
{
    /* docker: env-file first, --env over it (same key: the later wins) */
    struct kc_kvlist all = KC_KVLIST_INIT;
    struct kc_strvec file = KC_STRVEC_INIT;
    kc_strvec_split(&file, env_file_content ? env_file_content : "", "\n");
    for (size_t i = 0; i < file.n; i++) {
        char *eq = strchr(file.v[i], '=');
        if (eq == NULL || eq == file.v[i])
            continue;
        *eq = '\0';
        kc_kvlist_set(&all, file.v[i], eq + 1);
    }
    if (cfg->destination)
        kc_kvlist_set(&all, "KAMAL_DESTINATION", cfg->destination);
    struct kc_env env;
    memset(&env, 0, sizeof env);
    kc_config_env_for(cfg, role, host, &env);
    for (size_t i = 0; i < env.clear.n; i++)
        kc_kvlist_set(&all, env.clear.v[i].key, env.clear.v[i].value);
    kc_env_release(&env);
    for (size_t i = 0; i < all.n; i++)
        kc_strvec_pushf(out, "%s=%s", all.v[i].key, all.v[i].value);
    kc_kvlist_release(&all);
    kc_strvec_release(&file);
}

/* ---- probe ---- */

#define PROBE_MARK  "@@kamal-c-app@@"
#define ABSENT_MARK "@@kamal-c-absent@@"
#define STATE_MARK  "@@kamal-c-proxy-state@@"
/* The routes come from kamal-proxy's state file (it saves it after every
 * change), in the kamal-proxy-config volume whose path the container's own
 * inspect gives: no second docker call, and no docker exec (~110 ms and a
 * process in the container). Where the file cannot be read (or is empty),
 * `kamal-proxy list` answers instead. One awk passes the inspect through and
 * reads the state: a probe runs on every host on every run, and each process
 * spared counts (mktemp, cat, sed, head, rm, cat cost ~13 ms of CPU per host).
 * A fixed script; the names are its arguments. */
#define PROBE_SCRIPT                                                                               \
    "docker inspect \"$@\" | awk '{ print } "                                                       \
    "s == \"\" && /^ *\"Source\": \".*\\/volumes\\/kamal-proxy-config\\/_data\",*$/ { "              \
    "s = $0; sub(/^ *\"Source\": \"/, \"\", s); sub(/\",*$/, \"\", s) } "                              \
    "END { print \"\"; print \"" PROBE_MARK "\"; f = s \"/kamal-proxy.state\"; "                    \
    "if (s != \"\" && (getline l < f) > 0) { print \"" STATE_MARK "\"; print l; "                     \
    "while ((getline l < f) > 0) print l } "                                                         \
    "else system(\"docker exec kamal-proxy kamal-proxy list 2>&1\") }'"

static void end_section(struct kc_cmd *c)
{
    kc_cmd_op(c, ";");
    kc_cmd_arg(c, "echo");
    kc_cmd_op(c, ";");
    kc_cmd_args(c, "echo", PROBE_MARK, NULL);
    kc_cmd_op(c, ";");
}

void kc_cmd_proxy_targets_probe(struct kc_cmd *c, const struct kc_strvec *flags_files,
                                const struct kc_strvec *names)
{
    for (size_t i = 0; i < flags_files->n; i++) {
        kc_cmd_args(c, "cat", flags_files->v[i], NULL);
        kc_cmd_op(c, "2>/dev/null");
        kc_cmd_op(c, "||");
        kc_cmd_args(c, "echo", ABSENT_MARK, NULL);
        end_section(c);
    }
    kc_cmd_args(c, "sh", "-c", PROBE_SCRIPT, "sh", NULL);
    for (size_t i = 0; i < names->n; i++)
        kc_cmd_arg(c, names->v[i]);
    kc_cmd_arg(c, KC_PROXY_CONTAINER);
    end_section(c);
    kc_cmd_arg(c, "true");
}

static void service_filters(struct kc_cmd *c, const struct kc_config *cfg,
                            const struct kc_role *role);

void kc_cmd_app_probe(struct kc_cmd *c, const struct kc_config *cfg,
                      const struct kc_role *const *roles, size_t n, const char *version,
                      bool with_network)
{
    for (size_t i = 0; i < n; i++) {
        char *f = kc_app_flags_file(cfg, roles[i]);
        kc_cmd_args(c, "cat", f, NULL);
        kc_cmd_op(c, "2>/dev/null");
        kc_cmd_op(c, "||");
        kc_cmd_args(c, "echo", ABSENT_MARK, NULL);
        end_section(c);
        free(f);
    }
    kc_cmd_args(c, "sh", "-c", PROBE_SCRIPT, "sh", NULL);
    for (size_t i = 0; i < n; i++) {
        char *name = kc_app_container(roles[i], version);
        kc_cmd_arg(c, name);
        free(name);
    }
    char *image = kc_app_image(cfg, version);
    kc_cmd_args(c, image, KC_PROXY_CONTAINER, NULL);
    free(image);
    /* its running containers for the price of one more object in the same
     * call: a docker CLI process costs ~20 ms of the host's CPU */
    if (with_network)
        kc_cmd_arg(c, KC_NETWORK);
    end_section(c);
    kc_cmd_arg(c, "true");
}

void kc_cmd_app_running(struct kc_cmd *c, const struct kc_config *cfg)
{
    kc_cmd_args(c, "docker", "ps", "--filter", "status=running", NULL);
    service_filters(c, cfg, NULL);
    kc_cmd_args(c, "--format", "{{.ID}} {{.Names}} {{.Label \"role\"}}", NULL);
}

void kc_app_probe_release(struct kc_app_probe *p)
{
    if (p == NULL)
        return;
    free(p->docker_error);
    cJSON_Delete(p->containers);
    cJSON_Delete(p->image);
    free(p->proxy_status);
    free(p->proxy_image);
    free(p->list_error);
    for (size_t i = 0; i < p->nroutes; i++) {
        free(p->routes[i].service);
        free(p->routes[i].target);
        free(p->routes[i].state);
    }
    free(p->routes);
    kc_strvec_release(&p->flags);
    kc_strvec_release(&p->net_names);
    kc_strvec_release(&p->net_ids);
    kc_strvec_release(&p->running);
    kc_strvec_release(&p->running_ids);
    kc_strvec_release(&p->running_roles);
    memset(p, 0, sizeof *p);
}

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* The kamal network's attached containers: running (or paused) ones. */
static void take_network(const cJSON *net, struct kc_app_probe *p)
{
    p->net_seen = true;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(net, "Containers"))
    {
        const char *name = jstr(e, "Name");
        if (e->string && name) {
            kc_strvec_push(&p->net_names, name);
            kc_strvec_push(&p->net_ids, e->string);
        }
    }
}

/* An image named like the network (kamal:latest) answers docker inspect's
 * lookup of "kamal" before the network does: not the app's image. */
static bool tagged_as_network(const cJSON *img)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(img, "RepoTags"))
    {
        if (kc_streq(cJSON_GetStringValue(t), KC_NETWORK ":latest"))
            return true;
    }
    return false;
}

static void take_inspect(cJSON *arr, struct kc_app_probe *p)
{
    p->containers = cJSON_CreateObject();
    while (cJSON_GetArraySize(arr) > 0) {
        cJSON *obj = cJSON_DetachItemFromArray(arr, 0);
        const char *name = jstr(obj, "Name");
        const cJSON *state = cJSON_GetObjectItemCaseSensitive(obj, "State");
        if (state && name && strcmp(name, "/" KC_PROXY_CONTAINER) == 0) {
            const char *st = jstr(state, "Status");
            const char *img = jstr(cJSON_GetObjectItemCaseSensitive(obj, "Config"), "Image");
            p->proxy_exists = true;
            p->proxy_status = kc_xstrdup(st ? st : "unknown");
            p->proxy_image = kc_xstrdup(img ? img : "");
            cJSON_Delete(obj);
        } else if (state && name && name[0] == '/') {
            cJSON_AddItemToObject(p->containers, name + 1, obj);
        } else if (kc_inspect_is_network(obj)) {
            take_network(obj, p);
            cJSON_Delete(obj);
        } else if (!state && cJSON_GetObjectItemCaseSensitive(obj, "RepoTags") && !p->image &&
                   !tagged_as_network(obj)) {
            p->image = obj;
        } else {
            cJSON_Delete(obj);
        }
    }
}

/* kamal-proxy list styles its table (ANSI escapes): the text without them. */
static char *strip_ansi(const char *s)
{
    struct kc_buf b = KC_BUF_INIT;
    while (*s) {
        if (s[0] == '\033' && s[1] == '[') {
            s += 2;
            while (*s && !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
                s++;
            if (*s)
                s++;
            continue;
        }
        kc_buf_addc(&b, *s++);
    }
    return b.data ? kc_buf_detach(&b) : kc_xstrdup("");
}

void kc_app_routes_parse(const char *raw, struct kc_app_probe *p)
{
    char *text = strip_ansi(raw);
    struct kc_strvec lines = KC_STRVEC_INIT;
    kc_strvec_split(&lines, text, "\n");
    free(text);
    p->routes = kc_xcalloc(lines.n + 1, sizeof *p->routes);
    for (size_t i = 1; i < lines.n; i++) { /* the first line is the header */
        struct kc_strvec t = KC_STRVEC_INIT;
        kc_strvec_split(&t, lines.v[i], " \t");
        if (t.n >= 5) {
            struct kc_app_route *r = &p->routes[p->nroutes++];
            r->service = kc_xstrdup(t.v[0]);
            r->target = kc_xstrdup(t.v[t.n - 3]);
            r->state = kc_xstrdup(t.v[t.n - 2]);
        }
        kc_strvec_release(&t);
    }
    kc_strvec_release(&lines);
}

/* kamal-proxy's state file: [{"name", "active_targets": [...],
 * "pause_controller": {"state": 0 running, 1 paused, 2 stopped}}, ...]. */
static void state_routes(const char *json, struct kc_app_probe *p)
{
    static const char *const states[] = {"running", "paused", "stopped"};
    cJSON *arr = cJSON_Parse(json);
    int n = cJSON_GetArraySize(arr);
    p->routes = kc_xcalloc((size_t)n + 1, sizeof *p->routes);
    const cJSON *svc;
    cJSON_ArrayForEach(svc, arr)
    {
        const char *name = jstr(svc, "name");
        const cJSON *targets = cJSON_GetObjectItemCaseSensitive(svc, "active_targets");
        double st = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(svc, "pause_controller"), "state"));
        if (name == NULL || cJSON_GetArraySize(targets) == 0)
            continue;
        struct kc_strvec t = KC_STRVEC_INIT;
        const cJSON *e;
        cJSON_ArrayForEach(e, targets)
        {
            if (cJSON_IsString(e))
                kc_strvec_push(&t, e->valuestring);
        }
        struct kc_app_route *r = &p->routes[p->nroutes++];
        r->service = kc_xstrdup(name);
        r->target = kc_strvec_join(&t, ",");
        r->state = kc_xstrdup(st >= 0 && st <= 2 ? states[(int)st] : "unknown");
        kc_strvec_release(&t);
    }
    cJSON_Delete(arr);
}

static char *rtrim_dup(const char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    return kc_xstrndup(s, n);
}

/* "ID NAME ROLE" lines of docker ps into p->running_ids / running / running_roles. */
void kc_app_running_parse(const char *text, struct kc_app_probe *p)
{
    struct kc_strvec lines = KC_STRVEC_INIT;
    kc_strvec_split(&lines, text, "\n");
    for (size_t i = 0; i < lines.n; i++) {
        struct kc_strvec t = KC_STRVEC_INIT;
        kc_strvec_split(&t, lines.v[i], " ");
        if (t.n >= 2) {
            kc_strvec_push(&p->running_ids, t.v[0]);
            kc_strvec_push(&p->running, t.v[1]);
            kc_strvec_push(&p->running_roles, t.n >= 3 ? t.v[2] : "");
        }
        kc_strvec_release(&t);
    }
    kc_strvec_release(&lines);
}

int kc_app_probe_parse(const char *out, const char *err_text, size_t nroles,
                       struct kc_app_probe *p, struct kc_err *err)
{
    memset(p, 0, sizeof *p);
    struct kc_strvec secs = KC_STRVEC_INIT;
    const char *mark = PROBE_MARK "\n";
    for (const char *s = out, *hit; (hit = strstr(s, mark)) != NULL; s = hit + strlen(mark))
        kc_strvec_push_nodup(&secs, kc_xstrndup(s, (size_t)(hit - s)));
    if (secs.n != nroles + 2) {
        kc_strvec_release(&secs);
        return kc_err_set(err, KC_EREMOTE, "unexpected reply to the app probe");
    }
    for (size_t i = 0; i < nroles; i++) {
        char *v = rtrim_dup(secs.v[i]);
        if (strcmp(v, ABSENT_MARK) == 0 || *v == '\0')
            kc_strvec_push(&p->flags, "");
        else
            kc_strvec_push(&p->flags, v);
        free(v);
    }
    const char *js = secs.v[nroles];
    while (*js == '\n' || *js == ' ')
        js++;
    cJSON *arr = cJSON_Parse(js);
    if (!cJSON_IsArray(arr)) {
        char *e = rtrim_dup(err_text ? err_text : "");
        if (*e == '\0') {
            free(e);
            e = kc_xstrdup("docker inspect gave no answer");
        }
        p->docker_error = e;
    } else {
        take_inspect(arr, p);
    }
    cJSON_Delete(arr);
    char *list = strip_ansi(secs.v[nroles + 1]);
    if (kc_starts_with(list, STATE_MARK "\n"))
        state_routes(list + strlen(STATE_MARK "\n"), p);
    else if (kc_starts_with(list, "Service"))
        kc_app_routes_parse(list, p);
    else
        p->list_error = rtrim_dup(list);
    free(list);
    kc_strvec_release(&secs);
    return 0;
}

static bool has_network_option(const struct kc_role *role)
{
    for (size_t i = 0; i < role->docker_options.n; i++)
        if (kc_streq(role->docker_options.v[i].key, "network") ||
            kc_streq(role->docker_options.v[i].key, "net"))
            return true;
    return false;
}

/* A container on the network that role may own, other than want and the
 * routed one. Names only: a name that merely looks like the role's (another
 * role's longer prefix, an accessory) is a false alarm, which costs a look. */
static bool net_other_of_role(const struct kc_app_probe *p, const struct kc_role *role,
                              const char *want)
{
    const struct kc_app_route *r = kc_app_route(p, role->container_prefix);
    size_t plen = strlen(role->container_prefix);
    for (size_t i = 0; i < p->net_names.n; i++) {
        const char *name = p->net_names.v[i];
        if (strncmp(name, role->container_prefix, plen) != 0 || name[plen] != '-' ||
            kc_streq(name, want))
            continue;
        if (r && strlen(p->net_ids.v[i]) >= 12 && strncmp(r->target, p->net_ids.v[i], 12) == 0)
            continue;
        return true;
    }
    return false;
}

bool kc_app_probe_net_clear(const struct kc_app_probe *p, const struct kc_role *const *roles,
                            size_t n, const char *version)
{
    if (!p->net_seen)
        return false;
    for (size_t k = 0; k < n; k++) {
        char *want = kc_app_container(roles[k], version);
        bool clear = !has_network_option(roles[k]) && !net_other_of_role(p, roles[k], want);
        free(want);
        if (!clear)
            return false;
    }
    return true;
}

const struct kc_app_route *kc_app_route(const struct kc_app_probe *p, const char *service)
{
    for (size_t i = 0; i < p->nroutes; i++)
        if (strcmp(p->routes[i].service, service) == 0)
            return &p->routes[i];
    return NULL;
}

/* ---- other commands ---- */

static void service_filters(struct kc_cmd *c, const struct kc_config *cfg,
                            const struct kc_role *role)
{
    kc_cmd_arg(c, "--filter");
    kc_cmd_argf(c, "label=service=%s", cfg->service);
    kc_cmd_arg(c, "--filter");
    kc_cmd_argf(c, "label=destination=%s", cfg->destination ? cfg->destination : "");
    if (role) {
        kc_cmd_arg(c, "--filter");
        kc_cmd_argf(c, "label=role=%s", role->name);
    }
}

void kc_cmd_app_list(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role)
{
    kc_cmd_args(c, "docker", "ps", "-a", NULL);
    service_filters(c, cfg, role);
    kc_cmd_args(c, "--format", "{{.ID}} {{.Names}} {{.State}}", NULL);
}

void kc_cmd_app_rename(struct kc_cmd *c, const char *from, const char *to)
{
    kc_cmd_args(c, "docker", "rename", from, to, NULL);
}

void kc_cmd_app_stop(struct kc_cmd *c, const struct kc_role *role, const struct kc_strvec *names)
{
    kc_cmd_args(c, "docker", "stop", NULL);
    if (role->docker_stop_timeout >= 0) {
        kc_cmd_arg(c, "-t");
        kc_cmd_argf(c, "%ld", role->docker_stop_timeout);
    }
    for (size_t i = 0; i < names->n; i++)
        kc_cmd_arg(c, names->v[i]);
}

void kc_cmd_app_start(struct kc_cmd *c, const char *name)
{
    kc_cmd_args(c, "docker", "start", name, NULL);
}

void kc_cmd_app_rm(struct kc_cmd *c, const char *name)
{
    kc_cmd_args(c, "docker", "container", "rm", "--force", name, NULL);
}

void kc_cmd_app_tag_latest(struct kc_cmd *c, const struct kc_config *cfg, const char *version)
{
    char *image = kc_app_image(cfg, version);
    char *latest = kc_app_image(cfg, cfg->latest_tag);
    kc_cmd_args(c, "docker", "tag", image, latest, NULL);
    free(latest);
    free(image);
}

void kc_cmd_app_details(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role)
{
    kc_cmd_args(c, "docker", "ps", NULL);
    service_filters(c, cfg, role);
}

void kc_cmd_app_containers(struct kc_cmd *c, const struct kc_config *cfg)
{
    kc_cmd_args(c, "docker", "container", "ls", "--all", NULL);
    service_filters(c, cfg, NULL);
}

void kc_cmd_app_images(struct kc_cmd *c, const struct kc_config *cfg)
{
    kc_cmd_args(c, "docker", "image", "ls", cfg->repository, NULL);
}

void kc_cmd_app_prune(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role)
{
    kc_cmd_args(c, "docker", "container", "prune", "--force", NULL);
    service_filters(c, cfg, role);
}

void kc_cmd_app_prune_images(struct kc_cmd *c, const struct kc_config *cfg)
{
    kc_cmd_args(c, "docker", "image", "prune", "--all", "--force", "--filter", NULL);
    kc_cmd_argf(c, "label=service=%s", cfg->service);
}

void kc_cmd_app_remove_dirs(struct kc_cmd *c, const struct kc_config *cfg)
{
    kc_cmd_args(c, "rm", "-rf", cfg->app_dir, cfg->proxy_app_dir, NULL);
}

void kc_cmd_app_exec(struct kc_cmd *c, const struct kc_config *cfg, const struct kc_role *role,
                     const char *host, const struct kc_app_exec *x)
{
    const char *tty = x->interactive ? "-it" : NULL;
    if (x->reuse_name) {
        kc_cmd_args(c, "docker", "exec", NULL);
        if (tty)
            kc_cmd_arg(c, tty);
        for (size_t i = 0; x->env && i < x->env->n; i++) {
            kc_cmd_arg(c, "--env");
            kc_cmd_argf(c, "%s=%s", x->env->v[i].key, x->env->v[i].value);
        }
        kc_cmd_arg(c, x->reuse_name);
    } else {
        kc_cmd_args(c, "docker", "run", NULL);
        if (tty)
            kc_cmd_arg(c, tty);
        kc_cmd_arg(c, x->detach ? "--detach" : "--rm");
        kc_cmd_arg(c, "--name");
        kc_cmd_argf(c, "%s-exec-%s-%s", role->container_prefix, x->version, x->suffix);
        kc_cmd_args(c, "--network", KC_NETWORK, NULL);
        env_args(c, cfg, role, host);
        for (size_t i = 0; x->env && i < x->env->n; i++) {
            kc_cmd_arg(c, "--env");
            kc_cmd_argf(c, "%s=%s", x->env->v[i].key, x->env->v[i].value);
        }
        logging_args(c, role);
        volume_args(c, cfg);
        option_args(c, &role->docker_options);
        char *image = kc_app_image(cfg, x->version);
        kc_cmd_arg(c, image);
        free(image);
    }
    kc_cmd_user_shell(c, x->command);
}
