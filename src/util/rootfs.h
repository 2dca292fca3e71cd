/*
 * rootfs.h: confined file access under a root directory.
 *
 * Every path cainit touches is resolved here, component by component, with
 * symlinks followed the way the root's own processes would see them:
 * absolute targets restart at the root and ".." stops at it (the semantics
 * of openat2's RESOLVE_IN_ROOT, done in user space so it also works where
 * openat2 is missing, as under gVisor). The result is a directory fd pinned
 * inside the root plus a final name that is not a symlink; all opens and
 * renames happen relative to that fd with O_NOFOLLOW, so nothing under the
 * root can steer a read or a write outside it.
 */
#ifndef CAINIT_ROOTFS_H
#define CAINIT_ROOTFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "cerr.h"

struct rootfs_dir {
	char *canon;
	unsigned hash; /* of canon: compared before the string */
	int fd;
};

struct rootfs {
	int fd;                 /* the root: readable, or O_PATH where only that opens */
	bool fd_is_path;        /* fd is O_PATH (it cannot carry the flock) */
	char prefix[PATH_MAX];  /* root path for messages; "" when the root is "/" */
	struct rootfs_dir *dirs; /* canonical directory path -> pinned fd */
	size_t ndirs, capdirs;
	unsigned *slots;        /* open-addressed index of dirs (index + 1; 0 empty) */
	size_t nslots;          /* a power of two, at least twice ndirs */
	int lockfd;             /* fd holding the flock (r->fd unless lock_owned) */
	bool lock_owned;
	unsigned max_depth;     /* refuse paths with more components (0: no limit) */
	char **created;         /* directories RP_MKDIRS made (canonical), in order */
	size_t ncreated;
	struct rootfs_seen *seen; /* while watched: what was looked at (rootfs_watch) */
	size_t nseen, capseen;
	char *seen_names;       /* their names, each NUL-terminated, one after another */
	size_t names_len, names_cap;
	bool watch_lost;        /* the watch missed something: it proves nothing */
};

/* A file an operation looked at while watched: its directory (a pinned fd
 * of the cache, or the root's), its name, and its stat then. */
struct rootfs_seen {
	int dirfd;
	size_t name;    /* offset in seen_names */
	struct stat st;
};

struct rpath {
	char canon[PATH_MAX];   /* absolute inside the root, no symlink in it */
	char base[NAME_MAX + 1]; /* final component ("" for RP_DIR) */
	int dirfd;              /* directory holding base (or the dir itself with RP_DIR);
				 * -1 when a parent is missing; borrowed from the cache */
	bool exists;
	struct stat st;         /* lstat of the final component when it exists */
};

enum {
	RP_DIR = 1 << 0,    /* the path names a directory: dirfd is that directory */
	RP_MKDIRS = 1 << 1, /* create missing directories (mode 0755) on the way */
	RP_NOFOLLOW = 1 << 2, /* the final component as it is, even a symlink (the
			       * parents are still resolved inside the root) */
};

int rootfs_open(struct rootfs *r, const char *path, struct cerr *e);
void rootfs_close(struct rootfs *r);

/* Drop the pinned directory fds. Whoever removes a directory, or mounts
 * over one, calls it (a pinned fd would still reach what is gone or
 * underneath); nothing else changes a directory that was pinned. */
void rootfs_forget(struct rootfs *r);

/* canon is not one of the directories RP_MKDIRS made, for this root's
 * record of them (a directory whose maker takes it away itself). */
void rootfs_made_forget(struct rootfs *r, const char *canon);

/* Resolve path inside the root; 0, or CAINIT_EOPS with the message in e. */
int rootfs_resolve(struct rootfs *r, const char *path, unsigned flags, struct rpath *out, struct cerr *e);

/* "<root><canon>" for messages. */
const char *rootfs_show(const struct rootfs *r, const char *canon, char *buf, size_t n);

/* Open dirfd/name for reading, never following a final symlink, never
 * blocking on a FIFO or becoming a terminal's controlling process
 * (O_NOFOLLOW|O_NONBLOCK|O_NOCTTY), and check on that descriptor that it is
 * a regular file. *fd is -1 (and 0 returned) when it does not exist. */
int rootfs_open_regular(int dirfd, const char *name, const char *show, int *fd, struct stat *st,
			struct cerr *e);

/* Read dirfd/name (not following a final symlink) if it is a regular file of
 * at most max bytes; *buf is NULL (and 0 returned) when it does not exist. */
int rootfs_read_at(int dirfd, const char *name, const char *show, size_t max,
		   char **buf, size_t *len, struct stat *st, struct cerr *e);

/* Read a regular file (no FIFOs, no devices) of at most max bytes. */
int rootfs_read(struct rootfs *r, const struct rpath *p, size_t max, char **buf, size_t *len, struct cerr *e);

/* Watch what this thread does under r (on) until told to stop (off):
 * every regular file opened for reading and every final component the
 * resolver stat'ed is noted in r->seen with its stat; a listing of a
 * directory the cache does not hold, or the cache dropped, sets
 * r->watch_lost. With the stamps of the pinned directories, that is all
 * an operation's outcome depended on (the engine's seal, seal.c). */
void rootfs_watch(struct rootfs *r, bool on);
/* dir_each tells the watch which directory it lists. */
void rootfs_watch_listing(int dirfd);

/* Is b the file a was, unchanged: the same device, inode, type and size,
 * and the same mtime and ctime to the nanosecond? (ctime cannot be set:
 * any write, chmod, rename or link count change moves it.) */
bool rootfs_same_stamp(const struct stat *a, const struct stat *b);

/* Serialize cainit processes on this root: flock(2) on the root directory
 * itself, so nothing is created and a holder killed by SIGKILL frees it.
 * Waits up to timeout_ms. */
int rootfs_lock(struct rootfs *r, int timeout_ms, struct cerr *e);
void rootfs_unlock(struct rootfs *r);

#endif
