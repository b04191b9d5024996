/* docs.h - what kamal-c says about its own configuration: the `kamal-c docs`
 * sections (annotated deploy.yml fragments in src/config/docs/, embedded at
 * build time), the schema's keys per section (for the sections' key lists
 * and the kamal-c-deploy.yml(5) man page), and the names a shell completes
 * from a deploy.yml.
 *
 * The schema table (src/config/schema.c) says which section describes each
 * shape (struct kc_schema.doc); this file only reads it. */
#ifndef KAMAL_C_DOCS_H
#define KAMAL_C_DOCS_H

#include "err.h"
#include "util.h"

/* ---- sections ---------------------------------------------------------- */

/* The section names, sorted, NULL-terminated (the overview is not one). */
const char *const *kc_docs_sections(void);
/* The text of a section (NULL: the overview); NULL when there is none. */
const char *kc_docs_text(const char *section);
/* Appends what `kamal-c docs [SECTION]` prints: the text, then the keys
 * of the section as YAML comments, so the whole stays valid YAML.
 * KC_EUSAGE (with the list of sections as the hint) for an unknown name. */
int kc_docs_render(const char *section, struct kc_buf *out, struct kc_err *err);
/* "accessory, alias, boot, ..." */
char *kc_docs_section_list(void);

/* ---- the schema, key by key -------------------------------------------- */

struct kc_schema_key {
    const char *path;           /* full dotted path: "proxy.healthcheck.path",
                                   "servers.<role>.cmd", "accessories.<name>.files[].mode" */
    int depth;                  /* 0 for the section's own key */
    const char *type;           /* "string", "integer", "string or list of strings", ... */
    const char *dflt;           /* the default as text, NULL when none */
    const char *const *choices; /* allowed values (NULL-terminated), or NULL */
    bool required;
    bool ignored; /* accepted and never used */
    /* the section that describes the keys below this one (they are not
     * walked here), or NULL */
    const char *see;
};
typedef void (*kc_schema_key_fn)(void *ud, const struct kc_schema_key *key);

/* Calls fn for the section's key, then every key under it, in table order
 * (section NULL: the top-level keys). Returns -1 for an unknown section. */
int kc_schema_section_keys(const char *section, kc_schema_key_fn fn, void *ud);
/* Whether a dotted path names a key deploy.yml may have: "*" for any free
 * name (an accessory, a role), items of a list are walked through, and
 * anything goes below a mapping without known keys (env values). */
bool kc_schema_has_key(const char *path);

/* ---- names for shell completion ----------------------------------------- */

enum kc_name_kind {
    KC_NAMES_ACCESSORIES,
    KC_NAMES_ROLES,
    KC_NAMES_HOSTS,
    KC_NAMES_DESTINATIONS,
    KC_NAMES_ALIASES,
};

/* Appends the names of kind found in config_file (NULL: config/deploy.yml)
 * merged with its destination file, without validating it and without
 * running anything (ERB commands fail, secrets are never read): a file that
 * cannot be read gives no names. Destinations are the deploy.DEST.yml files
 * next to config_file. */
void kc_config_names(enum kc_name_kind kind, const char *config_file, const char *destination,
                     struct kc_strvec *out);

#endif
