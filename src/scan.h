/*
 * scan.h: what trust stores a root has, read once per operation.
 *
 * Layouts are detected from files under the root: a layout is present when
 * its real bundle exists there (and is not one cainit created) or its anchor
 * directory does. Bundles are every known bundle path that resolves, inside
 * the root, to a regular file, each real file once. A root with no bundle at
 * all gets cainit's own at FALLBACK_BUNDLE.
 */
#ifndef CAINIT_SCAN_H
#define CAINIT_SCAN_H

#include <limits.h>
#include <stdbool.h>

#include "bundle.h"
#include "err.h"
#include "layout.h"
#include "rootfs.h"

#define SHOW_MAX (PATH_MAX + 64)
#define ENTRY_SHOW_MAX (SHOW_MAX + NAME_MAX + 2) /* a store path + "/" + a name */
#define BUNDLE_MAX (64 * 1024 * 1024)

struct bundle_store {
	struct rpath p;
	char show[SHOW_MAX];
	char *buf;
	size_t len;
	struct bundle_view view;
	bool exists;          /* false: cainit will create it (no store at all) */
};

/* An OpenSSL hash entry "HHHHHHHH.N" in a hashed directory. */
struct hash_link {
	unsigned long hash;
	unsigned idx;
	char name[24];
	bool is_link;
	bool target_read;
	char *target;         /* readlink, read on demand */
};

/* A file cainit owns: "cainit.SET.FP16.HASH8.pem" (hashed dir),
 * "cainit.SET.crt" (anchor dir), "SET.pem" (set dir), or the
 * "cainit.SET.pem" link update-ca-certificates makes from an anchor. */
struct owned_file {
	char set[SET_NAME_MAX + 1];
	char name[NAME_MAX + 1];
	char fp16[17];
	unsigned long hash;
};

struct hashed_store {
	struct rpath p;
	char show[SHOW_MAX];
	bool exists;
	struct hash_link *links;
	size_t nlinks;
	struct owned_file *cas;     /* cainit.SET.FP16.HASH8.pem */
	size_t ncas;
	struct owned_file *derived; /* cainit.SET.pem symlinks */
	size_t nderived;
};

struct anchor_store {
	struct rpath p;
	char show[SHOW_MAX];
	const struct layout *layout;
	bool exists;
	struct owned_file *files;   /* cainit.SET.crt */
	size_t nfiles;
};

struct scan {
	struct rootfs *r;
	const struct layout *layouts[8];
	size_t nlayouts;
	struct bundle_store *bundles;
	size_t nbundles;
	struct anchor_store *anchors;
	size_t nanchors;
	struct hashed_store *hashed;
	size_t nhashed;
	struct rpath setdir;
	char setdir_show[SHOW_MAX];
	bool setdir_exists;
	struct owned_file *setfiles; /* SET.pem */
	size_t nsetfiles;
	bool fallback;               /* the root had no store: cainit owns the bundle */
};

enum {
	SCAN_CREATE = 1 << 0,      /* create missing store directories (install) */
	SCAN_CLEAN_TEMPS = 1 << 1, /* remove leftovers of killed runs (lock held) */
};

int scan_root(struct rootfs *r, unsigned flags, struct scan *s, struct cerr *e);
void scan_free(struct scan *s);

/* The distinct set names found anywhere in s (only `only` when not NULL);
 * up to max, pointing into s. Returns how many. */
size_t scan_set_names(const struct scan *s, const char *only, const char **out, size_t max);

/* readlink of a hash entry, cached; NULL when not a symlink. */
const char *scan_link_target(struct hashed_store *h, struct hash_link *l);

/* File names cainit uses; out holds NAME_MAX + 1 bytes. */
void name_ca_file(char *out, const char *set, const struct cert *c);
void name_anchor(char *out, const char *set);
void name_derived(char *out, const char *set);
void name_set_file(char *out, const char *set);
void name_hash_link(char *out, unsigned long hash, unsigned idx);

#endif
