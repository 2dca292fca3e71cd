/*
 * trust.h: the engine. Every front end (CLI, agent, entrypoint, baker)
 * calls these few functions and never touches trust-store files itself.
 *
 * A named set of CAs is made trusted in every store a root has: each real
 * bundle file, the distro's anchor directory, the OpenSSL hashed directory,
 * and cainit's CA-only file per set (/etc/cainit/sets/NAME.pem). Calls on
 * one root serialize on a lock; each call is one transaction.
 */
#ifndef CAINIT_TRUST_H
#define CAINIT_TRUST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "cert.h"
#include "env.h"
#include "cerr.h"
#include "scan.h"

#define TRUST_LOCK_TIMEOUT_MS 30000
#define TRUST_WARN_MAX 8
#define TRUST_WARN_LEN 512

enum {
	TRUST_NSS = 1 << 8,       /* also NSS databases (nss.c); beside CERT_ALLOW_* */
	TRUST_SENTINELS = 1 << 9, /* an install reports its sentinels (the agent) */
};

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

/* What an install or remove may do beyond the defaults (NULL: none). */
struct trust_opts {
	unsigned flags;        /* CERT_ALLOW_*, TRUST_NSS */
	const char *java_home; /* one more JDK (absolute, inside the root) */
	const char *nss_user;  /* with TRUST_NSS: create this user's ~/.pki/nssdb */
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
};

/* Are the sentinels' files still the very files the install left? */
bool trust_sentinels_hold(const struct trust_sentinel *v, size_t n);
void trust_sentinels_close(struct trust_sentinel *v, size_t n);

/* Make set hold exactly certs (refused per o->flags, see cert_list_check;
 * origin names the input in messages). Installing the same CAs again
 * writes nothing. Returns 0, CAINIT_EOPS or CAINIT_EINPUT. */
int trust_install(const char *root, const char *set, const struct cert_list *certs,
		  const struct trust_opts *o, const char *origin, struct trust_report *rep, struct cerr *e);

/* Remove set (every set when set is NULL) from every store. Removing a set
 * that is not there is not an error (rep->changes is 0). */
int trust_remove(const char *root, const char *set, const struct trust_opts *o, struct trust_report *rep,
		 struct cerr *e);

/* Add a warning line to rep (dropped past TRUST_WARN_MAX). */
void trust_warn(struct trust_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* If a change was interrupted (a killed run left /etc/cainit/txn), bring
 * its set back to the last change that finished in every store and sweep
 * the leftovers; *recovered tells whether there was one. install and remove
 * do this first anyway; the agent calls it when it starts. */
int trust_recover(const char *root, bool *recovered, struct cerr *e);

/* The sets whose last finished change is recorded (their CA-only files),
 * with their CAs; *out malloc'd, free with trust_records_free. */
struct trust_record {
	char name[SET_NAME_MAX + 1];
	struct cert_list cas;
};
int trust_records(const char *root, struct trust_record **out, size_t *n, struct cerr *e);
void trust_records_free(struct trust_record *v, size_t n);

/* ---- runtime variables ---- */

/* The runtime variables for root's managed CAs (env.h), at most
 * ENV_VARS_MAX in out: what install recorded in /etc/cainit/env; none when
 * no set is installed, unless ENV_PLANNED (then where they will point once
 * one is). Reads only. */
int trust_env(const char *root, unsigned flags, struct env_var *out, size_t *n, struct cerr *e);

/* ---- tmpfs ---- */

#define TMPFS_DIRS_MAX 8

struct tmpfs_report {
	size_t mounted;                      /* directories moved onto a tmpfs */
	size_t already;                      /* directories already on one */
	char dirs[TMPFS_DIRS_MAX][SHOW_MAX]; /* the ones moved */
};

/* Copy every directory cainit writes onto a tmpfs mounted over it (see
 * tmpfs.c). Without the privilege to mount, CAINIT_EOPS with reason
 * "no_privilege"; on any failure, every directory not reported in rep is
 * as it was. */
int trust_tmpfs(const char *root, struct tmpfs_report *rep, struct cerr *e);

/* ---- status ---- */

enum store_kind { STORE_BUNDLE, STORE_ANCHOR, STORE_HASHED, STORE_SET_FILE, STORE_KEYSTORE, STORE_NSS };

struct status_store {
	enum store_kind kind;
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

struct trust_status {
	char root[PATH_MAX];
	const char *layouts[8];
	size_t nlayouts;
	bool fallback;
	bool interrupted;            /* a change did not finish (swept by the next one) */
	struct status_store *stores; /* every store found (present/verified unused) */
	size_t nstores;
	struct status_set *sets;
	size_t nsets;
	char *made_dirs;             /* the directories cainit made, one per line (NULL: none) */
};

/* java_home: as for install (NULL: none). */
int trust_status(const char *root, const char *java_home, struct trust_status *st, struct cerr *e);
void trust_status_free(struct trust_status *st);
const char *store_kind_name(enum store_kind k);

/* ---- verify ---- */

struct verify_result {
	enum store_kind kind;
	char path[SHOW_MAX];
	bool ok;
	char why[192];
};

/* Verify chain->v[0] (the rest as intermediates) through every bundle,
 * hashed directory and Java keystore of root (a keystore also needs its
 * digest or MAC to check). *res (malloc'd, *nres entries); 0 when every
 * store verifies, CAINIT_EOPS when one fails or there is no store. */
int trust_verify(const char *root, const char *java_home, struct cert_list *chain,
		 struct verify_result **res, size_t *nres, struct cerr *e);

#endif
