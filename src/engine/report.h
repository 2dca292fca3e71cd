/*
 * report.h: what the engine tells about a change and about the stores: a
 * change's report (stores, changes, warnings, sentinels), each store as
 * status shows it, and each store's verdict for verify. Part of the
 * engine's public header (trust.h includes it); the rooms (store.h) fill
 * these without depending on the API that calls them.
 */
#ifndef CAINIT_REPORT_H
#define CAINIT_REPORT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "cert.h"
#include "paths.h"

#define TRUST_WARN_MAX 8
#define TRUST_WARN_LEN 512

#define TRUST_SENTINELS_MAX 4

/* A file whose identity says that a set is still as an install left it:
 * the set's CA-only file (its record: gone after `remove`, replaced by any
 * other change of the set) and each real bundle (rewritten by whoever
 * edits or regenerates it). The agent answers a repeated request from
 * memory only while every sentinel is unchanged: one fstatat each,
 * relative to the pinned directory, never a path walk. */
struct trust_sentinel {
	int dirfd;               /* O_PATH, the file's directory; owned */
	char name[NAME_MAX + 1];
	struct stat st;          /* as the install left it */
};

struct trust_report {
	size_t stores;   /* stores that hold the set afterwards (install) */
	size_t changes;  /* files written, linked, renamed or removed */
	size_t sets;     /* sets found and removed (remove) */
	size_t nss;      /* NSS databases changed */
	bool fallback;   /* the root had no store: cainit owns its bundle */
	/* stores left alone (a keystore that does not parse, no certutil...):
	 * never a failure of the rest */
	char warnings[TRUST_WARN_MAX][TRUST_WARN_LEN];
	size_t nwarnings;
	/* with TRUST_SENTINELS, after an install: close with trust_sentinels_close */
	struct trust_sentinel sentinels[TRUST_SENTINELS_MAX];
	size_t nsentinels;
	/* after an install with TRUST_HOLD: the lock that keeps the set (close
	 * it after removing the set); else -1 */
	int hold_fd;
};

/* Add a warning line to rep (dropped past TRUST_WARN_MAX). */
void trust_warn(struct trust_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct status_store {
	const char *kind;    /* the kind of store: "bundle", "anchor", "hashed",
			      * "keystore", "nss", "ca-file" (store.h) */
	char path[ENTRY_SHOW_MAX];
	const char *layout;  /* anchor dirs: the layout they belong to;
			      * keystores: "jks" or "pkcs12" */
	bool present;        /* holds exactly the set's CAs */
	int verified;        /* 1 / 0: every CA verifies through it; -1: n/a */
	char why[192];       /* first verification failure; in the list of
			      * every store: why it is left alone */
};

struct status_set {
	char name[SET_NAME_MAX + 1];
	struct cert_list cas;
	struct status_store *stores;
	size_t nstores;
};

struct verify_result {
	const char *kind;
	char path[SHOW_MAX];
	bool ok;
	char why[192];
};

#endif
