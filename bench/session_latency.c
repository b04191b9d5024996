/* session_latency.c - what one command costs on an open kamal-c session.
 *
 *   session_latency [-n RUNS] [-w WARMUP] [-F SSH_CONFIG] [-S DOCKER_SOCKET]
 *                   [-d DOCKER_CLI] HOST
 *
 * Opens one session to HOST through kamal-c's own remote layer
 * (kc_session_open with the bed's ssh config, so its key and known_hosts are
 * used), then, after WARMUP rounds (default 5), runs RUNS rounds (default 50)
 * of, in turn:
 *   - kc_session_exec("true")       the SSH cost alone: a channel, an exec
 *                                   request, sshd's fork and the user's shell
 *   - kc_session_exec("docker ps")  the same over SSH
 *   - docker ps locally on the host the docker CLI run here against the host's
 *                                   own socket (DOCKER_CLI -H unix://SOCKET ps):
 *                                   the same daemon, no SSH
 * The three are interleaved so that the machine's load affects them alike.
 * Each is timed from the call to the last byte and the exit status. Prints
 * min / median / p90 of each, the time to open the session and the first
 * command's time (the first channel of a connection costs ~45 ms more), and
 * the overhead: median(docker ps over SSH) - median(docker ps locally), against
 * the target of 10 ms. The last line is machine-readable (RESULT key=value).
 *
 * Defaults come from the test bed (KC_BED, default 2): SSH_CONFIG is
 * /tmp/kcB-bed/ssh_config, DOCKER_SOCKET /tmp/kcB-bed/hN/docker.sock where
 * HOST is 10.213.B.(10+N), DOCKER_CLI /usr/bin/docker (the CLI the hosts'
 * sessions use). The local CLI runs with DOCKER_CONFIG=/tmp/kcB-bed/client-docker
 * so that ~/.docker is never read or written. Exit status 0 when the overhead
 * is within the target, 1 when not, 2 on an error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kamal-c/session.h"

#define TARGET_MS 10.0

struct series {
    const char *label;
    double *v;
    int n;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts s->v in place; q in [0,1]: nearest-rank quantile. */
static double quantile(struct series *s, double q)
{
    qsort(s->v, (size_t)s->n, sizeof *s->v, cmp_double);
    int i = (int)(q * s->n + 0.999999) - 1;
    if (i < 0)
        i = 0;
    if (i >= s->n)
        i = s->n - 1;
    return s->v[i];
}

static void print_series(struct series *s)
{
    printf("  %-34s min %7.2f  median %7.2f  p90 %7.2f ms\n", s->label, quantile(s, 0),
           quantile(s, 0.5), quantile(s, 0.9));
}

static double ms_since(double t)
{
    return (kc_now() - t) * 1e3;
}

/* Runs argv here with stdout read to EOF (like the SSH side, which reads
 * everything) and stderr to /dev/null; returns the exit status or -1. */
static int run_local(char *const argv[], const char *docker_config)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(p[1], STDOUT_FILENO);
        if (devnull >= 0)
            dup2(devnull, STDERR_FILENO);
        close(p[0]);
        close(p[1]);
        setenv("DOCKER_CONFIG", docker_config, 1);
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    char buf[16384];
    while (read(p[0], buf, sizeof buf) > 0)
        ;
    close(p[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int remote(struct kc_session *s, const char *cmd, struct kc_exec_result *res)
{
    struct kc_err err = KC_ERR_INIT;
    int rc = kc_session_exec(s, cmd, NULL, 0, 0, res, &err);
    if (rc != 0 || res->status != 0) {
        fprintf(stderr, "session_latency: '%s': %s (status %d)\n", cmd,
                err.msg ? err.msg : "failed", res->status);
        rc = -1;
    }
    kc_err_release(&err);
    return rc;
}

static void usage(void)
{
    fprintf(stderr, "usage: session_latency [-n RUNS] [-w WARMUP] [-F SSH_CONFIG] "
                    "[-S DOCKER_SOCKET] [-d DOCKER_CLI] HOST\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *bed = getenv("KC_BED");
    if (bed == NULL || *bed == '\0')
        bed = "2";
    char dir[64];
    if (strcmp(bed, "0") == 0)
        snprintf(dir, sizeof dir, "/tmp/kc");
    else
        snprintf(dir, sizeof dir, "/tmp/kc%s-bed", bed);
    char cfgbuf[128], sockbuf[160], dcfg[128];
    snprintf(cfgbuf, sizeof cfgbuf, "%s/ssh_config", dir);
    snprintf(dcfg, sizeof dcfg, "%s/client-docker", dir);
    const char *ssh_config = cfgbuf, *sock = NULL, *cli = "/usr/bin/docker";
    const char *cmd = "docker ps";
    int runs = 50, warmup = 5, c;
    while ((c = getopt(argc, argv, "n:w:F:S:d:")) != -1) {
        switch (c) {
        case 'n':
            runs = atoi(optarg);
            break;
        case 'w':
            warmup = atoi(optarg);
            break;
        case 'F':
            ssh_config = optarg;
            break;
        case 'S':
            sock = optarg;
            break;
        case 'd':
            cli = optarg;
            break;
        default:
            usage();
        }
    }
    if (argc - optind != 1 || runs < 1 || warmup < 0)
        usage();
    const char *host = argv[optind];
    if (sock == NULL) {
        const char *dot = strrchr(host, '.');
        int n = dot ? atoi(dot + 1) - 10 : -1;
        if (n < 1) {
            fprintf(stderr, "session_latency: give -S for %s\n", host);
            return 2;
        }
        snprintf(sockbuf, sizeof sockbuf, "%s/h%d/docker.sock", dir, n);
        sock = sockbuf;
    }
    char hostarg[200];
    snprintf(hostarg, sizeof hostarg, "unix://%s", sock);
    char opt_h[] = "-H", ps[] = "ps", *cli_copy = strdup(cli);
    char *local_argv[] = {cli_copy, opt_h, hostarg, ps, NULL};

    struct kc_strvec files = KC_STRVEC_INIT;
    kc_strvec_push(&files, ssh_config);
    struct kc_ssh_opts o = {0};
    o.host = host;
    o.config_mode = KC_SSHCFG_FILES;
    o.config_files = &files;
    o.connect_timeout = 10;

    struct kc_err err = KC_ERR_INIT;
    struct kc_session *s = NULL;
    double t = kc_now();
    if (kc_session_open(&s, &o, &err) != 0) {
        fprintf(stderr, "session_latency: %s\n", err.msg ? err.msg : "cannot connect");
        return 2;
    }
    double t_open = ms_since(t);
    struct kc_exec_result res;
    kc_exec_result_init(&res);
    t = kc_now();
    if (remote(s, cmd, &res) != 0)
        return 2;
    double t_first = ms_since(t);

    struct series ssh_true = {"kc_session_exec(\"true\")", calloc((size_t)runs, sizeof(double)),
                              runs};
    struct series ssh_cmd = {"kc_session_exec(\"docker ps\")", calloc((size_t)runs, sizeof(double)),
                             runs};
    struct series local = {"docker ps on the host's socket", calloc((size_t)runs, sizeof(double)),
                           runs};
    if (!ssh_true.v || !ssh_cmd.v || !local.v)
        return 2;
    for (int i = -warmup; i < runs; i++) {
        t = kc_now();
        if (remote(s, "true", &res) != 0)
            return 2;
        double a = ms_since(t);
        t = kc_now();
        if (remote(s, cmd, &res) != 0)
            return 2;
        double b = ms_since(t);
        t = kc_now();
        if (run_local(local_argv, dcfg) != 0) {
            fprintf(stderr, "session_latency: %s -H %s ps failed\n", cli, hostarg);
            return 2;
        }
        double d = ms_since(t);
        if (i >= 0) {
            ssh_true.v[i] = a;
            ssh_cmd.v[i] = b;
            local.v[i] = d;
        }
    }
    kc_session_close(s);

    printf("session_latency: %s, %d runs after %d warm-up\n", host, runs, warmup);
    printf("  %-34s %7.2f ms\n", "open (connect + host key + auth)", t_open);
    printf("  %-34s %7.2f ms\n", "first docker ps (first channel)", t_first);
    print_series(&ssh_true);
    print_series(&ssh_cmd);
    print_series(&local);
    double overhead = quantile(&ssh_cmd, 0.5) - quantile(&local, 0.5);
    bool met = overhead <= TARGET_MS;
    printf("  overhead of SSH (median): %.2f ms, target <= %.0f ms: %s\n", overhead, TARGET_MS,
           met ? "met" : "MISSED");
    printf("RESULT open=%.2f first=%.2f true_med=%.2f true_p90=%.2f ssh_med=%.2f ssh_p90=%.2f "
           "local_med=%.2f local_p90=%.2f overhead=%.2f\n",
           t_open, t_first, quantile(&ssh_true, 0.5), quantile(&ssh_true, 0.9),
           quantile(&ssh_cmd, 0.5), quantile(&ssh_cmd, 0.9), quantile(&local, 0.5),
           quantile(&local, 0.9), overhead);
    kc_exec_result_release(&res);
    kc_strvec_release(&files);
    free(ssh_true.v);
    free(ssh_cmd.v);
    free(local.v);
    free(cli_copy);
    return met ? 0 : 1;
}
