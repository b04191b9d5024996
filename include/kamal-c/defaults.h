/* defaults.h - the values Kamal 2.12 hard-codes rather than reads from a
 * key of deploy.yml. The loader applies every default once (the schema
 * table's key defaults, these for the rest), so that consumers read the
 * typed struct kc_config and never re-apply one. Only code that needs the
 * value outside a configuration (the network a bootstrap creates, the
 * proxy container's name) uses these directly. */
#ifndef KAMAL_C_DEFAULTS_H
#define KAMAL_C_DEFAULTS_H

/* The Docker network of app containers, accessories and kamal-proxy. */
#define KC_NETWORK "kamal"
/* docker run --restart when options.restart is not set. */
#define KC_DEFAULT_RESTART "unless-stopped"
/* --log-opt max-size=... when logging: sets nothing, and proxy.run's default. */
#define KC_DEFAULT_LOG_MAX_SIZE "10m"
/* kamal-proxy: container name and image (proxy.run's defaults). */
#define KC_PROXY_CONTAINER  "kamal-proxy"
#define KC_PROXY_REPOSITORY "basecamp/kamal-proxy"
#define KC_PROXY_VERSION    "v0.9.2" /* also the oldest version Kamal 2.12 accepts */

#endif
