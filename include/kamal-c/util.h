/* util.h - memory, strings, growable buffers and string vectors.
 *
 * Ownership vocabulary (after git): *_init prepares a struct without
 * allocating it, *_release frees what it holds (the struct stays usable after
 * a new *_init), *_free frees contents and the struct itself, *_detach hands
 * the owned memory to the caller. Every release and free function accepts NULL.
 *
 * Out-of-memory is fatal through the kc_x* family: callers never check for a
 * NULL return from them. */
#ifndef KAMAL_C_UTIL_H
#define KAMAL_C_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define KC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define KC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *kc_xmalloc(size_t n);
void *kc_xcalloc(size_t n, size_t size);
void *kc_xrealloc(void *p, size_t n);
/* Grows *p (holding *cap elements of size) so that it holds at least need. */
void kc_xgrow(void **p, size_t *cap, size_t need, size_t size);
char *kc_xstrdup(const char *s);
char *kc_xstrndup(const char *s, size_t n);
char *kc_xasprintf(const char *fmt, ...) KC_PRINTF(1, 2);
char *kc_xvasprintf(const char *fmt, va_list ap) KC_PRINTF(1, 0);

/* Growable byte buffer, always NUL-terminated once anything was added.
 * max == 0 means unbounded; otherwise an add past max fails with -1 and the
 * buffer keeps what it had (remote output is capped this way). */
struct kc_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};
#define KC_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

void kc_buf_init(struct kc_buf *b, size_t max);
int kc_buf_add(struct kc_buf *b, const void *data, size_t len);
int kc_buf_adds(struct kc_buf *b, const char *s);
int kc_buf_addc(struct kc_buf *b, char c);
int kc_buf_addf(struct kc_buf *b, const char *fmt, ...) KC_PRINTF(2, 3);
int kc_buf_vaddf(struct kc_buf *b, const char *fmt, va_list ap) KC_PRINTF(2, 0);
/* Returns the contents ("" when empty, never NULL). */
const char *kc_buf_str(const struct kc_buf *b);
void kc_buf_reset(struct kc_buf *b);
void kc_buf_release(struct kc_buf *b);
/* Returns the NUL-terminated contents (never NULL) and resets the buffer. */
char *kc_buf_detach(struct kc_buf *b);
/* Drops trailing whitespace (newlines included). */
void kc_buf_rtrim(struct kc_buf *b);

/* NULL-terminated vector of owned strings. From KC_STRVEC_INDEX_MIN strings
 * on, pushes also keep a hash index, so kc_strvec_index, _contains and
 * _push_unique stay O(1) on the long lists (hosts of a 1000-host fleet); a
 * lookup only reads the index, so const vectors may be searched from several
 * threads. Change a vector only through these functions (kc_strvec_take_all
 * moves, kc_strvec_sort sorts); a vector whose v or n was changed by hand is
 * searched linearly until its next push rebuilds the index. */
struct kc_strvec {
    char **v;
    size_t n;
    size_t cap;
    struct kc_strindex *index; /* owned; NULL below KC_STRVEC_INDEX_MIN */
};
#define KC_STRVEC_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0, NULL                                                                           \
    }
#define KC_STRVEC_INDEX_MIN 16

void kc_strvec_push(struct kc_strvec *sv, const char *s);
void kc_strvec_pushf(struct kc_strvec *sv, const char *fmt, ...) KC_PRINTF(2, 3);
void kc_strvec_push_nodup(struct kc_strvec *sv, char *s);
/* Appends s unless an equal string is present; returns true when added. */
bool kc_strvec_push_unique(struct kc_strvec *sv, const char *s);
bool kc_strvec_contains(const struct kc_strvec *sv, const char *s);
ssize_t kc_strvec_index(const struct kc_strvec *sv, const char *s);
void kc_strvec_copy(struct kc_strvec *dst, const struct kc_strvec *src);
/* Moves every string of src to the end of dst; src is left empty. */
void kc_strvec_take_all(struct kc_strvec *dst, struct kc_strvec *src);
/* Sorts in place with qsort's cmp (on char * const *). */
void kc_strvec_sort(struct kc_strvec *sv, int (*cmp)(const void *, const void *));
void kc_strvec_release(struct kc_strvec *sv);
/* Joins with sep into a new string ("" for an empty vector). */
char *kc_strvec_join(const struct kc_strvec *sv, const char *sep);
/* Splits s on any character of seps, dropping empty fields and trimming
 * blanks around each field. */
void kc_strvec_split(struct kc_strvec *sv, const char *s, const char *seps);

/* An ordered list of key/value string pairs (env, labels, options). */
struct kc_kv {
    char *key;
    char *value;
};
struct kc_kvlist {
    struct kc_kv *v;
    size_t n;
    size_t cap;
};
#define KC_KVLIST_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Sets key to value; an existing key keeps its position and gets the value. */
void kc_kvlist_set(struct kc_kvlist *l, const char *key, const char *value);
const char *kc_kvlist_get(const struct kc_kvlist *l, const char *key);
void kc_kvlist_copy(struct kc_kvlist *dst, const struct kc_kvlist *src);
void kc_kvlist_release(struct kc_kvlist *l);

/* Small string helpers. */
bool kc_streq(const char *a, const char *b); /* NULL-safe */
/* strcmp with runs of digits compared as numbers: "10.0.0.9" < "10.0.0.10",
 * "web-2" < "web-10". */
int kc_natural_cmp(const char *a, const char *b);
/* kc_natural_cmp for qsort and kc_strvec_sort over char * elements. */
int kc_natural_cmp_ptr(const void *a, const void *b);
bool kc_starts_with(const char *s, const char *prefix);
bool kc_ends_with(const char *s, const char *suffix);
/* Levenshtein distance, for "did you mean" suggestions. */
size_t kc_edit_distance(const char *a, const char *b);
/* Returns the candidate nearest to word, or NULL when none is close enough. */
const char *kc_nearest(const char *word, const char *const *candidates, size_t n);
/* Parses a whole decimal integer (optional sign); false on anything else. */
bool kc_parse_long(const char *s, long *out);

/* Compare dotted versions ("2.12.0" vs "2.9"): <0, 0, >0. Numeric segments
 * compare as numbers; a segment with letters (a pre-release) sorts before a
 * number, as Gem::Version does. */
int kc_version_compare(const char *a, const char *b);

/* Shell-style glob as Ruby's File.fnmatch with FNM_EXTGLOB: *, ?, [..] and
 * {a,b} alternatives (nesting allowed). */
bool kc_glob_match(const char *pattern, const char *s);

/* Splits s into words as a POSIX shell would split a simple command, with
 * quotes ('...', "...") and backslashes honoured but nothing expanded, as
 * Ruby's Shellwords.split does. Returns -1 on an unmatched quote. */
int kc_shell_split(const char *s, struct kc_strvec *out);

/* Hashing and encoding (self-contained, no crypto library needed). */
void kc_sha256(const void *data, size_t len, unsigned char out[32]);
/* Lowercase hex of sha256(data): 64 chars + NUL. */
void kc_sha256_hex(const void *data, size_t len, char out[65]);
/* MIME base64 as Ruby's Base64.encode64: lines of 60 chars, each ending in \n. */
char *kc_base64_mime(const void *data, size_t len);
/* Decodes base64 (standard or URL alphabet, padding and line breaks allowed)
 * into out (NUL-terminated). -1 on any other character. */
int kc_base64_decode(const char *s, struct kc_buf *out);

/* Reads a whole file; returns 0, or -1 with errno set. Caps at max bytes
 * (0 = unbounded), failing with EFBIG past it. */
int kc_read_file(const char *path, size_t max, struct kc_buf *out);

/* Monotonic seconds, for durations. */
double kc_now(void);
/* UTC time as ISO 8601 ("2026-11-26T11:29:44Z"), as Kamal stamps audit lines. */
void kc_utc_iso8601(char out[32]);

/* ---- lines.c ---- */

/* Splits a byte stream into lines (without the \n; with strip_cr also without
 * a \r before it). Lines longer than max are handed over in max-byte pieces. */
struct kc_lines {
    struct kc_buf buf;
    bool strip_cr;
    size_t max;
};
typedef int (*kc_lines_cb)(void *ud, const char *line, size_t len);
void kc_lines_init(struct kc_lines *l, bool strip_cr, size_t max);
/* Returns the first non-zero cb result (remaining data is kept). */
int kc_lines_feed(struct kc_lines *l, const char *data, size_t len, kc_lines_cb cb, void *ud);
/* Hands over a last line without \n, if any. */
int kc_lines_flush(struct kc_lines *l, kc_lines_cb cb, void *ud);
void kc_lines_release(struct kc_lines *l);

#endif
