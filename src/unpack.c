/*
 * unpack.c: one layer applied to an unpacked image root (see unpack.h).
 */
#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tar.h"
#include "tree.h"

#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"

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
	/* (unprivileged, everything stays the caller's: ownership is not
	 * ours to give) */
	if (geteuid() == 0 && fchownat(dirfd, name, ent->uid, ent->gid, AT_SYMLINK_NOFOLLOW) != 0)
		return cerr_sys(e, where, "chown", errno);
	if (!is_link && fchmodat(dirfd, name, ent->mode, 0) != 0)
		return cerr_sys(e, where, "chmod", errno);
	return 0;
}

/* tree_walk callback: remove each top-level entry (the walk has listed
 * the directory already, so removing as it goes is safe). */
static int remove_entry(int dirfd, const char *name, const char *path, const struct stat *st, void *ctx,
			struct cerr *e)
{
	(void)st;
	(void)ctx;
	return tree_remove_at(dirfd, name, path, e) != 0 ? e->code : 1;
}

static int whiteout(struct rootfs *r, const char *path, const char *show, struct cerr *e)
{
	char parent[PATH_MAX], where[PATH_MAX + 64];
	const char *base = strrchr(path, '/') + 1;
	struct rpath rp;
	int rc = 0;

	snprintf(parent, sizeof(parent), "%.*s", (int)(base - path), path);
	snprintf(where, sizeof(where), "%s: %s", show, path);
	if (strcmp(base, OPAQUE) == 0) {
		/* everything lower layers put in the directory goes */
		int fd;

		if (rootfs_resolve(r, parent, RP_DIR | RP_MKDIRS, &rp, e) != 0)
			return e->code;
		fd = openat(rp.dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return cerr_sys(e, where, "open", errno);
		rc = tree_walk(fd, where, remove_entry, NULL, e);
		close(fd);
	} else {
		char target[PATH_MAX];

		snprintf(target, sizeof(target), "%s%s", parent, base + strlen(WHITEOUT));
		if (rootfs_resolve(r, target, 0, &rp, e) != 0)
			return e->code;
		if (rp.exists)
			rc = tree_remove_at(rp.dirfd, rp.base, where, e);
	}
	rootfs_forget(r); /* directories may have gone */
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

static int apply(struct rootfs *r, struct tar_reader *t, struct unpack_stats *st, const char *show,
		 struct cerr *e)
{
	const struct tar_entry *ent = &t->cur;
	char path[PATH_MAX], where[PATH_MAX + 64];
	const char *base;
	struct rpath rp;

	if (normalize(ent->path, path, sizeof(path), show, e) != 0)
		return e->code;
	if (path[0] == '\0')
		return 0; /* the root directory itself */
	base = strrchr(path, '/') + 1;
	snprintf(where, sizeof(where), "%s: %s", show, path);
	if (strncmp(base, WHITEOUT, strlen(WHITEOUT)) == 0)
		return whiteout(r, path, show, e);
	if (ent->type == TAR_OTHER) {
		st->skipped++;
		return 0;
	}
	if (rootfs_resolve(r, path, RP_MKDIRS, &rp, e) != 0)
		return e->code;
	if (rp.exists) {
		if (ent->type == TAR_DIR && S_ISDIR(rp.st.st_mode))
			return set_owner_mode(rp.dirfd, rp.base, ent, false, where, e);
		if (tree_remove_at(rp.dirfd, rp.base, where, e) != 0)
			return e->code;
		if (S_ISDIR(rp.st.st_mode)) {
			rootfs_forget(r);
			if (rootfs_resolve(r, path, RP_MKDIRS, &rp, e) != 0)
				return e->code;
		}
	}
	switch (ent->type) {
	case TAR_DIR:
		if (mkdirat(rp.dirfd, rp.base, 0700) != 0)
			return cerr_sys(e, where, "mkdir", errno);
		break;
	case TAR_SYMLINK:
		if (symlinkat(ent->link, rp.dirfd, rp.base) != 0)
			return cerr_sys(e, where, "symlink", errno);
		return set_owner_mode(rp.dirfd, rp.base, ent, true, where, e);
	case TAR_HARDLINK: {
		char src[PATH_MAX];
		struct rpath sp;

		if (normalize(ent->link, src, sizeof(src), show, e) != 0 ||
		    rootfs_resolve(r, src, 0, &sp, e) != 0)
			return e->code;
		if (!sp.exists)
			return cerr_input(e, "bad_layer", "%s: a hard link to %s, which the layers do not have",
					  where, src);
		if (linkat(sp.dirfd, sp.base, rp.dirfd, rp.base, 0) != 0)
			return cerr_sys(e, where, "link", errno);
		return 0; /* the inode keeps its own owner and mode */
	}
	case TAR_FILE:
		if (write_file(t, rp.dirfd, rp.base, where, e) != 0)
			return e->code;
		break;
	case TAR_OTHER:
		break;
	}
	return set_owner_mode(rp.dirfd, rp.base, ent, false, where, e);
}

int unpack_layer(struct rootfs *r, int fd, const char *want_hex, const char *show,
		 struct unpack_stats *st, struct cerr *e)
{
	struct layer_stream *in;
	struct tar_reader t;
	int rc;

	if (layer_stream_open(&in, fd, show, e) != 0)
		return e->code;
	tar_reader_init(&t, in, show);
	while ((rc = tar_next(&t, e)) == 1) {
		st->entries++;
		if ((rc = apply(r, &t, st, show, e)) != 0)
			break;
	}
	tar_reader_free(&t);
	if (rc == 0)
		rc = layer_stream_finish(in, want_hex, e);
	layer_stream_close(in);
	rootfs_forget(r);
	return rc;
}
