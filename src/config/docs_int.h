/* docs_int.h - internal to src/config: the `kamal-c docs` texts, embedded
 * from src/config/docs/NAME.yml at build time (cmake/embed.cmake). */
#ifndef KAMAL_C_CONFIG_DOCS_INT_H
#define KAMAL_C_CONFIG_DOCS_INT_H

/* {name, text} pairs sorted by name (a section, or "overview"), then {0, 0}. */
extern const char *const kc_docs_files[][2];
/* The section names (all but the overview), NULL-terminated. */
extern const char *const kc_docs_names[];

#endif
