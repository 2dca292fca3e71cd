/*
 * tree.h: whole directory trees, never following a symlink and never
 * crossing into another mounted filesystem: a sorted walk, a recursive
 * remove, and the snapshot/diff bake uses to turn what the engine changed
 * in an unpacked image root into one new layer.
 */
#ifndef CAINIT_TREE_H
#define CAINIT_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "cerr.h"

/* The deepest a walked tree may be: directories nested inside the walked
 * one (an unpacked image's entries are refused deeper, rootfs.h). Walks
 * and removals keep one directory fd per level on the heap, never on the
 * stack, so this bounds both their memory and their fds. */
#define TREE_DEPTH_MAX 256
/* A removal goes a little deeper: an unpacked root sits two directories
 * below the scratch directory that is removed whole. */
#define TREE_REMOVE_DEPTH_MAX (TREE_DEPTH_MAX + 16)

/* Called for every entry below the walked directory, parents before their
 * children, names in byte order. path is relative ("etc/ssl/certs"), dirfd
 * holds name. Return 0 to go on (into a directory too), 1 not to descend
 * into this directory, or a cerr code to stop. */
typedef int (*tree_visit_fn)(int dirfd, const char *name, const char *path, const struct stat *st,
			     void *ctx, struct cerr *e);

int tree_walk(int dirfd, const char *show, tree_visit_fn fn, void *ctx, struct cerr *e);

/* Remove dirfd/name and, for a directory, everything in it. */
int tree_remove_at(int dirfd, const char *name, const char *show, struct cerr *e);

struct tree_node {
	char *path;
	struct stat st;
};

struct tree_snapshot {
	struct tree_node *v;
	size_t n, cap;
};

/* Every entry of the tree with its lstat, sorted by path. */
int tree_snapshot(int dirfd, const char *show, struct tree_snapshot *s, struct cerr *e);
void tree_snapshot_free(struct tree_snapshot *s);

struct tree_change {
	char *path;
	bool deleted;     /* gone (only the topmost of a removed subtree) */
	struct stat st;   /* the entry now, when not deleted */
};

/* What differs now from `before`, sorted by path: entries that are new or
 * were replaced or modified (a directory only when it is new or its mode or
 * owner changed: new children do not make it a change), and removed ones. */
int tree_diff(int dirfd, const char *show, const struct tree_snapshot *before,
	      struct tree_change **out, size_t *n, struct cerr *e);
void tree_changes_free(struct tree_change *v, size_t n);

#endif
