/* prune.c - the commands `prune` and `rollback` run (Kamal §4.10, §5.2).
 * Kamal prunes with shell pipelines; kamal-c lists once, decides in C, and
 * removes by exact IDs and tags. */
#include "kamal-c/commands_build.h"
#include "kamal-c/commands_deploy.h"

#include <stdlib.h>
#include <string.h>

void kc_cmd_prune_probe(struct kc_cmd *c, const struct kc_config *cfg)
{
    kc_cmd_args(c, "docker", "ps", "--all", "--no-trunc", "--format",
                "C|{{.ID}}|{{.State}}|{{.Image}}|svc={{.Label \"service\"}}", NULL);
    kc_cmd_op(c, "&&");
    kc_cmd_args(c, "docker", "image", "ls", "--no-trunc", "--filter", NULL);
    kc_cmd_argf(c, "label=service=%s", cfg->service);
    kc_cmd_args(c, "--format", "I|{{.ID}}|{{.Repository}}:{{.Tag}}", NULL);
}

void kc_cmd_prune_containers(struct kc_cmd *c, const struct kc_strvec *ids)
{
    kc_cmd_args(c, "docker", "rm", NULL);
    for (size_t i = 0; i < ids->n; i++)
        kc_cmd_arg(c, ids->v[i]);
}

void kc_cmd_prune_images(struct kc_cmd *c, const struct kc_strvec *refs)
{
    kc_cmd_args(c, "docker", "rmi", NULL);
    for (size_t i = 0; i < refs->n; i++)
        kc_cmd_arg(c, refs->v[i]);
}

void kc_cmd_rollback_probe(struct kc_cmd *c, const struct kc_config *cfg)
{
    kc_cmd_args(c, "docker", "container", "ls", "--all", "--filter", NULL);
    kc_cmd_argf(c, "label=service=%s", cfg->service);
    kc_cmd_arg(c, "--filter");
    kc_cmd_argf(c, "label=destination=%s", cfg->destination ? cfg->destination : "");
    kc_cmd_args(c, "--format", "{{.Names}}|{{.State}}", NULL);
}

/* "A|B|C" -> fields (empty ones kept as ""). */
static void fields(const char *line, struct kc_strvec *out)
{
    for (const char *p = line;;) {
        size_t n = strcspn(p, "|");
        kc_strvec_push_nodup(out, kc_xstrndup(p, n));
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
}

static bool stopped(const char *state)
{
    return kc_streq(state, "exited") || kc_streq(state, "created") || kc_streq(state, "dead");
}

void kc_prune_decide(const struct kc_config *cfg, const char *listing, bool keep_containers,
                     bool keep_images, long retain, struct kc_strvec *rm_containers,
                     struct kc_strvec *rm_images)
{
    struct kc_strvec lines = KC_STRVEC_INIT, in_use = KC_STRVEC_INIT;
    kc_strvec_split(&lines, listing, "\n");
    char *svc = kc_xasprintf("svc=%s", cfg->service);
    long kept = 0;
    for (size_t i = 0; i < lines.n; i++) {
        struct kc_strvec f = KC_STRVEC_INIT;
        fields(lines.v[i], &f);
        if (f.n >= 5 && kc_streq(f.v[0], "C")) {
            bool ours = kc_streq(f.v[4], svc) && stopped(f.v[2]);
            if (ours && !keep_containers && ++kept > retain)
                kc_strvec_push(rm_containers, f.v[1]);
            else
                kc_strvec_push(&in_use, f.v[3]);
        }
        kc_strvec_release(&f);
    }
    char *latest = kc_config_image(cfg, cfg->latest_tag);
    for (size_t i = 0; !keep_images && i < lines.n; i++) {
        struct kc_strvec f = KC_STRVEC_INIT;
        fields(lines.v[i], &f);
        if (f.n >= 3 && kc_streq(f.v[0], "I") && !kc_streq(f.v[2], latest) &&
            !kc_strvec_contains(&in_use, f.v[1]) && !kc_strvec_contains(&in_use, f.v[2])) {
            bool untagged = strstr(f.v[2], "<none>") != NULL;
            const char *ref = untagged ? f.v[1] : f.v[2];
            if (!kc_strvec_contains(rm_images, ref))
                kc_strvec_push(rm_images, ref);
        }
        kc_strvec_release(&f);
    }
    free(latest);
    free(svc);
    kc_strvec_release(&in_use);
    kc_strvec_release(&lines);
}
