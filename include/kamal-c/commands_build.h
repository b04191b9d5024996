/* commands_build.h - pure pieces of `kamal-c build` (Kamal §1.5, §2.8, §4.6):
 * the version rule, image names, and the exact docker / git command lines of
 * a build, a push and a pull. No I/O: ops/build*.c gathers the facts (git,
 * docker) and runs these. */
#ifndef KAMAL_C_COMMANDS_BUILD_H
#define KAMAL_C_COMMANDS_BUILD_H

#include "cmd.h"
#include "config.h"

/* What decides the app version (Kamal's Configuration#version). */
struct kc_version_facts {
    const char *declared;    /* --version, or NULL */
    const char *env_version; /* $VERSION, or NULL */
    bool git_used;           /* the working directory is in a git repository */
    const char *head;        /* git rev-parse HEAD */
    bool dirty;              /* git status --porcelain is not empty */
    bool git_clone;          /* the build uses a clean clone (no builder.context) */
    const char *random_hex;  /* 16 hex digits for _uncommitted_<hex> */
    const char *pwd;         /* for the error message */
};

/* --version, else $VERSION, else HEAD's sha; a dirty tree built as is (with
 * builder.context) adds _uncommitted_<hex>. No git and no version is
 * KC_ECONFIG. *out is owned by the caller. */
int kc_version_pick(const struct kc_version_facts *f, char **out, struct kc_err *err);

/* REPOSITORY:VERSION, or REPOSITORY:latest[-DEST] when version is NULL.
 * Caller frees. */
char *kc_config_image(const struct kc_config *cfg, const char *version);

/* $TMPDIR/kamal-clones/SVC-<first 13 hex of sha256(pwd)> (Kamal's
 * clone_directory). tmpdir NULL or empty means /tmp. Caller frees. */
char *kc_build_clone_dir(const struct kc_config *cfg, const char *tmpdir, const char *pwd);

/* One build, as data for kc_cmd_build. */
struct kc_build_spec {
    const struct kc_config *cfg;
    const char *tag;        /* IMG:VERSION (or IMG:VERSION-dirty) */
    const char *latest_tag; /* IMG:latest[-DEST] (or -dirty) */
    const char *dockerfile; /* as passed to --file */
    const char *context;    /* a directory, or "-" for a tar on stdin */
    bool buildx;            /* docker buildx build (else docker build) */
    const char *builder;    /* buildx: --builder NAME, NULL for none */
    bool push;              /* buildx: --output=type=registry; else type=docker */
    bool no_cache;
    bool quiet; /* docker build -q */
};

/* docker build / docker buildx build with Kamal's flags: -t TAG -t LATEST
 * --label service=SVC --build-arg K=V... (values shown redacted)
 * [--secret id=S,env=S...] --file F [--target T] [--no-cache] CONTEXT.
 * buildx adds --output and --platform linux/ARCH[,..], cache, ssh,
 * provenance and sbom. */
void kc_cmd_build(struct kc_cmd *c, const struct kc_build_spec *s);
/* docker image push IMAGE */
void kc_cmd_image_push(struct kc_cmd *c, const char *image);
/* docker image inspect --format '{{index .Config.Labels "service"}}' IMAGE:
 * exit 0 with the label when the image is there. */
void kc_cmd_image_service_label(struct kc_cmd *c, const char *image);
/* One round trip for `build pull` on a host: the service label of IMAGE
 * when the host has it; else the audit line, docker image pull --quiet,
 * the marker line "kc-pulled" and the label:
 *   docker image inspect --format F IMAGE 2>/dev/null || ( mkdir -p .kamal
 *   && echo LINE >> AUDIT && docker image pull --quiet IMAGE >/dev/null
 *   && echo kc-pulled && docker image inspect --format F IMAGE ) */
void kc_cmd_pull_unless_present(struct kc_cmd *c, const struct kc_config *cfg, const char *image,
                                const char *when_iso, const char *performer,
                                const char *audit_message);
#define KC_PULLED_MARKER "kc-pulled"
/* docker buildx inspect NAME / create --name NAME --driver=DRIVER / rm NAME */
void kc_cmd_buildx_inspect(struct kc_cmd *c, const char *name);
void kc_cmd_buildx_create(struct kc_cmd *c, const char *name, const char *driver);
void kc_cmd_buildx_rm(struct kc_cmd *c, const char *name);

/* The buildx builder's name (Kamal's): kamal-local-DRIVER, or
 * kamal-remote-<remote with [^a-z0-9_-] as ->. Caller frees. */
char *kc_build_builder_name(const struct kc_config *cfg, bool remote);

/* What a build needs that `docker build` (no buildx) cannot do: the first
 * such deploy.yml key ("builder.arch" for several arches, "builder.cache",
 * "builder.driver", "builder.pack", "builder.secrets", ...), or NULL. */
const char *kc_build_needs_buildx(const struct kc_config *cfg);

/* .dockerignore text -> tar --exclude arguments (anchored at "./"); a '!'
 * exception is counted in *unsupported and skipped. */
void kc_dockerignore_excludes(const char *text, struct kc_strvec *out, int *unsupported);

/* "user@host:port" of an ssh:// URL: user (NULL when none), host, port (0
 * when none). False when url is not ssh://. */
bool kc_build_parse_ssh_url(const char *url, char **user, char **host, int *port);

#endif
