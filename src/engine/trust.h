/*
 * trust.h: the engine. Every front end (CLI, agent, entrypoint, baker)
 * calls these few functions and never touches trust-store files itself.
 *
 * A named set of CAs is made trusted in every store a root has: each real
 * bundle file, the distro's anchor directory, the OpenSSL hashed directory,
 * Java keystores, NSS databases (with TRUST_NSS), and cainit's CA-only file
 * per set (/etc/cainit/sets/NAME.pem). Calls on one root serialize on a
 * lock; each call is one transaction. This is the engine's only public
 * header: front ends include it (and the util/ helpers), nothing else of
 * the engine (docs/architecture.md).
 */
#ifndef CAINIT_TRUST_H
#define CAINIT_TRUST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "cerr.h"
#include "cert.h"
#include "env.h"
#include "passwd.h"
#include "paths.h"
#include "report.h"

#define TRUST_LOCK_TIMEOUT_MS 30000

enum {
	TRUST_NSS = 1 << 8,       /* also NSS databases (nss.c); beside CERT_ALLOW_* */
	TRUST_SENTINELS = 1 << 9, /* an install reports its sentinels (the agent) */
	TRUST_HOLD = 1 << 10,     /* a temporary set: it lives while rep->hold_fd is
				   * open; the next change after that removes it
				   * (held.c; doctor's canary) */
	TRUST_FULL = 1 << 11,     /* scan every time: no seal read or written,
				   * and any seal the root has is dropped (bake:
				   * what it reports is what it found) */
};

/* What an install or remove may do beyond the defaults (NULL: none). */
struct trust_opts {
	unsigned flags;        /* CERT_ALLOW_*, TRUST_NSS */
	const char *java_home; /* one more JDK (absolute, inside the root) */
	const char *const *python_envs; /* more Python prefixes (venvs), NULL-terminated; recorded */
	const char *nss_user;  /* with TRUST_NSS: create this user's ~/.pki/nssdb */
};

/* Are the sentinels' files still the very files the install left? */
bool trust_sentinels_hold(const struct trust_sentinel *v, size_t n);
void trust_sentinels_close(struct trust_sentinel *v, size_t n);

/* Make set hold exactly certs (refused per o->flags, see cert_list_check;
 * origin names the input in messages). Installing the same CAs again
 * changes no store: the one file it may write is the seal
 * (/etc/cainit/seal/last, seal.h), which lets the next such install stop
 * after one stat of each path the scan looked at. Returns 0, CAINIT_EOPS
 * or CAINIT_EINPUT. */
int trust_install(const char *root, const char *set, const struct cert_list *certs,
		  const struct trust_opts *o, const char *origin, struct trust_report *rep, struct cerr *e);

/* Remove set (every set when set is NULL) from every store. Removing a set
 * that is not there is not an error (rep->changes is 0). */
int trust_remove(const char *root, const char *set, const struct trust_opts *o, struct trust_report *rep,
		 struct cerr *e);

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

/* The virtual environments earlier installs were given (--python-env,
 * run's $VIRTUAL_ENV) that the root still has: their prefixes as seen
 * inside root, from the engine's record (/etc/cainit/python-envs); *out
 * malloc'd (NULL when none), free it. Reads only. */
int trust_python_envs(const char *root, char (**out)[PATH_MAX], size_t *n, struct cerr *e);

/* Where the engine looks for Python prefixes (stores/python.c), each
 * prefix's lib/python* holding the bundles it keeps: absolute, and
 * relative to each home of /etc/passwd; a "*" is every directory there.
 * NULL-terminated. (Doctor runs the Pythons it finds at the same places.) */
extern const char *const trust_python_root_prefixes[];
extern const char *const trust_python_home_prefixes[];

/* Before any set: write the runtime files and the start paths (docs/env.md)
 * with the paths a set will have, so that every process a booted image
 * starts already points at them (bake without CAs, for an agent that will
 * receive them). Nothing when a set is installed; the next change that
 * leaves no set takes them away. */
int trust_prepare(const char *root, struct trust_report *rep, struct cerr *e);

/* ---- runtime variables ---- */

/* The runtime variables for root's managed CAs (env.h), at most
 * ENV_VARS_MAX in out: what install recorded in /etc/cainit/env; none when
 * no set is installed, unless ENV_PLANNED (then where they will point once
 * one is). Reads only. */
int trust_env(const char *root, unsigned flags, struct env_var *out, size_t *n, struct cerr *e);

/* The user a root's programs run as (doctor's clients inside a sandbox):
 * want (a name or a uid) when given, else the root's first user with a uid
 * from 1000 to 60000 in its /etc/passwd, else root. CAINIT_EINPUT when the
 * root has no such want. */
int trust_root_user(const char *root, const char *want, struct passwd_entry *out, struct cerr *e);

/* var is set by the caller to value (a path as seen inside root). When its
 * file lacks a managed CA, write /etc/cainit/merged-NAME.pem: the caller's
 * certificates and every set's CAs, kept current by every later change and
 * removed with the last set; *res says what to do (env.h), out the merged
 * file's path for ENV_MERGE_NEW. Takes the root's lock. */
int trust_env_merge(const char *root, const struct env_var *var, const char *value, enum env_merge *res,
		    char out[ENV_VALUE_MAX], struct cerr *e);

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

/* ---- verify ---- */

/* Verify chain->v[0] (the rest as intermediates) through every bundle,
 * hashed directory and Java keystore of root (a keystore also needs its
 * digest or MAC to check). *res (malloc'd, *nres entries); 0 when every
 * store verifies, CAINIT_EOPS when one fails or there is no store. */
int trust_verify(const char *root, const char *java_home, struct cert_list *chain,
		 struct verify_result **res, size_t *nres, struct cerr *e);

/* ---- the tree hash (bake's fingerprint of a root) ---- */

/* "sha256:<hex>" of a root filesystem's content as cainit found it before
 * any bake: every non-directory entry's path, type, mode, owner and
 * content, leaving out what cainit itself writes (agent_path, /etc/cainit,
 * files named cainit.*, links to them, the profile script, and cainit's
 * blocks inside bundles). tree_hash.c */
int trust_tree_hash(const char *dir, const char *agent_path, char out[80], struct cerr *e);

#endif
