/* empty.c - keeps a layer library linkable before it has sources. */
typedef int kc_empty_translation_unit;
