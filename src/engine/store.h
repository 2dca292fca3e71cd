/*
 * store.h: the one interface every kind of trust store implements.
 *
 * A kind of store (bundles, anchor directories, the hashed directory, Java
 * keystores, NSS databases, cainit's own runtime files and records) is one
 * room: one file in engine/stores/ that finds its stores under a root,
 * plans a change to them, says whether a set is present and verified in
 * each, and removes a set from them. The engine never names a kind: it
 * walks store_table (store_table.c) in order, for every phase, the way
 * p11-kit's trust tool gives every output format one signature. Adding a
 * kind is one file, one row in the table, and its tests: see
 * docs/architecture.md.
 *
 * Every operation receives the whole scan: a room keeps its stores in its
 * own part of struct scan (scan.h) and may read what rooms before it in the
 * table found (the bundles tell which layouts a root has).
 */
#ifndef CAINIT_STORE_H
#define CAINIT_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "cerr.h"
#include "cert.h"
#include "plan.h"
#include "report.h"
#include "scan.h"

/* Where status and verify collect what a room says about its stores. */
struct store_sink {
	struct status_store **v;
	size_t *n;
};

/* Append a store named path of kind to a sink; NULL when out of memory. */
struct status_store *store_push(struct store_sink *out, const char *kind, const char *path);

/* A chain to verify through every store (trust_verify). */
struct store_chain {
	X509 *leaf;
	STACK_OF(X509) *untrusted;   /* the rest of the chain */
	STACK_OF(X509) *all;         /* the leaf and the rest */
};

/* Where verify collects its results. */
struct verify_sink {
	struct verify_result *v;
	size_t n, cap;
};

/* A new, zeroed result at the end of out, of kind and path; NULL when out
 * of memory. */
struct verify_result *store_push_result(struct verify_sink *out, const char *kind, const char *path);

typedef void (*store_dir_fn)(void *ctx, const char *dir);
typedef void (*store_name_fn)(void *ctx, const char *set);

struct store_ops {
	const char *name;   /* the kind, as status and verify print it */
	/* 0: found by every scan; else found only when this SCAN_* bit is set */
	unsigned scan_flag;
	/* Find this kind's stores under s->r and read what an operation on
	 * s->set needs. Rows are called in table order. */
	int (*find)(struct scan *s, const struct scan_opts *o, struct cerr *e);
	/* Deep scans only: list the stores' directories, note every set's
	 * records in s->known, and (clean) sweep a killed run's temp files. */
	int (*list)(struct scan *s, bool clean, struct cerr *e);
	/* Add to t what makes every store of this kind hold exactly w's CAs
	 * for w->set (w->certs NULL: no trace of w->set, or of every set).
	 * Nothing when a store already does. Rows are planned in table order,
	 * which is the order the change is committed in. */
	int (*plan)(struct scan *s, struct want *w, struct txn *t, struct cerr *e);
	/* status: every store found, present and verified unset; NULL: the
	 * room's files are not stores (cainit's own runtime files). */
	int (*inventory)(struct scan *s, struct store_sink *out);
	/* status: for set ss->name and its CAs ss->cas, each store and whether
	 * it holds exactly them (present) and each verifies through it. */
	int (*check)(struct scan *s, struct status_set *ss, struct cerr *e);
	/* The CAs recorded for set, when out is still empty (status reads the
	 * last row, the record, first, then the others in order). */
	void (*cas_of)(struct scan *s, const char *set, struct cert_list *out);
	/* The set names this room's files carry (deep scans). */
	void (*names)(const struct scan *s, store_name_fn fn, void *ctx);
	/* verify: one result per store, through libcrypto (-1: out of memory). */
	int (*verify)(struct scan *s, const struct store_chain *c, struct verify_sink *out);
	/* How many stores hold the set after an install (trust_report.stores). */
	size_t (*count)(const struct scan *s);
	/* The directories the room writes in (cainit run --tmpfs). */
	void (*dirs)(const struct scan *s, store_dir_fn fn, void *ctx);
	void (*free)(struct scan *s);
};

/* Every kind, in the order of a change: the CA-only record last. */
extern const struct store_ops *const store_table[];
extern const size_t store_table_len;

/* The rows (one file each in engine/stores/). */
extern const struct store_ops store_bundles;
extern const struct store_ops store_python;
/* Plan /etc/cainit/python-envs: the prefixes found (keep), or its removal. */
int python_plan_env_record(struct scan *s, bool keep, struct txn *t, struct cerr *e);
extern const struct store_ops store_anchors;
extern const struct store_ops store_hashed;
extern const struct store_ops store_keystores;
extern const struct store_ops store_nss;
extern const struct store_ops store_runtime;
extern const struct store_ops store_start_paths;
extern const struct store_ops store_python_site;
extern const struct store_ops store_pip_conf;
extern const struct store_ops store_npm_conf;
extern const struct store_ops store_conda_rc;
extern const struct store_ops store_bunfig;
extern const struct store_ops store_merged;
extern const struct store_ops store_made_dirs;
extern const struct store_ops store_set_files;

/* Shared by the rooms. */

/* Does dirfd/name hold exactly the rendering of (set, certs)? */
bool store_file_holds(int dirfd, const char *name, const char *set, const struct cert_list *certs);

/* Parse buf's certificates into dst, those it lacks (status). */
void store_parse_into(struct cert_list *dst, const char *buf, size_t len);

/* 1 when every CA of cas verifies through store, else 0 with why. */
int store_verify_all(X509_STORE *store, const struct cert_list *cas, char *why, size_t n);

#endif
