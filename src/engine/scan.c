/*
 * scan.c: see scan.h. The core of a scan: cainit's own directory and its
 * change mark, the layouts, the records every room notes (s->known), and
 * the helpers the rooms share (cainit's file names, directory listings
 * through dir_each). The walk over the rooms is store.c's. File contents are read by
 * the rooms that need them.
 */
#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dirwalk.h"

void name_ca_file_raw(char *out, const char *set, const unsigned char sha256[32], unsigned long hash)
{
	snprintf(out, NAME_MAX + 1, "cainit.%s.%02x%02x%02x%02x%02x%02x%02x%02x.%08lx.pem", set,
		 sha256[0], sha256[1], sha256[2], sha256[3], sha256[4], sha256[5], sha256[6], sha256[7], hash);
}

void name_ca_slot(char *out, const char *set, unsigned long hash, unsigned slot)
{
	snprintf(out, NAME_MAX + 1, "cainit.%s.%08lx.%u.pem", set, hash, slot);
}

unsigned ca_slot(const struct cert_list *cas, size_t j)
{
	unsigned slot = 0;

	for (size_t k = 0; k < cas->n; k++)
		if (cas->v[k].subject_hash == cas->v[j].subject_hash && memcmp(cas->v[k].sha256, cas->v[j].sha256, 32) < 0)
			slot++;
	return slot;
}

void name_anchor(char *out, const char *set)
{
	snprintf(out, NAME_MAX + 1, "cainit.%s.crt", set);
}

void name_set_file(char *out, const char *set)
{
	snprintf(out, NAME_MAX + 1, "%s.pem", set);
}

void name_hash_link(char *out, unsigned long hash, unsigned idx)
{
	snprintf(out, 24, "%08lx.%u", hash, idx);
}

static bool is_lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool scan_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

bool scan_parse_hash_name(const char *name, unsigned long *hash, unsigned *idx)
{
	size_t n = strlen(name), i;
	unsigned long v = 0;

	if (n < 10 || n > 16 || name[8] != '.' || !is_lower_hex(name, 8))
		return false;
	for (i = 9; i < n; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(name[i] - '0');
	}
	if (n > 10 && name[9] == '0')
		return false;
	*hash = strtoul(name, NULL, 16) & 0xffffffffUL;
	*idx = (unsigned)v;
	return true;
}

/* "cainit." SET "." REST, with the set copied out; REST returned. */
static const char *parse_cainit_prefix(const char *name, char *set)
{
	const char *p, *dot;

	if (strncmp(name, "cainit.", 7) != 0)
		return NULL;
	p = name + 7;
	dot = strchr(p, '.');
	if (dot == NULL || (size_t)(dot - p) > SET_NAME_MAX)
		return NULL;
	memcpy(set, p, (size_t)(dot - p));
	set[dot - p] = '\0';
	return set_name_valid(set) ? dot + 1 : NULL;
}

/* "cainit.SET.HASH8.SLOT.pem", or the older "cainit.SET.FP16.HASH8.pem" */
bool scan_parse_ca_name(const char *name, struct owned_file *f)
{
	const char *rest = parse_cainit_prefix(name, f->set);
	size_t n, k;

	if (rest == NULL)
		return false;
	n = strlen(rest);
	if (n == 16 + 1 + 8 + 4 && rest[16] == '.' && is_lower_hex(rest, 16) && is_lower_hex(rest + 17, 8) &&
	    strcmp(rest + 25, ".pem") == 0) {
		memcpy(f->fp16, rest, 16);
		f->fp16[16] = '\0';
		f->hash = strtoul(rest + 17, NULL, 16);
		f->legacy = true;
		snprintf(f->name, sizeof(f->name), "%s", name);
		return true;
	}
	if (n < 8 + 1 + 1 + 4 || rest[8] != '.' || !is_lower_hex(rest, 8) || !scan_ends_with(rest, ".pem"))
		return false;
	for (k = 9; k < n - 4; k++)
		if (rest[k] < '0' || rest[k] > '9')
			return false;
	if (k == 9 || k - 9 > 5 || (rest[9] == '0' && k - 9 > 1))
		return false;
	f->hash = strtoul(rest, NULL, 16);
	f->slot = (unsigned)strtoul(rest + 9, NULL, 10);
	f->legacy = false;
	snprintf(f->name, sizeof(f->name), "%s", name);
	return true;
}

/* "cainit.SET" + suffix, exactly */
bool scan_parse_set_name_file(const char *name, const char *prefix, const char *suffix, struct owned_file *f)
{
	size_t p = strlen(prefix), n = strlen(name), k = strlen(suffix);

	if (n <= p + k || strncmp(name, prefix, p) != 0 || !scan_ends_with(name, suffix) ||
	    n - p - k > SET_NAME_MAX)
		return false;
	memset(f, 0, sizeof(*f));
	memcpy(f->set, name + p, n - p - k);
	f->set[n - p - k] = '\0';
	snprintf(f->name, sizeof(f->name), "%s", name);
	return set_name_valid(f->set);
}

int scan_push_owned(struct owned_file **v, size_t *n, const struct owned_file *f)
{
	struct owned_file *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return -1;
	*v = nv;
	(*v)[(*n)++] = *f;
	return 0;
}

struct list_ctx {
	scan_entry_fn fn;
	void *ctx;
	bool clean_temps;
};

static int list_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct list_ctx *l = ctx;

	if (name[0] != '.')
		return l->fn(l->ctx, dirfd, name, type);
	if (l->clean_temps && scan_ends_with(name, ".cainit-tmp"))
		unlinkat(dirfd, name, 0); /* a killed run's leftover */
	return 0;
}

int scan_list_dir(int dirfd, const char *show, scan_entry_fn fn, void *ctx, bool clean_temps, struct cerr *e)
{
	struct list_ctx l = {fn, ctx, clean_temps};

	return dir_each(dirfd, show, list_entry, &l, e);
}

/* One directory's names as dir_each gave them: "T" (d_type) then the name
 * and its NUL, one after the other. */
struct scan_listing {
	char *canon;
	char *names;
	size_t len, cap;
};

static int keep_name(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct scan_listing *l = ctx;
	size_t n = strlen(name) + 2;

	(void)dirfd;
	if (l->len + n > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		char *nv;

		while (cap < l->len + n)
			cap *= 2;
		if ((nv = realloc(l->names, cap)) == NULL)
			return -1;
		l->names = nv;
		l->cap = cap;
	}
	l->names[l->len] = (char)type;
	memcpy(l->names + l->len + 1, name, n - 1);
	l->len += n;
	return 0;
}

int scan_list_dir_once(struct scan *s, const struct rpath *dir, const char *show, scan_entry_fn fn, void *ctx,
		       struct cerr *e)
{
	struct scan_listing *nv;
	size_t li;
	int rc;

	for (li = 0; li < s->nlistings; li++)
		if (strcmp(s->listings[li].canon, dir->canon) == 0)
			break;
	if (li == s->nlistings) {
		struct scan_listing fresh = {strdup(dir->canon), NULL, 0, 0};

		if (fresh.canon == NULL || (nv = realloc(s->listings, (s->nlistings + 1) * sizeof(*nv))) == NULL) {
			free(fresh.canon);
			return cerr_sys(e, show, "list", ENOMEM);
		}
		s->listings = nv;
		/* (a listing that fails is not kept: the next room tries again) */
		if ((rc = scan_list_dir(dir->dirfd, show, keep_name, &fresh, false, e)) != 0) {
			free(fresh.canon);
			free(fresh.names);
			return rc;
		}
		s->listings[s->nlistings++] = fresh;
	}
	/* by index: fn may list another directory, which moves s->listings
	 * (the names themselves stay where they are) */
	for (size_t at = 0; at < s->listings[li].len;) {
		const char *name = s->listings[li].names + at + 1;
		unsigned char type = (unsigned char)s->listings[li].names[at];

		at += strlen(name) + 2;
		if ((rc = fn(ctx, dir->dirfd, name, type)) != 0)
			return rc < 0 ? cerr_sys(e, show, "list", ENOMEM) : rc;
	}
	return 0;
}

int scan_listed_has(const struct scan *s, const char *canon, const char *name)
{
	if (name[0] == '.' || name[0] == '\0' || strchr(name, '/') != NULL)
		return -1; /* a listing keeps no such name: it cannot say */
	for (size_t li = 0; li < s->nlistings; li++) {
		const struct scan_listing *l = &s->listings[li];

		if (strcmp(l->canon, canon) != 0)
			continue;
		for (size_t at = 0; at < l->len;) {
			const char *n = l->names + at + 1;

			if (strcmp(n, name) == 0)
				return 1;
			at += strlen(n) + 2;
		}
		return 0;
	}
	return -1;
}

bool scan_listed_without(const struct scan *s, const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];

	if (slash == NULL || slash[1] == '\0' || (size_t)(slash - path) >= sizeof(dir))
		return false;
	if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return scan_listed_has(s, dir, slash + 1) == 0;
}

static int no_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	(void)ctx, (void)dirfd, (void)name, (void)type;
	return 0;
}

int scan_list_once(struct scan *s, const char *dir, struct cerr *e)
{
	struct cerr ignored = {0};
	char show[SHOW_MAX];
	struct rpath p;

	if (rootfs_resolve(s->r, dir, RP_DIR, &p, &ignored) != 0 || !p.exists || p.dirfd < 0)
		return 0;
	rootfs_show(s->r, p.canon, show, sizeof(show));
	if (scan_list_dir_once(s, &p, show, no_entry, NULL, &ignored) != 0 && ignored.sys_errno == ENOMEM)
		return cerr_sys(e, show, "scan", ENOMEM);
	return 0;
}

void scan_listings_free(struct scan *s)
{
	for (size_t i = 0; i < s->nlistings; i++) {
		free(s->listings[i].canon);
		free(s->listings[i].names);
	}
	free(s->listings);
	s->listings = NULL;
	s->nlistings = 0;
}

unsigned char scan_entry_type(int dirfd, const char *name, unsigned char type)
{
	struct stat st;

	if (type != DT_UNKNOWN)
		return type;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return DT_UNKNOWN;
	return S_ISLNK(st.st_mode) ? DT_LNK : S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
}

static int push_known(struct scan *s, const char *set, const unsigned char sha256[32],
		      unsigned long hash, bool has_hash)
{
	struct known_ca *k;
	size_t i;

	for (i = 0; i < s->nknown; i++)
		if (strcmp(s->known[i].set, set) == 0 && memcmp(s->known[i].sha256, sha256, 32) == 0) {
			if (has_hash && !s->known[i].has_hash) {
				s->known[i].hash = hash;
				s->known[i].has_hash = true;
			}
			return 0;
		}
	k = realloc(s->known, (s->nknown + 1) * sizeof(*k));
	if (k == NULL)
		return -1;
	s->known = k;
	memset(&k[s->nknown], 0, sizeof(k[s->nknown]));
	snprintf(k[s->nknown].set, sizeof(k[s->nknown].set), "%s", set);
	memcpy(k[s->nknown].sha256, sha256, 32);
	k[s->nknown].hash = hash;
	k[s->nknown].has_hash = has_hash;
	s->nknown++;
	return 0;
}

/* Record the CAs that cainit's blocks in a view name. */
int scan_note_view(struct scan *s, const struct bundle_view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (!v->blocks[i].header &&
		    push_known(s, v->blocks[i].set, v->blocks[i].sha256, v->blocks[i].hash,
			       v->blocks[i].has_hash) < 0)
			return -1;
	return 0;
}

/* The same for the blocks in buf. */
int scan_note_blocks(struct scan *s, const char *buf, size_t len)
{
	struct bundle_view v;
	int rc;

	if (buf == NULL)
		return 0;
	if (bundle_scan(buf, len, &v) < 0)
		return -1;
	rc = scan_note_view(s, &v);
	bundle_view_free(&v);
	return rc;
}

bool scan_is_known(const struct scan *s, const char *set, const char *fp16)
{
	char hex[17];
	size_t i, k;

	for (i = 0; i < s->nknown; i++) {
		if (strcmp(s->known[i].set, set) != 0)
			continue;
		for (k = 0; k < 8; k++)
			snprintf(hex + k * 2, 3, "%02x", s->known[i].sha256[k]);
		if (memcmp(hex, fp16, 16) == 0)
			return true;
	}
	return false;
}

int scan_read_owned(int dirfd, const char *name, const char *show, struct owned_read *o, struct cerr *e)
{
	memset(o, 0, sizeof(*o));
	if (rootfs_read_at(dirfd, name, show, 8 * 1024 * 1024, &o->buf, &o->len, &o->st, e) != 0)
		return CAINIT_EOPS;
	o->exists = o->buf != NULL;
	return 0;
}

/* A layout is there when its real bundle is (found by the bundles' room,
 * the first row) and is not one cainit created, or its anchor directory is. */
int scan_layouts(struct scan *s, struct cerr *e)
{
	struct rpath anchor;
	size_t i, k;

	if (s->layouts_known)
		return 0;
	s->layouts_known = true;
	for (i = 0; i < n_layouts; i++) {
		const struct layout *l = &layouts[i];
		bool found = false;

		for (k = 0; k < s->nbundles && !found; k++)
			found = s->bundles[k].exists && !s->bundles[k].view.created &&
				strcmp(s->bundles[k].p.canon, l->bundle) == 0; /* (not the fallback to be made) */
		if (!found) {
			if (rootfs_resolve(s->r, l->anchor_dir, RP_DIR, &anchor, e) != 0)
				return CAINIT_EOPS;
			found = anchor.exists;
		}
		if (found && s->nlayouts < sizeof(s->layouts) / sizeof(s->layouts[0]))
			s->layouts[s->nlayouts++] = l;
	}
	return 0;
}

/* cainit's own directory and its txn mark. */
int scan_find_own(struct scan *s, unsigned flags, struct cerr *e)
{
	struct stat st;

	if (rootfs_resolve(s->r, CAINIT_DIR, RP_DIR | ((flags & SCAN_CREATE) ? RP_MKDIRS : 0),
			   &s->cainit_dir, e) != 0)
		return CAINIT_EOPS;
	s->cainit_dir_exists = s->cainit_dir.exists;
	if (s->cainit_dir_exists && fstatat(s->cainit_dir.dirfd, TXN_MARK, &st, AT_SYMLINK_NOFOLLOW) == 0)
		s->interrupted = true;
	return 0;
}

void scan_clean_temp(int dirfd, const char *name)
{
	char tmp[NAME_MAX + 1];

	if (dirfd >= 0 && (size_t)snprintf(tmp, sizeof(tmp), ".%s.cainit-tmp", name) < sizeof(tmp))
		unlinkat(dirfd, tmp, 0);
}

#define MARK_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)

int scan_mark_txn(struct scan *s, const char *set, struct cerr *e)
{
	char show[ENTRY_SHOW_MAX], line[SET_NAME_MAX + 2];
	size_t n;
	int fd;

	if (!s->cainit_dir_exists)
		return 0;
	snprintf(show, sizeof(show), "%s%s/%s", s->r->prefix, CAINIT_DIR, TXN_MARK);
	/* whatever is there (a leftover, or a FIFO, device or hard link someone
	 * planted) goes: the mark is always a new file of cainit's own */
	fd = openat(s->cainit_dir.dirfd, TXN_MARK, MARK_FLAGS, 0644);
	if (fd < 0 && errno == EEXIST) {
		if (unlinkat(s->cainit_dir.dirfd, TXN_MARK, 0) != 0 && errno != ENOENT)
			return cerr_sys(e, show, "remove", errno);
		fd = openat(s->cainit_dir.dirfd, TXN_MARK, MARK_FLAGS, 0644);
	}
	if (fd < 0)
		return cerr_sys(e, show, "create", errno);
	n = (size_t)snprintf(line, sizeof(line), "%s\n", set ? set : "*");
	if (write(fd, line, n) != (ssize_t)n) {
		int err = errno;

		close(fd);
		unlinkat(s->cainit_dir.dirfd, TXN_MARK, 0);
		return cerr_sys(e, show, "write", err);
	}
	close(fd);
	return 0;
}

int scan_read_mark(struct rootfs *r, bool *present, char *set, size_t n, struct cerr *e)
{
	char show[ENTRY_SHOW_MAX], *buf;
	struct rpath dir;
	struct stat st;
	size_t len, k;

	*present = false;
	snprintf(set, n, "*");
	if (rootfs_resolve(r, CAINIT_DIR, RP_DIR, &dir, e) != 0)
		return CAINIT_EOPS;
	if (!dir.exists)
		return 0;
	if (fstatat(dir.dirfd, TXN_MARK, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	if (!S_ISREG(st.st_mode)) {
		/* not what cainit writes there: it cannot say which change was
		 * under way, so every set is brought back to its record (and the
		 * entry is removed with the mark) */
		*present = true;
		return 0;
	}
	snprintf(show, sizeof(show), "%s%s/%s", r->prefix, CAINIT_DIR, TXN_MARK);
	if (rootfs_read_at(dir.dirfd, TXN_MARK, show, 4096, &buf, &len, &st, e) != 0)
		return CAINIT_EOPS;
	if (buf == NULL)
		return 0;
	*present = true;
	for (k = 0; k < len && buf[k] != '\n'; k++)
		;
	buf[k] = '\0';
	if (set_name_valid(buf))
		snprintf(set, n, "%s", buf);
	free(buf);
	return 0;
}

void scan_unmark_txn(struct scan *s)
{
	if (s->cainit_dir_exists)
		unlinkat(s->cainit_dir.dirfd, TXN_MARK, 0);
}

int scan_note_files(struct scan *s, int dirfd, const char *dir_show, const struct owned_file *files, size_t n,
		    struct cerr *e)
{
	char show[ENTRY_SHOW_MAX];
	int rc;

	for (size_t k = 0; k < n; k++) {
		struct owned_read o;

		snprintf(show, sizeof(show), "%s/%s", dir_show, files[k].name);
		if (scan_read_owned(dirfd, files[k].name, show, &o, e) != 0)
			return CAINIT_EOPS;
		rc = scan_note_blocks(s, o.buf, o.len);
		free(o.buf);
		if (rc < 0)
			return cerr_sys(e, show, "scan", ENOMEM);
	}
	return 0;
}
