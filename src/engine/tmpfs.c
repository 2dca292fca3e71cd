/*
 * tmpfs.c: `cainit run --tmpfs`. Every directory cainit writes (the
 * directory of each bundle, the hashed and anchor directories, /etc/cainit)
 * is copied whole onto a tmpfs that is then mounted over it, so trust
 * changes never wait on a slow disk and the distro's tools, which rename
 * inside those directories, keep working (a bind-mounted single file breaks
 * them with EBUSY).
 *
 * With the new mount API the tmpfs is filled while still detached and then
 * attached in one step: no process ever sees the directory empty. Where
 * that API is missing (older kernels, gVisor), the tmpfs is mounted first
 * and filled from a descriptor of the original directory kept open. Each
 * directory is reached through rootfs (never a symlink out of the root)
 * and mounted on by its descriptor; one already on tmpfs is left alone.
 */
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "dirwalk.h"
#include "rootfs.h"
#include "store.h"

#define TMPFS_MAGIC_NUMBER 0x01021994
#define COPY_DEPTH_MAX 8

/* ---- copying a directory tree ---- */

static int copy_file(int src, int dst, const char *name, const struct stat *st, const char *show,
		     struct cerr *e)
{
	char buf[65536];
	int in, out, rc = 0;
	struct stat now;
	ssize_t k;

	if (rootfs_open_regular(src, name, show, &in, &now, e) != 0)
		return e->code;
	if (in < 0)
		return cerr_sys(e, show, "open", ENOENT);
	out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return cerr_sys(e, show, "create copy", errno);
	}
	while ((k = read(in, buf, sizeof(buf))) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = cerr_sys(e, show, "read", errno);
			break;
		}
		if (write(out, buf, (size_t)k) != k) {
			rc = cerr_sys(e, show, "write copy", errno ? errno : ENOSPC);
			break;
		}
	}
	if (rc == 0 && (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0))
		rc = cerr_sys(e, show, "copy owner and mode", errno);
	if (rc == 0) {
		struct timespec t[2] = {st->st_atim, st->st_mtim};

		futimens(out, t);
	}
	close(in);
	close(out);
	return rc;
}

static int copy_tree(int src, int dst, const char *show, int depth, struct cerr *e);

static int copy_entry(int src, int dst, const char *name, const char *dirshow, int depth, struct cerr *e)
{
	char show[PATH_MAX + NAME_MAX + 2], target[PATH_MAX];
	struct stat st;
	ssize_t k;
	int s2, d2, rc;

	snprintf(show, sizeof(show), "%s/%s", dirshow, name);
	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cerr_sys(e, show, "stat", errno);
	if (S_ISREG(st.st_mode))
		return copy_file(src, dst, name, &st, show, e);
	if (S_ISLNK(st.st_mode)) {
		struct timespec t[2] = {st.st_atim, st.st_mtim};

		k = readlinkat(src, name, target, sizeof(target) - 1);
		if (k < 0)
			return cerr_sys(e, show, "readlink", errno);
		target[k] = '\0';
		if (symlinkat(target, dst, name) < 0)
			return cerr_sys(e, show, "copy symlink", errno);
		fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
		utimensat(dst, name, t, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0; /* sockets, FIFOs, devices: nothing a trust store holds */
	if (depth >= COPY_DEPTH_MAX)
		return cerr_set(e, CAINIT_EOPS, "%s: directories nested too deep to copy", show);
	if (mkdirat(dst, name, 0700) < 0)
		return cerr_sys(e, show, "create copy", errno);
	s2 = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d2 = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s2 < 0 || d2 < 0) {
		rc = cerr_sys(e, show, "open directory", errno);
	} else {
		rc = copy_tree(s2, d2, show, depth + 1, e);
		if (rc == 0 && (fchown(d2, st.st_uid, st.st_gid) < 0 || fchmod(d2, st.st_mode & 07777) < 0))
			rc = cerr_sys(e, show, "copy owner and mode", errno);
		if (rc == 0) {
			struct timespec t[2] = {st.st_atim, st.st_mtim};

			futimens(d2, t);
		}
	}
	if (s2 >= 0)
		close(s2);
	if (d2 >= 0)
		close(d2);
	return rc;
}

struct copy_ctx {
	int dst, depth;
	const char *show;
	struct cerr *e;
};

static int copy_one(void *ctx, int src, const char *name, unsigned char type)
{
	struct copy_ctx *c = ctx;

	(void)type;
	return copy_entry(src, c->dst, name, c->show, c->depth, c->e);
}

static int copy_tree(int src, int dst, const char *show, int depth, struct cerr *e)
{
	struct copy_ctx c = {dst, depth, show, e};

	return dir_each(src, show, copy_one, &c, e);
}

/* ---- mounting ---- */

/* The new mount API: fill a detached tmpfs, then attach it over dirfd. */
static int mount_detached(int dirfd, const struct stat *st, const char *show, struct cerr *e)
{
	char opt[32];
	int fs, mnt = -1, root = -1, rc = 0;

	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	snprintf(opt, sizeof(opt), "%o", (unsigned)(st->st_mode & 07777));
	if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", opt, 0) < 0)
		rc = cerr_sys(e, show, "tmpfs mode", errno);
	if (rc == 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		rc = cerr_sys(e, show, "create tmpfs", errno);
	if (rc == 0 && (mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0)
		rc = cerr_sys(e, show, "create tmpfs", errno);
	if (rc == 0 && (root = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = cerr_sys(e, show, "open tmpfs", errno);
	if (rc == 0 && fchown(root, st->st_uid, st->st_gid) < 0)
		rc = cerr_sys(e, show, "tmpfs owner", errno);
	if (rc == 0)
		rc = copy_tree(dirfd, root, show, 0, e);
	if (rc == 0 && move_mount(mnt, "", dirfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		rc = cerr_sys(e, show, "mount tmpfs", errno);
	if (root >= 0)
		close(root);
	if (mnt >= 0)
		close(mnt); /* unattached, the tmpfs goes with its last descriptor */
	close(fs);
	return rc;
}

/* mount(2): mount over the directory, then fill it from dirfd, which still
 * reaches the directory underneath. */
static int mount_classic(struct rootfs *r, const char *canon, int dirfd, const struct stat *st,
			 const char *show, struct cerr *e)
{
	char at[64], opt[64];
	struct rpath top = {.dirfd = -1};
	int under, rc;

	/* (dirfd belongs to rootfs's cache, which the new resolve below drops) */
	under = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (under < 0)
		return cerr_sys(e, show, "dup", errno);
	snprintf(at, sizeof(at), "/proc/self/fd/%d", under);
	snprintf(opt, sizeof(opt), "mode=%o,uid=%u,gid=%u", (unsigned)(st->st_mode & 07777),
		 (unsigned)st->st_uid, (unsigned)st->st_gid);
	if (mount("tmpfs", at, "tmpfs", MS_NOSUID | MS_NODEV, opt) < 0) {
		rc = cerr_sys(e, show, "mount tmpfs", errno);
		close(under);
		return rc;
	}
	rootfs_forget(r);
	rc = rootfs_resolve(r, canon, RP_DIR, &top, e);
	if (rc == 0)
		rc = copy_tree(under, top.dirfd, show, 0, e);
	if (rc != 0 && top.dirfd >= 0) {
		/* take the half-filled tmpfs away again, by its own root */
		snprintf(at, sizeof(at), "/proc/self/fd/%d", top.dirfd);
		umount2(at, MNT_DETACH);
	}
	rootfs_forget(r);
	close(under);
	return rc;
}

/* ---- which directories ---- */

struct dir_list {
	char (*dirs)[PATH_MAX];
	size_t n, cap;
	bool nomem;
};

static void add_dir(void *ctx, const char *path)
{
	struct dir_list *l = ctx;

	if (!*path || l->nomem)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char (*nd)[PATH_MAX] = realloc(l->dirs, cap * sizeof(*nd));

		if (nd == NULL) {
			l->nomem = true;
			return;
		}
		l->dirs = nd;
		l->cap = cap;
	}
	snprintf(l->dirs[l->n++], PATH_MAX, "%s", path);
}

/* Is a inside b (or b itself)? */
static bool within(const char *a, const char *b)
{
	size_t n = strlen(b);

	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || n == 1);
}

/* The directories to move (every room's, and cainit's own), none inside
 * another, into l (l->dirs malloc'd); -1 when out of memory. */
static int pick_dirs(const struct scan *s, struct dir_list *l)
{
	size_t n, i, k, out = 0;

	for (i = 0; i < store_table_len; i++)
		if (store_table[i]->dirs != NULL)
			store_table[i]->dirs(s, add_dir, l);
	add_dir(l, CAINIT_DIR);
	if (l->nomem)
		return -1;
	n = l->n;
	for (i = 0; i < n; i++) {
		bool keep = true;

		for (k = 0; k < n && keep; k++) {
			if (k == i || !within(l->dirs[i], l->dirs[k]))
				continue;
			/* drop one inside another, and all but the first of equals */
			keep = strcmp(l->dirs[i], l->dirs[k]) == 0 && k > i;
		}
		if (keep && out != i)
			memcpy(l->dirs[out], l->dirs[i], PATH_MAX);
		if (keep)
			out++;
	}
	l->n = out;
	return 0;
}

static int move_one(struct rootfs *r, const char *canon, struct tmpfs_report *rep, struct cerr *e)
{
	char show[SHOW_MAX];
	struct statfs fs;
	struct rpath p;
	struct stat st;
	int rc;

	rootfs_show(r, canon, show, sizeof(show));
	if ((rc = rootfs_resolve(r, canon, RP_DIR | RP_MKDIRS, &p, e)) != 0)
		return rc;
	if (fstatfs(p.dirfd, &fs) < 0 || fstat(p.dirfd, &st) < 0)
		return cerr_sys(e, show, "stat", errno);
	if (fs.f_type == TMPFS_MAGIC_NUMBER) {
		rep->already++;
		return 0;
	}
	rc = mount_detached(p.dirfd, &st, show, e);
	if (rc == -ENOSYS)
		rc = mount_classic(r, canon, p.dirfd, &st, show, e);
	else if (rc < 0)
		rc = cerr_sys(e, show, "create tmpfs", -rc);
	if (rc == 0) {
		if (rep->mounted < TMPFS_DIRS_MAX)
			snprintf(rep->dirs[rep->mounted], sizeof(rep->dirs[0]), "%s", show);
		rep->mounted++;
	}
	rootfs_forget(r); /* what was pinned is now underneath */
	return rc;
}

int trust_tmpfs(const char *root, struct tmpfs_report *rep, struct cerr *e)
{
	struct dir_list l = {0};
	struct rootfs r;
	struct scan s;
	size_t i;
	int rc;

	memset(rep, 0, sizeof(*rep));
	if ((rc = rootfs_open(&r, root, e)) != 0)
		return rc;
	rc = rootfs_lock(&r, TRUST_LOCK_TIMEOUT_MS, e);
	if (rc == 0 && (rc = scan_root(&r, SCAN_PATHS, NULL, &s, e)) == 0) {
		if (pick_dirs(&s, &l) < 0)
			rc = cerr_sys(e, root, "tmpfs", ENOMEM);
		scan_free(&s);
	}
	for (i = 0; rc == 0 && i < l.n; i++)
		rc = move_one(&r, l.dirs[i], rep, e);
	free(l.dirs);
	if (rc != 0 && (e->sys_errno == EPERM || e->sys_errno == EACCES))
		e->reason = "no_privilege";
	rootfs_close(&r);
	return rc;
}
