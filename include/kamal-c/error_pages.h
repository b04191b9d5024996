/* error_pages.h - the app's error pages (error_pages_path, Kamal §2.7/§4.8):
 * uploaded per version under the kamal-proxy apps-config mount and passed to
 * kamal-proxy deploy as --error-pages. No I/O. */
#ifndef KAMAL_C_ERROR_PAGES_H
#define KAMAL_C_ERROR_PAGES_H

#include "cmd.h"
#include "config.h"

/* .kamal/proxy/apps-config/SVC[-DEST]/error_pages/VERSION. Caller frees. */
char *kc_error_pages_host_dir(const struct kc_config *cfg, const char *version);
/* Appends --error-pages=/home/kamal-proxy/.apps-config/SVC[-DEST]/error_pages/VERSION
 * when error_pages_path is set (Kamal passes it last). */
void kc_cmd_error_pages_flag(struct kc_cmd *c, const struct kc_config *cfg, const char *version);
/* find .kamal/proxy/apps-config/SVC[-DEST]/error_pages -mindepth 1 -maxdepth 1
 * ! -name VERSION -exec rm -rf {} + : the other versions go. */
void kc_cmd_error_pages_clean(struct kc_cmd *c, const struct kc_config *cfg, const char *version);

#endif
