/* shellwords.c - shell-like word splitting without expansion. */
#include "kamal-c/util.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int kc_shell_split(const char *s, struct kc_strvec *out)
{
    struct kc_buf w = KC_BUF_INIT;
    bool in_word = false;
    for (const char *p = s;; p++) {
        if (*p == '\0' || is_blank(*p)) {
            if (in_word)
                kc_strvec_push_nodup(out, kc_buf_detach(&w));
            in_word = false;
            if (*p == '\0')
                return 0;
            continue;
        }
        in_word = true;
        if (*p == '\'' || *p == '"') {
            char q = *p++;
            kc_buf_add(&w, "", 0); /* '' is an empty word, not nothing */
            while (*p && *p != q) {
                if (q == '"' && *p == '\\' &&
                    (p[1] == '"' || p[1] == '\\' || p[1] == '$' || p[1] == '`'))
                    p++;
                kc_buf_addc(&w, *p++);
            }
            if (*p != q) {
                kc_buf_release(&w);
                return -1;
            }
        } else if (*p == '\\' && p[1]) {
            kc_buf_addc(&w, *++p);
        } else {
            kc_buf_addc(&w, *p);
        }
    }
}
