/* docs.c - `kamal-c docs [SECTION]`: the section texts (embedded from
 * src/config/docs/NAME.yml) followed by the section's keys, as the schema
 * table has them, in YAML comments. */
#include "docs_int.h"
#include "kamal-c/docs.h"

#include <stdlib.h>
#include <string.h>

#define OVERVIEW "overview"

const char *const *kc_docs_sections(void)
{
    return kc_docs_names;
}

const char *kc_docs_text(const char *section)
{
    const char *name = section ? section : OVERVIEW;
    for (size_t i = 0; kc_docs_files[i][0]; i++)
        if (strcmp(kc_docs_files[i][0], name) == 0)
            return kc_docs_files[i][1];
    return NULL;
}

char *kc_docs_section_list(void)
{
    struct kc_buf b = KC_BUF_INIT;
    for (const char *const *s = kc_docs_sections(); *s; s++)
        kc_buf_addf(&b, "%s%s", b.len ? ", " : "", *s);
    return kc_buf_detach(&b);
}

/* ---- the key list ------------------------------------------------------- */

struct key_rows {
    struct kc_strvec paths, notes;
    size_t width;
};

/* "integer, default 80", "string: gha or registry", "see `kamal-c docs role`" */
static char *key_note(const struct kc_schema_key *k)
{
    struct kc_buf b = KC_BUF_INIT;
    if (k->see) {
        kc_buf_addf(&b, "%s: see `kamal-c docs %s`", k->type, k->see);
        return kc_buf_detach(&b);
    }
    kc_buf_adds(&b, k->type);
    for (size_t i = 0; k->choices && k->choices[i]; i++)
        kc_buf_addf(&b, "%s%s", i == 0 ? ": " : k->choices[i + 1] ? ", " : " or ", k->choices[i]);
    if (k->required)
        kc_buf_adds(&b, ", required");
    if (k->dflt)
        kc_buf_addf(&b, ", default %s", *k->dflt ? k->dflt : "\"\"");
    if (k->ignored)
        kc_buf_adds(&b, ", accepted and ignored");
    return kc_buf_detach(&b);
}

static void add_row(void *ud, const struct kc_schema_key *k)
{
    struct key_rows *rows = ud;
    kc_strvec_push(&rows->paths, k->path);
    kc_strvec_push_nodup(&rows->notes, key_note(k));
    size_t len = strlen(k->path);
    rows->width = len > rows->width ? len : rows->width;
}

static void render_keys(const char *section, struct kc_buf *out)
{
    struct key_rows rows = {KC_STRVEC_INIT, KC_STRVEC_INIT, 0};
    kc_schema_section_keys(section, add_row, &rows);
    if (rows.paths.n)
        kc_buf_adds(out, "\n# The keys, as kamal-c checks them:\n");
    for (size_t i = 0; i < rows.paths.n; i++)
        kc_buf_addf(out, "#   %-*s  %s\n", (int)rows.width, rows.paths.v[i], rows.notes.v[i]);
    kc_strvec_release(&rows.paths);
    kc_strvec_release(&rows.notes);
}

int kc_docs_render(const char *section, struct kc_buf *out, struct kc_err *err)
{
    const char *text = section && strcmp(section, OVERVIEW) == 0 ? NULL : kc_docs_text(section);
    if (text == NULL) {
        char *list = kc_docs_section_list();
        const char *const *names = kc_docs_sections();
        size_t n = 0;
        while (names[n])
            n++;
        const char *near = kc_nearest(section, names, n);
        kc_err_set(err, KC_EUSAGE, "no documentation section '%s'", section);
        if (near)
            kc_err_set_hint(err, "did you mean '%s'? The sections: %s", near, list);
        else
            kc_err_set_hint(err, "the sections: %s (none: the overview)", list);
        free(list);
        return KC_EUSAGE;
    }
    kc_buf_adds(out, text);
    render_keys(section, out);
    return 0;
}
