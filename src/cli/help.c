/* help.c - help text generated from the command table. */
#include "kamal-c/cli.h"
#include "parse.h"

#include <stdlib.h>
#include <string.h>

const struct kc_exit_doc kc_exit_docs[] = {
    {0, "success: everything converged, including \"nothing to do\""},
    {1, "a step failed on at least one host"},
    {2, "usage error (unknown command or option, missing argument)"},
    {3, "configuration error (detected before any connection)"},
    {4, "a host could not be reached or authenticated"},
    {5, "the deploy lock is held by someone else"},
    {6, "drift found and --fail-on-drift given"},
    {130, "interrupted (SIGINT/SIGTERM)"},
    {0, NULL},
};

static void print_exit_codes(FILE *f)
{
    fprintf(f, "Exit codes:\n");
    for (const struct kc_exit_doc *e = kc_exit_docs; e->meaning; e++)
        fprintf(f, "  %-2d %s\n", e->status, e->meaning);
}

static void print_opt(FILE *f, const struct kc_opt *o)
{
    char left[64];
    if (o->sname)
        snprintf(left, sizeof left, "-%c, --%s%s%s", o->sname, o->lname, o->takes_value ? "=" : "",
                 o->takes_value ? o->argname : "");
    else
        snprintf(left, sizeof left, "    --%s%s%s", o->lname, o->takes_value ? "=" : "",
                 o->takes_value ? o->argname : "");
    fprintf(f, "  %-32s %s\n", left, o->help);
}

static void print_globals(FILE *f)
{
    fprintf(f, "Global options (before or after the command):\n");
    for (const struct kc_opt *o = kc_global_opts(); o->lname; o++)
        print_opt(f, o);
}

static void print_subs(FILE *f, const struct kc_verb *group, const char *prefix)
{
    for (size_t i = 0; group->subs[i]; i++) {
        const struct kc_verb *v = group->subs[i];
        if (v->flags & KC_V_HIDDEN)
            continue;
        char left[80];
        snprintf(left, sizeof left, "%s%s%s%s", prefix, v->name, v->usage ? " " : "",
                 v->usage ? v->usage : "");
        fprintf(f, "  %-34s %s\n", left, v->summary);
    }
}

void kc_help_print(FILE *f, const struct kc_verb *const *path, size_t depth)
{
    const struct kc_verb *v = path[depth - 1];
    if (depth == 1) {
        fprintf(f,
                "kamal-c %s - deploy containers to hosts over SSH (reads Kamal %s's "
                "config/deploy.yml)\n\n",
                KC_VERSION, "2.12");
        fprintf(f, "Usage: kamal-c COMMAND [ARGS] [OPTIONS]\n\nCommands:\n");
        print_subs(f, v, "");
        fputc('\n', f);
        print_globals(f);
        fputc('\n', f);
        print_exit_codes(f);
        fprintf(f, "\nRun 'kamal-c help COMMAND' for a command's own options.\n");
        return;
    }
    struct kc_buf name = KC_BUF_INIT;
    for (size_t i = 1; i < depth; i++)
        kc_buf_addf(&name, "%s%s", i > 1 ? " " : "", path[i]->name);
    if (v->subs) {
        fprintf(f, "kamal-c %s - %s\n\nCommands:\n", kc_buf_str(&name), v->summary);
        char *prefix = kc_xasprintf("%s ", kc_buf_str(&name));
        print_subs(f, v, prefix);
        free(prefix);
    } else {
        fprintf(f, "Usage: kamal-c %s%s%s [OPTIONS]\n\n%s\n", kc_buf_str(&name),
                v->usage ? " " : "", v->usage ? v->usage : "", v->summary);
        if (v->help)
            fprintf(f, "\n%s\n", v->help);
        if (v->opts && v->opts[0].lname) {
            fprintf(f, "\nOptions:\n");
            for (const struct kc_opt *o = v->opts; o->lname; o++)
                print_opt(f, o);
        }
    }
    fputc('\n', f);
    print_globals(f);
    fputc('\n', f);
    print_exit_codes(f);
    kc_buf_release(&name);
}

void kc_help_out(struct kc_out *o, const struct kc_verb *const *path, size_t depth)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL) { /* no memory for the buffer: print it straight */
        kc_help_print(o->out, path, depth);
        return;
    }
    kc_help_print(f, path, depth);
    fclose(f);
    kc_out_help(o, text ? text : "");
    free(text);
}
