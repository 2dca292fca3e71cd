/*
 * run_source.h: the CA file `cainit run` is given (--ca, --wait, --watch):
 * read it, and install it as the set when its bytes differ from what this
 * source last installed.
 */
#ifndef CAINIT_RUN_SOURCE_H
#define CAINIT_RUN_SOURCE_H

#include "trust.h"
#include <stdbool.h>
#include <stddef.h>

#include "cerr.h"

struct ca_source {
	const char *path;
	const char *root;
	const char *set;
	struct trust_opts opts;  /* CERT_ALLOW_*, TRUST_NSS, JAVA_HOME */
	unsigned char *last;     /* the bytes last installed */
	size_t last_len;
	unsigned char *last_bad; /* the bytes last refused (warned about once) */
	size_t last_bad_len;
};

enum source_result {
	SOURCE_INSTALLED,  /* new CAs are trusted */
	SOURCE_UNCHANGED,  /* the same bytes as last time */
	SOURCE_MISSING,    /* no file yet, or an empty one (being written) */
	SOURCE_REFUSED,    /* not usable; e says why */
	SOURCE_FAILED,     /* the install failed; e says why */
};

/* Read the file and install it if it changed. For SOURCE_REFUSED and
 * SOURCE_FAILED, e holds the message and exit code; *repeat tells that the
 * same bad bytes were refused before (no need to say it twice). */
enum source_result source_apply(struct ca_source *s, bool *repeat, struct cerr *e);

void source_free(struct ca_source *s);

#endif
