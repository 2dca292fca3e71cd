/*
 * rootfs.c: see rootfs.h. The resolver keeps a cache of the directories it
 * pinned during one operation, so the dozen store paths that share /etc and
 * /etc/ssl cost one syscall per new component rather than per path.
 */
#include "rootfs.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "prefault.h"

#define MAX_LINKS 40

/* the root this thread's operation is watched under (rootfs_watch) */
static _Thread_local struct rootfs *watched;

void rootfs_watch(struct rootfs *r, bool on)
{
	if (on) {
		r->nseen = 0;
		r->names_len = 0;
		r->watch_lost = false;
	}
	watched = on ? r : NULL;
}

static void watch_note(int dirfd, const char *name, const struct stat *st)
{
	struct rootfs *r = watched;
	size_t len = strlen(name) + 1;
	struct rootfs_seen *v;

	if (r == NULL || r->watch_lost)
		return;
	if (r->nseen == r->capseen) {
		size_t cap = r->capseen ? 2 * r->capseen : 64;

		if ((v = realloc(r->seen, cap * sizeof(*v))) == NULL) {
			r->watch_lost = true;
			return;
		}
		r->seen = v;
		r->capseen = cap;
	}
	if (r->names_len + len > r->names_cap) {
		size_t cap = r->names_cap ? 2 * r->names_cap : 4096;
		char *b;

		while (cap < r->names_len + len)
			cap *= 2;
		if ((b = realloc(r->seen_names, cap)) == NULL) {
			r->watch_lost = true;
			return;
		}
		r->seen_names = b;
		r->names_cap = cap;
	}
	memcpy(r->seen_names + r->names_len, name, len);
	v = &r->seen[r->nseen++];
	v->dirfd = dirfd;
	v->name = r->names_len;
	v->st = *st;
	r->names_len += len;
}

void rootfs_watch_listing(int dirfd)
{
	struct rootfs *r = watched;

	if (r == NULL || dirfd == r->fd)
		return;
	for (size_t i = 0; i < r->ndirs; i++)
		if (r->dirs[i].fd == dirfd)
			return;
	r->watch_lost = true; /* (a directory whose stamp the seal cannot take) */
}

static void watch_free(struct rootfs *r)
{
	free(r->seen);
	free(r->seen_names);
	r->seen = NULL;
	r->seen_names = NULL;
	r->nseen = r->capseen = r->names_len = r->names_cap = 0;
	if (watched == r)
		watched = NULL;
}

int rootfs_open(struct rootfs *r, const char *path, struct cerr *e)
{
	size_t n;

	memset(r, 0, sizeof(*r));
	r->lockfd = -1;
	/* readable (not O_PATH) so the same fd can carry the flock */
	r->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0 && errno == EACCES) {
		r->fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		r->fd_is_path = true;
	}
	if (r->fd < 0)
		return cerr_sys(e, path, "open root", errno);
	n = strlen(path);
	while (n > 0 && path[n - 1] == '/')
		n--;
	if (n >= sizeof(r->prefix))
		return cerr_set(e, CAINIT_EINPUT, "%s: root path too long", path);
	memcpy(r->prefix, path, n);
	r->prefix[n] = '\0';
	return 0;
}

static int cmp_fd(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The pinned fds, closed with one close_range per run of consecutive
 * numbers (a scan of a root with several Pythons pins about sixty, nearly
 * all consecutive): every number of a run is one of the cache's, so nothing
 * else the process holds is touched. One close each where close_range is
 * missing (before Linux 5.9, gVisor) or memory is short. */
static void close_pinned(const struct rootfs *r)
{
	int *fds = malloc(r->ndirs * sizeof(*fds) + 1);
	size_t n = 0, i, j;

	for (i = 0; i < r->ndirs; i++)
		if (r->dirs[i].fd >= 0) {
			if (fds == NULL)
				close(r->dirs[i].fd);
			else
				fds[n++] = r->dirs[i].fd;
		}
	if (fds == NULL)
		return;
	qsort(fds, n, sizeof(*fds), cmp_fd);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && fds[j] == fds[j - 1] + 1;)
			j++;
		if (j - i == 1 || close_range((unsigned)fds[i], (unsigned)fds[j - 1], 0) != 0)
			for (size_t k = i; k < j; k++)
				close(fds[k]);
	}
	free(fds);
}

void rootfs_made_forget(struct rootfs *r, const char *canon)
{
	for (size_t i = 0; i < r->ncreated; i++)
		if (strcmp(r->created[i], canon) == 0) {
			free(r->created[i]);
			memmove(&r->created[i], &r->created[i + 1], (r->ncreated - i - 1) * sizeof(r->created[0]));
			r->ncreated--;
			return;
		}
}

void rootfs_forget(struct rootfs *r)
{
	size_t i;

	if (watched == r)
		r->watch_lost = true; /* (the noted directory fds are gone) */
	close_pinned(r);
	for (i = 0; i < r->ndirs; i++)
		free(r->dirs[i].canon);
	free(r->dirs);
	free(r->slots);
	r->dirs = NULL;
	r->slots = NULL;
	r->ndirs = r->capdirs = r->nslots = 0;
}

void rootfs_close(struct rootfs *r)
{
	rootfs_unlock(r);
	watch_free(r);
	rootfs_forget(r);
	for (size_t i = 0; i < r->ncreated; i++)
		free(r->created[i]);
	free(r->created);
	r->created = NULL;
	r->ncreated = 0;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

const char *rootfs_show(const struct rootfs *r, const char *canon, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s", r->prefix, canon[0] ? canon : "/");
	return buf;
}

/* FNV-1a of the first len bytes: the directory cache's index. */
static unsigned path_hash(const char *p, size_t len)
{
	unsigned h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

/* The cache entry for the first len bytes of canon, or -1 (a scan of a
 * root with many Pythons caches a few hundred directories: each lookup is
 * one probe of the index, not a pass over them). */
static long cache_find(const struct rootfs *r, const char *canon, size_t len)
{
	unsigned h = path_hash(canon, len);

	if (r->nslots == 0)
		return -1;
	for (size_t k = h & (r->nslots - 1);; k = (k + 1) & (r->nslots - 1)) {
		unsigned v = r->slots[k];
		const struct rootfs_dir *d;

		if (v == 0)
			return -1;
		d = &r->dirs[v - 1];
		if (d->hash == h && strncmp(d->canon, canon, len) == 0 && d->canon[len] == '\0')
			return (long)(v - 1);
	}
}

/* The index rebuilt for ndirs entries (after a growth or a removal). */
static int cache_reindex(struct rootfs *r)
{
	size_t n = 64;
	unsigned *slots;

	while (n < 2 * (r->ndirs + 1))
		n *= 2;
	if ((slots = calloc(n, sizeof(*slots))) == NULL)
		return -1;
	for (size_t i = 0; i < r->ndirs; i++) {
		size_t k = r->dirs[i].hash & (n - 1);

		while (slots[k] != 0)
			k = (k + 1) & (n - 1);
		slots[k] = (unsigned)i + 1;
	}
	free(r->slots);
	r->slots = slots;
	r->nslots = n;
	return 0;
}

static int cache_get(const struct rootfs *r, const char *canon)
{
	long i;

	if (canon[0] == '\0')
		return r->fd;
	i = cache_find(r, canon, strlen(canon));
	return i < 0 ? -1 : r->dirs[i].fd;
}

static int cache_put(struct rootfs *r, const char *canon, int fd)
{
	size_t len = strlen(canon), k;
	char *c = strdup(canon);

	if (c == NULL)
		return -1;
	if (r->ndirs == r->capdirs) {
		size_t cap = r->capdirs ? r->capdirs * 2 : 16;
		struct rootfs_dir *d = realloc(r->dirs, cap * sizeof(*d));

		if (d == NULL) {
			free(c);
			return -1;
		}
		r->dirs = d;
		r->capdirs = cap;
	}
	r->dirs[r->ndirs++] = (struct rootfs_dir){c, path_hash(c, len), fd};
	if (2 * (r->ndirs + 1) > r->nslots) {
		if (cache_reindex(r) < 0) {
			free(c);
			r->ndirs--;
			return -1;
		}
		return 0;
	}
	k = r->dirs[r->ndirs - 1].hash & (r->nslots - 1);
	while (r->slots[k] != 0)
		k = (k + 1) & (r->nslots - 1);
	r->slots[k] = (unsigned)r->ndirs;
	return 0;
}

/* Open (or create) the real directory comp under cur; -1 with errno. A
 * directory found missing is remembered as such (fd -1 in the cache) for
 * the rest of the operation, unless this call may create it. */
static int open_dir(struct rootfs *r, int cur, const char *comp, const char *cand, bool mkdirs,
		    bool *mkdir_failed)
{
	long i = cache_find(r, cand, strlen(cand));
	int fd;

	if (i >= 0) {
		if (r->dirs[i].fd >= 0)
			return r->dirs[i].fd;
		if (!mkdirs) {
			errno = ENOENT;
			return -1;
		}
		free(r->dirs[i].canon); /* about to be created: forget "missing" */
		r->dirs[i] = r->dirs[--r->ndirs];
		if (cache_reindex(r) < 0) {
			errno = ENOMEM;
			return -1;
		}
	}
	fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !mkdirs) {
		cache_put(r, cand, -1);
		errno = ENOENT;
		return -1;
	}
	if (fd < 0 && errno == ENOENT && mkdirs) {
		if (mkdirat(cur, comp, 0755) < 0) {
			if (errno != EEXIST) {
				*mkdir_failed = true;
				return -1;
			}
		} else {
			/* remembered: what cainit made, it may take away again */
			char **v = realloc(r->created, (r->ncreated + 1) * sizeof(*v));

			if (v != NULL) {
				r->created = v;
				if ((v[r->ncreated] = strdup(cand)) != NULL)
					r->ncreated++;
			}
		}
		fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	if (cache_put(r, cand, fd) < 0) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	return fd;
}

/* out = dir + rest with repeated and trailing slashes dropped. */
static void canon_join(char *out, size_t n, const char *dir, const char *rest)
{
	size_t k = (size_t)snprintf(out, n, "%s", dir);

	for (; *rest && k + 1 < n; rest++) {
		if (*rest == '/' && (out[k - 1] == '/' || rest[1] == '\0'))
			continue;
		out[k++] = *rest;
	}
	out[k < n ? k : n - 1] = '\0';
}

/* The walk starts at the longest cached directory that prefixes a clean
 * path (absolute, no ".", ".." or empty component): every directory in the
 * cache was reached by this walk, so its canonical path is its own walk. */
static void start_cached(const struct rootfs *r, const char *path, unsigned flags, char *canon, int *cur,
			 const char **p)
{
	size_t len = strlen(path), end;

	if (r->ndirs == 0 || path[0] != '/' || len >= PATH_MAX)
		return;
	for (const char *c = path; *c; c++)
		if (c[0] == '/' && (c[1] == '/' || c[1] == '\0' ||
				    (c[1] == '.' && (c[2] == '/' || c[2] == '\0' ||
						     (c[2] == '.' && (c[3] == '/' || c[3] == '\0'))))))
			return;
	end = flags & RP_DIR ? len : (size_t)(strrchr(path, '/') - path);
	while (end > 0) {
		long i = cache_find(r, path, end);

		if (i >= 0 && r->dirs[i].fd >= 0) {
			memcpy(canon, path, end);
			canon[end] = '\0';
			*cur = r->dirs[i].fd;
			*p = path + end;
			return;
		}
		while (end > 0 && path[--end] != '/')
			;
	}
}

/* (Longer than most: the confined walk is one loop over the components,
 * each case of a component handled where the next one depends on it.) */
int rootfs_resolve(struct rootfs *r, const char *path, unsigned flags, struct rpath *out, struct cerr *e)
{
	char rest[2 * PATH_MAX], target[PATH_MAX], canon[PATH_MAX], cand[PATH_MAX];
	char show[PATH_MAX + 64];
	size_t plen = strlen(path), canon_len = 0;
	const char *p;
	int cur = r->fd, links = 0;

	/* (strings are copied by their length, not by the buffers' size: a
	 * scan resolves some 500 paths, and the 4 KiB copies and the
	 * formatting were half of this function's instructions) */
	canon[0] = '\0';
	out->canon[0] = '\0';
	out->base[0] = '\0';
	out->dirfd = -1;
	out->exists = false;
	memset(&out->st, 0, sizeof(out->st));
	if (plen >= sizeof(rest))
		return cerr_set(e, CAINIT_EOPS, "%s: path too long", path);
	memcpy(rest, path, plen + 1);
	p = rest;
	start_cached(r, rest, flags, canon, &cur, &p);
	canon_len = strlen(canon);
	for (;;) {
		char comp[NAME_MAX + 1];
		const char *next, *q;
		size_t clen;
		bool last = true;
		ssize_t n;
		int fd;

		while (*p == '/')
			p++;
		if (*p == '\0') {
			/* every component walked as a directory */
			if (!(flags & RP_DIR))
				return cerr_set(e, CAINIT_EOPS, "%s: is a directory", path);
			snprintf(out->canon, sizeof(out->canon), "%s", canon[0] ? canon : "/");
			out->dirfd = cur;
			out->exists = true;
			out->st.st_mode = S_IFDIR; /* (no caller needs more of a directory) */
			return 0;
		}
		next = strchr(p, '/');
		clen = next ? (size_t)(next - p) : strlen(p);
		if (!next)
			next = p + clen;
		if (clen > NAME_MAX)
			return cerr_sys(e, path, "resolve", ENAMETOOLONG);
		memcpy(comp, p, clen);
		comp[clen] = '\0';
		for (q = next; *q; q++)
			if (*q != '/')
				last = false;
		if (flags & RP_DIR)
			last = false;
		if (strcmp(comp, ".") == 0) {
			p = next;
			continue;
		}
		if (strcmp(comp, "..") == 0) {
			char *slash = strrchr(canon, '/');

			if (slash)
				*slash = '\0'; /* ".." stops at the root */
			canon_len = strlen(canon);
			cur = cache_get(r, canon);
			p = next;
			continue;
		}
		if (canon_len + 1 + clen >= sizeof(cand))
			return cerr_sys(e, path, "resolve", ENAMETOOLONG);
		memcpy(cand, canon, canon_len);
		cand[canon_len] = '/';
		memcpy(cand + canon_len + 1, comp, clen + 1);
		if (r->max_depth > 0) {
			unsigned depth = 0;

			for (const char *c = cand; *c; c++)
				depth += *c == '/';
			if (depth > r->max_depth)
				return cerr_input(e, "too_deep", "%s: deeper than %u directories", rootfs_show(r, cand, show, sizeof(show)),
						  r->max_depth);
		}
		if (!last) {
			bool mkdir_failed = false;

			fd = open_dir(r, cur, comp, cand, flags & RP_MKDIRS, &mkdir_failed);
			if (mkdir_failed)
				return cerr_sys(e, rootfs_show(r, cand, show, sizeof(show)), "mkdir", errno);
			if (fd >= 0) {
				cur = fd;
				canon_len += 1 + clen;
				memcpy(canon, cand, canon_len + 1);
				p = next;
				continue;
			}
			if (errno == ENOENT) {
				/* a missing parent: the path does not exist */
				canon_join(out->canon, sizeof(out->canon), cand, next);
				return 0;
			}
			if (errno != ENOTDIR && errno != ELOOP)
				return cerr_sys(e, rootfs_show(r, cand, show, sizeof(show)), "open", errno);
		} else {
			if (fstatat(cur, comp, &out->st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno != ENOENT)
					return cerr_sys(e, rootfs_show(r, cand, show, sizeof(show)), "stat", errno);
				memcpy(out->canon, cand, canon_len + clen + 2);
				memcpy(out->base, comp, clen + 1);
				out->dirfd = cur;
				return 0;
			}
			watch_note(cur, comp, &out->st);
			if (!S_ISLNK(out->st.st_mode) || (flags & RP_NOFOLLOW)) {
				memcpy(out->canon, cand, canon_len + clen + 2);
				memcpy(out->base, comp, clen + 1);
				out->dirfd = cur;
				out->exists = true;
				return 0;
			}
		}
		/* a symlink (or a file where a directory was expected) */
		n = readlinkat(cur, comp, target, sizeof(target) - 1);
		if (n < 0) {
			int err = errno == EINVAL ? ENOTDIR : errno;

			return cerr_sys(e, rootfs_show(r, cand, show, sizeof(show)), "resolve", err);
		}
		target[n] = '\0';
		if (++links > MAX_LINKS)
			return cerr_sys(e, rootfs_show(r, cand, show, sizeof(show)), "resolve", ELOOP);
		{
			char tmp[2 * PATH_MAX];

			int k = snprintf(tmp, sizeof(tmp), "%s/%s", target, next);

			if (k >= (int)sizeof(tmp))
				return cerr_sys(e, path, "resolve", ENAMETOOLONG);
			memcpy(rest, tmp, (size_t)k + 1);
		}
		p = rest;
		if (target[0] == '/') {
			canon[0] = '\0';
			canon_len = 0;
			cur = r->fd;
		}
	}
}

int rootfs_open_regular(int dirfd, const char *name, const char *show, int *fd, struct stat *st,
			struct cerr *e)
{
	*fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (*fd < 0 && errno == ELOOP)
		return cerr_set(e, CAINIT_EOPS, "%s: open: a symbolic link (never followed here)", show);
	if (*fd < 0)
		return errno == ENOENT ? 0 : cerr_sys(e, show, "open", errno);
	if (fstat(*fd, st) < 0) {
		int err = errno;

		close(*fd);
		*fd = -1;
		return cerr_sys(e, show, "stat", err);
	}
	if (!S_ISREG(st->st_mode)) {
		close(*fd);
		*fd = -1;
		return cerr_set(e, CAINIT_EOPS, "%s: not a regular file", show);
	}
	watch_note(dirfd, name, st);
	return 0;
}

/* Fault a fresh bundle-sized buffer in with one call, not one page fault
 * per 4 KB (no-op before Linux 5.14). The part of the brk heap that an
 * earlier call populated is not walked again (about 4% of an install on a
 * root with thirteen big files): the engine keeps its heap (heap_keep,
 * prefault.h), and a trim is seen here as a top below the mark. A trim and
 * a growth back above the mark between two calls would leave fresh pages
 * under it, unseen (they then fault one by one: slower, never wrong;
 * test_rootfs builds that case with 4 MiB kept: 1,500 faults for 6 MB).
 * With 32 MiB kept, and buffers of 32 MiB or more from mmap, it takes
 * more than 32 MiB of free heap at the top, made of smaller buffers. */
static void populate(const char *b, size_t len)
{
	static _Atomic uintptr_t done; /* the heap below this was populated */
	uintptr_t lo = ((uintptr_t)b + 4095) & ~(uintptr_t)4095;
	uintptr_t hi = ((uintptr_t)b + len) & ~(uintptr_t)4095;
	uintptr_t top, d;

	if (heap_huge_cover(b, len))
		return; /* (a one-shot command's heap: huge pages, prefault.h) */
	top = (uintptr_t)sbrk(0);
	d = atomic_load_explicit(&done, memory_order_relaxed);
	if (d > top)
		d = top; /* the heap was trimmed */
	if (hi <= top) {
		if (lo < d)
			lo = d;
		if (hi > d)
			atomic_store_explicit(&done, hi, memory_order_relaxed);
	}
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
}

int rootfs_read_at(int dirfd, const char *name, const char *show, size_t max,
		   char **buf, size_t *len, struct stat *st, struct cerr *e)
{
	size_t cap, n = 0;
	char *b = NULL;
	int fd;

	*buf = NULL;
	*len = 0;
	if (rootfs_open_regular(dirfd, name, show, &fd, st, e) != 0)
		return CAINIT_EOPS;
	if (fd < 0)
		return 0;
	if ((size_t)st->st_size > max) {
		cerr_set(e, CAINIT_EOPS, "%s: larger than %zu bytes", show, max);
		goto fail;
	}
	cap = (size_t)st->st_size + 1;
	b = malloc(cap + 1);
	if (b == NULL) {
		cerr_sys(e, show, "read", ENOMEM);
		goto fail;
	}
	if (cap >= 64 * 1024)
		populate(b, cap);
	for (;;) {
		ssize_t k = read(fd, b + n, cap - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			cerr_sys(e, show, "read", errno);
			goto fail;
		}
		n += (size_t)k;
		if (k == 0 || n < cap)
			break; /* a short read of a regular file is its end */
		if (n == cap) {
			char *nb;

			if (cap > max) {
				cerr_set(e, CAINIT_EOPS, "%s: larger than %zu bytes", show, max);
				goto fail;
			}
			cap *= 2;
			nb = realloc(b, cap + 1);
			if (nb == NULL) {
				cerr_sys(e, show, "read", ENOMEM);
				goto fail;
			}
			b = nb;
		}
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
fail:
	free(b);
	close(fd);
	return CAINIT_EOPS;
}

int rootfs_read(struct rootfs *r, const struct rpath *p, size_t max, char **buf, size_t *len, struct cerr *e)
{
	char show[PATH_MAX + 64];
	struct stat st;
	int rc;

	rootfs_show(r, p->canon, show, sizeof(show));
	rc = rootfs_read_at(p->dirfd, p->base, show, max, buf, len, &st, e);
	if (rc == 0 && *buf == NULL)
		return cerr_sys(e, show, "open", ENOENT);
	return rc;
}

bool rootfs_same_stamp(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_mode == b->st_mode &&
	       a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int rootfs_lock(struct rootfs *r, int timeout_ms, struct cerr *e)
{
	char show[PATH_MAX + 64];
	struct timespec nap = {0, 50000};
	long long start;

	if (r->lockfd >= 0)
		return 0;
	/* the root fd itself when it is readable; a second open otherwise */
	r->lock_owned = r->fd_is_path;
	r->lockfd = r->lock_owned ? openat(r->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : r->fd;
	if (r->lockfd < 0)
		return cerr_sys(e, rootfs_show(r, "", show, sizeof(show)), "open for lock", errno);
	start = clock_now_us();
	for (;;) {
		if (flock(r->lockfd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		if (clock_now_us() - start >= (long long)timeout_ms * 1000) {
			errno = ETIMEDOUT;
			break;
		}
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 10000000)
			nap.tv_nsec *= 2; /* 50 us, 100 us, ... up to 12.8 ms */
	}
	cerr_set(e, CAINIT_EOPS, "%s: lock: %s (another cainit holds it)",
		 rootfs_show(r, "", show, sizeof(show)), strerror(errno));
	if (r->lock_owned)
		close(r->lockfd);
	r->lockfd = -1;
	return CAINIT_EOPS;
}

void rootfs_unlock(struct rootfs *r)
{
	if (r->lockfd < 0)
		return;
	if (r->lock_owned)
		close(r->lockfd); /* closing drops the flock */
	else
		flock(r->lockfd, LOCK_UN);
	r->lockfd = -1;
}
