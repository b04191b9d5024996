/* man.c - the manual pages, generated from the command table and the
 * schema table at build time (`kamal-c __man 1|5`, CMakeLists.txt):
 * kamal-c(1) lists every visible verb with its usage, summary, help text
 * and options; kamal-c-deploy.yml(5) every configuration key with its
 * type and default, and each `kamal-c docs` section's text. */
#include "kamal-c/cli.h"
#include "kamal-c/docs.h"
#include "parse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAN_FOOTER "kamal-c " KC_VERSION

/* ---- roff ---------------------------------------------------------------- */

/* Text for a roff line: backslashes, dashes and quotes escaped so that
 * what a reader copies is what they type; a line starting with . or ' is
 * shielded with \&. */
static void roff(struct kc_buf *b, const char *s)
{
    bool line_start = b->len == 0 || b->data[b->len - 1] == '\n';
    for (; *s; s++) {
        if (line_start && (*s == '.' || *s == '\''))
            kc_buf_adds(b, "\\&");
        line_start = *s == '\n';
        switch (*s) {
        case '\\':
            kc_buf_adds(b, "\\e");
            break;
        case '-':
            kc_buf_adds(b, "\\-");
            break;
        case '\'':
            kc_buf_adds(b, "\\(aq");
            break;
        case '`':
            kc_buf_adds(b, "\\(ga");
            break;
        default:
            kc_buf_addc(b, *s);
        }
    }
}

static void roff_line(struct kc_buf *b, const char *s)
{
    roff(b, s);
    kc_buf_addc(b, '\n');
}

static void roff_n(struct kc_buf *b, const char *s, size_t n)
{
    char *part = kc_xstrndup(s, n);
    roff(b, part);
    free(part);
}

/* Help text as the table writes it for a terminal: lines joined into
 * paragraphs (a blank line ends one), lines indented by two spaces kept
 * as they are (examples). */
static void roff_paragraphs(struct kc_buf *b, const char *text)
{
    bool verbatim = false, first = true;
    while (*text) {
        size_t len = strcspn(text, "\n");
        bool indented = strncmp(text, "  ", 2) == 0;
        bool blank = len == 0;
        if (verbatim && !indented) {
            kc_buf_adds(b, ".fi\n.RE\n");
            verbatim = false;
        }
        if (blank) {
            if (!first)
                kc_buf_adds(b, ".PP\n");
        } else if (indented) {
            if (!verbatim)
                kc_buf_adds(b, ".RS 4\n.nf\n");
            verbatim = true;
            roff_n(b, text + 2, len - 2);
            kc_buf_addc(b, '\n');
        } else {
            roff_n(b, text, len);
            kc_buf_addc(b, '\n');
        }
        first = false;
        text += len + (text[len] == '\n');
    }
    if (verbatim)
        kc_buf_adds(b, ".fi\n.RE\n");
}

static void roff_verbatim(struct kc_buf *b, const char *text)
{
    kc_buf_adds(b, ".PP\n.RS 4\n.nf\n");
    roff(b, text);
    if (b->len && b->data[b->len - 1] != '\n')
        kc_buf_addc(b, '\n');
    kc_buf_adds(b, ".fi\n.RE\n");
}

/* A usage like "NAME|all" or "[COMMAND [SUBCOMMAND]]": placeholders in
 * italics, the rest as written. */
static void roff_usage(struct kc_buf *b, const char *usage)
{
    const char *s = usage;
    while (*s) {
        size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
        if (n > 0 && !islower((unsigned char)s[n])) {
            kc_buf_adds(b, "\\fI");
            roff_n(b, s, n);
            kc_buf_adds(b, "\\fR");
            s += n;
            continue;
        }
        n = n ? n : 1;
        roff_n(b, s, n);
        s += n;
    }
}

static void th(struct kc_buf *b, const char *title, int section)
{
    kc_buf_adds(b, ".\\\" Generated from kamal-c's tables by 'kamal-c __man'; do not edit.\n");
    kc_buf_addf(b, ".TH %s %d \"\" \"%s\" \"kamal-c manual\"\n", title, section, MAN_FOOTER);
    kc_buf_adds(b, ".nh\n.ad l\n");
}

/* ---- kamal-c(1) ---------------------------------------------------------- */

/* Variables kamal-c reads. tests/checks/manual.sh fails when the code reads
 * one that is not here. */
static const struct {
    const char *name, *meaning;
} environment[] = {
    {"NO_COLOR", "Any value but the empty one turns colours and the live view off."},
    {"TERM", "dumb turns colours and the live view off. It is also the terminal type asked for "
             "on the host by exec -i."},
    {"KAMAL_LOCK", "true means a parent run holds the deploy lock (a hook that calls kamal-c): "
                   "this run takes and releases no lock."},
    {"VERSION", "The app version when --version is not given (then git rev-parse HEAD for "
                "build, the latest tag for the app verbs), and the version in the lock's "
                "details."},
    {"TMPDIR", "Where build keeps its clean clones (TMPDIR/kamal-clones; /tmp when unset)."},
    {"KAMAL_C_NO_BUILDX", "Any value: build acts as if this machine's docker had no buildx "
                          "(docker build and docker push)."},
    {"KAMAL_C_CONNECT_TIMEOUT",
     "Seconds allowed for connecting to a host and logging in (1 to 86399; 10 when unset)."},
    {"KAMAL_C_KEEPALIVE",
     "Seconds a connection may stay silent before a keepalive is sent (1 to 86399; 30 when "
     "unset)."},
    {"KAMAL_C_CONFIRM_MS", "Milliseconds a container that was just started must keep running "
                           "to count as started (1000 when unset)."},
    {"DOTENV_LINEBREAK_MODE", "legacy turns \\n in a double-quoted secret into a newline."},
    {"HOME", "Where ~/.ssh is when the password database names no home directory."},
    {"SSH_AUTH_SOCK", "The SSH agent to ask for keys."},
    {"DOCKER_HOST", "Passed on to the docker commands kamal-c runs on this machine (registry "
                    "login and logout)."},
    {"DOCKER_CONFIG", "Likewise: where those docker commands keep the registry credentials."},
    {"KAMAL_DESTINATION", "Set by kamal-c to the -d destination (and unset without one) before "
                          "ERB runs, so ERB, secrets files and hooks can read it."},
    {"KAMAL_VERSION", "Set by kamal-c to the --version value before ERB runs."},
    {"DOPPLER_TOKEN", "secrets fetch --adapter doppler: a service token set here skips the "
                      "doppler login check, as in Kamal."},
};

static const struct {
    const char *path, *meaning;
} files[] = {
    {"config/deploy.yml", "The configuration (-c to name another); see kamal-c-deploy.yml(5)."},
    {"config/deploy.DEST.yml", "Merged over it with -d DEST."},
    {".kamal/secrets-common", "Secret values, read first, and only when a command needs one."},
    {".kamal/secrets", "Secret values without -d; a value here wins over secrets-common."},
    {".kamal/secrets.DEST", "Secret values with -d DEST, read instead of .kamal/secrets."},
    {".kamal/hooks/NAME", "Hooks (pre-connect, docker-setup): programs run on this machine."},
    {"~/.ssh/config", "SSH settings: Host and Match blocks, HostName, User, Port, IdentityFile, "
                      "ProxyJump, known hosts files."},
    {"~/.ssh/known_hosts", "Host keys: a new host's key is recorded, a changed one refused."},
};

static const char description[] =
    "kamal-c puts Docker containers onto plain Linux hosts over SSH. It reads the "
    "config/deploy.yml of Kamal 2.12 (see kamal-c-deploy.yml(5)), so one file serves both "
    "tools, and checks all of it before it contacts any host.\n"
    "\n"
    "Every command is safe to run again: what already matches the configuration is left alone "
    "and reported as unchanged. The deploy lock is taken only when something must change. "
    "Global options may come before or after the command. --dry-run on any command probes the "
    "hosts for real, prints the commands that would run on each, and changes nothing.\n"
    "\n"
    "A Kamal command kamal-c does not have yet exits with status 2 and says so. A word that is "
    "no command may be one of the aliases: of deploy.yml.";

static const char examples[] = "  kamal-c init\n"
                               "  kamal-c config\n"
                               "  kamal-c accessory boot all\n"
                               "  kamal-c accessory boot db --dry-run -d staging\n"
                               "  kamal-c accessory boot all --fail-on-drift --format json\n"
                               "  kamal-c accessory exec db 'psql -c \"select 1\"'\n"
                               "  kamal-c accessory logs db -f\n"
                               "  kamal-c server exec -h 'web*' uptime\n"
                               "  kamal-c docs proxy\n";

static void man_option(struct kc_buf *b, const struct kc_opt *o)
{
    kc_buf_adds(b, ".TP\n");
    if (o->sname)
        kc_buf_addf(b, "\\fB\\-%c\\fR, ", o->sname);
    kc_buf_adds(b, "\\fB\\-\\-");
    roff(b, o->lname);
    kc_buf_adds(b, "\\fR");
    if (o->takes_value) {
        kc_buf_adds(b, "=\\fI");
        roff(b, o->argname ? o->argname : "VALUE");
        kc_buf_adds(b, "\\fR");
    }
    kc_buf_addc(b, '\n');
    roff_line(b, o->help ? o->help : "");
}

static void man_verb(struct kc_buf *b, const struct kc_verb *const *path, size_t depth)
{
    const struct kc_verb *v = path[depth - 1];
    kc_buf_adds(b, ".SS kamal\\-c");
    for (size_t i = 1; i < depth; i++) {
        kc_buf_addc(b, ' ');
        roff(b, path[i]->name);
    }
    if (v->usage) {
        kc_buf_addc(b, ' ');
        roff_usage(b, v->usage);
    }
    kc_buf_addc(b, '\n');
    roff_line(b, v->summary ? v->summary : "");
    if (v->help) {
        kc_buf_adds(b, ".PP\n");
        roff_paragraphs(b, v->help);
    }
    for (const struct kc_opt *o = v->opts; o && o->lname; o++)
        man_option(b, o);
}

/* Every visible verb under path, depth first, in table order. */
static void man_verbs(struct kc_buf *b, const struct kc_verb **path, size_t depth)
{
    const struct kc_verb *group = path[depth - 1];
    for (size_t i = 0; group->subs[i]; i++) {
        const struct kc_verb *v = group->subs[i];
        if ((v->flags & KC_V_HIDDEN) || depth >= KC_MAX_DEPTH)
            continue;
        path[depth] = v;
        if (v->subs)
            man_verbs(b, path, depth + 1);
        else
            man_verb(b, path, depth + 1);
    }
}

static void man_section1(struct kc_buf *b)
{
    th(b, "KAMAL\\-C", 1);
    kc_buf_adds(b, ".SH NAME\nkamal\\-c \\- ");
    roff_line(b, kc_root_verb.summary);
    kc_buf_adds(b, ".SH SYNOPSIS\n.B kamal\\-c\n.I COMMAND\n.RI [ ARGUMENTS ]\n"
                   ".RI [ OPTIONS ]\n.SH DESCRIPTION\n");
    roff_paragraphs(b, description);
    kc_buf_adds(b, ".SH COMMANDS\n");
    const struct kc_verb *path[KC_MAX_DEPTH] = {&kc_root_verb};
    man_verbs(b, path, 1);
    kc_buf_adds(b, ".SH GLOBAL OPTIONS\nThey are taken before or after the command.\n");
    for (const struct kc_opt *o = kc_global_opts(); o->lname; o++)
        man_option(b, o);
    kc_buf_adds(b, ".SH EXIT STATUS\n");
    for (const struct kc_exit_doc *e = kc_exit_docs; e->meaning; e++) {
        kc_buf_addf(b, ".TP\n.B %d\n", e->status);
        roff_line(b, e->meaning);
    }
    kc_buf_adds(b, ".SH ENVIRONMENT\n");
    for (size_t i = 0; i < KC_ARRAY_LEN(environment); i++) {
        kc_buf_adds(b, ".TP\n.B ");
        roff_line(b, environment[i].name);
        roff_line(b, environment[i].meaning);
    }
    kc_buf_adds(b, ".SH FILES\n");
    for (size_t i = 0; i < KC_ARRAY_LEN(files); i++) {
        kc_buf_adds(b, ".TP\n.I ");
        roff_line(b, files[i].path);
        roff_line(b, files[i].meaning);
    }
    kc_buf_adds(b, ".SH EXAMPLES\n");
    roff_paragraphs(b, examples);
    kc_buf_adds(b, ".SH SEE ALSO\n.BR kamal\\-c\\-deploy.yml (5),\n.BR ssh_config (5),\n"
                   ".BR docker (1)\n");
}

/* ---- kamal-c-deploy.yml(5) ----------------------------------------------- */

/* A section's text: its leading comment block is the introduction, the
 * rest the example. */
static void man_docs_text(struct kc_buf *b, const char *text)
{
    struct kc_buf intro = KC_BUF_INIT;
    while (*text == '#') {
        size_t len = strcspn(text, "\n");
        const char *line = text + 1 + (text[1] == ' ');
        kc_buf_add(&intro, line, (size_t)(text + len - line));
        kc_buf_addc(&intro, '\n');
        text += len + (text[len] == '\n');
    }
    while (*text == '\n')
        text++;
    roff_paragraphs(b, kc_buf_str(&intro));
    if (*text) {
        kc_buf_adds(b, ".PP\nExample:\n");
        roff_verbatim(b, text);
    }
    kc_buf_release(&intro);
}

static void man_key(void *ud, const struct kc_schema_key *k)
{
    struct kc_buf *b = ud;
    kc_buf_adds(b, ".TP\n.B ");
    roff_line(b, k->path);
    roff(b, k->type);
    for (size_t i = 0; k->choices && k->choices[i]; i++)
        kc_buf_addf(b, "%s\\fB%s\\fR",
                    i == 0              ? ": "
                    : k->choices[i + 1] ? ", "
                                        : " or ",
                    k->choices[i]);
    if (k->required)
        kc_buf_adds(b, ", required");
    if (k->dflt) {
        kc_buf_adds(b, ", default ");
        roff(b, *k->dflt ? k->dflt : "\"\"");
    }
    if (k->ignored)
        kc_buf_adds(b, ", accepted and ignored");
    if (k->see) {
        kc_buf_adds(b, "; see ");
        for (const char *c = k->see; *c; c++)
            kc_buf_addc(b, (char)toupper((unsigned char)*c));
        kc_buf_adds(b, " below");
    }
    kc_buf_adds(b, ".\n");
}

static void man_docs_section(struct kc_buf *b, const char *section)
{
    kc_buf_adds(b, ".SH ");
    for (const char *c = section; *c; c++)
        kc_buf_addc(b, (char)toupper((unsigned char)*c));
    kc_buf_adds(b, "\n");
    const char *text = kc_docs_text(section);
    if (text)
        man_docs_text(b, text);
    kc_buf_adds(b, ".PP\nThe keys:\n");
    kc_schema_section_keys(section, man_key, b);
}

static void man_section5(struct kc_buf *b)
{
    th(b, "KAMAL\\-C\\-DEPLOY.YML", 5);
    kc_buf_adds(b, ".SH NAME\nkamal\\-c\\-deploy.yml \\- the deploy.yml that kamal\\-c reads\n"
                   ".SH SYNOPSIS\n.I config/deploy.yml\n.br\n.I config/deploy.DEST.yml\n"
                   ".SH DESCRIPTION\n");
    const char *overview = kc_docs_text(NULL);
    if (overview)
        man_docs_text(b, overview);
    kc_buf_adds(b, ".PP\nThe sections below are also printed by \\fBkamal\\-c docs\\fR "
                   "\\fISECTION\\fR, as YAML with comments.\n"
                   ".SH TOP\\-LEVEL KEYS\n");
    kc_schema_section_keys(NULL, man_key, b);
    for (const char *const *s = kc_docs_sections(); *s; s++)
        man_docs_section(b, *s);
    kc_buf_adds(b, ".SH SEE ALSO\n.BR kamal\\-c (1)\n");
}

int kc_man_render(int section, struct kc_buf *out)
{
    if (section == 1)
        man_section1(out);
    else if (section == 5)
        man_section5(out);
    else
        return -1;
    return 0;
}
