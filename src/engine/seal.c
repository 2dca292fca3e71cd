/*
 * seal.c: see seal.h. The seal is a text file:
 *
 *   cainit-seal 1
 *   key <64 hex> <set>
 *   report <stores> <fallback 0|1>
 *   <d|f> <dev> <ino> <mode> <size> <mtime s> <ns> <ctime s> <ns> <path>
 *
 * directories first, each before what is under it, then the files.
 */
/* SHA256_Init...: as cert.c, which computes the fingerprints; the EVP
 * interface would initialise OpenSSL's providers in a process that otherwise
 * never does (an install answered by the seal): 30 page faults, 1 ms here */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "digest.h"

#define SEAL_DIR CAINIT_DIR "/" SEAL_DIR_NAME
#define SEAL_TMP "." SEAL_FILE_NAME ".cainit-tmp"
#define SEAL_MAGIC "cainit-seal 1\n"

/* How old a stamp must be to be trusted: a file changed again in the clock
 * tick of its stamp keeps the stamp. A tick is at most 10 ms where
 * timestamps are kept to the nanosecond (tmpfs, XFS, Btrfs); other
 * filesystems may keep seconds (ext4 with small inodes) or two (FAT). */
#define FINE_MARGIN_NS (50 * 1000 * 1000LL)
#define COARSE_MARGIN_NS (2 * 1000 * 1000 * 1000LL)

void seal_key(char out[SEAL_KEY_LEN + 1], const char *set, const struct cert_list *cas, unsigned flags,
	      const char *java_home, const char *const *python_envs, const char *nss_user)
{
	unsigned char md[32];
	SHA256_CTX c;
	char num[32];

	SHA256_Init(&c);
	SHA256_Update(&c, set, strlen(set) + 1);
	snprintf(num, sizeof(num), "%x/%zu", flags, cas->n);
	SHA256_Update(&c, num, strlen(num) + 1);
	for (size_t i = 0; i < cas->n; i++)
		SHA256_Update(&c, cas->v[i].sha256, 32);
	SHA256_Update(&c, "J", 1);
	if (java_home != NULL)
		SHA256_Update(&c, java_home, strlen(java_home) + 1);
	SHA256_Update(&c, "P", 1);
	for (const char *const *p = python_envs; p != NULL && *p != NULL; p++)
		SHA256_Update(&c, *p, strlen(*p) + 1);
	SHA256_Update(&c, "U", 1);
	if (nss_user != NULL)
		SHA256_Update(&c, nss_user, strlen(nss_user) + 1);
	SHA256_Final(md, &c);
	digest_hex(md, out);
}

void seal_free(struct seal *s)
{
	free(s->v);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

/* One entry line (NUL-terminated, no newline) into x; 0 or -1. */
static int parse_entry(char *line, struct seal_entry *x)
{
	unsigned long long dev, ino;
	unsigned mode;
	long long size, ms, cs;
	long mn, cn;
	char kind;
	int at = -1;

	if (sscanf(line, "%c %llu %llu %o %lld %lld %ld %lld %ld %n", &kind, &dev, &ino, &mode, &size, &ms, &mn, &cs,
		   &cn, &at) != 9 || at < 0)
		return -1;
	if ((kind != 'd' && kind != 'f') || line[1] != ' ' || line[at] != '/' || size < 0 || mn < 0 ||
	    mn > 999999999 || cn < 0 || cn > 999999999 || (kind == 'd' && !S_ISDIR(mode)))
		return -1;
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	x->st.st_dev = (dev_t)dev;
	x->st.st_ino = (ino_t)ino;
	x->st.st_mode = (mode_t)mode;
	x->st.st_size = (off_t)size;
	x->st.st_mtim.tv_sec = (time_t)ms;
	x->st.st_mtim.tv_nsec = mn;
	x->st.st_ctim.tv_sec = (time_t)cs;
	x->st.st_ctim.tv_nsec = cn;
	x->path = line + at;
	return 0;
}

int seal_parse(const char *buf, size_t len, struct seal *out)
{
	char *line, *next, *end;
	size_t n = 0, cap = 0;
	unsigned long stores;
	int at = -1, fb;

	memset(out, 0, sizeof(*out));
	if (len > SEAL_MAX || len < sizeof(SEAL_MAGIC) - 1 || memcmp(buf, SEAL_MAGIC, sizeof(SEAL_MAGIC) - 1) != 0 ||
	    memchr(buf, '\0', len) != NULL || buf[len - 1] != '\n')
		return -1;
	if ((out->text = malloc(len + 1)) == NULL)
		return -1;
	memcpy(out->text, buf, len);
	out->text[len] = '\0';
	end = out->text + len;
	line = out->text + sizeof(SEAL_MAGIC) - 1;
	/* key <hex> <set> */
	if ((next = strchr(line, '\n')) == NULL)
		goto bad;
	*next = '\0';
	if (strncmp(line, "key ", 4) != 0 || strlen(line) < 4 + SEAL_KEY_LEN + 2 || line[4 + SEAL_KEY_LEN] != ' ')
		goto bad;
	memcpy(out->key, line + 4, SEAL_KEY_LEN);
	out->key[SEAL_KEY_LEN] = '\0';
	for (size_t i = 0; i < SEAL_KEY_LEN; i++)
		if (!((out->key[i] >= '0' && out->key[i] <= '9') || (out->key[i] >= 'a' && out->key[i] <= 'f')))
			goto bad;
	if (!set_name_valid(line + 5 + SEAL_KEY_LEN))
		goto bad;
	snprintf(out->set, sizeof(out->set), "%s", line + 5 + SEAL_KEY_LEN);
	/* report <stores> <fallback> */
	line = next + 1;
	if ((next = strchr(line, '\n')) == NULL)
		goto bad;
	*next = '\0';
	if (sscanf(line, "report %lu %d%n", &stores, &fb, &at) != 2 || line[at] != '\0' || (fb != 0 && fb != 1) ||
	    stores > 1000000)
		goto bad;
	out->stores = stores;
	out->fallback = fb == 1;
	for (line = next + 1; line < end; line = next + 1) {
		next = strchr(line, '\n');
		*next = '\0';
		if (n == SEAL_ENTRIES_MAX)
			goto bad;
		if (n == cap) {
			size_t c2 = cap ? 2 * cap : 64;
			struct seal_entry *v = realloc(out->v, c2 * sizeof(*v));

			if (v == NULL)
				goto bad;
			out->v = v;
			cap = c2;
		}
		if (parse_entry(line, &out->v[n]) != 0)
			goto bad;
		/* the directories before the files (each directory is resolved
		 * from the root, so their own order does not matter) */
		if (n > 0 && out->v[n - 1].kind == 'f' && out->v[n].kind == 'd')
			goto bad;
		n++;
	}
	out->n = n;
	return 0;
bad:
	seal_free(out);
	return -1;
}

char *seal_format(const struct seal *s, size_t *len)
{
	size_t cap = 256, n;
	char *b;

	for (size_t i = 0; i < s->n; i++)
		cap += strlen(s->v[i].path) + 160;
	if ((b = malloc(cap)) == NULL)
		return NULL;
	n = (size_t)snprintf(b, cap, SEAL_MAGIC "key %s %s\nreport %zu %d\n", s->key, s->set, s->stores,
			     s->fallback ? 1 : 0);
	for (size_t i = 0; i < s->n && n < cap; i++) {
		const struct stat *st = &s->v[i].st;

		n += (size_t)snprintf(b + n, cap - n, "%c %llu %llu %o %lld %lld %ld %lld %ld %s\n", s->v[i].kind,
				      (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
				      (unsigned)st->st_mode, (long long)st->st_size, (long long)st->st_mtim.tv_sec,
				      (long)st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec,
				      (long)st->st_ctim.tv_nsec, s->v[i].path);
	}
	if (n >= cap) {
		free(b);
		return NULL;
	}
	*len = n;
	return b;
}

/* /etc/cainit/seal itself, never through a link (a link there would put
 * the seal in a directory of someone else's): an O_PATH descriptor, or -1. */
static int seal_dirfd(struct rootfs *r, int *cainit_fd)
{
	struct cerr e = {0};
	struct rpath dir;

	*cainit_fd = -1;
	if (rootfs_resolve(r, CAINIT_DIR, RP_DIR, &dir, &e) != 0 || !dir.exists || dir.dirfd < 0)
		return -1;
	*cainit_fd = dir.dirfd;
	return openat(dir.dirfd, SEAL_DIR_NAME, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Does the root still hold x as it was? Resolved inside the root as
 * everything else is: a path that now passes through a symbolic link
 * resolves to another canonical path, and fails. */
static bool entry_holds(struct rootfs *r, const struct seal_entry *x)
{
	struct cerr e = {0};
	struct rpath p;
	struct stat st;

	if (x->kind == 'd') {
		if (rootfs_resolve(r, x->path, RP_DIR, &p, &e) != 0 || !p.exists || strcmp(p.canon, x->path) != 0 ||
		    fstat(p.dirfd, &st) != 0)
			return false;
		return rootfs_same_stamp(&st, &x->st);
	}
	if (rootfs_resolve(r, x->path, RP_NOFOLLOW, &p, &e) != 0 || !p.exists || strcmp(p.canon, x->path) != 0)
		return false;
	return rootfs_same_stamp(&p.st, &x->st);
}

bool seal_holds(struct rootfs *r, const char *key, const char *set, size_t *stores, bool *fallback)
{
	struct cerr e = {0};
	struct stat st;
	struct seal s;
	size_t len, pinned;
	char *buf = NULL;
	int cfd, fd;
	bool ok;

	if (key[0] == '\0' || (fd = seal_dirfd(r, &cfd)) < 0)
		return false;
	ok = rootfs_read_at(fd, SEAL_FILE_NAME, SEAL_DIR "/" SEAL_FILE_NAME, SEAL_MAX, &buf, &len, &st, &e) == 0 &&
	     buf != NULL;
	close(fd);
	if (!ok)
		return false;
	ok = seal_parse(buf, len, &s) == 0;
	free(buf);
	if (!ok)
		return false;
	ok = strcmp(s.key, key) == 0 && strcmp(s.set, set) == 0 && s.n > 0;
	pinned = r->ndirs;
	for (size_t i = 0; ok && i < s.n; i++)
		ok = entry_holds(r, &s.v[i]);
	/* a seal that named many directories (a root with thousands, or a
	 * forged seal) leaves as many pinned: not what the scan that follows
	 * should start with, short of descriptors */
	if (!ok && r->ndirs > pinned + 64)
		rootfs_forget(r);
	if (ok) {
		*stores = s.stores;
		*fallback = s.fallback;
	}
	seal_free(&s);
	return ok;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct seal_entry *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind == 'd' ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* How old a stamp on device dev must be: fine where a directory of the
 * seal on that device is on a filesystem that keeps nanoseconds. */
static long long margin_of(dev_t dev, const struct seal *s, const int *fds)
{
	struct statfs f;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].kind == 'd' && s->v[i].st.st_dev == dev && fds[i] >= 0) {
			if (fstatfs(fds[i], &f) == 0 &&
			    (f.f_type == TMPFS_MAGIC || f.f_type == XFS_SUPER_MAGIC || f.f_type == BTRFS_SUPER_MAGIC))
				return FINE_MARGIN_NS;
			break;
		}
	return COARSE_MARGIN_NS;
}

static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The watch as seal entries (paths in *paths); false when it cannot be. */
static bool gather(struct rootfs *r, struct seal *s, int **fds_out, char ***paths_out)
{
	size_t max = r->ndirs + 1 + r->nseen, n = 0;
	struct seal_entry *v = calloc(max + 1, sizeof(*v));
	char **paths = calloc(max + 1, sizeof(*paths));
	int *fds = calloc(max + 1, sizeof(*fds));

	*fds_out = fds;
	*paths_out = paths;
	s->v = v;
	if (v == NULL || paths == NULL || fds == NULL || max > SEAL_ENTRIES_MAX)
		return false;
	/* the root, then every directory the operation pinned */
	for (size_t i = 0; i <= r->ndirs; i++) {
		int fd = i == r->ndirs ? r->fd : r->dirs[i].fd;
		const char *canon = i == r->ndirs ? "/" : r->dirs[i].canon;

		if (fd < 0 || path_under(canon, SEAL_DIR))
			continue;
		if ((paths[n] = strdup(canon)) == NULL || fstat(fd, &v[n].st) != 0)
			return false;
		v[n].kind = 'd';
		v[n].path = paths[n];
		fds[n++] = fd;
	}
	/* every file looked at, by its directory's canonical path */
	for (size_t i = 0; i < r->nseen; i++) {
		const char *dir = NULL;
		size_t k;

		if (r->seen[i].dirfd == r->fd)
			dir = "";
		for (k = 0; dir == NULL && k < r->ndirs; k++)
			if (r->dirs[k].fd == r->seen[i].dirfd)
				dir = r->dirs[k].canon;
		if (dir == NULL)
			return false;
		if (asprintf(&paths[n], "%s/%s", dir, r->seen_names + r->seen[i].name) < 0) {
			paths[n] = NULL;
			return false;
		}
		if (path_under(paths[n], SEAL_DIR)) {
			free(paths[n]);
			paths[n] = NULL;
			continue;
		}
		v[n].kind = 'f';
		v[n].st = r->seen[i].st;
		v[n].path = paths[n];
		fds[n++] = -1;
	}
	s->n = n;
	return true;
}

/* Every stamp old enough, and no path the text cannot carry? */
static bool trustworthy(const struct seal *s, const int *fds, const struct timespec *t0)
{
	long long start = (long long)t0->tv_sec * 1000000000LL + t0->tv_nsec;
	dev_t devs[8];
	long long margins[8];
	size_t ndevs = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct stat *st = &s->v[i].st;
		long long c = (long long)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec, margin = -1;

		for (size_t k = 0; k < ndevs && margin < 0; k++)
			if (devs[k] == st->st_dev)
				margin = margins[k];
		if (margin < 0) {
			margin = margin_of(st->st_dev, s, fds);
			if (ndevs < 8) {
				devs[ndevs] = st->st_dev;
				margins[ndevs++] = margin;
			}
		}
		if (strchr(s->v[i].path, '\n') != NULL || c >= start - margin)
			return false;
	}
	return true;
}

static void write_text(int dirfd, const char *text, size_t len)
{
	const char *p = text;
	int fd, err = 0;

	(void)unlinkat(dirfd, SEAL_TMP, 0);
	fd = openat(dirfd, SEAL_TMP, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	while (len > 0 && err == 0) {
		ssize_t k = write(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			err = 1;
		else {
			p += k;
			len -= (size_t)k;
		}
	}
	/* (not fsync'd: a seal lost to a crash only costs the next install a scan) */
	if (close(fd) != 0 || err != 0 || renameat(dirfd, SEAL_TMP, dirfd, SEAL_FILE_NAME) != 0)
		(void)unlinkat(dirfd, SEAL_TMP, 0);
}

void seal_write(struct rootfs *r, const char *key, const char *set, size_t stores, bool fallback,
		const struct timespec *t0)
{
	struct seal s = {.stores = stores, .fallback = fallback};
	char **paths = NULL, *text = NULL;
	int *fds = NULL, cfd, fd = -1;
	size_t len, i, k;

	if (r->watch_lost || key[0] == '\0')
		goto out;
	/* (just after a change, its files are too fresh under any margin: known
	 * from the watch itself, before a stat of each directory) */
	for (i = 0; i < r->nseen; i++)
		if ((long long)r->seen[i].st.st_ctim.tv_sec * 1000000000LL + r->seen[i].st.st_ctim.tv_nsec >=
		    (long long)t0->tv_sec * 1000000000LL + t0->tv_nsec - FINE_MARGIN_NS)
			goto out;
	if ((fd = seal_dirfd(r, &cfd)) < 0) {
		/* (a root a cainit before seals installed: the directory now,
		 * the seal next time, when /etc/cainit's stamp is old enough) */
		if (cfd >= 0 && errno == ENOENT)
			seal_dir_make(r);
		goto out;
	}
	snprintf(s.key, sizeof(s.key), "%s", key);
	snprintf(s.set, sizeof(s.set), "%s", set);
	if (!gather(r, &s, &fds, &paths) || !trustworthy(&s, fds, t0))
		goto out;
	qsort(s.v, s.n, sizeof(*s.v), cmp_entry);
	for (i = k = 0; i < s.n; i++) /* (a file looked at twice, once) */
		if (k == 0 || s.v[i].kind != s.v[k - 1].kind || strcmp(s.v[i].path, s.v[k - 1].path) != 0)
			s.v[k++] = s.v[i];
	s.n = k;
	if ((text = seal_format(&s, &len)) != NULL)
		write_text(fd, text, len);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	for (i = 0; paths != NULL && i <= r->ndirs + r->nseen; i++)
		free(paths[i]);
	free(paths);
	free(fds);
	free(s.v);
}

void seal_drop(struct rootfs *r)
{
	int cfd, fd = seal_dirfd(r, &cfd);

	if (fd < 0)
		return;
	(void)unlinkat(fd, SEAL_FILE_NAME, 0);
	(void)unlinkat(fd, SEAL_TMP, 0); /* (a killed write's) */
	(void)unlinkat(cfd, SEAL_DIR_NAME, AT_REMOVEDIR);
	close(fd);
}

void seal_dir_make(struct rootfs *r)
{
	struct cerr e = {0};
	struct rpath dir;

	if (rootfs_resolve(r, CAINIT_DIR, RP_DIR, &dir, &e) == 0 && dir.exists)
		(void)mkdirat(dir.dirfd, SEAL_DIR_NAME, 0700); /* (root's: it names paths in homes) */
}
