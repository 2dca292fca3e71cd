/*
 * bake.h: putting the agent (and, if asked, CAs) into an image before it
 * ever runs: a root filesystem directory, or an OCI image layout to which
 * one layer is added. Trust-store files are changed only through the
 * engine (trust.h); bake adds the agent binary, the layer and the
 * fingerprint a template cache can key on.
 */
#ifndef CAINIT_BAKE_H
#define CAINIT_BAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cerr.h"
#include "rootfs.h"
#include "trust.h"

/* Where the agent lives inside an image: the one definition every part
 * of cainit (the copy, the layer, the entrypoint, the docs' examples)
 * uses. */
#define BAKE_AGENT_PATH "/usr/local/bin/cainit"
#define BAKE_AGENT_MAX (16 * 1024 * 1024)

struct bake_agent {
	unsigned char *buf;  /* the whole binary, read once */
	size_t len;
	char sha256[65];     /* of exactly these bytes */
	unsigned machine;    /* ELF e_machine */
};

/* Read and check the agent (path NULL: this very program): a regular ELF
 * file, static (no PT_INTERP), at most BAKE_AGENT_MAX bytes. Its SHA-256
 * is computed over the bytes read. CAINIT_EINPUT when it is not fit. */
int bake_agent_load(const char *path, struct bake_agent *a, struct cerr *e);
void bake_agent_free(struct bake_agent *a);

/* One agent per architecture, for multi-platform bakes. */
#define BAKE_AGENTS_MAX 8

struct bake_opts;

/* The agents o names (its --agent paths, or the cainit-linux-ARCH files of
 * its agent directory; none: this very program), each loaded and checked,
 * of known and distinct architectures when there are several. */
int bake_agents_load(const struct bake_opts *o, struct bake_agent v[BAKE_AGENTS_MAX], size_t *n,
		     struct cerr *e);
void bake_agents_free(struct bake_agent *v, size_t n);

/* The agent of v built for arch (GOARCH name), or NULL. */
const struct bake_agent *bake_agent_for(const struct bake_agent *v, size_t n, const char *arch);

/* The architecture of the root at dir, from the ELF header of the first of
 * its usual programs (/bin/sh, /usr/bin/env, busybox...) that is one, read
 * confined to the root; NULL (and 0 returned) when it has none. */
int bake_root_arch(const char *dir, const char **arch, struct cerr *e);

/* Write the agent at BAKE_AGENT_PATH inside r (mode 0755, temp + rename). */
int bake_agent_place(struct rootfs *r, const struct bake_agent *a, struct cerr *e);

/* The image architecture (GOARCH names, as in OCI configs) an ELF
 * e_machine runs as; NULL when unknown. */
const char *bake_machine_arch(unsigned machine);

struct bake_opts {
	const char *const *agents;       /* --agent paths (none, no agent_dir: /proc/self/exe) */
	size_t nagents;
	const char *agent_dir;           /* a directory of cainit-linux-ARCH agents */
	bool all_platforms;              /* OCI index: every linux platform must have an agent */
	const struct cert_list *cas;     /* NULL or empty: no CA */
	const char *set;                 /* the CAs' set name */
	unsigned cert_flags;             /* CERT_ALLOW_* */
	const char *origin;              /* the CA input, for messages */
	char **run_args;                 /* OCI: words between "run" and "--" */
	size_t nrun_args;
	long long epoch;                 /* mtime of the layer's entries */
	uint64_t max_layer_bytes;        /* OCI: what one layer may unpack to (0: no cap) */
	uint64_t max_image_bytes;        /* OCI: what all layers together may (0: no cap) */
	bool env_override;               /* OCI: the runtime variables replace the image's own
					  * values of "adds" variables and switches too */
};

#define BAKE_MAX_LAYER_DEFAULT (4ULL << 30)
#define BAKE_MAX_IMAGE_DEFAULT (16ULL << 30)

struct bake_result {
	char arch[16];          /* the platform's (GOARCH name) */
	char fingerprint[72];   /* "sha256:<hex>" */
	char base[80];          /* "sha256:<hex>": base manifest or rootfs tree */
	char agent_sha256[65];
	char manifest[72];      /* OCI: the new manifest's digest */
	size_t manifest_size;
	char config[72];        /* OCI: the new config's digest */
	char layer[72];         /* OCI: the added layer's digest */
	size_t layer_entries;
	size_t layer_bytes;
	bool new_layer, new_config, new_manifest; /* OCI: which of the three this bake wrote
						   * (a refused bake takes those away again) */
};

/* With several agents, --rootfs takes the one of the root's architecture. */
int bake_rootfs(const char *dir, const struct bake_opts *o, struct bake_result *res, struct cerr *e);

/* The image tagged tag, baked as newtag. An image index is baked platform
 * by platform, each linux platform with the agent built for it (res[k]
 * for each, *nres of them), into a new index (its digest in index_digest)
 * that keeps every other entry as it was; one agent and an index: that
 * agent's platform alone, tagged as a plain image, as before. res holds
 * BAKE_AGENTS_MAX * 2 results. */
#define BAKE_PLATFORMS_MAX (BAKE_AGENTS_MAX * 2)
int bake_oci(const char *layout, const char *tag, const char *newtag, const struct bake_opts *o,
	     struct bake_result res[BAKE_PLATFORMS_MAX], size_t *nres, char index_digest[72], struct cerr *e);

/* ---- the fingerprint (bake_fp.c) ---- */

/* "sha256:<hex>" of the canonical JSON of the inputs (see docs/bake.md). */
int bake_fingerprint(const char *base_kind, const char *base, const char *agent_sha256,
		     const struct cert_list *cas, const char *set, char *const *run_args, size_t nrun, bool env_override,
		     char out[72], struct cerr *e);

#endif
