/* schema.h - internal to src/config: the deploy.yml schema as one table.
 *
 * Every key of Kamal 2.12's deploy.yml is a row (struct kc_field) in a
 * table belonging to the mapping it lives in; every value is described by a
 * struct kc_schema: which node kinds it accepts, the table of a mapping with
 * known keys, the schema of sequence items or of free-form mapping values,
 * allowed values, and a check for what a type alone cannot say (polymorphic
 * shapes, reserved names, cross-key rules inside one mapping).
 *
 * kc_schema_validate walks the tree once and stops at the first problem,
 * reporting "path: what" at the offending node's file:line:col: the key's
 * mark for an unknown key, the value's mark for a wrong type or value.
 * Paths are dotted with [i] for sequence items: accessories.db.files[0]. */
#ifndef KAMAL_C_CONFIG_SCHEMA_H
#define KAMAL_C_CONFIG_SCHEMA_H

#include "kamal-c/err.h"
#include "kamal-c/node.h"

/* Node kinds a value may have (bit set). */
enum kc_stype {
    KC_T_STR = 1u << 0,  /* any scalar: like Kamal, a String key also takes numbers and booleans */
    KC_T_INT = 1u << 1,  /* a plain integer */
    KC_T_BOOL = 1u << 2, /* a plain boolean */
    KC_T_MAP = 1u << 3,  /* a mapping with known keys (fields) */
    KC_T_HASH = 1u << 4, /* a mapping with free keys (values) */
    KC_T_SEQ = 1u << 5,  /* a sequence (items) */
};

enum kc_field_flag {
    KC_F_REQUIRED = 1u << 0, /* missing key is an error */
    KC_F_IGNORED = 1u << 1,  /* accepted and type-checked, never used (run_directory) */
};

struct kc_vctx;
struct kc_schema;

/* A check runs after the type check and after the children were walked.
 * It returns 0 or fills the error through kc_vctx_error. */
typedef int (*kc_schema_check)(struct kc_vctx *vc, const struct kc_node *n);

struct kc_field {
    const char *name;
    const struct kc_schema *schema;
    unsigned flags;
    const char *dflt; /* the default as text, NULL when there is none */
    const char *note; /* a hint for the user when the key is missing */
};

struct kc_schema {
    unsigned types;
    const struct kc_field *fields;  /* KC_T_MAP: {NULL}-terminated */
    const struct kc_schema *items;  /* KC_T_SEQ items (NULL: anything) */
    const struct kc_schema *values; /* KC_T_HASH values (NULL: anything) */
    const char *const *choices;     /* scalars: allowed values, NULL-terminated */
    kc_schema_check check;
    bool extensions; /* keys starting with x- are skipped (root only) */
    /* The `kamal-c docs` section that describes this shape (docs.h), NULL
     * for none of its own. The man page and `docs` list a section's keys
     * from here; a key whose schema names another section refers to it. */
    const char *doc;
};

/* The root of deploy.yml. */
extern const struct kc_schema kc_schema_root;

/* Validates root against the schema. builtins (NULL-terminated) are the
 * built-in command names aliases may not take. file names the base file for
 * errors about an empty document. Returns 0 or KC_ECONFIG. */
int kc_schema_validate(const struct kc_node *root, const char *file, const char *const *builtins,
                       struct kc_err *err);

/* The default of a key, by dotted path through the field tables; "*" stands
 * for the name under a free-form mapping ("accessories.*.network").
 * NULL when the key has no default or does not exist. */
const char *kc_schema_default(const char *path);

/* For checks: report "path: message" at mark; path is the current path
 * with an optional extra key appended (NULL for none). */
int kc_vctx_error(struct kc_vctx *vc, const struct kc_mark *mark, const char *key, const char *fmt,
                  ...) KC_PRINTF(4, 5);
/* Where to report a problem with a whole mapping: the key that holds it
 * (servers.web -> "web:"), else the node itself. */
const struct kc_mark *kc_vctx_where(const struct kc_vctx *vc, const struct kc_node *n);

#endif
