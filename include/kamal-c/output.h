/* output.h - everything the user sees goes through one sink.
 *
 * Verbs report events (a message, a per-host result, a traced command, a
 * planned command under --dry-run, a block of host output); the sink renders
 * them as human text (host-prefixed lines, colour only on a TTY and never with
 * NO_COLOR, -q and -v honoured, a closing "Finished in N.N s") or collects
 * them into one JSON document (--format json) printed at the end. On a
 * terminal the text also gets a live view: one redrawn line per busy host
 * (kc_out_step, kc_out_progress), gone when the host's result is printed.
 * Each rendering is a target (src/output/target_*.c), picked by kc_out_init.
 *
 * Every string is scrubbed of registered secret values before it is printed
 * or stored, as a last line of defence: commands carry secrets as marked
 * tokens already, so this only catches what slipped through (a remote error
 * message echoing a value, say). The sink is thread-safe: worker threads for
 * several hosts report into it at once. */
#ifndef KAMAL_C_OUTPUT_H
#define KAMAL_C_OUTPUT_H

#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "err.h"
#include "util.h"

enum kc_format { KC_FMT_TEXT, KC_FMT_JSON };
enum kc_level { KC_LVL_ERROR, KC_LVL_WARN, KC_LVL_INFO, KC_LVL_DEBUG };

struct kc_out_host;   /* per-host record */
struct kc_out_target; /* text, json or live (src/output/target.h) */
struct kc_out_live;   /* the live target's state */

struct kc_out {
    enum kc_format format;
    int verbosity;  /* -1 quiet (-q), 0 default, 1 verbose (-v) */
    bool color;     /* stdout is a terminal (and NO_COLOR unset) */
    bool color_err; /* the same for stderr */
    bool own_json;  /* the verb printed its own JSON document: no run document */
    FILE *out;      /* results */
    FILE *err;      /* errors, warnings, traces */
    pthread_mutex_t mu;
    double t0;
    char *command; /* "accessory boot", for JSON */
    struct kc_strvec secrets;
    struct kc_out_host *hosts; /* in order of first report */
    size_t nhosts, caphosts;
    struct kc_strvec host_names; /* hosts[i].host, in the same order: the lookup */
    struct kc_strvec messages; /* JSON: info/warn lines not tied to a host */
    struct kc_out_group *groups; /* outcome -> count and hosts, for the summary */
    size_t ngroups, capgroups;
    bool show_finished;        /* print "Finished in" at the end (text) */
    bool keep_headers;         /* -q keeps block headers (details, audit of several hosts) */
    const struct kc_out_target *target; /* chosen by kc_out_init */
    struct kc_out_live *live;           /* the live target's lines, NULL otherwise */
    volatile sig_atomic_t live_lines;   /* live lines on the terminal now (for a signal) */
};

/* The target: JSON for KC_FMT_JSON; else the live view when out is a
 * terminal, NO_COLOR is unset or empty, TERM is not "dumb" and not -q; else
 * text. */
void kc_out_init(struct kc_out *o, enum kc_format format, int verbosity, FILE *out, FILE *err);
void kc_out_release(struct kc_out *o);
void kc_out_set_command(struct kc_out *o, const char *command);
/* Never print this value; shows "[REDACTED]" instead. Values shorter than 3
 * bytes are ignored (they would blank ordinary text). */
void kc_out_add_secret(struct kc_out *o, const char *value);
/* s with every registered secret value replaced by "[REDACTED]", for text
 * that leaves kamal-c another way (audit lines). Caller frees. */
char *kc_out_redact(struct kc_out *o, const char *s);

/* Results: with -q only problems (drift, failed, unreachable, interrupted)
 * are printed; the summary line always is. */

/* A human message. host may be NULL. ERROR and WARN go to stderr; INFO to
 * stdout (not with -q); DEBUG only with -v (stderr). */
void kc_out_msg(struct kc_out *o, enum kc_level lvl, const char *host, const char *fmt, ...)
    KC_PRINTF(4, 5);
/* -v: the command about to run on host (display rendering), and its output. */
void kc_out_trace_cmd(struct kc_out *o, const char *host, const char *cmdline);
void kc_out_trace_output(struct kc_out *o, const char *host, const char *text, bool is_stderr);
/* --dry-run: a mutation that would run (or "would write ..." for uploads). */
void kc_out_planned(struct kc_out *o, const char *host, const char *what);
/* The outcome for one subject on one host ("db" booted: "docker run"). */
void kc_out_result(struct kc_out *o, const char *host, const char *subject, const char *outcome,
                   const char *detail);
/* A block of output from a host (server exec, details, logs): a header line
 * "<label> <host>:" then the text (with -q no header unless keep_headers), or
 * JSON output. */
void kc_out_block(struct kc_out *o, const char *label, const char *host, const char *text);
/* One streamed line from a host (logs -f), prefixed with the host. */
void kc_out_line(struct kc_out *o, const char *host, const char *line);
/* Record a host-level failure (unreachable, failed step) for the summary and
 * JSON; also printed as an error line in text mode. */
void kc_out_host_error(struct kc_out *o, const char *host, const struct kc_err *err);
/* Plain data to stdout as is (version, config dump). In JSON mode a verb
 * that passes its own JSON document (is_json) prints it instead of the run
 * document; other text is kept under "messages". */
void kc_out_data(struct kc_out *o, const char *text, bool is_json);
/* As kc_out_data, but NOT redacted: only for the `secrets` verbs, whose job is
 * to show secret values (fetch, extract, print). In JSON mode text must be
 * the verb's own JSON document. */
void kc_out_reveal(struct kc_out *o, const char *text, bool is_json);

/* `help`: the text, in every format (help has no JSON form). */
void kc_out_help(struct kc_out *o, const char *text);
/* `version`: "kamal-c VERSION (Kamal COMPAT configuration)", or its JSON
 * object (the verb's own document). */
void kc_out_version(struct kc_out *o, const char *version, const char *compat);
/* A document with a text and a JSON rendering (`config`): the target asks
 * for the one it prints; the JSON one is the verb's own document. */
struct kc_out_doc {
    void (*text)(const void *ud, struct kc_buf *out);
    void (*json)(const void *ud, struct kc_buf *out);
    const void *ud;
};
void kc_out_doc(struct kc_out *o, const struct kc_out_doc *doc);

/* Live progress, for the live view on a terminal; a no-op in the text and
 * JSON targets. kc_out_step: host is now doing step ("pull IMAGE"), which
 * replaces its previous step and progress; kc_out_progress: the current
 * step's progress ("2/5 layers"), NULL to clear. A host's live line goes when
 * a result or an error of the host is printed, and comes back with its next
 * step; kc_out_finish removes them all before the summary, so the terminal
 * ends with exactly the text target's lines. */
void kc_out_step(struct kc_out *o, const char *host, const char *step);
void kc_out_progress(struct kc_out *o, const char *host, const char *progress);
/* Whether the live target is in use. */
bool kc_out_is_live(const struct kc_out *o);
/* Async-signal-safe: erases the live lines and shows the cursor, for a
 * signal handler about to end the process (a second Ctrl-C). */
void kc_out_signal_reset(struct kc_out *o);

/* The top-level error, printed once (text: "kamal-c: error: ..." plus the
 * hint, the command and the remote stderr where known). */
void kc_out_error(struct kc_out *o, const struct kc_err *err);
/* Closing: text prints the summary when results were reported or a host
 * failed, else "Finished in N.N s" when show_finished. The summary counts
 * the results by outcome and names the hosts of the outcomes someone has to
 * act on, at most KC_OUT_NAMED of them each: "100 hosts: 197 unchanged, 3
 * failed: h1, h2, h3 (1.2 s)"; a host that failed without a result counts
 * under its error ("failed", "unreachable"), and without any results the
 * others count as "ok". JSON prints the document, whose "outcomes" lists
 * every host of every outcome. Returns exit_code, or 1 when stdout could not
 * be written (ENOSPC, EIO; a closed pipe is ignored). */
#define KC_OUT_NAMED 10
int kc_out_finish(struct kc_out *o, int exit_code, const struct kc_err *err);

#endif
