/*
 * layout.h: the trust-store layouts cainit knows, as data.
 *
 * Each layout names its real bundle (what the distro's regenerator writes),
 * the other paths that point at it, the anchor directory the regenerator
 * reads, and the OpenSSL hashed directory. The paths are the ones listed
 * in docs/stores.md; this table is the single place the code holds them.
 */
#ifndef CAINIT_LAYOUT_H
#define CAINIT_LAYOUT_H

#include <stddef.h>

#include "paths.h"

struct layout {
	const char *name;        /* short id, shown by status */
	const char *distros;     /* who ships it */
	const char *bundle;      /* the real PEM bundle */
	const char *aliases[4];  /* other bundle paths that usually link to it */
	const char *anchor_dir;  /* input kept by the distro's regenerator */
	const char *hashed_dir;  /* OpenSSL HHHHHHHH.N directory */
	const char *regenerator; /* the distro tool that rebuilds the stores */
};

extern const struct layout layouts[];
extern const size_t n_layouts;

/* More bundle paths that TLS clients probe (Go's list, older distros). */
extern const char *const extra_bundles[];

/* Java keystores (`cacerts`): the distros' own, and where JDKs keep
 * theirs (JAVA_HOME/REL for every directory under each parent). */
extern const char *const java_keystores[];
struct java_parent {
	const char *dir;
	int depth; /* levels of directories below dir that may be a JDK */
};
extern const struct java_parent java_home_parents[];
extern const char *const java_home_keystores[];

/* (FALLBACK_BUNDLE, FALLBACK_HASHED_DIR and CAINIT_SET_DIR: paths.h) */

#endif
