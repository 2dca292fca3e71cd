/*
 * unpack.c: one layer applied to an unpacked image root (see unpack.h), the
 * way container runtimes apply it (umoci's and containers/storage's rules,
 * which the tests compare with): every entry's parent directory is resolved
 * inside the root, following symlinks the root's own processes would
 * follow; the entry's own name is never followed. A file, link or
 * directory over an existing symlink replaces the link, not what it points
 * at; ".wh.NAME" removes NAME itself (a symlink, not its target);
 * ".wh..wh..opq" empties its directory of what lower layers put there, and
 * keeps what this layer has already added to it. Whiteouts never remove
 * what the same layer created.
 */
#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layer_stream.h"
#include "tar.h"
#include "tree.h"

#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"

/* The canonical paths this layer created: a set of strings. */
struct created {
	char **slot;
	size_t cap, n;
};

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static bool created_has(const struct created *c, const char *path)
{
	size_t i;

	if (c->cap == 0)
		return false;
	for (i = hash_str(path) & (c->cap - 1); c->slot[i] != NULL; i = (i + 1) & (c->cap - 1))
		if (strcmp(c->slot[i], path) == 0)
			return true;
	return false;
}

static int created_add(struct created *c, const char *path)
{
	size_t i;

	if (created_has(c, path))
		return 0;
	if ((c->n + 1) * 2 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		char **s = calloc(cap, sizeof(*s));

		if (s == NULL)
			return -1;
		for (size_t k = 0; k < c->cap; k++)
			if (c->slot[k] != NULL) {
				for (i = hash_str(c->slot[k]) & (cap - 1); s[i] != NULL; i = (i + 1) & (cap - 1))
					;
				s[i] = c->slot[k];
			}
		free(c->slot);
		c->slot = s;
		c->cap = cap;
	}
	for (i = hash_str(path) & (c->cap - 1); c->slot[i] != NULL; i = (i + 1) & (c->cap - 1))
		;
	if ((c->slot[i] = strdup(path)) == NULL)
		return -1;
	c->n++;
	return 0;
}

static void created_free(struct created *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->slot[i]);
	free(c->slot);
	memset(c, 0, sizeof(*c));
}

/* "/a/b" from "./a//b/", refusing ".." anywhere; "" for the root itself. */
static int normalize(const char *in, char *out, size_t n, const char *show, struct cerr *e)
{
	size_t k = 0;
	const char *p = in;

	while (*p) {
		const char *end;
		size_t len;

		while (*p == '/')
			p++;
		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			break;
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return cerr_input(e, "bad_layer", "%s: entry \"%s\" climbs out with \"..\"", show, in);
		if (!(len == 1 && p[0] == '.')) {
			if (k + 1 + len + 1 > n)
				return cerr_input(e, "bad_layer", "%s: entry \"%.64s...\" is too long", show, in);
			out[k++] = '/';
			memcpy(out + k, p, len);
			k += len;
		}
		p += len;
	}
	out[k] = '\0';
	return 0;
}

static int set_owner_mode(int dirfd, const char *name, const struct tar_entry *ent, bool is_link,
			  const char *where, struct cerr *e)
{
	mode_t mode = ent->mode;

	/* (unprivileged, everything stays the caller's: ownership is not ours
	 * to give, and a directory stays writable by its owner, so that the
	 * layers above, the engine and the clean-up can still work in it; the
	 * baked layer only carries directories the engine made or changed) */
	if (geteuid() == 0 && fchownat(dirfd, name, ent->uid, ent->gid, AT_SYMLINK_NOFOLLOW) != 0)
		return cerr_sys(e, where, "chown", errno);
	if (geteuid() != 0 && ent->type == TAR_DIR)
		mode |= S_IRWXU;
	if (!is_link && fchmodat(dirfd, name, mode, 0) != 0)
		return cerr_sys(e, where, "chmod", errno);
	return 0;
}

struct layer {
	struct rootfs *r;
	struct created created;
	const char *show;
};

/* "/dir" + "/" + name as a canonical path ("/name" under the root). */
static void child_of(char *out, size_t n, const char *dir, const char *name)
{
	snprintf(out, n, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
}

struct opaque_ctx {
	struct layer *l;
	const char *dir; /* canonical */
};

/* tree_walk callback: remove each entry a lower layer put there (the walk
 * has listed the directory already, so removing as it goes is safe); walk
 * on into a directory of this layer's own, which may still hold what lower
 * layers had put there. */
static int opaque_entry(int dirfd, const char *name, const char *path, const struct stat *st, void *ctx,
			struct cerr *e)
{
	struct opaque_ctx *o = ctx;
	char canon[PATH_MAX];

	(void)st;
	child_of(canon, sizeof(canon), o->dir, path);
	if (created_has(&o->l->created, canon))
		return 0; /* this layer's own: kept */
	return tree_remove_at(dirfd, name, path, e) != 0 ? e->code : 1;
}

static int whiteout(struct layer *l, const char *path, struct cerr *e)
{
	char parent[PATH_MAX], where[PATH_MAX + 64];
	const char *base = strrchr(path, '/') + 1;
	struct rpath rp;
	int rc = 0;

	snprintf(parent, sizeof(parent), "%.*s", (int)(base - path), path);
	snprintf(where, sizeof(where), "%s: %s", l->show, path);
	if (strcmp(base, OPAQUE) == 0) {
		struct opaque_ctx o = {l, rp.canon};
		int fd;

		if (rootfs_resolve(l->r, parent[0] ? parent : "/", RP_DIR | RP_MKDIRS, &rp, e) != 0)
			return e->code;
		fd = openat(rp.dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return cerr_sys(e, where, "open", errno);
		rc = tree_walk(fd, where, opaque_entry, &o, e);
		close(fd);
	} else {
		char target[PATH_MAX];

		snprintf(target, sizeof(target), "%s%s", parent, base + strlen(WHITEOUT));
		if (rootfs_resolve(l->r, target, RP_NOFOLLOW, &rp, e) != 0)
			return e->code;
		if (rp.exists && !created_has(&l->created, rp.canon))
			rc = tree_remove_at(rp.dirfd, rp.base, where, e);
	}
	rootfs_forget(l->r); /* directories may have gone */
	return rc;
}

static int write_file(struct tar_reader *t, int dirfd, const char *name, const char *where, struct cerr *e)
{
	char buf[65536];
	ssize_t n;
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return cerr_sys(e, where, "create", errno);
	while ((n = tar_read_data(t, buf, sizeof(buf), e)) > 0) {
		char *p = buf;

		while (n > 0) {
			ssize_t w = write(fd, p, (size_t)n);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				int err = errno;

				close(fd);
				return cerr_sys(e, where, "write", err);
			}
			p += w;
			n -= w;
		}
	}
	close(fd);
	return n < 0 ? e->code : 0;
}

static int hard_link(struct layer *l, const struct tar_entry *ent, const struct rpath *rp, const char *where,
		     struct cerr *e)
{
	char src[PATH_MAX];
	struct rpath sp;

	if (normalize(ent->link, src, sizeof(src), l->show, e) != 0 ||
	    rootfs_resolve(l->r, src[0] ? src : "/", RP_NOFOLLOW, &sp, e) != 0)
		return e->code;
	if (!sp.exists)
		return cerr_input(e, "bad_layer", "%s: a hard link to %s, which the layers do not have", where, src);
	if (S_ISDIR(sp.st.st_mode))
		return cerr_input(e, "bad_layer", "%s: a hard link to the directory %s", where, src);
	if (linkat(sp.dirfd, sp.base, rp->dirfd, rp->base, 0) != 0)
		return cerr_sys(e, where, "link", errno);
	return 0; /* the inode keeps its own owner and mode */
}

static int apply(struct layer *l, struct tar_reader *t, struct unpack_stats *st, struct cerr *e)
{
	const struct tar_entry *ent = &t->cur;
	char path[PATH_MAX], where[PATH_MAX + 64];
	const char *base;
	struct rpath rp;
	int rc = 0;

	if (normalize(ent->path, path, sizeof(path), l->show, e) != 0)
		return e->code;
	if (path[0] == '\0')
		return 0; /* the root directory itself */
	base = strrchr(path, '/') + 1;
	snprintf(where, sizeof(where), "%s: %s", l->show, path);
	if (strncmp(base, WHITEOUT, strlen(WHITEOUT)) == 0)
		return whiteout(l, path, e);
	if (ent->type == TAR_OTHER) {
		st->skipped++;
		return 0;
	}
	if (rootfs_resolve(l->r, path, RP_MKDIRS | RP_NOFOLLOW, &rp, e) != 0)
		return e->code;
	if (rp.exists) {
		if (ent->type == TAR_DIR && S_ISDIR(rp.st.st_mode)) {
			rc = set_owner_mode(rp.dirfd, rp.base, ent, false, where, e);
			goto done;
		}
		/* what was there goes: a symlink itself, never what it points at */
		if (tree_remove_at(rp.dirfd, rp.base, where, e) != 0)
			return e->code;
		if (S_ISDIR(rp.st.st_mode)) {
			rootfs_forget(l->r);
			if (rootfs_resolve(l->r, path, RP_MKDIRS | RP_NOFOLLOW, &rp, e) != 0)
				return e->code;
		}
	}
	switch (ent->type) {
	case TAR_DIR:
		if (mkdirat(rp.dirfd, rp.base, 0700) != 0)
			return cerr_sys(e, where, "mkdir", errno);
		rc = set_owner_mode(rp.dirfd, rp.base, ent, false, where, e);
		break;
	case TAR_SYMLINK:
		if (symlinkat(ent->link, rp.dirfd, rp.base) != 0)
			return cerr_sys(e, where, "symlink", errno);
		rc = set_owner_mode(rp.dirfd, rp.base, ent, true, where, e);
		break;
	case TAR_HARDLINK:
		rc = hard_link(l, ent, &rp, where, e);
		break;
	case TAR_FILE:
		if (write_file(t, rp.dirfd, rp.base, where, e) != 0)
			return e->code;
		rc = set_owner_mode(rp.dirfd, rp.base, ent, false, where, e);
		break;
	case TAR_OTHER:
		break;
	}
done:
	if (rc == 0 && created_add(&l->created, rp.canon) != 0)
		rc = cerr_sys(e, where, "unpack", ENOMEM);
	return rc;
}

int unpack_layer(struct rootfs *r, int fd, const char *want_hex, const char *show, const struct unpack_limits *lim,
		 struct unpack_stats *st, struct cerr *e)
{
	struct layer l = {.r = r, .show = show};
	struct layer_stream *in;
	struct tar_reader t;
	int rc;

	if (layer_stream_open(&in, fd, show, e) != 0)
		return e->code;
	if (lim != NULL) {
		uint64_t max = lim->layer_max, left;

		if (lim->image_max > 0) {
			left = lim->image_max > st->bytes ? lim->image_max - st->bytes : 1;
			if (max == 0 || left < max) {
				layer_stream_limit(in, left, "image", lim->image_max);
				max = 0;
			}
		}
		if (max > 0)
			layer_stream_limit(in, max, "layer", max);
	}
	r->max_depth = TREE_DEPTH_MAX - 1;
	tar_reader_init(&t, in, show);
	while ((rc = tar_next(&t, e)) == 1) {
		st->entries++;
		if ((rc = apply(&l, &t, st, e)) != 0)
			break;
	}
	tar_reader_free(&t);
	st->bytes += layer_stream_bytes(in);
	if (rc == 0)
		rc = layer_stream_finish(in, want_hex, e);
	layer_stream_close(in);
	rootfs_forget(r);
	created_free(&l.created);
	return rc;
}
