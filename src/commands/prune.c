/* prune.c - the commands `prune` and `rollback` run (Kamal §4.10, §5.2).
 * Kamal prunes with shell pipelines; kamal-c lists once, decides in C, and
 * removes by exact IDs and tags. */
#include "kamal-c/commands_deploy.h"

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
