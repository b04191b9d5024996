/* proxy.c - a proxy: mapping as struct kc_proxy (Kamal's
 * Configuration::Proxy and Proxy::Run), every default applied here.
 *
 * The same function fills the root proxy, a role's effective proxy (the
 * root's mapping with the role's deep-merged over it, done by roles.c) and
 * an accessory's own. Key defaults come from the schema table (proxy.*);
 * the few that are not a key's (the logged request headers, forward_headers
 * following ssl) are written here. */
#include "config_int.h"

#include <string.h>

/* Kamal's DEFAULT_LOG_REQUEST_HEADERS. */
static const char *const default_request_headers[] = {"Cache-Control", "Last-Modified",
                                                      "User-Agent"};

/* "a,b" or [a, b]: the list form wins, as Kamal's `hosts || host&.split`. */
static void fill_list_or_split(struct kc_strvec *out, const struct kc_node *n, const char *list_key,
                               const char *comma_key)
{
    const struct kc_node *list = get(n, list_key);
    const char *comma = kc_node_text(get(n, comma_key));
    if (list)
        push_texts(out, list);
    else if (comma)
        kc_strvec_split(out, comma, ",");
}

static void fill_ssl(struct kc_proxy *p, const struct kc_node *ssl)
{
    bool b = false;
    p->ssl = (kc_node_bool(ssl, &b) && b) || (ssl && ssl->type == KC_NODE_MAP);
    p->ssl_certificate_pem = dup_text(get(ssl, "certificate_pem"));
    p->ssl_private_key_pem = dup_text(get(ssl, "private_key_pem"));
    p->custom_ssl = p->ssl_certificate_pem && *p->ssl_certificate_pem && p->ssl_private_key_pem &&
                    *p->ssl_private_key_pem;
}

static void fill_run(struct kc_proxy_run *r, const struct kc_node *n)
{
    r->given = n && n->type == KC_NODE_MAP && n->npairs > 0;
    r->node = r->given ? n : NULL;
    r->http_port = get_long(n, "http_port", "proxy.run.http_port");
    r->https_port = get_long(n, "https_port", "proxy.run.https_port");
    r->publish = get_bool(n, "publish", "proxy.run.publish");
    push_texts(&r->bind_ips, get(n, "bind_ips"));
    r->log_max_size = get_str(n, "log_max_size", "proxy.run.log_max_size");
    r->metrics_port = get_long(n, "metrics_port", NULL);
    if (r->metrics_port < 0)
        r->metrics_port = 0;
    r->debug = get_bool(n, "debug", NULL);
    r->registry = get_str(n, "registry", NULL);
    r->repository = get_str(n, "repository", "proxy.run.repository");
    r->version = get_str(n, "version", "proxy.run.version");
    r->image = r->registry ? kc_xasprintf("%s/%s:%s", r->registry, r->repository, r->version)
                           : kc_xasprintf("%s:%s", r->repository, r->version);
    kc_cfg_fill_options(&r->options, NULL, get(n, "options")); /* restart is no special */
}

static void release_run(struct kc_proxy_run *r)
{
    kc_strvec_release(&r->bind_ips);
    free(r->log_max_size);
    free(r->registry);
    free(r->repository);
    free(r->version);
    free(r->image);
    kc_cfg_release_options(&r->options);
}

void kc_cfg_fill_proxy(struct kc_proxy *p, const struct kc_node *n)
{
    if (n && n->type != KC_NODE_MAP)
        n = NULL; /* proxy: true */
    p->node = n;
    fill_list_or_split(&p->hosts, n, "hosts", "host");
    p->app_port = get_long(n, "app_port", "proxy.app_port");
    fill_ssl(p, get(n, "ssl"));
    p->ssl_redirect = opt_bool(n, "ssl_redirect", "proxy.ssl_redirect");
    p->forward_headers = opt_bool(n, "forward_headers", NULL);
    if (!p->forward_headers.set)
        p->forward_headers.value = !p->ssl;
    p->response_timeout = opt_long(n, "response_timeout", "proxy.response_timeout");
    fill_list_or_split(&p->path_prefixes, n, "path_prefixes", "path_prefix");
    p->strip_path_prefix = opt_bool(n, "strip_path_prefix", "proxy.strip_path_prefix");
    const struct kc_node *hc = get(n, "healthcheck");
    p->healthcheck.path = opt_str(hc, "path", "proxy.healthcheck.path");
    p->healthcheck.interval = opt_long(hc, "interval", "proxy.healthcheck.interval");
    p->healthcheck.timeout = opt_long(hc, "timeout", "proxy.healthcheck.timeout");
    const struct kc_node *buf = get(n, "buffering");
    p->buffering.requests = get_bool(buf, "requests", "proxy.buffering.requests");
    p->buffering.responses = get_bool(buf, "responses", "proxy.buffering.responses");
    p->buffering.memory = opt_long(buf, "memory", "proxy.buffering.memory");
    p->buffering.max_request_body =
        opt_long(buf, "max_request_body", "proxy.buffering.max_request_body");
    p->buffering.max_response_body =
        opt_long(buf, "max_response_body", "proxy.buffering.max_response_body");
    const struct kc_node *log = get(n, "logging");
    const struct kc_node *req = get(log, "request_headers");
    if (req)
        push_texts(&p->log_request_headers, req);
    else
        for (size_t i = 0; i < KC_ARRAY_LEN(default_request_headers); i++)
            kc_strvec_push(&p->log_request_headers, default_request_headers[i]);
    push_texts(&p->log_response_headers, get(log, "response_headers"));
    fill_run(&p->run, get(n, "run"));
}

void kc_cfg_release_proxy(struct kc_proxy *p)
{
    kc_node_free(p->merged);
    kc_strvec_release(&p->hosts);
    free(p->ssl_certificate_pem);
    free(p->ssl_private_key_pem);
    kc_strvec_release(&p->path_prefixes);
    free(p->healthcheck.path.value);
    kc_strvec_release(&p->log_request_headers);
    kc_strvec_release(&p->log_response_headers);
    release_run(&p->run);
    memset(p, 0, sizeof *p);
}

/* ---- lookups -------------------------------------------------------------- */

const struct kc_proxy *kc_cfg_proxy_on(const struct kc_config *cfg, size_t i, const char *host)
{
    if (i < cfg->nroles) {
        const struct kc_role *r = &cfg->roles[i];
        return r->runs_proxy && kc_strvec_contains(&r->hosts, host) ? &r->proxy : NULL;
    }
    const struct kc_accessory *a = &cfg->accessories[i - cfg->nroles];
    return a->runs_proxy && kc_strvec_contains(&a->hosts, host) ? &a->proxy : NULL;
}

const struct kc_proxy_run *kc_config_proxy_run(const struct kc_config *cfg, const char *host)
{
    for (size_t i = 0; i < cfg->nroles + cfg->naccessories; i++) {
        const struct kc_proxy *p = kc_cfg_proxy_on(cfg, i, host);
        if (p && p->run.given)
            return &p->run;
    }
    return NULL;
}

void kc_config_proxy_hosts(const struct kc_config *cfg, struct kc_strvec *out)
{
    for (size_t i = 0; i < cfg->nroles; i++)
        if (cfg->roles[i].runs_proxy)
            kc_cfg_push_role_hosts(out, &cfg->roles[i]);
    for (size_t i = 0; i < cfg->naccessories; i++)
        for (size_t j = 0; cfg->accessories[i].runs_proxy && j < cfg->accessories[i].hosts.n; j++)
            kc_strvec_push_unique(out, cfg->accessories[i].hosts.v[j]);
}
