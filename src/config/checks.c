/* checks.c - the cross-checks that need the whole configuration: roles,
 * SSL, proxy run, builder remote, traefik hooks, destination, host names. */
#include "config_int.h"

#include <string.h>
#include <unistd.h>

/* ---- cross-checks ------------------------------------------------------------ */

/* Where a role is written: its key under servers (the list form: servers). */
static const struct kc_mark *role_mark(const struct kc_config *cfg, const struct kc_role *r)
{
    const struct kc_node *servers = get(cfg->tree.root, "servers");
    if (servers->type == KC_NODE_MAP)
        return key_mark(servers, r->name);
    return key_mark(cfg->tree.root, "servers");
}

int kc_cfg_check_roles(const struct kc_config *cfg, struct kc_err *err)
{
    const struct kc_node *root = cfg->tree.root;
    if (get(root, "servers") == NULL) {
        if (cfg->naccessories == 0)
            return err_at(err, mark_of(root), "no servers or accessories specified");
        return 0;
    }
    const struct kc_role *primary = kc_config_role(cfg, cfg->primary_role);
    if (primary == NULL) {
        const struct kc_node *named = get(root, "primary_role");
        return err_at(err, named ? mark_of(named) : key_mark(root, "servers"),
                      "the primary_role %s isn't defined", cfg->primary_role);
    }
    if (primary->hosts.n == 0)
        return err_at(err, role_mark(cfg, primary),
                      "servers.%s: no servers specified for the %s primary_role", primary->name,
                      primary->name);
    for (size_t i = 0; i < cfg->nroles && !cfg->allow_empty_roles; i++)
        if (cfg->roles[i].hosts.n == 0)
            return err_at(err, role_mark(cfg, &cfg->roles[i]),
                          "servers.%s: no servers specified for the %s role (allow it with "
                          "allow_empty_roles: true)",
                          cfg->roles[i].name, cfg->roles[i].name);
    return 0;
}

int kc_cfg_check_ssl(const struct kc_config *cfg, struct kc_err *err)
{
    struct kc_strvec seen = KC_STRVEC_INIT, dups = KC_STRVEC_INIT;
    int rc = 0;
    for (size_t i = 0; i < cfg->nroles && rc == 0; i++) {
        const struct kc_role *r = &cfg->roles[i];
        if (!r->runs_proxy || !r->proxy.ssl)
            continue;
        const struct kc_node *ssl = get(r->proxy.node, "ssl");
        const struct kc_strvec *names = &r->proxy.hosts;
        if (names->n == 0)
            rc = err_at(err, mark_of(ssl),
                        "servers.%s.proxy: must set a host to enable automatic SSL", r->name);
        else if (r->hosts.n > 1 && !r->proxy.custom_ssl)
            rc = err_at(err, mark_of(ssl),
                        "SSL is only supported on a single server unless you provide custom "
                        "certificates, found %zu servers for role %s",
                        r->hosts.n, r->name);
        for (size_t j = 0; j < names->n; j++)
            if (!kc_strvec_push_unique(&seen, names->v[j]))
                kc_strvec_push_unique(&dups, names->v[j]);
    }
    if (rc == 0 && dups.n) {
        char *list = kc_strvec_join(&dups, ", ");
        rc = err_at(err, key_mark(cfg->tree.root, "proxy"),
                    "different roles can't share the same host for SSL: %s", list);
        free(list);
    }
    kc_strvec_release(&seen);
    kc_strvec_release(&dups);
    return rc;
}

/* Where the proxy.run of the i-th role or accessory is written (path and
 * node), for errors. */
static char *proxy_run_where(const struct kc_config *cfg, size_t i, const struct kc_node **where)
{
    if (i < cfg->nroles) {
        const struct kc_role *r = &cfg->roles[i];
        const struct kc_node *own = get(get(r->node, "proxy"), "run");
        *where = own ? own : get(get(cfg->tree.root, "proxy"), "run");
        return own ? kc_xasprintf("servers.%s.proxy.run", r->name) : kc_xstrdup("proxy.run");
    }
    const struct kc_accessory *a = &cfg->accessories[i - cfg->nroles];
    *where = a->proxy.run.node;
    return kc_xasprintf("accessories.%s.proxy.run", a->name);
}

/* proxy.run of everything proxied on one host must agree (Kamal compares
 * the run: mappings). */
static int check_proxy_run_host(const struct kc_config *cfg, const char *host, struct kc_err *err)
{
    const struct kc_node *first = NULL;
    for (size_t i = 0; i < cfg->nroles + cfg->naccessories; i++) {
        const struct kc_proxy *p = kc_cfg_proxy_on(cfg, i, host);
        const struct kc_node *run = p && p->run.given ? p->run.node : NULL;
        if (run && first && !kc_node_equal(first, run)) {
            const struct kc_node *where = NULL;
            char *path = proxy_run_where(cfg, i, &where);
            err_at(err, mark_of(where), "%s: conflicting proxy run configurations for host %s",
                   path, host);
            free(path);
            return KC_ECONFIG;
        }
        if (run && first == NULL)
            first = run;
    }
    return 0;
}

int kc_cfg_check_proxy_run(const struct kc_config *cfg, struct kc_err *err)
{
    for (size_t i = 0; i < cfg->hosts.n; i++) {
        int rc = check_proxy_run_host(cfg, cfg->hosts.v[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

int kc_cfg_check_builder_remote(const struct kc_config *cfg, struct kc_err *err)
{
    const struct kc_node *remote = get(cfg->builder.node, "remote");
    const char *url = cfg->builder.remote;
    if (cfg->registry.local && url && !kc_starts_with(url, "ssh://"))
        return err_at(err, mark_of(remote),
                      "builder.remote: local registry with remote builder requires an SSH URL "
                      "(e.g., ssh://user@host)");
    return 0;
}

int kc_cfg_check_traefik_hooks(const struct kc_config *cfg, struct kc_err *err)
{
    static const char *const old[] = {"pre-traefik-reboot", "post-traefik-reboot"};
    struct kc_strvec found = KC_STRVEC_INIT;
    for (size_t i = 0; i < KC_ARRAY_LEN(old); i++) {
        char *path = kc_xasprintf("%s/%s", cfg->hooks_path, old[i]);
        if (access(path, F_OK) == 0)
            kc_strvec_push(&found, old[i]);
        free(path);
    }
    if (found.n == 0)
        return 0;
    char *list = kc_strvec_join(&found, ", ");
    kc_err_set(err, KC_ECONFIG, "found %s, these should be renamed to (pre|post)-proxy-reboot",
               list);
    free(list);
    kc_strvec_release(&found);
    return KC_ECONFIG;
}

int kc_cfg_check_destination(const struct kc_config *cfg, struct kc_err *err)
{
    if (!cfg->require_destination || cfg->destination)
        return 0;
    err_at(err, mark_of(get(cfg->tree.root, "require_destination")),
           "you must specify a destination");
    kc_err_set_hint(err, "this configuration sets require_destination: pass -d DESTINATION");
    return KC_ECONFIG;
}

/* ---- host names --------------------------------------------------------------
 * A host is handed to libssh (and shown in KAMAL_HOST and messages), never to a
 * shell; still, a name with blanks or shell syntax is a typo or worse, and is
 * refused with its location instead of failing at connect time. */

static int check_host_text(const char *host, const struct kc_mark *m, const char *path,
                           struct kc_err *err)
{
    if (host && kc_host_name_ok(host))
        return 0;
    return err_at(err, m, "%s: '%s' is not a host name or address", path, host ? host : "");
}

/* A servers entry: "host" or {host: tags}. */
static int check_host_entry(const struct kc_node *e, const char *path, struct kc_err *err)
{
    if (e->type == KC_NODE_MAP && e->npairs == 1)
        return check_host_text(e->pairs[0].key, &e->pairs[0].key_mark, path, err);
    return check_host_text(kc_node_text(e), mark_of(e), path, err);
}

static int check_host_list(const struct kc_node *list, const char *path, struct kc_err *err)
{
    for (size_t i = 0; list && list->type == KC_NODE_SEQ && i < list->n; i++) {
        char *p = kc_xasprintf("%s[%zu]", path, i);
        int rc = check_host_entry(list->items[i], p, err);
        free(p);
        if (rc)
            return rc;
    }
    return 0;
}

int kc_cfg_check_host_names(const struct kc_config *cfg, struct kc_err *err)
{
    const struct kc_node *servers = get(cfg->tree.root, "servers");
    int rc = check_host_list(servers, "servers", err);
    for (size_t i = 0; rc == 0 && servers && servers->type == KC_NODE_MAP && i < servers->npairs;
         i++) {
        const struct kc_node *role = servers->pairs[i].value;
        char *path = kc_xasprintf("servers.%s%s", servers->pairs[i].key,
                                  role && role->type == KC_NODE_MAP ? ".hosts" : "");
        rc = check_host_list(role && role->type == KC_NODE_MAP ? get(role, "hosts") : role, path,
                             err);
        free(path);
    }
    const struct kc_node *accs = get(cfg->tree.root, "accessories");
    for (size_t i = 0; rc == 0 && accs && accs->type == KC_NODE_MAP && i < accs->npairs; i++) {
        const struct kc_node *acc = accs->pairs[i].value;
        const struct kc_node *one = get(acc, "host");
        char *path = kc_xasprintf("accessories.%s.host", accs->pairs[i].key);
        if (one)
            rc = check_host_text(kc_node_text(one), mark_of(one), path, err);
        free(path);
        path = kc_xasprintf("accessories.%s.hosts", accs->pairs[i].key);
        if (rc == 0)
            rc = check_host_list(get(acc, "hosts"), path, err);
        free(path);
    }
    return rc;
}
