/* complete.c - names a shell completes (kamal-c __complete KIND): read from
 * the raw merged tree of deploy.yml and its destination file, unvalidated
 * (a file being written still completes), and fast: nothing is run, no
 * secret is read, no host is contacted. */
#include "kamal-c/config.h"
#include "kamal-c/docs.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONFIG "config/deploy.yml"

/* ERB's `cmd` and %x(cmd) would run commands at every Tab: they fail. */
static int no_commands(void *ud, const char *command, struct kc_buf *out, struct kc_err *err)
{
    (void)ud;
    (void)out;
    return kc_err_set(err, KC_ECONFIG, "not running '%s' to complete a word", command);
}

static void keys_of(const struct kc_node *map, struct kc_strvec *out)
{
    for (size_t i = 0; map && map->type == KC_NODE_MAP && i < map->npairs; i++)
        kc_strvec_push_unique(out, map->pairs[i].key);
}

/* A servers/hosts list: "h" or {"h": tags} items. */
static void hosts_of_list(const struct kc_node *list, struct kc_strvec *out)
{
    for (size_t i = 0; list && list->type == KC_NODE_SEQ && i < list->n; i++) {
        const struct kc_node *item = list->items[i];
        if (item->type == KC_NODE_SCALAR)
            kc_strvec_push_unique(out, kc_node_text(item));
        else if (item->type == KC_NODE_MAP && item->npairs == 1)
            kc_strvec_push_unique(out, item->pairs[0].key);
    }
}

static void hosts_of(const struct kc_node *root, struct kc_strvec *out)
{
    const struct kc_node *servers = kc_map_get(root, "servers");
    hosts_of_list(servers, out);
    for (size_t i = 0; servers && servers->type == KC_NODE_MAP && i < servers->npairs; i++) {
        const struct kc_node *role = servers->pairs[i].value;
        hosts_of_list(role->type == KC_NODE_MAP ? kc_map_get(role, "hosts") : role, out);
    }
    const struct kc_node *accessories = kc_map_get(root, "accessories");
    for (size_t i = 0; accessories && accessories->type == KC_NODE_MAP && i < accessories->npairs;
         i++) {
        const struct kc_node *acc = accessories->pairs[i].value;
        const char *host = kc_node_is_scalar(kc_map_get(acc, "host"))
                               ? kc_node_text(kc_map_get(acc, "host"))
                               : NULL;
        if (host)
            kc_strvec_push_unique(out, host);
        hosts_of_list(kc_map_get(acc, "hosts"), out);
    }
}

static void roles_of(const struct kc_node *root, struct kc_strvec *out)
{
    const struct kc_node *servers = kc_map_get(root, "servers");
    if (servers && servers->type == KC_NODE_SEQ)
        kc_strvec_push(out, "web"); /* the list form's one role */
    else
        keys_of(servers, out);
}

/* deploy.DEST.yml files next to the configuration file. */
static void destinations_of(const char *config_file, struct kc_strvec *out)
{
    const char *slash = strrchr(config_file, '/');
    char *dir = slash ? kc_xstrndup(config_file, (size_t)(slash - config_file)) : kc_xstrdup(".");
    const char *base = slash ? slash + 1 : config_file;
    const char *dot = strrchr(base, '.');
    char *stem =
        kc_xasprintf("%.*s.", (int)(dot && dot != base ? dot - base : (long)strlen(base)), base);
    DIR *d = opendir(dir);
    struct dirent *e;
    struct kc_strvec found = KC_STRVEC_INIT;
    while (d && (e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        size_t len = strlen(name), sl = strlen(stem);
        if (len > sl + 4 && strncmp(name, stem, sl) == 0 && kc_ends_with(name, ".yml") &&
            memchr(name + sl, '.', len - sl - 4) == NULL)
            kc_strvec_push_nodup(&found, kc_xstrndup(name + sl, len - sl - 4));
    }
    if (d)
        closedir(d);
    /* readdir's order is the file system's: sort for a stable list */
    for (size_t i = 1; i < found.n; i++)
        for (size_t j = i; j > 0 && strcmp(found.v[j - 1], found.v[j]) > 0; j--) {
            char *t = found.v[j];
            found.v[j] = found.v[j - 1];
            found.v[j - 1] = t;
        }
    for (size_t i = 0; i < found.n; i++)
        kc_strvec_push(out, found.v[i]);
    kc_strvec_release(&found);
    free(stem);
    free(dir);
}

void kc_config_names(enum kc_name_kind kind, const char *config_file, const char *destination,
                     struct kc_strvec *out)
{
    if (kind == KC_NAMES_DESTINATIONS) {
        destinations_of(config_file ? config_file : DEFAULT_CONFIG, out);
        return;
    }
    struct kc_config cfg;
    kc_config_init(&cfg);
    struct kc_load_opts lo = {.config_file = config_file,
                              .destination = destination,
                              .skip_validation = true,
                              .run = no_commands};
    struct kc_err err = KC_ERR_INIT;
    if (kc_config_load(&cfg, &lo, &err) == 0) {
        const struct kc_node *root = cfg.tree.root;
        switch (kind) {
        case KC_NAMES_ACCESSORIES:
            keys_of(kc_map_get(root, "accessories"), out);
            break;
        case KC_NAMES_ALIASES:
            keys_of(kc_map_get(root, "aliases"), out);
            break;
        case KC_NAMES_ROLES:
            roles_of(root, out);
            break;
        case KC_NAMES_HOSTS:
            hosts_of(root, out);
            break;
        case KC_NAMES_DESTINATIONS:
            break;
        }
    }
    kc_err_release(&err);
    kc_config_release(&cfg);
}
