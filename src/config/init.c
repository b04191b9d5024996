/* init.c - `kamal-c init`: a starting config/deploy.yml, .kamal/secrets and
 * sample hooks. Nothing is ever overwritten: every target is checked first
 * and each file is created with O_EXCL. */
#include "kamal-c/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char deploy_yml[] =
    "# config/deploy.yml - read by kamal-c (and by Kamal 2.12: the format is the same).\n"
    "# Run `kamal-c config` to see how it is understood.\n"
    "\n"
    "# The name of the application: it prefixes every container name.\n"
    "service: my-app\n"
    "\n"
    "# The image to build and push, without the registry server.\n"
    "image: my-user/my-app\n"
    "\n"
    "# Where to run it. A plain list puts every host in the `web` role.\n"
    "servers:\n"
    "  web:\n"
    "    - 192.168.0.1\n"
    "  # workers:\n"
    "  #   hosts:\n"
    "  #     - 192.168.0.2\n"
    "  #   cmd: bin/jobs\n"
    "\n"
    "# kamal-proxy routes requests to the web role; it can also get a Let's Encrypt\n"
    "# certificate when the host below points at a single server.\n"
    "# proxy:\n"
    "#   ssl: true\n"
    "#   host: app.example.com\n"
    "#   app_port: 3000\n"
    "\n"
    "# The registry the hosts pull from (Docker Hub when no server is given).\n"
    "registry:\n"
    "  # server: ghcr.io\n"
    "  username: my-user\n"
    "  # A one-item list names a secret from .kamal/secrets instead of a value.\n"
    "  password:\n"
    "    - KAMAL_REGISTRY_PASSWORD\n"
    "\n"
    "# How the image is built: the architecture(s) of your servers.\n"
    "builder:\n"
    "  arch: amd64\n"
    "\n"
    "# Environment of the app containers: clear values here, secret names from\n"
    "# .kamal/secrets (they travel in an env file, never on a command line).\n"
    "# env:\n"
    "#   clear:\n"
    "#     DB_HOST: 192.168.0.3\n"
    "#   secret:\n"
    "#     - DB_PASSWORD\n"
    "\n"
    "# Shortcuts: `kamal-c shell` runs the command below (extra words are appended).\n"
    "# aliases:\n"
    "#   shell: server exec --interactive \"sh\"\n"
    "\n"
    "# Connect as another user than root.\n"
    "# ssh:\n"
    "#   user: deploy\n"
    "\n"
    "# Services the app depends on, booted with `kamal-c accessory boot NAME`.\n"
    "# Each one runs on exactly one of: host, hosts, role, roles, tag or tags.\n"
    "# accessories:\n"
    "#   db:\n"
    "#     image: mysql:8.0\n"
    "#     host: 192.168.0.3\n"
    "#     # Bind to localhost unless the database must be reachable from outside.\n"
    "#     port: \"127.0.0.1:3306:3306\"\n"
    "#     env:\n"
    "#       clear:\n"
    "#         MYSQL_ROOT_HOST: \"%\"\n"
    "#       secret:\n"
    "#         - MYSQL_ROOT_PASSWORD\n"
    "#     files:\n"
    "#       - config/mysql/my.cnf:/etc/mysql/my.cnf\n"
    "#     directories:\n"
    "#       - data:/var/lib/mysql\n"
    "#   redis:\n"
    "#     image: redis:7.0\n"
    "#     host: 192.168.0.3\n"
    "#     port: \"127.0.0.1:6379:6379\"\n"
    "#     directories:\n"
    "#       - data:/data\n";

static const char secrets_file[] =
    "# .kamal/secrets - the secrets config/deploy.yml refers to by name (registry.password,\n"
    "# env.secret, builder.secrets, accessories.*.env.secret). It is read as dotenv when a\n"
    "# command needs a value. Write where a value comes from, never the value itself, so\n"
    "# that this file can be committed.\n"
    "#\n"
    "# With -d DEST, .kamal/secrets.DEST is read instead (and .kamal/secrets-common always).\n"
    "\n"
    "# From the environment of the machine you deploy from:\n"
    "KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\n"
    "\n"
    "# From a file kept out of git:\n"
    "# DB_PASSWORD=$(cat config/db_password.key)\n";

/* The nine hooks Kamal runs, each with a line on when. */
static const struct {
    const char *name;
    const char *when;
    const char *extra;
} hooks[] = {
    {"pre-connect", "before the first connection to the hosts", "every secret"},
    {"pre-build", "before the image is built", NULL},
    {"pre-deploy", "after the deploy lock is taken, before anything is booted", "every secret"},
    {"post-deploy", "after a deploy, redeploy or rollback", "KAMAL_RUNTIME and every secret"},
    {"pre-app-boot", "before each group of hosts boots the new version", "KAMAL_HOSTS (the group)"},
    {"post-app-boot", "after each group of hosts booted the new version",
     "KAMAL_HOSTS (the group)"},
    {"pre-proxy-reboot", "before kamal-proxy is rebooted on a group of hosts",
     "KAMAL_HOSTS (the group)"},
    {"post-proxy-reboot", "after kamal-proxy was rebooted on a group of hosts",
     "KAMAL_HOSTS (the group)"},
    {"docker-setup", "after Docker was installed by `kamal-c server bootstrap`", NULL},
};

static char *hook_text(size_t i)
{
    struct kc_buf b = KC_BUF_INIT;
    kc_buf_addf(&b, "#!/bin/sh\n\n# %s: runs on this machine %s.\n#\n", hooks[i].name,
                hooks[i].when);
    kc_buf_adds(&b, "# It sees KAMAL_SERVICE, KAMAL_PERFORMER, KAMAL_RECORDED_AT, KAMAL_HOSTS,\n"
                    "# KAMAL_COMMAND, KAMAL_SUBCOMMAND, KAMAL_LOCK and, when set,\n"
                    "# KAMAL_DESTINATION, KAMAL_ROLES and KAMAL_VERSION (--version)");
    if (hooks[i].extra)
        kc_buf_addf(&b, ", plus %s", hooks[i].extra);
    kc_buf_addf(&b,
                ".\n# A non-zero exit stops the command. Remove \".sample\" from the name\n"
                "# to enable it.\n\necho \"%s: $KAMAL_SERVICE ${KAMAL_VERSION:-}\"\n",
                hooks[i].name);
    return kc_buf_detach(&b);
}

struct target {
    char *path; /* relative to dir */
    char *text;
    mode_t mode;
};

static void targets(struct target *t, size_t *n)
{
    *n = 0;
    t[(*n)++] = (struct target){kc_xstrdup("config/deploy.yml"), kc_xstrdup(deploy_yml), 0644};
    t[(*n)++] = (struct target){kc_xstrdup(".kamal/secrets"), kc_xstrdup(secrets_file), 0600};
    for (size_t i = 0; i < KC_ARRAY_LEN(hooks); i++)
        t[(*n)++] = (struct target){kc_xasprintf(".kamal/hooks/%s.sample", hooks[i].name),
                                    hook_text(i), 0755};
}

static char *join(const char *dir, const char *rel)
{
    if (dir == NULL || *dir == '\0' || strcmp(dir, ".") == 0)
        return kc_xstrdup(rel);
    return kc_xasprintf("%s/%s", dir, rel);
}

static int make_dir(const char *path, struct kc_err *err)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST)
        return 0;
    return kc_err_set(err, KC_EIO, "cannot create directory %s: %s", path, strerror(errno));
}

static int write_new(const char *path, const char *text, mode_t mode, struct kc_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return kc_err_set(err, errno == EEXIST ? KC_ECONFIG : KC_EIO, "cannot create %s: %s", path,
                          strerror(errno));
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            return kc_err_set(err, KC_EIO, "cannot write %s: %s", path, strerror(e));
        }
        off += (size_t)w;
    }
    /* the umask may have narrowed the mode: hooks must be executable */
    if (fchmod(fd, mode) != 0 || close(fd) != 0)
        return kc_err_set(err, KC_EIO, "cannot write %s: %s", path, strerror(errno));
    return 0;
}

static int check_absent(const char *dir, const struct target *t, size_t n, struct kc_err *err)
{
    struct stat st;
    for (size_t i = 0; i < n; i++) {
        char *path = join(dir, t[i].path);
        int exists = lstat(path, &st) == 0;
        if (exists)
            kc_err_set(err, KC_ECONFIG, "%s already exists, nothing was written", path);
        free(path);
        if (exists)
            return KC_ECONFIG;
    }
    return 0;
}

static int create_all(const char *dir, const struct target *t, size_t n, struct kc_strvec *created,
                      struct kc_err *err)
{
    static const char *const dirs[] = {"config", ".kamal", ".kamal/hooks"};
    int rc = 0;
    for (size_t i = 0; i < KC_ARRAY_LEN(dirs) && rc == 0; i++) {
        char *path = join(dir, dirs[i]);
        rc = make_dir(path, err);
        free(path);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *path = join(dir, t[i].path);
        if ((rc = write_new(path, t[i].text, t[i].mode, err)) == 0 && created)
            kc_strvec_push(created, t[i].path);
        free(path);
    }
    return rc;
}

int kc_init_project(const char *dir, struct kc_strvec *created, struct kc_err *err)
{
    struct target t[2 + KC_ARRAY_LEN(hooks)];
    size_t n;
    targets(t, &n);
    int rc = check_absent(dir, t, n, err);
    if (rc == 0)
        rc = create_all(dir, t, n, created, err);
    for (size_t i = 0; i < n; i++) {
        free(t[i].path);
        free(t[i].text);
    }
    return rc;
}
