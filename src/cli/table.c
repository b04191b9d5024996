/* table.c - the root of the command table. Only verbs that work are here. */
#include "verbs.h"

#include <stdlib.h>

static const struct kc_verb *const root_subs[] = {
    &kc_verb_accessory, &kc_verb_audit,    &kc_verb_config, &kc_verb_help,    &kc_verb_init,
    &kc_verb_lock,      &kc_verb_registry, &kc_verb_server, &kc_verb_version, NULL,
};

const struct kc_verb kc_root_verb = {
    .name = "kamal-c",
    .summary = "deploy containers to hosts over SSH",
    .subs = root_subs,
};

const char *const *kc_root_verb_names(void)
{
    static const char *names[KC_ARRAY_LEN(root_subs)];
    for (size_t i = 0; root_subs[i]; i++)
        names[i] = root_subs[i]->name;
    return names;
}
