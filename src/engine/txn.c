/*
 * txn.c: see txn.h. Temp files have a fixed name per target
 * (".NAME.cainit-tmp"): cainit holds the root's lock while it writes, so a
 * temp file that already exists is a leftover of a killed run and is
 * replaced; leftovers never pile up.
 */
#include "txn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"

void txn_init(struct txn *t)
{
	memset(t, 0, sizeof(*t));
}

static void op_free(struct txn_op *op)
{
	free(op->name);
	free(op->display);
	free(op->tmp);
	free(op->target);
	free(op->old_target);
	free(op->to);
	rope_free(&op->content);
}

void txn_free(struct txn *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		op_free(&t->ops[i]);
	free(t->ops);
	for (i = 0; i < t->nkept; i++)
		free(t->kept[i]);
	free(t->kept);
	txn_init(t);
}

static struct txn_op *add(struct txn *t, enum txn_op_type type, int dirfd,
			  const char *name, const char *display)
{
	struct txn_op *op;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct txn_op *ops = realloc(t->ops, cap * sizeof(*ops));

		if (ops == NULL)
			return NULL;
		t->ops = ops;
		t->cap = cap;
	}
	op = &t->ops[t->n];
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->dirfd = dirfd;
	op->name = strdup(name);
	op->display = strdup(display);
	if (op->name == NULL || op->display == NULL || strlen(name) > NAME_MAX - 16) {
		op_free(op);
		return NULL;
	}
	if (asprintf(&op->tmp, ".%s.cainit-tmp", name) < 0) {
		op->tmp = NULL;
		op_free(op);
		return NULL;
	}
	t->n++;
	return op;
}

int txn_write(struct txn *t, int dirfd, const char *name, const char *display,
	      struct rope *content, const struct stat *old_st, const char *old,
	      size_t old_len, enum txn_fallback fallback)
{
	struct txn_op *op = add(t, OP_WRITE, dirfd, name, display);

	if (op == NULL)
		return -1;
	op->content = *content;
	rope_init(content);
	if (old_st) {
		op->existed = true;
		op->old_st = *old_st;
		op->old = old;
		op->old_len = old_len;
	}
	op->fallback = fallback;
	return 0;
}

int txn_create(struct txn *t, int dirfd, const char *name, const char *display, struct rope *content,
	       mode_t mode, uid_t uid, gid_t gid)
{
	if (txn_write(t, dirfd, name, display, content, NULL, NULL, 0, TXN_FAIL) < 0)
		return -1;
	t->ops[t->n - 1].new_attrs = true;
	t->ops[t->n - 1].new_mode = mode & 07777;
	t->ops[t->n - 1].new_uid = uid;
	t->ops[t->n - 1].new_gid = gid;
	return 0;
}

int txn_link(struct txn *t, int dirfd, const char *name, const char *display,
	     const char *target, const char *old_target)
{
	struct txn_op *op = add(t, OP_LINK, dirfd, name, display);

	if (op == NULL)
		return -1;
	op->target = strdup(target);
	op->old_target = old_target ? strdup(old_target) : NULL;
	if (op->target == NULL || (old_target && op->old_target == NULL)) {
		t->n--;
		op_free(op);
		return -1;
	}
	return 0;
}

int txn_rename(struct txn *t, int dirfd, const char *from, const char *to, const char *display)
{
	struct txn_op *op = add(t, OP_RENAME, dirfd, from, display);

	if (op == NULL)
		return -1;
	op->to = strdup(to);
	if (op->to == NULL) {
		t->n--;
		op_free(op);
		return -1;
	}
	return 0;
}

int txn_unlink(struct txn *t, int dirfd, const char *name, const char *display)
{
	return add(t, OP_UNLINK, dirfd, name, display) ? 0 : -1;
}

int txn_keep(struct txn *t, char *buf)
{
	char **k = realloc(t->kept, (t->nkept + 1) * sizeof(*k));

	if (k == NULL) {
		free(buf);
		return -1;
	}
	t->kept = k;
	t->kept[t->nkept++] = buf;
	return 0;
}

/* (up to IOV_MAX pieces a call: a JKS keystore is some 150 pieces, one
 * writev instead of three) */
static int write_all_iov(int fd, const struct iovec *iov, size_t n)
{
	struct iovec local[IOV_MAX];

	while (n > 0) {
		size_t k = n < IOV_MAX ? n : IOV_MAX, i;
		size_t want = 0;
		ssize_t w;

		memcpy(local, iov, k * sizeof(*iov));
		for (i = 0; i < k; i++)
			want += local[i].iov_len;
		w = writev(fd, local, (int)k);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if ((size_t)w == want) {
			iov += k;
			n -= k;
			continue;
		}
		/* short write: finish the rest piece by piece */
		for (i = 0; i < k; i++) {
			const char *p = local[i].iov_base;
			size_t left = local[i].iov_len;

			if ((size_t)w >= left) {
				w -= (ssize_t)left;
				continue;
			}
			p += w;
			left -= (size_t)w;
			w = 0;
			while (left > 0) {
				ssize_t x = write(fd, p, left);

				if (x < 0 && errno == EINTR)
					continue;
				if (x <= 0) {
					if (x == 0)
						errno = EIO;
					return -1;
				}
				p += x;
				left -= (size_t)x;
			}
		}
		iov += k;
		n -= k;
	}
	return 0;
}

static int pwrite_all(int fd, const char *p, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t w = pwrite(fd, p, len, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
		off += w;
	}
	return 0;
}

/* The process's identity and umask, read once (they decide whether a new
 * file needs fchmod/fchown to match the one it replaces). */
static void ids(uid_t *uid, gid_t *gid, mode_t *mask)
{
	static bool known;
	static uid_t u;
	static gid_t g;
	static mode_t m;

	if (!known) {
		u = geteuid();
		g = getegid();
		m = umask(022);
		umask(m);
		known = true;
	}
	*uid = u;
	*gid = g;
	*mask = m;
}

/* Create the temp file of a write op; -1 with errno and *what set. */
static int prepare_write(struct txn_op *op, const char **what)
{
	const struct iovec *iov;
	mode_t mode = op->existed ? (op->old_st.st_mode & 07777) : op->new_attrs ? op->new_mode : 0644, mask;
	uid_t uid;
	gid_t gid;
	size_t n;
	int fd;

	ids(&uid, &gid, &mask);
	*what = "create temp file";
	fd = openat(op->dirfd, op->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 && errno == EEXIST) {
		/* a leftover from a run that was killed: we hold the lock */
		if (unlinkat(op->dirfd, op->tmp, 0) == 0)
			fd = openat(op->dirfd, op->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	}
	if (fd < 0)
		return -1;
	op->prepared = true;
	*what = "write";
	iov = rope_iov(&op->content, &n);
	if (iov == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	if (write_all_iov(fd, iov, n) < 0)
		goto fail;
	*what = "chmod";
	if ((mode & ~mask) != mode && fchmod(fd, mode) < 0)
		goto fail;
	if (op->existed && (op->old_st.st_uid != uid || op->old_st.st_gid != gid)) {
		*what = "chown";
		if (fchown(fd, op->old_st.st_uid, op->old_st.st_gid) < 0)
			goto fail;
	}
	if (op->new_attrs && (op->new_uid != uid || op->new_gid != gid)) {
		*what = "chown";
		if (fchown(fd, op->new_uid, op->new_gid) < 0)
			goto fail;
	}
	*what = "close";
	if (close(fd) < 0)
		return -1;
	return 0;
fail:
	{
		int err = errno;

		close(fd);
		errno = err;
	}
	return -1;
}

static size_t common_prefix(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n && a[i] == b[i]; i++)
		;
	return i;
}

/*
 * Rewrite the file at fd from old to new bytes so that, at every system
 * call boundary, it holds either the old or the new content (or the new
 * content with padding inside cainit's own marker line): one pwrite when
 * the file grows (space reserved first) or when padding keeps its length,
 * one ftruncate when only trailing blocks go. The one two-step case (a
 * pwrite, then an ftruncate) is a shrink with foreign bytes after cainit's
 * last block, which only a writer other than cainit can produce.
 */
static int rewrite_in_place(int fd, const char *old, size_t oldlen, const char *new, size_t newlen,
			    bool *touched)
{
	size_t c = common_prefix(old, oldlen, new, newlen);
	char *padded;
	int rc;

	*touched = false;
	if (newlen >= oldlen) {
		/* reserve the space first: ENOSPC before any byte changes */
		if (newlen > oldlen &&
		    fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)oldlen, (off_t)(newlen - oldlen)) < 0 &&
		    errno != EOPNOTSUPP && errno != ENOSYS)
			return -1;
		*touched = true;
		return pwrite_all(fd, new + c, newlen - c, (off_t)c);
	}
	*touched = true;
	if (newlen == c)
		return ftruncate(fd, (off_t)newlen);
	padded = bundle_pad_marker(new, newlen, c, oldlen - newlen);
	if (padded != NULL) {
		rc = pwrite_all(fd, padded + c, oldlen - c, (off_t)c);
		free(padded);
		return rc;
	}
	if (pwrite_all(fd, new + c, newlen - c, (off_t)c) < 0)
		return -1;
	return ftruncate(fd, (off_t)newlen);
}

static int commit_in_place(struct txn_op *op, const char *new, size_t newlen,
			   const char *old, size_t oldlen, const char **what)
{
	struct stat st;
	bool touched;
	int fd, rc, err;

	*what = "open for in-place rewrite";
	fd = openat(op->dirfd, op->name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	*what = "in-place rewrite";
	if (fstat(fd, &st) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_ino != op->old_st.st_ino || st.st_dev != op->old_st.st_dev ||
	    (size_t)st.st_size != oldlen) {
		close(fd);
		errno = ESTALE; /* changed under us since it was read */
		return -1;
	}
	rc = rewrite_in_place(fd, old, oldlen, new, newlen, &touched);
	err = errno;
	if (rc < 0 && touched) {
		/* put the old bytes back; the file never ends up empty */
		if (pwrite_all(fd, old, oldlen, 0) == 0)
			(void)ftruncate(fd, (off_t)oldlen);
	}
	close(fd);
	errno = err;
	return rc;
}

static int commit_write(struct txn_op *op, const char **what)
{
	char *joined;
	int rc;

	*what = "rename";
	if (op->no_temp) {
		errno = EBUSY; /* straight to the in-place rewrite below */
	} else if (op->existed) {
		if (renameat2(op->dirfd, op->tmp, op->dirfd, op->name, RENAME_EXCHANGE) == 0) {
			op->exchanged = true; /* tmp now holds the old file */
			return 0;
		}
		if (errno != EINVAL && errno != ENOSYS && errno != EBUSY && errno != EXDEV)
			return -1;
	}
	if ((!op->existed || errno == EINVAL || errno == ENOSYS) &&
	    renameat(op->dirfd, op->tmp, op->dirfd, op->name) == 0) {
		op->prepared = false;
		return 0;
	}
	if (op->fallback != TXN_IN_PLACE || !op->existed || (errno != EBUSY && errno != EXDEV))
		return -1;
	/* a bind-mounted file, or one on another device: rewrite in place */
	joined = rope_join(&op->content);
	if (joined == NULL) {
		errno = ENOMEM;
		return -1;
	}
	rc = commit_in_place(op, joined, op->content.len, op->old, op->old_len, what);
	free(joined);
	if (rc == 0) {
		op->inplace_done = true;
		unlinkat(op->dirfd, op->tmp, 0); /* the temp file was not needed */
		op->prepared = false;
	}
	return rc;
}

/* Undo one committed op; false when it could not be undone exactly. */
static bool rollback(struct txn_op *op)
{
	switch (op->type) {
	case OP_WRITE:
		if (op->exchanged) {
			/* the old inode comes back, exactly as it was */
			if (renameat2(op->dirfd, op->tmp, op->dirfd, op->name, RENAME_EXCHANGE) < 0)
				return false;
			op->exchanged = false;
			return true;
		}
		if (!op->existed)
			return unlinkat(op->dirfd, op->name, 0) == 0;
		if (op->inplace_done) {
			int fd = openat(op->dirfd, op->name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
			struct stat st;
			bool ok = false;

			if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_ino == op->old_st.st_ino &&
			    st.st_dev == op->old_st.st_dev) {
				ok = pwrite_all(fd, op->old, op->old_len, 0) == 0 &&
				     ftruncate(fd, (off_t)op->old_len) == 0;
			}
			if (fd >= 0)
				close(fd);
			return ok;
		}
		{
			/* put the old bytes back through a temp file again (same
			 * content; a new inode, as the plain rename made one too) */
			struct rope old;
			const char *what;

			rope_init(&old);
			if (rope_add(&old, op->old, op->old_len) < 0) {
				rope_free(&old);
				return false;
			}
			rope_free(&op->content);
			op->content = old;
			return prepare_write(op, &what) == 0 &&
			       renameat(op->dirfd, op->tmp, op->dirfd, op->name) == 0;
		}
	case OP_LINK:
		if (op->old_target == NULL)
			return unlinkat(op->dirfd, op->name, 0) == 0;
		unlinkat(op->dirfd, op->tmp, 0);
		return symlinkat(op->old_target, op->dirfd, op->tmp) == 0 &&
		       renameat(op->dirfd, op->tmp, op->dirfd, op->name) == 0;
	default:
		return true;
	}
}

static void drop_temps(struct txn *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->ops[i].prepared) {
			unlinkat(t->ops[i].dirfd, t->ops[i].tmp, 0);
			t->ops[i].prepared = false;
		}
}

int txn_run(struct txn *t, struct cerr *e)
{
	const char *what = "";
	size_t i, j;

	/* phase 1: every byte written somewhere nobody reads yet */
	for (i = 0; i < t->n; i++) {
		struct txn_op *op = &t->ops[i];

		if (op->type == OP_WRITE && prepare_write(op, &what) < 0) {
			/* a writable file bind-mounted into a read-only directory
			 * (a ConfigMap's subPath, a sandbox's bundle): no temp file
			 * can go beside it; rewritten in place, or left as it is */
			if (errno == EROFS && !op->prepared && op->existed && op->fallback == TXN_IN_PLACE) {
				op->no_temp = true;
				continue;
			}
			if (errno == EROFS && !op->prepared && op->existed && op->fallback == TXN_SKIP) {
				op->skipped = true;
				continue;
			}
			goto fail_prepare;
		}
		if (op->type == OP_LINK && op->old_target != NULL) {
			what = "create temp symlink";
			unlinkat(op->dirfd, op->tmp, 0);
			if (symlinkat(op->target, op->dirfd, op->tmp) < 0)
				goto fail_prepare;
			op->prepared = true;
		}
	}
	/* phase 2: make it visible, one atomic step per file */
	for (i = 0; i < t->n; i++) {
		struct txn_op *op = &t->ops[i];
		int rc = 0;

		if (op->type == OP_WRITE && op->skipped) {
			continue;
		} else if (op->type == OP_WRITE) {
			rc = commit_write(op, &what);
		} else if (op->type == OP_LINK && op->old_target == NULL) {
			what = "symlink";
			rc = symlinkat(op->target, op->dirfd, op->name);
		} else if (op->type == OP_LINK) {
			what = "rename";
			rc = renameat(op->dirfd, op->tmp, op->dirfd, op->name);
			if (rc == 0)
				op->prepared = false;
		} else {
			continue;
		}
		if (rc < 0 && op->type == OP_WRITE && op->fallback == TXN_SKIP && op->existed &&
		    (errno == EBUSY || errno == EXDEV)) {
			op->skipped = true; /* (its temp file goes with the others) */
			continue;
		}
		if (rc < 0) {
			int err = errno;

			t->restored = true;
			for (j = i; j-- > 0;)
				if (t->ops[j].committed && !rollback(&t->ops[j]))
					t->restored = false;
			drop_temps(t);
			return cerr_sys(e, op->display, what, err);
		}
		op->committed = true;
	}
	/* phase 3: retire what the change replaced */
	drop_temps(t); /* old inodes parked by RENAME_EXCHANGE */
	for (i = 0; i < t->n; i++) {
		struct txn_op *op = &t->ops[i];

		if (op->type == OP_RENAME && renameat(op->dirfd, op->name, op->dirfd, op->to) < 0 &&
		    errno != ENOENT)
			return cerr_sys(e, op->display, "rename", errno);
		if (op->type == OP_UNLINK && unlinkat(op->dirfd, op->name, 0) < 0 && errno != ENOENT)
			return cerr_sys(e, op->display, "unlink", errno);
	}
	return 0;
fail_prepare:
	{
		int err = errno;
		struct txn_op *op = &t->ops[i];

		drop_temps(t);
		t->restored = true; /* nothing was visible yet */
		return cerr_sys(e, op->display, what, err);
	}
}
