/* table.c - the root of the command table. Only verbs that work are here. */
#include "verbs.h"

#include <stdlib.h>
#include <string.h>

static const struct kc_verb *const root_subs[] = {
    &kc_verb_accessory, &kc_verb_audit, &kc_verb_config,   &kc_verb_help,
    &kc_verb_init,      &kc_verb_lock,  &kc_verb_registry, &kc_verb_secrets, &kc_verb_server,
    &kc_verb_version,   &kc_verb_docs,  &kc_verb_man,      &kc_verb_completion,
    &kc_verb_complete,  &kc_verb_build, &kc_verb_proxy, &kc_verb_app,
    &kc_verb_deploy, &kc_verb_redeploy, &kc_verb_setup, &kc_verb_rollback, &kc_verb_prune,
    &kc_verb_remove, &kc_verb_details, NULL,
};

const struct kc_verb kc_root_verb = {
    .name = "kamal-c",
    .summary = "deploy containers to hosts over SSH",
    .subs = root_subs,
};

/* Kamal 2.12 commands (reference §1) that kamal-c does not have yet. Asking
 * for one says so (exit 2) instead of "unknown command". Remove a name here
 * when its verb lands in the table above. */
static const char *const kamal_pending[] = {
    "upgrade",
    "accessory upgrade",
    "accessory pull_image",
    "accessory remove_container",
    "accessory remove_image",
    "accessory remove_service_directory",
    "registry setup",
    "registry remove",
    NULL,
};

bool kc_kamal_pending(const char *group, const char *word)
{
    for (size_t i = 0; kamal_pending[i]; i++) {
        const char *name = kamal_pending[i];
        if (group) {
            size_t gl = strlen(group);
            if (strncmp(name, group, gl) == 0 && name[gl] == ' ' &&
                strcmp(name + gl + 1, word) == 0)
                return true;
        } else if (strcmp(name, word) == 0) {
            return true;
        }
    }
    return false;
}

const char *const *kc_root_verb_names(void)
{
    static const char *names[KC_ARRAY_LEN(root_subs)];
    for (size_t i = 0; root_subs[i]; i++)
        names[i] = root_subs[i]->name;
    return names;
}
