/* floor.c - the least a program can do to run one command on N hosts over SSH.
 *
 *   floor [-i KEY] [-k KNOWN_HOSTS] [-l USER] [-p PORT] [-q] [-t] CMD HOST...
 *   floor [...] -f FILE HOST...        the command is FILE's content
 *
 * Plain libssh, none of kamal-c: one thread per host, each opens its own
 * connection (TCP_NODELAY on, no ssh config read), checks the host key against
 * KNOWN_HOSTS (anything but a match fails), authenticates with KEY, opens one
 * channel, runs CMD, reads stdout and stderr to EOF, takes the exit status and
 * disconnects. The output is discarded. This is the floor that kamal-c's
 * `server exec` and no-op `accessory boot` are measured against: kamal-c does
 * the same work plus loading deploy.yml and what its verb needs.
 *
 * Prints the wall time (from before the threads start until the last one is
 * joined) on stdout: "floor: N hosts, CMD: W ms". -t adds one line per host
 * with the phases: connect (TCP + key exchange), host key check, auth,
 * channel open, exec to EOF + exit status, disconnect.
 *
 * -q opens the channel the way bench/README.md proposes for kamal-c:
 * non-blocking, with TCP_QUICKACK set once the request is out. OpenSSH's sshd
 * does not set TCP_NODELAY on a non-interactive session, so its
 * CHANNEL_OPEN_CONFIRMATION waits (Nagle) behind the hostkeys-00 and
 * SSH_MSG_DEBUG packets it sent after auth until our delayed ACK: ~40 ms on
 * the first channel of every connection. Without -q that wait is part of the
 * floor, as it is for any plain libssh client.
 *
 * -f FILE takes the command line from FILE (one trailing newline dropped), so
 * that a long command with quotes (kamal-c's own probe, copied from its -v
 * output) can be run from hyperfine without a shell. Exit status: 0 when
 * every host ran CMD with exit status 0, 1 otherwise (with a message).
 *
 * Defaults come from the test bed (KC_BED, default 2): KEY is
 * /tmp/kcB-bed/id_ed25519 and KNOWN_HOSTS /tmp/kcB-bed/known_hosts (bed 0:
 * /tmp/kc/...). USER root, PORT 22. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>

struct host_run {
    const char *host;
    double t_connect, t_hostkey, t_auth, t_chan, t_exec, t_close;
    int status;
    char error[256];
};

struct floor_opts {
    const char *key;
    const char *known_hosts;
    const char *user;
    int port;
    const char *cmd;
    int quickack;
};

static struct floor_opts opts;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int fail(struct host_run *r, const char *what, ssh_session s)
{
    snprintf(r->error, sizeof r->error, "%s: %s", what, s ? ssh_get_error(s) : "failed");
    return -1;
}

/* -q: see the top of the file. */
static int open_quickack(ssh_session s, ssh_channel ch)
{
    int fd = ssh_get_fd(s), one = 1, rc;
    ssh_set_blocking(s, 0);
    while ((rc = ssh_channel_open_session(ch)) == SSH_AGAIN) {
        setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0)
            break;
    }
    ssh_set_blocking(s, 1);
    return rc;
}

/* Reads both streams until the remote end sent EOF (stdout is read blocking:
 * the outputs here are small, so stderr never fills the window). */
static int read_to_eof(ssh_channel ch)
{
    char buf[16384];
    while (!ssh_channel_is_eof(ch)) {
        int n = ssh_channel_read(ch, buf, sizeof buf, 0);
        if (n == SSH_ERROR)
            return -1;
        while ((n = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 1)) > 0)
            ;
        if (n == SSH_ERROR)
            return -1;
    }
    int n;
    while ((n = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 1)) > 0)
        ;
    return n == SSH_ERROR ? -1 : 0;
}

static int run_command(struct host_run *r, ssh_session s)
{
    double t = now_ms();
    ssh_channel ch = ssh_channel_new(s);
    if (ch == NULL ||
        (opts.quickack ? open_quickack(s, ch) : ssh_channel_open_session(ch)) != SSH_OK) {
        if (ch)
            ssh_channel_free(ch);
        return fail(r, "channel open", s);
    }
    r->t_chan = now_ms() - t;
    t = now_ms();
    int rc = 0;
    if (ssh_channel_request_exec(ch, opts.cmd) != SSH_OK)
        rc = fail(r, "exec", s);
    else if (read_to_eof(ch) != 0)
        rc = fail(r, "read", s);
    else
        r->status = ssh_channel_get_exit_status(ch);
    r->t_exec = now_ms() - t;
    ssh_channel_close(ch);
    ssh_channel_free(ch);
    return rc;
}

static int connect_auth(struct host_run *r, ssh_session s)
{
    int one = 1, no = 0;
    ssh_options_set(s, SSH_OPTIONS_HOST, r->host);
    ssh_options_set(s, SSH_OPTIONS_PORT, &opts.port);
    ssh_options_set(s, SSH_OPTIONS_USER, opts.user);
    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, opts.known_hosts);
    ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
    ssh_options_set(s, SSH_OPTIONS_NODELAY, &one);
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);

    double t = now_ms();
    if (ssh_connect(s) != SSH_OK)
        return fail(r, "connect", s);
    r->t_connect = now_ms() - t;

    t = now_ms();
    enum ssh_known_hosts_e known = ssh_session_is_known_server(s);
    r->t_hostkey = now_ms() - t;
    if (known != SSH_KNOWN_HOSTS_OK) {
        snprintf(r->error, sizeof r->error, "host key not in %s (state %d)", opts.known_hosts,
                 (int)known);
        return -1;
    }

    t = now_ms();
    ssh_key key = NULL;
    if (ssh_pki_import_privkey_file(opts.key, NULL, NULL, NULL, &key) != SSH_OK) {
        snprintf(r->error, sizeof r->error, "cannot load key %s", opts.key);
        return -1;
    }
    int rc = ssh_userauth_publickey(s, NULL, key);
    ssh_key_free(key);
    r->t_auth = now_ms() - t;
    if (rc != SSH_AUTH_SUCCESS)
        return fail(r, "auth", s);
    return 0;
}

static void *host_thread(void *arg)
{
    struct host_run *r = arg;
    r->status = -1;
    ssh_session s = ssh_new();
    if (s == NULL) {
        snprintf(r->error, sizeof r->error, "ssh_new failed");
        return NULL;
    }
    if (connect_auth(r, s) == 0 && run_command(r, s) == 0) {
        double t = now_ms();
        ssh_disconnect(s);
        r->t_close = now_ms() - t;
    }
    ssh_free(s);
    return NULL;
}

static void usage(void)
{
    fprintf(stderr, "usage: floor [-i KEY] [-k KNOWN_HOSTS] [-l USER] [-p PORT] [-q] [-t] "
                    "{CMD | -f FILE} HOST...\n");
    exit(2);
}

/* The whole of path, one trailing newline dropped; exits on an error. */
static char *read_command(const char *path)
{
    FILE *f = fopen(path, "r");
    static char buf[65536];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f == NULL || ferror(f) || n == 0 || n == sizeof buf - 1) {
        fprintf(stderr, "floor: cannot read a command from %s\n", path);
        exit(2);
    }
    fclose(f);
    if (buf[n - 1] == '\n')
        n--;
    buf[n] = '\0';
    return buf;
}

int main(int argc, char **argv)
{
    static char key[256], known[256];
    const char *bed = getenv("KC_BED");
    if (bed == NULL || *bed == '\0')
        bed = "2";
    const char *dir = strcmp(bed, "0") == 0 ? "/tmp/kc" : NULL;
    char dirbuf[64];
    if (dir == NULL) {
        snprintf(dirbuf, sizeof dirbuf, "/tmp/kc%s-bed", bed);
        dir = dirbuf;
    }
    snprintf(key, sizeof key, "%s/id_ed25519", dir);
    snprintf(known, sizeof known, "%s/known_hosts", dir);
    opts = (struct floor_opts){key, known, "root", 22, NULL, 0};
    int phases = 0, c;
    while ((c = getopt(argc, argv, "+f:i:k:l:p:qt")) != -1) {
        switch (c) {
        case 'f':
            opts.cmd = read_command(optarg);
            break;
        case 'i':
            opts.key = optarg;
            break;
        case 'k':
            opts.known_hosts = optarg;
            break;
        case 'l':
            opts.user = optarg;
            break;
        case 'p':
            opts.port = atoi(optarg);
            break;
        case 'q':
            opts.quickack = 1;
            break;
        case 't':
            phases = 1;
            break;
        default:
            usage();
        }
    }
    if (opts.cmd == NULL && argc - optind >= 1)
        opts.cmd = argv[optind++];
    if (opts.cmd == NULL || argc - optind < 1)
        usage();
    int n = argc - optind;

    ssh_init();
    struct host_run *runs = calloc((size_t)n, sizeof *runs);
    pthread_t *tids = calloc((size_t)n, sizeof *tids);
    if (runs == NULL || tids == NULL)
        return 1;
    double t0 = now_ms();
    for (int i = 0; i < n; i++) {
        runs[i].host = argv[optind + i];
        int e = pthread_create(&tids[i], NULL, host_thread, &runs[i]);
        if (e != 0) {
            fprintf(stderr, "floor: pthread_create: %s\n", strerror(e));
            return 1;
        }
    }
    for (int i = 0; i < n; i++)
        pthread_join(tids[i], NULL);
    double wall = now_ms() - t0;

    int bad = 0;
    for (int i = 0; i < n; i++) {
        struct host_run *r = &runs[i];
        if (r->error[0]) {
            fprintf(stderr, "floor: %s: %s\n", r->host, r->error);
            bad = 1;
        } else if (r->status != 0) {
            fprintf(stderr, "floor: %s: '%s' exited with status %d\n", r->host, opts.cmd,
                    r->status);
            bad = 1;
        }
        if (phases)
            printf("floor: %-15s connect %6.1f  hostkey %5.1f  auth %6.1f  chan %6.1f  "
                   "exec %6.1f  close %5.1f ms\n",
                   r->host, r->t_connect, r->t_hostkey, r->t_auth, r->t_chan, r->t_exec,
                   r->t_close);
    }
    printf("floor: %d host%s, '%s': %.1f ms\n", n, n == 1 ? "" : "s", opts.cmd, wall);
    free(runs);
    free(tids);
    ssh_finalize();
    return bad;
}
