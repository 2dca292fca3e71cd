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

/* Write the agent at BAKE_AGENT_PATH inside r (mode 0755, temp + rename). */
int bake_agent_place(struct rootfs *r, const struct bake_agent *a, struct cerr *e);

/* The image architecture (GOARCH names, as in OCI configs) an ELF
 * e_machine runs as; NULL when unknown. */
const char *bake_machine_arch(unsigned machine);

struct bake_opts {
	const char *agent;               /* NULL: /proc/self/exe */
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
	char fingerprint[72];   /* "sha256:<hex>" */
	char base[80];          /* "sha256:<hex>": base manifest or rootfs tree */
	char agent_sha256[65];
	char manifest[72];      /* OCI: the new manifest's digest */
	char config[72];        /* OCI: the new config's digest */
	char layer[72];         /* OCI: the added layer's digest */
	size_t layer_entries;
	size_t layer_bytes;
};

int bake_rootfs(const char *dir, const struct bake_opts *o, struct bake_result *res, struct cerr *e);
int bake_oci(const char *layout, const char *tag, const char *newtag, const struct bake_opts *o,
	     struct bake_result *res, struct cerr *e);

/* ---- the fingerprint (bake_fp.c) ---- */

/* "sha256:<hex>" of the canonical JSON of the inputs (see docs/bake.md). */
int bake_fingerprint(const char *base_kind, const char *base, const char *agent_sha256,
		     const struct cert_list *cas, const char *set, char *const *run_args, size_t nrun, bool env_override,
		     char out[72], struct cerr *e);

#endif
