/*
 * seal.h: an install that would change nothing, answered from one small
 * file instead of a scan of the whole root.
 *
 * After an install that found every store already right, the engine writes
 * /etc/cainit/seal/last: what was asked (the CAs, the options) and the
 * stamp (device, inode, type, size, mtime, ctime) of every directory the
 * scan pinned and every file it looked at. The next install of the same
 * thing checks those stamps, one stat each, and stops there when all hold.
 * Anything that could change the outcome changes a stamp: a file edited
 * changes its ctime, a name added, removed or renamed changes its
 * directory's. A stamp taken too close to the run's start is not trusted
 * (a change in the same clock tick would leave it as it was), so no seal is
 * written then. Engine-internal (trust.c).
 */
#ifndef CAINIT_SEAL_H
#define CAINIT_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#include "cert.h"
#include "paths.h"
#include "rootfs.h"

#define SEAL_DIR_NAME "seal" /* /etc/cainit/seal/ */
#define SEAL_FILE_NAME "last"
#define SEAL_MAX (1024 * 1024)
#define SEAL_ENTRIES_MAX 8192
#define SEAL_KEY_LEN 64 /* hex SHA-256 */

struct seal_entry {
	char kind;        /* 'd' a directory, 'f' anything else looked at */
	struct stat st;   /* dev, ino, mode, size, mtim, ctim are kept */
	const char *path; /* absolute inside the root, canonical */
};

struct seal {
	char key[SEAL_KEY_LEN + 1];
	char set[SET_NAME_MAX + 1];
	size_t stores;
	bool fallback;
	struct seal_entry *v;
	size_t n;
	char *text; /* the paths point into it */
};

/* What an install asks, as the seal's key: the set, its CAs, and the
 * options that change what a scan finds or writes (flags as trust.h's,
 * without those that only say who asks; python_envs NULL-terminated). */
void seal_key(char out[SEAL_KEY_LEN + 1], const char *set, const struct cert_list *cas, unsigned flags,
	      const char *java_home, const char *const *python_envs, const char *nss_user);

/* Parse a seal (untrusted: it is a file in the root); 0 or -1. */
int seal_parse(const char *buf, size_t len, struct seal *out);
/* The seal's text (malloc'd), or NULL. */
char *seal_format(const struct seal *s, size_t *len);
void seal_free(struct seal *s);

/* Does the root's seal answer this install (key, set)? Then *stores and
 * *fallback are the report of the install that wrote it. Reads only. */
bool seal_holds(struct rootfs *r, const char *key, const char *set, size_t *stores, bool *fallback);

/* After an install that changed nothing, watched (rootfs_watch) since
 * before the scan, which began at t0: write the seal, when every stamp is
 * old enough to trust. Best effort: a root that cannot take it (read-only)
 * just has none. */
void seal_write(struct rootfs *r, const char *key, const char *set, size_t stores, bool fallback,
		const struct timespec *t0);

/* The seal and its directory gone: before a change that leaves no set (the
 * root as it was), or bake's. Any other change leaves a seal that can never
 * hold again (the change marks itself in /etc/cainit, whose stamp every
 * seal holds), overwritten by the next. */
void seal_drop(struct rootfs *r);
/* The directory the next seal goes in (after a change that left sets). */
void seal_dir_make(struct rootfs *r);

#endif
