/* config_fixture.h - the shared set-up of the commands/ unit tests that build
 * command lines from one deploy.yml: include it after defining
 *   static const char deploy_yml[] = "...";
 * and pass load/unload to cmocka_run_group_tests. cfg is the loaded
 * configuration; show() renders a command as --dry-run prints it (and
 * releases it). */
#ifndef KC_TESTS_CONFIG_FIXTURE_H
#define KC_TESTS_CONFIG_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "kamal-c/config.h"
#include "kamal-c/cmd.h"

static struct kc_config cfg;

static int load(void **state)
{
    (void)state;
    struct kc_err err = KC_ERR_INIT;
    struct kc_load_opts o = {0};
    kc_config_init(&cfg);
    int rc = kc_config_load_text(&cfg, deploy_yml, strlen(deploy_yml), "deploy.yml", &o, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    kc_err_release(&err);
    return rc;
}

static int unload(void **state)
{
    (void)state;
    kc_config_release(&cfg);
    return 0;
}

static char *show(struct kc_cmd *c)
{
    char *s = kc_cmd_render_display(c);
    kc_cmd_release(c);
    return s;
}

#endif
