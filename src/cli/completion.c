/* completion.c - bash, zsh and fish completions, generated from the command
 * table at build time (`kamal-c __completion SHELL`, CMakeLists.txt).
 *
 * A script is the table as data functions, then the shell's driver
 * (src/cli/completion/SHELL.in, embedded at build time), which walks the
 * line as the parser does. The data functions:
 *   __kamal_c_subs PATH      the commands of a group: word, description
 *   __kamal_c_opts PATH      the global options and the verb's: word, help
 *   __kamal_c_optarg PATH W  what option W takes: flag, or KIND WORD...
 *   __kamal_c_operand PATH   what the first operand names: KIND WORD...
 * bash and zsh set the array _kc_r, fish prints one item a line (word and
 * description separated by a tab). KIND is text (only the WORDs), file,
 * config, destinations, accessories, roles, hosts (names asked of
 * `kamal-c __complete KIND`) or command (the operands are a command). */
#include "kamal-c/cli.h"
#include "kamal-c/docs.h"
#include "parse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The drivers, from src/cli/completion/SHELL.in (cmake/embed.cmake). */
extern const char *const kc_completion_files[][2];

enum shell { SH_BASH, SH_ZSH, SH_FISH };

/* ---- the table, as the drivers read it ------------------------------------ */

static const char *kind_name(enum kc_complete k)
{
    switch (k) {
    case KC_COMPLETE_FILE:
        return "file";
    case KC_COMPLETE_CONFIG_FILE:
        return "config";
    case KC_COMPLETE_DESTINATION:
        return "destinations";
    case KC_COMPLETE_ACCESSORY:
        return "accessories";
    case KC_COMPLETE_ROLE:
        return "roles";
    case KC_COMPLETE_HOST:
        return "hosts";
    case KC_COMPLETE_COMMAND:
        return "command";
    default:
        return "text";
    }
}

/* The literal words of a usage or an argname: in "NAME|all" or
 * "[text|json]", the lowercase alternatives of the first word. */
static void literal_words(const char *spec, struct kc_strvec *out)
{
    if (spec == NULL)
        return;
    char *first = kc_xstrndup(spec, strcspn(spec, " "));
    struct kc_strvec alts = KC_STRVEC_INIT;
    kc_strvec_split(&alts, first, "|[]");
    for (size_t i = 0; i < alts.n; i++) {
        const char *w = alts.v[i];
        bool literal = islower((unsigned char)w[0]) || isdigit((unsigned char)w[0]);
        for (const char *c = w; literal && *c; c++)
            literal = islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-' ||
                      *c == '_' || *c == '.';
        if (literal)
            kc_strvec_push(out, w);
    }
    kc_strvec_release(&alts);
    free(first);
}

/* What an option takes: "flag", or its kind then its literal words. */
static void opt_arg(const struct kc_opt *o, enum kc_complete kind, struct kc_strvec *out)
{
    if (!o->takes_value) {
        kc_strvec_push(out, "flag");
        return;
    }
    kc_strvec_push(out, kind_name(kind));
    literal_words(o->argname, out);
}

static enum kc_complete operand_kind(const struct kc_verb *const *path, size_t depth)
{
    for (size_t i = depth; i-- > 1;)
        if (path[i]->operand)
            return path[i]->operand;
    return KC_COMPLETE_NONE;
}

static void operand_spec(const struct kc_verb *const *path, size_t depth, struct kc_strvec *out)
{
    const struct kc_verb *v = path[depth - 1];
    enum kc_complete kind = v->max_args == 0 ? KC_COMPLETE_NONE : operand_kind(path, depth);
    kc_strvec_push(out, kind_name(kind));
    if (v->max_args == 0)
        return;
    literal_words(v->usage, out);
    if (kind == KC_COMPLETE_DOCS)
        for (const char *const *s = kc_docs_sections(); *s; s++)
            kc_strvec_push(out, *s);
}

static char *path_name(const struct kc_verb *const *path, size_t depth)
{
    struct kc_buf b = KC_BUF_INIT;
    for (size_t i = 1; i < depth; i++)
        kc_buf_addf(&b, "%s%s", i > 1 ? " " : "", path[i]->name);
    return kc_buf_detach(&b);
}

/* ---- quoting ------------------------------------------------------------------ */

static void quote(struct kc_buf *b, enum shell sh, const char *s)
{
    kc_buf_addc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            kc_buf_adds(b, sh == SH_FISH ? "\\'" : "'\\''");
        else if (*s == '\\' && sh == SH_FISH)
            kc_buf_adds(b, "\\\\");
        else
            kc_buf_addc(b, *s);
    }
    kc_buf_addc(b, '\'');
}

/* bash/zsh: _kc_r=('a' 'b') or _kc_r+=(...); fish: printf of the items.
 * Paired items (word, description) go one pair a line. */
static void items(struct kc_buf *b, enum shell sh, const char *indent, const struct kc_strvec *v,
                  bool append, bool paired)
{
    bool fish = sh == SH_FISH;
    if (fish && v->n == 0)
        return;
    kc_buf_adds(b, indent);
    if (fish)
        kc_buf_adds(b, paired ? "printf '%s\\t%s\\n'" : "printf '%s\\n'");
    else
        kc_buf_adds(b, append ? "_kc_r+=(" : "_kc_r=(");
    for (size_t i = 0; i < v->n; i++) {
        if (paired && i % 2 == 0)
            kc_buf_addf(b, "%s\n%s    ", fish ? " \\" : "", indent);
        else if (i || fish)
            kc_buf_addc(b, ' ');
        quote(b, sh, v->v[i]);
    }
    if (!fish)
        kc_buf_addf(b, "%s%s)", paired ? "\n" : "", paired ? indent : "");
    kc_buf_addc(b, '\n');
}

/* One case of a case/switch statement, its pattern being the words. */
static void case_open(struct kc_buf *b, enum shell sh, const char *indent, const char *const *words,
                      size_t n)
{
    kc_buf_addf(b, "%s%s", indent, sh == SH_FISH ? "case " : "");
    for (size_t i = 0; i < n; i++) {
        if (i)
            kc_buf_adds(b, sh == SH_FISH ? " " : "|");
        quote(b, sh, words[i]);
    }
    kc_buf_adds(b, sh == SH_FISH ? "\n" : ")\n");
}

static void case_close(struct kc_buf *b, enum shell sh, const char *indent)
{
    if (sh != SH_FISH)
        kc_buf_addf(b, "%s;;\n", indent);
}

static void switch_open(struct kc_buf *b, enum shell sh, const char *indent, int arg)
{
    if (sh == SH_FISH)
        kc_buf_addf(b, "%sswitch \"$argv[%d]\"\n", indent, arg);
    else
        kc_buf_addf(b, "%scase $%d in\n", indent, arg);
}

static void switch_close(struct kc_buf *b, enum shell sh, const char *indent)
{
    kc_buf_addf(b, "%s%s\n", indent, sh == SH_FISH ? "end" : "esac");
}

static void func_open(struct kc_buf *b, enum shell sh, const char *name, const char *what)
{
    kc_buf_addf(b, "\n# %s\n", what);
    if (sh == SH_FISH)
        kc_buf_addf(b, "function %s\n", name);
    else
        kc_buf_addf(b, "%s() {\n", name);
}

static void func_close(struct kc_buf *b, enum shell sh)
{
    kc_buf_adds(b, sh == SH_FISH ? "end\n" : "}\n");
}

/* ---- the data functions --------------------------------------------------------- */

/* Every visible verb and group path, depth first: calls fn for each. */
typedef void (*path_fn)(struct kc_buf *b, enum shell sh, const struct kc_verb *const *path,
                        size_t depth);

static void each_path(struct kc_buf *b, enum shell sh, const struct kc_verb **path, size_t depth,
                      path_fn fn)
{
    fn(b, sh, path, depth);
    const struct kc_verb *v = path[depth - 1];
    for (size_t i = 0; v->subs && v->subs[i] && depth < KC_MAX_DEPTH; i++) {
        if (v->subs[i]->flags & KC_V_HIDDEN)
            continue;
        path[depth] = v->subs[i];
        each_path(b, sh, path, depth + 1, fn);
    }
}

static void path_case(struct kc_buf *b, enum shell sh, const struct kc_verb *const *path,
                      size_t depth)
{
    char *name = path_name(path, depth);
    const char *pattern[] = {name};
    case_open(b, sh, "    ", pattern, 1);
    free(name);
}

static void subs_case(struct kc_buf *b, enum shell sh, const struct kc_verb *const *path,
                      size_t depth)
{
    const struct kc_verb *v = path[depth - 1];
    if (v->subs == NULL)
        return;
    struct kc_strvec pairs = KC_STRVEC_INIT;
    for (size_t i = 0; v->subs[i]; i++) {
        if (v->subs[i]->flags & KC_V_HIDDEN)
            continue;
        kc_strvec_push(&pairs, v->subs[i]->name);
        kc_strvec_push(&pairs, v->subs[i]->summary ? v->subs[i]->summary : "");
    }
    path_case(b, sh, path, depth);
    items(b, sh, "        ", &pairs, false, true);
    case_close(b, sh, "        ");
    kc_strvec_release(&pairs);
}

static void opt_pairs(const struct kc_opt *opts, struct kc_strvec *pairs)
{
    for (const struct kc_opt *o = opts; o && o->lname; o++) {
        kc_strvec_pushf(pairs, "--%s", o->lname);
        kc_strvec_push(pairs, o->help ? o->help : "");
    }
}

static void opts_case(struct kc_buf *b, enum shell sh, const struct kc_verb *const *path,
                      size_t depth)
{
    const struct kc_verb *v = path[depth - 1];
    if (v->subs || v->opts == NULL || v->opts[0].lname == NULL)
        return;
    struct kc_strvec pairs = KC_STRVEC_INIT;
    opt_pairs(v->opts, &pairs);
    path_case(b, sh, path, depth);
    items(b, sh, "        ", &pairs, true, true);
    case_close(b, sh, "        ");
    kc_strvec_release(&pairs);
}

/* The cases of a switch on an option word, one per option. */
static void optarg_cases(struct kc_buf *b, enum shell sh, const char *indent,
                         const struct kc_opt *opts, bool global)
{
    for (size_t i = 0; opts && opts[i].lname; i++) {
        char *lname = kc_xasprintf("--%s", opts[i].lname);
        char sname[3] = {'-', opts[i].sname, '\0'};
        const char *pattern[] = {lname, sname};
        case_open(b, sh, indent, pattern, opts[i].sname ? 2 : 1);
        struct kc_strvec spec = KC_STRVEC_INIT;
        opt_arg(&opts[i], global ? kc_global_opt_complete(i) : KC_COMPLETE_NONE, &spec);
        char *inner = kc_xasprintf("%s    ", indent);
        items(b, sh, inner, &spec, false, false);
        kc_buf_addf(b, "%sreturn\n", inner);
        case_close(b, sh, inner);
        free(inner);
        kc_strvec_release(&spec);
        free(lname);
    }
}

static void optarg_case(struct kc_buf *b, enum shell sh, const struct kc_verb *const *path,
                        size_t depth)
{
    const struct kc_verb *v = path[depth - 1];
    if (v->subs || v->opts == NULL || v->opts[0].lname == NULL)
        return;
    path_case(b, sh, path, depth);
    switch_open(b, sh, "        ", 2);
    optarg_cases(b, sh, "        ", v->opts, false);
    switch_close(b, sh, "        ");
    case_close(b, sh, "        ");
}

static void operand_case(struct kc_buf *b, enum shell sh, const struct kc_verb *const *path,
                         size_t depth)
{
    if (path[depth - 1]->subs)
        return;
    struct kc_strvec spec = KC_STRVEC_INIT;
    operand_spec(path, depth, &spec);
    if (spec.n > 1 || strcmp(spec.v[0], "text") != 0) {
        path_case(b, sh, path, depth);
        items(b, sh, "        ", &spec, false, false);
        case_close(b, sh, "        ");
    }
    kc_strvec_release(&spec);
}

static void data_functions(struct kc_buf *b, enum shell sh)
{
    const struct kc_verb *path[KC_MAX_DEPTH] = {&kc_root_verb};
    bool fish = sh == SH_FISH;

    func_open(b, sh, "__kamal_c_subs", "PATH: the commands of a group (word, description)");
    switch_open(b, sh, "    ", 1);
    each_path(b, sh, path, 1, subs_case);
    if (!fish)
        kc_buf_adds(b, "    *)\n        _kc_r=()\n        ;;\n");
    switch_close(b, sh, "    ");
    func_close(b, sh);

    func_open(b, sh, "__kamal_c_opts", "PATH: the global options, then the verb's (word, help)");
    struct kc_strvec globals = KC_STRVEC_INIT;
    opt_pairs(kc_global_opts(), &globals);
    items(b, sh, "    ", &globals, false, true);
    kc_strvec_release(&globals);
    switch_open(b, sh, "    ", 1);
    each_path(b, sh, path, 1, opts_case);
    switch_close(b, sh, "    ");
    func_close(b, sh);

    func_open(b, sh, "__kamal_c_optarg",
              "PATH WORD: what option WORD takes (flag, or KIND WORD...); nothing if unknown");
    switch_open(b, sh, "    ", 2);
    optarg_cases(b, sh, "    ", kc_global_opts(), true);
    switch_close(b, sh, "    ");
    switch_open(b, sh, "    ", 1);
    each_path(b, sh, path, 1, optarg_case);
    switch_close(b, sh, "    ");
    if (!fish)
        kc_buf_adds(b, "    _kc_r=()\n");
    func_close(b, sh);

    func_open(b, sh, "__kamal_c_operand", "PATH: what the first operand names (KIND WORD...)");
    switch_open(b, sh, "    ", 1);
    each_path(b, sh, path, 1, operand_case);
    kc_buf_adds(b, fish ? "    case '*'\n        echo text\n"
                        : "    *)\n        _kc_r=(text)\n"
                          "        ;;\n");
    switch_close(b, sh, "    ");
    func_close(b, sh);
}

static const char *driver(const char *shell)
{
    for (size_t i = 0; kc_completion_files[i][0]; i++)
        if (strcmp(kc_completion_files[i][0], shell) == 0)
            return kc_completion_files[i][1];
    return NULL;
}

int kc_completion_render(const char *shell, struct kc_buf *out)
{
    static const char *const names[] = {"bash", "zsh", "fish"};
    size_t sh = 0;
    while (sh < KC_ARRAY_LEN(names) && strcmp(names[sh], shell) != 0)
        sh++;
    const char *drv = driver(shell);
    if (sh == KC_ARRAY_LEN(names) || drv == NULL)
        return -1;
    if (sh == SH_ZSH)
        kc_buf_adds(out, "#compdef kamal-c\n");
    kc_buf_addf(out,
                "# kamal-c %s completion for %s. Generated from kamal-c's command table by\n"
                "# 'kamal-c __completion %s'; do not edit.\n",
                KC_VERSION, shell, shell);
    data_functions(out, (enum shell)sh);
    kc_buf_addc(out, '\n');
    kc_buf_adds(out, drv);
    return 0;
}

/* ---- names at run time --------------------------------------------------------- */

static void list_commands(struct kc_buf *out, const struct kc_verb **path, size_t depth)
{
    const struct kc_verb *v = path[depth - 1];
    if (v->subs == NULL) {
        char *name = path_name(path, depth);
        kc_buf_adds(out, name);
        for (const struct kc_opt *o = v->opts; o && o->lname; o++)
            kc_buf_addf(out, " --%s", o->lname);
        kc_buf_addc(out, '\n');
        free(name);
        return;
    }
    for (size_t i = 0; v->subs[i] && depth < KC_MAX_DEPTH; i++) {
        if (v->subs[i]->flags & KC_V_HIDDEN)
            continue;
        path[depth] = v->subs[i];
        list_commands(out, path, depth + 1);
    }
}

int kc_complete_names(const char *kind, const char *config_file, const char *destination,
                      struct kc_buf *out)
{
    static const struct {
        const char *name;
        enum kc_name_kind kind;
    } kinds[] = {
        {"accessories", KC_NAMES_ACCESSORIES},
        {"roles", KC_NAMES_ROLES},
        {"hosts", KC_NAMES_HOSTS},
        {"destinations", KC_NAMES_DESTINATIONS},
        {"aliases", KC_NAMES_ALIASES},
    };
    if (strcmp(kind, "commands") == 0) {
        const struct kc_verb *path[KC_MAX_DEPTH] = {&kc_root_verb};
        list_commands(out, path, 1);
        return 0;
    }
    for (size_t i = 0; i < KC_ARRAY_LEN(kinds); i++) {
        if (strcmp(kinds[i].name, kind) != 0)
            continue;
        struct kc_strvec names = KC_STRVEC_INIT;
        kc_config_names(kinds[i].kind, config_file, destination, &names);
        for (size_t j = 0; j < names.n; j++)
            kc_buf_addf(out, "%s\n", names.v[j]);
        kc_strvec_release(&names);
        return 0;
    }
    return -1;
}
