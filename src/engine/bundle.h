/*
 * bundle.h: cainit's blocks inside a PEM bundle, as pure in-memory edits.
 *
 * A block is self-describing, so any process (a fresh one, or one started
 * after a crash) knows which bytes are cainit's without a state file:
 *
 *   # cainit set=NAME sha256=AB:CD:... hash=HHHHHHHH subject=CN=...
 *   -----BEGIN CERTIFICATE-----
 *   ...
 *   -----END CERTIFICATE-----
 *
 * (hash is the OpenSSL subject hash, which names the CA's hashed-directory
 * entries). "# cainit+nl" marks a block that also owns the newline before it (added
 * because the bytes before it did not end with one). Edits keep every byte
 * outside cainit's blocks as it was and append new blocks at the end.
 */
#ifndef CAINIT_BUNDLE_H
#define CAINIT_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

#include "cert.h"
#include "paths.h"
#include "rope.h"


/* The first line of a bundle cainit created itself (root had none). */
#define BUNDLE_HEADER "# cainit: this bundle was created by cainit because the root had no trust store; it is deleted with the last managed CA\n"

struct bblock {
	size_t start;        /* first byte owned (the separator newline when nl) */
	size_t marker;       /* offset of "# cainit" */
	size_t pem;          /* offset of the BEGIN line */
	size_t end;          /* one past the END line and its newline */
	char set[SET_NAME_MAX + 1];
	unsigned char sha256[32];
	unsigned long hash;  /* subject hash, when has_hash */
	bool has_hash;
	bool nl;
	bool header;         /* BUNDLE_HEADER line: no certificate */
};

struct bundle_view {
	const char *buf;
	size_t len;
	struct bblock *blocks;
	size_t n;
	bool created;        /* starts with BUNDLE_HEADER */
};

/* (set_name_valid: paths.h) */

/* Find cainit's blocks in buf (which must outlive the view). -1 on ENOMEM. */
int bundle_scan(const char *buf, size_t len, struct bundle_view *v);
void bundle_view_free(struct bundle_view *v);

/* True when the blocks of `set` hold exactly `want` (any order), each in
 * canonical form; with want == NULL or empty, true when set has no block. */
bool bundle_set_matches(const struct bundle_view *v, const char *set, const struct cert_list *want);

/* Number of certificate blocks of `set` (all sets when set is NULL). */
size_t bundle_count(const struct bundle_view *v, const char *set);

/*
 * New content: v's bytes without the blocks of drop_set (every set when
 * drop_set is NULL), then `add` rendered as blocks of add_set at the end.
 * *delete_file is set when nothing but a cainit-created header would
 * remain. With v == NULL, a new bundle: header plus blocks.
 */
int bundle_edit(const struct bundle_view *v, const char *drop_set,
		const char *add_set, const struct cert_list *add,
		struct rope *out, bool *delete_file);

/* Blocks for `certs` of `set`, as in a CA-only or anchor file. */
int bundle_render(const char *set, const struct cert_list *certs, struct rope *out);

/*
 * For an in-place rewrite that must not change the file's length: a copy of
 * buf with `pad` spaces added at the end of its last marker line, provided
 * that line ends at or after `from` (the first byte the rewrite changes).
 * NULL when there is no such line (or on ENOMEM).
 */
char *bundle_pad_marker(const char *buf, size_t len, size_t from, size_t pad);

#endif
