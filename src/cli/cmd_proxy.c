/* cmd_proxy.c - `proxy boot|reboot|start|stop|restart|details|logs|remove|
 * boot_config`: options and operands; the work is in ops/proxy*.c. */
#include "kamal-c/ops_proxy.h"
#include "verbs.h"

#include <stdlib.h>
#include <string.h>

#define PROXY_FLAGS (KC_V_CONFIG | KC_V_HOSTS)
/* Mutating verbs take the lock themselves (boot/start/stop only when a host
 * needs a change; reboot after its confirmation). */
#define PROXY_MUTATING (PROXY_FLAGS | KC_V_MUTATES | KC_V_LOCK | KC_V_FINISHED)

static long long_opt(const struct kc_args *args, const char *name, long dflt, int *bad)
{
    const char *v = kc_args_value(args, name);
    long n = dflt;
    if (v && (!kc_parse_long(v, &n) || n < 0 || n > 65535))
        *bad = 1;
    return n;
}

static int request_from(const struct kc_args *args, struct kc_proxy_request *req,
                        struct kc_err *err)
{
    memset(req, 0, sizeof *req);
    req->fail_on_drift = kc_args_flag(args, "fail-on-drift");
    req->rolling = kc_args_flag(args, "rolling");
    req->confirmed = kc_args_flag(args, "confirmed");
    req->force = kc_args_flag(args, "force");
    req->logs.since = kc_args_value(args, "since");
    req->logs.lines = kc_args_value(args, "lines");
    req->logs.grep = kc_args_value(args, "grep");
    req->logs.grep_options = kc_args_value(args, "grep-options");
    req->logs.follow = kc_args_flag(args, "follow");
    req->logs.timestamps = !kc_args_flag(args, "skip-timestamps");
    struct kc_proxy_boot_opts *b = &req->boot;
    int bad = 0;
    b->publish = !kc_args_flag(args, "no-publish");
    const char *ips = kc_args_value(args, "publish-host-ip");
    if (ips)
        kc_strvec_split(&b->publish_host_ips, ips, ",");
    b->http_port = long_opt(args, "http-port", 80, &bad);
    b->https_port = long_opt(args, "https-port", 443, &bad);
    b->metrics_port = long_opt(args, "metrics-port", 0, &bad);
    const char *lms = kc_args_value(args, "log-max-size");
    b->log_max_size = lms ? lms : "10m";
    b->registry = kc_args_value(args, "registry");
    b->repository = kc_args_value(args, "repository");
    b->image_version = kc_args_value(args, "image-version");
    b->debug = kc_args_flag(args, "debug");
    const char *dopts = kc_args_value(args, "docker-options");
    if (dopts)
        kc_strvec_split(&b->docker_options, dopts, " ");
    if (bad)
        return kc_err_set(err, KC_EUSAGE, "a port must be a number from 0 to 65535");
    return 0;
}

static void request_release(struct kc_proxy_request *req)
{
    kc_strvec_release(&req->boot.publish_host_ips);
    kc_strvec_release(&req->boot.docker_options);
}

#define VERB_FN(fn, impl)                                                                          \
    static int fn(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)              \
    {                                                                                              \
        struct kc_proxy_request req;                                                               \
        int rc = request_from(args, &req, err);                                                    \
        if (rc == 0)                                                                               \
            rc = impl(ctx, &req, err);                                                             \
        request_release(&req);                                                                     \
        return rc;                                                                                 \
    }

VERB_FN(boot_exec, kc_proxy_boot)
VERB_FN(reboot_exec, kc_proxy_reboot)
VERB_FN(start_exec, kc_proxy_start)
VERB_FN(stop_exec, kc_proxy_stop)
VERB_FN(restart_exec, kc_proxy_restart)
VERB_FN(details_exec, kc_proxy_details)
VERB_FN(remove_exec, kc_proxy_remove)

static int logs_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    struct kc_proxy_request req;
    int rc = request_from(args, &req, err);
    ctx->interrupt_ok = req.logs.follow; /* following ends with Ctrl-C */
    if (rc == 0)
        rc = kc_proxy_logs(ctx, &req, err);
    request_release(&req);
    return rc;
}

static int boot_config_exec(struct kc_ctx *ctx, const struct kc_args *args, struct kc_err *err)
{
    struct kc_proxy_request req;
    int rc = request_from(args, &req, err);
    req.boot_config = args->pos.v[0];
    if (rc == 0)
        rc = kc_proxy_boot_config(ctx, &req, err);
    request_release(&req);
    return rc;
}

static const struct kc_opt boot_opts[] = {
    {"fail-on-drift", 0, false, NULL, "exit 6 when a running proxy differs from deploy.yml"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_opt reboot_opts[] = {
    {"rolling", 0, false, NULL, "reboot the proxy on one host after another"},
    {"confirmed", 'y', false, NULL, "do not ask for confirmation"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_opt logs_opts[] = {
    {"since", 's', true, "TIME", "show logs since a timestamp (2013-01-02T13:23:37Z) or 42m"},
    {"lines", 'n', true, "N", "number of lines to show from each host (default 100)"},
    {"grep", 'g', true, "PATTERN", "show only lines matching PATTERN"},
    {"grep-options", 0, true, "OPTIONS", "extra options for grep"},
    {"follow", 'f', false, NULL, "follow the logs on every selected host"},
    {"skip-timestamps", 'T', false, NULL, "leave out timestamps"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_opt remove_opts[] = {
    {"force", 0, false, NULL, "remove even when other applications are installed on the host"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_opt boot_config_opts[] = {
    {"no-publish", 0, false, NULL, "do not publish the proxy ports on the host"},
    {"publish-host-ip", 0, true, "IP[,IP]", "host addresses to bind HTTP/HTTPS to (default all)"},
    {"http-port", 0, true, "PORT", "HTTP port to publish on the host (default 80)"},
    {"https-port", 0, true, "PORT", "HTTPS port to publish on the host (default 443)"},
    {"log-max-size", 0, true, "SIZE", "max size of the proxy's logs (default 10m)"},
    {"registry", 0, true, "SERVER", "registry of the proxy image"},
    {"repository", 0, true, "NAME", "repository of the proxy image (default basecamp)"},
    {"image-version", 0, true, "TAG", "version of the proxy to run"},
    {"metrics-port", 0, true, "PORT", "port to report prometheus metrics on"},
    {"debug", 0, false, NULL, "run the proxy in debug mode"},
    {"docker-options", 0, true, "'OPT=V ...'", "docker options for the proxy container"},
    {NULL, 0, false, NULL, NULL},
};

static const struct kc_verb proxy_boot = {
    .name = "boot",
    .summary = "Boot kamal-proxy on servers; leave a running one alone",
    .opts = boot_opts,
    .flags = PROXY_MUTATING,
    .exec = boot_exec,
    .help = "Converges each proxy host: the kamal network, .kamal/proxy/apps-config and the\n"
            "kamal-proxy container as Kamal runs it (from proxy.run, else the boot_config\n"
            "files, else Kamal's defaults). A running proxy is never replaced: one whose\n"
            "image or options differ from deploy.yml is reported as drift ('proxy reboot'\n"
            "applies it). The deploy lock is taken only when some host needs a change.",
};

static const struct kc_verb proxy_reboot = {
    .name = "reboot",
    .summary = "Reboot kamal-proxy on servers (stop, remove, run again)",
    .opts = reboot_opts,
    .flags = PROXY_MUTATING,
    .exec = reboot_exec,
    .help = "Asks for confirmation on a terminal (a brief outage on each host); without a\n"
            "terminal it fails at once unless -y is given. Runs the pre-proxy-reboot and\n"
            "post-proxy-reboot hooks around each group of hosts (each host with --rolling).",
};

static const struct kc_verb proxy_start = {
    .name = "start",
    .summary = "Start an existing kamal-proxy container",
    .flags = PROXY_MUTATING,
    .exec = start_exec,
};

static const struct kc_verb proxy_stop = {
    .name = "stop",
    .summary = "Stop the kamal-proxy container",
    .flags = PROXY_MUTATING,
    .exec = stop_exec,
};

static const struct kc_verb proxy_restart = {
    .name = "restart",
    .summary = "Restart the kamal-proxy container",
    .flags = PROXY_MUTATING,
    .exec = restart_exec,
};

static const struct kc_verb proxy_details = {
    .name = "details",
    .summary = "Show details about the proxy container",
    .flags = PROXY_FLAGS,
    .exec = details_exec,
};

static const struct kc_verb proxy_logs = {
    .name = "logs",
    .summary = "Show log lines from kamal-proxy",
    .opts = logs_opts,
    .flags = PROXY_FLAGS,
    .exec = logs_exec,
    .help = "With -f, follows kamal-proxy on every selected host, lines prefixed by host,\n"
            "until Ctrl-C.",
};

static const struct kc_verb proxy_remove = {
    .name = "remove",
    .summary = "Remove kamal-proxy: container, image and .kamal/proxy",
    .opts = remove_opts,
    .flags = PROXY_MUTATING,
    .exec = remove_exec,
    .help = "Refuses on a host where other applications are installed (.kamal/apps is not\n"
            "empty) unless --force is given.",
};

static const struct kc_verb proxy_boot_config = {
    .name = "boot_config",
    .summary = "Manage the kamal-proxy boot configuration files (deprecated: proxy.run)",
    .usage = "set|get|reset",
    .min_args = 1,
    .max_args = 1,
    .opts = boot_config_opts,
    .flags = PROXY_FLAGS | KC_V_MUTATES | KC_V_LOCK,
    .exec = boot_config_exec,
    .help = "set writes .kamal/proxy/{options,image,image_version,run_command} (a file\n"
            "holding the default is removed), get prints the run they give, reset removes\n"
            "them. They apply at the next 'proxy reboot', and only without proxy.run.",
};

static const struct kc_verb *const proxy_subs[] = {
    &proxy_boot, &proxy_reboot, &proxy_start,  &proxy_stop,        &proxy_restart,
    &proxy_details, &proxy_logs, &proxy_remove, &proxy_boot_config, NULL,
};

const struct kc_verb kc_verb_proxy = {
    .name = "proxy",
    .summary = "Manage kamal-proxy",
    .subs = proxy_subs,
};
