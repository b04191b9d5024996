/* test_output_live.c - the live target on a real pseudo-terminal: chosen
 * only there, its lines drawn and erased, the cursor hidden while they are
 * drawn and shown after, a result settling its host's line, the summary
 * printed as the text target prints it, and the signal-safe reset. (What a
 * terminal then shows is checked in tmux: tests/e2e/test_live.sh.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kamal-c/output.h"

struct pty {
    int master;
    FILE *slave;
    FILE *err;
    char *ebuf;
    size_t elen;
};

static void open_pty_sized(struct pty *p, unsigned short rows)
{
    p->master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(p->master >= 0);
    assert_int_equal(grantpt(p->master), 0);
    assert_int_equal(unlockpt(p->master), 0);
    int s = open(ptsname(p->master), O_RDWR | O_NOCTTY);
    assert_true(s >= 0);
    struct winsize ws = {.ws_row = rows, .ws_col = 60};
    ioctl(s, TIOCSWINSZ, &ws);
    p->slave = fdopen(s, "w");
    p->err = open_memstream(&p->ebuf, &p->elen);
    fcntl(p->master, F_SETFL, fcntl(p->master, F_GETFL) | O_NONBLOCK);
}

static void open_pty(struct pty *p)
{
    open_pty_sized(p, 24);
}

static void close_pty(struct pty *p)
{
    fclose(p->slave);
    close(p->master);
    fclose(p->err);
    free(p->ebuf);
}

/* What the terminal received since the last call (caller frees). */
static char *drain(struct pty *p)
{
    struct kc_buf b = KC_BUF_INIT;
    char chunk[4096];
    ssize_t n;
    while ((n = read(p->master, chunk, sizeof chunk)) > 0)
        kc_buf_add(&b, chunk, (size_t)n);
    return kc_buf_detach(&b);
}

static void test_live_lines(void **state)
{
    (void)state;
    setenv("TERM", "xterm", 1);
    unsetenv("NO_COLOR");
    struct pty p;
    open_pty(&p);
    struct kc_out o;
    kc_out_init(&o, KC_FMT_TEXT, 0, p.slave, p.err);
    assert_true(kc_out_is_live(&o));

    kc_out_step(&o, "h1", "pull kc/web:2");
    kc_out_progress(&o, "h1", "pulling, 1/3 layers");
    char *got = drain(&p);
    assert_non_null(strstr(got, "h1"));
    assert_non_null(strstr(got, "pull kc/web:2: pulling, 1/3 layers"));
    assert_non_null(strstr(got, "\033[?25l")); /* cursor hidden while drawn */
    assert_int_equal(o.live_lines, 1);
    free(got);

    kc_out_step(&o, "h2", "a step far too long to fit the sixty columns of this terminal, cut");
    got = drain(&p);
    assert_null(strstr(got, "cut"));
    assert_int_equal(o.live_lines, 2);
    free(got);

    kc_out_result(&o, "h1", "db", "booted", NULL); /* h1's line goes, its result stays */
    got = drain(&p);
    assert_non_null(strstr(got, "db: "));
    assert_non_null(strstr(got, "booted"));
    assert_int_equal(o.live_lines, 1);
    free(got);

    kc_out_signal_reset(&o); /* what a second Ctrl-C does on its way out */
    got = drain(&p);
    assert_non_null(strstr(got, "\033[1A\033[J\033[?25h"));
    assert_int_equal(o.live_lines, 0);
    free(got);

    kc_out_finish(&o, 0, NULL);
    got = drain(&p);
    assert_non_null(strstr(got, "1 host: 1 booted ("));
    free(got);
    kc_out_release(&o);
    close_pty(&p);
}

/* More busy hosts than the screen has rows: the last line counts the rest
 * (the cursor cannot go back up over lines that scrolled away). */
static void test_more_hosts_than_rows(void **state)
{
    (void)state;
    setenv("TERM", "xterm", 1);
    unsetenv("NO_COLOR");
    struct pty p;
    open_pty_sized(&p, 6); /* room for 4 lines */
    struct kc_out o;
    kc_out_init(&o, KC_FMT_TEXT, 0, p.slave, p.err);
    const char *hosts[] = {"h1", "h2", "h3", "h4", "h5", "h6", "h7"};
    for (size_t i = 0; i < 7; i++)
        kc_out_step(&o, hosts[i], "probe");
    assert_int_equal(o.live_lines, 4);
    char *got = drain(&p);
    assert_non_null(strstr(got, "and 4 more hosts"));
    free(got);
    kc_out_finish(&o, 0, NULL);
    assert_int_equal(o.live_lines, 0);
    kc_out_release(&o);
    close_pty(&p);
}

/* NO_COLOR, TERM=dumb and -q keep the text target on a terminal too */
static void test_not_live(void **state)
{
    (void)state;
    struct pty p;
    open_pty(&p);
    struct kc_out o;
    setenv("NO_COLOR", "1", 1);
    kc_out_init(&o, KC_FMT_TEXT, 0, p.slave, p.err);
    assert_false(kc_out_is_live(&o));
    kc_out_release(&o);
    unsetenv("NO_COLOR");
    setenv("TERM", "dumb", 1);
    kc_out_init(&o, KC_FMT_TEXT, 0, p.slave, p.err);
    assert_false(kc_out_is_live(&o));
    kc_out_release(&o);
    setenv("TERM", "xterm", 1);
    kc_out_init(&o, KC_FMT_TEXT, -1, p.slave, p.err);
    assert_false(kc_out_is_live(&o));
    kc_out_release(&o);
    kc_out_init(&o, KC_FMT_JSON, 0, p.slave, p.err);
    assert_false(kc_out_is_live(&o));
    kc_out_release(&o);
    close_pty(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_lines),
        cmocka_unit_test(test_more_hosts_than_rows),
        cmocka_unit_test(test_not_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
