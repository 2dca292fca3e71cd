/*
 * scan.c: see scan.h. Directory listings go through dir_each (dirwalk.h) on
 * a directory opened relative to its pinned fd; only names are parsed here,
 * file contents are read by whoever needs them.
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
#include "nss.h"

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

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* "HHHHHHHH.N" */
static bool parse_hash_name(const char *name, unsigned long *hash, unsigned *idx)
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
static bool parse_ca_name(const char *name, struct owned_file *f)
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
	if (n < 8 + 1 + 1 + 4 || rest[8] != '.' || !is_lower_hex(rest, 8) || !ends_with(rest, ".pem"))
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
static bool parse_set_name_file(const char *name, const char *prefix, const char *suffix, struct owned_file *f)
{
	size_t p = strlen(prefix), n = strlen(name), k = strlen(suffix);

	if (n <= p + k || strncmp(name, prefix, p) != 0 || !ends_with(name, suffix) ||
	    n - p - k > SET_NAME_MAX)
		return false;
	memset(f, 0, sizeof(*f));
	memcpy(f->set, name + p, n - p - k);
	f->set[n - p - k] = '\0';
	snprintf(f->name, sizeof(f->name), "%s", name);
	return set_name_valid(f->set);
}

static int push_owned(struct owned_file **v, size_t *n, const struct owned_file *f)
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
	if (l->clean_temps && ends_with(name, ".cainit-tmp"))
		unlinkat(dirfd, name, 0); /* a killed run's leftover */
	return 0;
}

int scan_list_dir(int dirfd, const char *show, scan_entry_fn fn, void *ctx, bool clean_temps, struct cerr *e)
{
	struct list_ctx l = {fn, ctx, clean_temps};

	return dir_each(dirfd, show, list_entry, &l, e);
}

static unsigned char entry_type(int dirfd, const char *name, unsigned char type)
{
	struct stat st;

	if (type != DT_UNKNOWN)
		return type;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return DT_UNKNOWN;
	return S_ISLNK(st.st_mode) ? DT_LNK : S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
}

/* Append HASH.IDX to h->links; with target_known, its readlink (NULL: not
 * a symlink). NULL on ENOMEM. */
static struct hash_link *push_link(struct hashed_store *h, unsigned long hash, unsigned idx, bool is_link,
				   const char *target, bool target_known)
{
	struct hash_link *nl = realloc(h->links, (h->nlinks + 1) * sizeof(*nl)), *l;

	if (nl == NULL)
		return NULL;
	h->links = nl;
	l = &nl[h->nlinks];
	memset(l, 0, sizeof(*l));
	l->hash = hash;
	l->idx = idx;
	l->is_link = is_link;
	name_hash_link(l->name, hash, idx);
	if (target_known) {
		l->target_read = true;
		l->target = target ? strdup(target) : NULL;
		if (target && l->target == NULL)
			return NULL;
	}
	h->nlinks++;
	return l;
}

static int hashed_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct hashed_store *h = ctx;
	struct owned_file f;
	unsigned long hash;
	unsigned idx;

	memset(&f, 0, sizeof(f));
	if (parse_hash_name(name, &hash, &idx))
		return push_link(h, hash, idx, entry_type(dirfd, name, type) == DT_LNK, NULL, false) ? 0 : -1;
	if (parse_ca_name(name, &f))
		return entry_type(dirfd, name, type) == DT_REG ? push_owned(&h->cas, &h->ncas, &f) : 0;
	if (parse_set_name_file(name, "cainit.", ".pem", &f) && entry_type(dirfd, name, type) == DT_LNK)
		return push_owned(&h->derived, &h->nderived, &f);
	return 0;
}

static int anchor_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct anchor_store *a = ctx;
	struct owned_file f;

	if (parse_set_name_file(name, "cainit.", ".crt", &f) && entry_type(dirfd, name, type) == DT_REG)
		return push_owned(&a->files, &a->nfiles, &f);
	return 0;
}

static int setdir_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct scan *s = ctx;
	struct owned_file f;

	if (parse_set_name_file(name, "", ".pem", &f) && entry_type(dirfd, name, type) == DT_REG)
		return push_owned(&s->setfiles, &s->nsetfiles, &f);
	return 0;
}

const char *scan_link_target(struct hashed_store *h, struct hash_link *l)
{
	char buf[PATH_MAX];
	ssize_t n;

	if (!l->is_link)
		return NULL;
	if (!l->target_read) {
		l->target_read = true;
		n = readlinkat(h->p.dirfd, l->name, buf, sizeof(buf) - 1);
		if (n >= 0) {
			buf[n] = '\0';
			l->target = strdup(buf);
		}
	}
	return l->target;
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
static int note_view(struct scan *s, const struct bundle_view *v)
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
static int note_blocks(struct scan *s, const char *buf, size_t len)
{
	struct bundle_view v;
	int rc;

	if (buf == NULL)
		return 0;
	if (bundle_scan(buf, len, &v) < 0)
		return -1;
	rc = note_view(s, &v);
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

static int read_owned(int dirfd, const char *name, const char *show, struct owned_read *o, struct cerr *e)
{
	memset(o, 0, sizeof(*o));
	if (rootfs_read_at(dirfd, name, show, 8 * 1024 * 1024, &o->buf, &o->len, &o->st, e) != 0)
		return CAINIT_EOPS;
	o->exists = o->buf != NULL;
	return 0;
}

/* Paths only: is the bundle one cainit created? (its first line says) */
static int read_header(struct bundle_store *b, struct cerr *e)
{
	char head[sizeof(BUNDLE_HEADER) - 1];
	struct stat st;
	ssize_t n;
	int fd;

	if (rootfs_open_regular(b->p.dirfd, b->p.base, b->show, &fd, &st, e) != 0)
		return CAINIT_EOPS;
	if (fd < 0)
		return cerr_sys(e, b->show, "open", ENOENT);
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n < 0)
		return cerr_sys(e, b->show, "read", errno);
	b->view.created = (size_t)n == sizeof(head) && memcmp(head, BUNDLE_HEADER, sizeof(head)) == 0;
	return 0;
}

static int add_bundle(struct scan *s, const char *path, unsigned flags, struct cerr *e)
{
	struct bundle_store b, *nb;
	size_t i;

	memset(&b, 0, sizeof(b));
	if (rootfs_resolve(s->r, path, flags, &b.p, e) != 0)
		return CAINIT_EOPS;
	if (!b.p.exists || !S_ISREG(b.p.st.st_mode))
		return 0;
	for (i = 0; i < s->nbundles; i++)
		if (strcmp(s->bundles[i].p.canon, b.p.canon) == 0)
			return 0; /* each real file once */
	rootfs_show(s->r, b.p.canon, b.show, sizeof(b.show));
	if (s->paths_only) {
		if (read_header(&b, e) != 0)
			return CAINIT_EOPS;
	} else if (rootfs_read(s->r, &b.p, BUNDLE_MAX, &b.buf, &b.len, e) != 0) {
		return CAINIT_EOPS;
	} else if (bundle_scan(b.buf, b.len, &b.view) < 0) {
		free(b.buf);
		return cerr_sys(e, b.show, "scan", ENOMEM);
	}
	b.exists = true;
	nb = realloc(s->bundles, (s->nbundles + 1) * sizeof(*nb));
	if (nb == NULL) {
		bundle_view_free(&b.view);
		free(b.buf);
		return cerr_sys(e, b.show, "scan", ENOMEM);
	}
	s->bundles = nb;
	s->bundles[s->nbundles++] = b;
	return 0;
}

static int add_hashed(struct scan *s, const char *path, bool create, struct cerr *e)
{
	struct hashed_store h, *nh;
	size_t i;

	memset(&h, 0, sizeof(h));
	if (rootfs_resolve(s->r, path, RP_DIR | (create ? RP_MKDIRS : 0), &h.p, e) != 0)
		return CAINIT_EOPS;
	if (!h.p.exists)
		return 0;
	for (i = 0; i < s->nhashed; i++)
		if (strcmp(s->hashed[i].p.canon, h.p.canon) == 0)
			return 0;
	rootfs_show(s->r, h.p.canon, h.show, sizeof(h.show));
	h.exists = true;
	nh = realloc(s->hashed, (s->nhashed + 1) * sizeof(*nh));
	if (nh == NULL)
		return cerr_sys(e, h.show, "scan", ENOMEM);
	s->hashed = nh;
	s->hashed[s->nhashed++] = h;
	return 0;
}

static int add_anchor(struct scan *s, const struct layout *l, unsigned flags, struct cerr *e)
{
	char name[NAME_MAX + 1], show[ENTRY_SHOW_MAX];
	struct anchor_store a, *na;
	size_t i;

	memset(&a, 0, sizeof(a));
	if (rootfs_resolve(s->r, l->anchor_dir, RP_DIR | ((flags & SCAN_CREATE) ? RP_MKDIRS : 0), &a.p, e) != 0)
		return CAINIT_EOPS;
	if (!a.p.exists)
		return 0;
	for (i = 0; i < s->nanchors; i++)
		if (strcmp(s->anchors[i].p.canon, a.p.canon) == 0)
			return 0;
	rootfs_show(s->r, a.p.canon, a.show, sizeof(a.show));
	a.layout = l;
	a.exists = true;
	if (s->set != NULL) {
		name_anchor(name, s->set);
		snprintf(show, sizeof(show), "%s/%s", a.show, name);
		if (read_owned(a.p.dirfd, name, show, &a.mine, e) != 0)
			return CAINIT_EOPS;
	}
	na = realloc(s->anchors, (s->nanchors + 1) * sizeof(*na));
	if (na == NULL) {
		free(a.mine.buf);
		return cerr_sys(e, a.show, "scan", ENOMEM);
	}
	s->anchors = na;
	s->anchors[s->nanchors++] = a;
	return 0;
}

/* Is the layout's own bundle one of the bundles found (and not cainit's)? */
static bool has_real_bundle(const struct scan *s, const struct layout *l)
{
	size_t i;

	for (i = 0; i < s->nbundles; i++)
		if (strcmp(s->bundles[i].p.canon, l->bundle) == 0 && !s->bundles[i].view.created)
			return true;
	return false;
}

static int find_bundles(struct scan *s, struct cerr *e)
{
	size_t i, k;
	int rc;

	for (i = 0; i < n_layouts; i++) {
		if ((rc = add_bundle(s, layouts[i].bundle, 0, e)) != 0)
			return rc;
		for (k = 0; layouts[i].aliases[k]; k++)
			if ((rc = add_bundle(s, layouts[i].aliases[k], 0, e)) != 0)
				return rc;
	}
	for (k = 0; extra_bundles[k]; k++)
		if ((rc = add_bundle(s, extra_bundles[k], 0, e)) != 0)
			return rc;
	return 0;
}

static int find_layouts(struct scan *s, unsigned flags, struct cerr *e)
{
	struct rpath anchor;
	bool any_real = false;
	size_t i;
	int rc;

	for (i = 0; i < s->nbundles; i++)
		any_real = any_real || !s->bundles[i].view.created;
	for (i = 0; i < n_layouts; i++) {
		const struct layout *l = &layouts[i];
		bool found = has_real_bundle(s, l);

		if (!found) {
			if (rootfs_resolve(s->r, l->anchor_dir, RP_DIR, &anchor, e) != 0)
				return CAINIT_EOPS;
			found = anchor.exists;
		}
		if (!found || s->nlayouts == sizeof(s->layouts) / sizeof(s->layouts[0]))
			continue;
		s->layouts[s->nlayouts++] = l;
		if ((rc = add_anchor(s, l, flags, e)) != 0)
			return rc;
		if ((rc = add_hashed(s, l->hashed_dir, false, e)) != 0)
			return rc;
	}
	if (any_real)
		return 0;
	/* distroless, scratch: cainit's own bundle at the Debian path */
	s->fallback = true;
	if ((rc = add_hashed(s, FALLBACK_HASHED_DIR, flags & SCAN_CREATE, e)) != 0)
		return rc;
	if (s->nbundles == 0) {
		struct bundle_store b, *nb;

		memset(&b, 0, sizeof(b));
		if (rootfs_resolve(s->r, FALLBACK_BUNDLE, (flags & SCAN_CREATE) ? RP_MKDIRS : 0, &b.p, e) != 0)
			return CAINIT_EOPS;
		rootfs_show(s->r, b.p.canon, b.show, sizeof(b.show));
		if (b.p.exists)
			return cerr_set(e, CAINIT_EOPS, "%s: not a regular file", b.show);
		nb = realloc(s->bundles, sizeof(*nb));
		if (nb == NULL)
			return cerr_sys(e, b.show, "scan", ENOMEM);
		s->bundles = nb;
		s->bundles[s->nbundles++] = b;
	}
	return 0;
}

/* cainit's own directory, its txn mark, and the set's CA-only file. */
static int find_own(struct scan *s, unsigned flags, struct cerr *e)
{
	char name[NAME_MAX + 1], show[ENTRY_SHOW_MAX];
	struct stat st;

	if (rootfs_resolve(s->r, CAINIT_DIR, RP_DIR | ((flags & SCAN_CREATE) ? RP_MKDIRS : 0),
			   &s->cainit_dir, e) != 0)
		return CAINIT_EOPS;
	s->cainit_dir_exists = s->cainit_dir.exists;
	if (s->cainit_dir_exists && fstatat(s->cainit_dir.dirfd, TXN_MARK, &st, AT_SYMLINK_NOFOLLOW) == 0)
		s->interrupted = true;
	if (s->cainit_dir_exists) {
		rootfs_show(s->r, CA_FILE, show, sizeof(show));
		if (read_owned(s->cainit_dir.dirfd, CA_FILE_NAME, show, &s->ca_file, e) != 0)
			return CAINIT_EOPS;
		rootfs_show(s->r, ENV_FILE, show, sizeof(show));
		if (read_owned(s->cainit_dir.dirfd, ENV_FILE_NAME, show, &s->env_file, e) != 0)
			return CAINIT_EOPS;
		rootfs_show(s->r, CAINIT_DIR "/" DIRS_RECORD_NAME, show, sizeof(show));
		if (read_owned(s->cainit_dir.dirfd, DIRS_RECORD_NAME, show, &s->dirs_record, e) != 0)
			return CAINIT_EOPS;
	}
	if (rootfs_resolve(s->r, PROFILE_DIR, RP_DIR, &s->profiled, e) != 0)
		return CAINIT_EOPS;
	if (s->profiled.exists) {
		rootfs_show(s->r, PROFILE_DIR "/" PROFILE_NAME, show, sizeof(show));
		if (read_owned(s->profiled.dirfd, PROFILE_NAME, show, &s->profile, e) != 0)
			return CAINIT_EOPS;
	}
	if (rootfs_resolve(s->r, CAINIT_SET_DIR, RP_DIR | ((flags & SCAN_CREATE) ? RP_MKDIRS : 0),
			   &s->setdir, e) != 0)
		return CAINIT_EOPS;
	rootfs_show(s->r, CAINIT_SET_DIR, s->setdir_show, sizeof(s->setdir_show));
	s->setdir_exists = s->setdir.exists;
	if (!s->setdir_exists || s->set == NULL)
		return 0;
	name_set_file(name, s->set);
	snprintf(show, sizeof(show), "%s/%s", s->setdir_show, name);
	return read_owned(s->setdir.dirfd, name, show, &s->set_file, e);
}

void scan_clean_temp(int dirfd, const char *name)
{
	char tmp[NAME_MAX + 1];

	if (dirfd >= 0 && (size_t)snprintf(tmp, sizeof(tmp), ".%s.cainit-tmp", name) < sizeof(tmp))
		unlinkat(dirfd, tmp, 0);
}

/* Deep: list every store directory, read every owned file. */
static int list_all(struct scan *s, unsigned flags, struct cerr *e)
{
	char show[ENTRY_SHOW_MAX];
	bool clean = flags & SCAN_CLEAN_TEMPS;
	size_t i, k;
	int rc;

	if (clean) {
		/* files in directories that are not listed */
		for (i = 0; i < s->nbundles; i++)
			scan_clean_temp(s->bundles[i].p.dirfd, s->bundles[i].p.base);
		if (s->cainit_dir_exists) {
			scan_clean_temp(s->cainit_dir.dirfd, CA_FILE_NAME);
			scan_clean_temp(s->cainit_dir.dirfd, ENV_FILE_NAME);
			scan_clean_temp(s->cainit_dir.dirfd, DIRS_RECORD_NAME);
			scan_clean_temp(s->cainit_dir.dirfd, NSS_RECORD_NAME);
		}
		if (s->profiled.exists)
			scan_clean_temp(s->profiled.dirfd, PROFILE_NAME);
	}

	for (i = 0; i < s->nhashed; i++)
		if ((rc = scan_list_dir(s->hashed[i].p.dirfd, s->hashed[i].show, hashed_entry, &s->hashed[i], clean, e)) != 0)
			return rc;
	for (i = 0; i < s->nanchors; i++) {
		struct anchor_store *a = &s->anchors[i];

		if ((rc = scan_list_dir(a->p.dirfd, a->show, anchor_entry, a, clean, e)) != 0)
			return rc;
		for (k = 0; k < a->nfiles; k++) {
			struct owned_read o;

			snprintf(show, sizeof(show), "%s/%s", a->show, a->files[k].name);
			if (read_owned(a->p.dirfd, a->files[k].name, show, &o, e) != 0)
				return CAINIT_EOPS;
			rc = note_blocks(s, o.buf, o.len);
			free(o.buf);
			if (rc < 0)
				return cerr_sys(e, show, "scan", ENOMEM);
		}
	}
	if (!s->setdir_exists)
		return 0;
	if ((rc = scan_list_dir(s->setdir.dirfd, s->setdir_show, setdir_entry, s, clean, e)) != 0)
		return rc;
	for (k = 0; k < s->nsetfiles; k++) {
		struct owned_read o;

		snprintf(show, sizeof(show), "%s/%s", s->setdir_show, s->setfiles[k].name);
		if (read_owned(s->setdir.dirfd, s->setfiles[k].name, show, &o, e) != 0)
			return CAINIT_EOPS;
		rc = note_blocks(s, o.buf, o.len);
		free(o.buf);
		if (rc < 0)
			return cerr_sys(e, show, "scan", ENOMEM);
	}
	return 0;
}

int scan_root(struct rootfs *r, unsigned flags, const char *set, struct scan *s, struct cerr *e)
{
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	s->r = r;
	s->set = set;
	s->paths_only = flags & SCAN_PATHS;
	rootfs_forget(r);
	if ((rc = find_bundles(s, e)) != 0 || (rc = find_layouts(s, flags, e)) != 0 ||
	    (rc = find_own(s, flags, e)) != 0)
		return rc;
	for (i = 0; i < s->nbundles; i++)
		if (s->bundles[i].exists && note_view(s, &s->bundles[i].view) < 0)
			return cerr_sys(e, s->bundles[i].show, "scan", ENOMEM);
	for (i = 0; i < s->nanchors; i++)
		if (note_blocks(s, s->anchors[i].mine.buf, s->anchors[i].mine.len) < 0)
			return cerr_sys(e, s->anchors[i].show, "scan", ENOMEM);
	if (note_blocks(s, s->set_file.buf, s->set_file.len) < 0)
		return cerr_sys(e, s->setdir_show, "scan", ENOMEM);
	s->deep = (flags & SCAN_DEEP) || set == NULL || s->interrupted;
	for (i = 0; i < s->nknown && !s->deep; i++)
		s->deep = !s->known[i].has_hash; /* a record too old to name its files */
	if (s->paths_only)
		s->deep = false;
	return s->deep ? list_all(s, flags, e) : 0;
}

int scan_probe_links(struct hashed_store *h, unsigned long hash, struct cerr *e)
{
	char name[24], target[PATH_MAX];
	unsigned long *np;
	unsigned idx;
	size_t i;

	for (i = 0; i < h->nprobed; i++)
		if (h->probed[i] == hash)
			return 0;
	np = realloc(h->probed, (h->nprobed + 1) * sizeof(*np));
	if (np == NULL)
		return cerr_sys(e, h->show, "probe", ENOMEM);
	h->probed = np;
	h->probed[h->nprobed++] = hash;
	for (idx = 0;; idx++) {
		ssize_t n;

		name_hash_link(name, hash, idx);
		n = readlinkat(h->p.dirfd, name, target, sizeof(target) - 1);
		if (n < 0 && errno == ENOENT)
			return 0; /* OpenSSL stops here too */
		if (n < 0 && errno != EINVAL)
			return cerr_sys(e, h->show, "readlink", errno);
		if (n >= 0)
			target[n] = '\0';
		if (push_link(h, hash, idx, n >= 0, n >= 0 ? target : NULL, true) == NULL)
			return cerr_sys(e, h->show, "probe", ENOMEM);
	}
}

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
	if (unlinkat(s->cainit_dir.dirfd, TXN_MARK, 0) != 0 && errno != ENOENT)
		return cerr_sys(e, show, "remove", errno);
	fd = openat(s->cainit_dir.dirfd, TXN_MARK, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		    0644);
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

static void note_name(const char **out, size_t *n, size_t max, const char *name, const char *only)
{
	size_t i;

	if ((only != NULL && strcmp(only, name) != 0) || *n == max)
		return;
	for (i = 0; i < *n; i++)
		if (strcmp(out[i], name) == 0)
			return;
	out[(*n)++] = name;
}

size_t scan_set_names(const struct scan *s, const char *only, const char **out, size_t max)
{
	size_t n = 0, i, k;

	for (i = 0; i < s->nsetfiles; i++)
		note_name(out, &n, max, s->setfiles[i].set, only);
	for (i = 0; i < s->nknown; i++)
		note_name(out, &n, max, s->known[i].set, only);
	for (i = 0; i < s->nanchors; i++)
		for (k = 0; k < s->anchors[i].nfiles; k++)
			note_name(out, &n, max, s->anchors[i].files[k].set, only);
	for (i = 0; i < s->nhashed; i++)
		for (k = 0; k < s->hashed[i].ncas; k++)
			note_name(out, &n, max, s->hashed[i].cas[k].set, only);
	return n;
}

void scan_free(struct scan *s)
{
	size_t i, k;

	for (i = 0; i < s->nbundles; i++) {
		bundle_view_free(&s->bundles[i].view);
		free(s->bundles[i].buf);
	}
	free(s->bundles);
	for (i = 0; i < s->nhashed; i++) {
		for (k = 0; k < s->hashed[i].nlinks; k++)
			free(s->hashed[i].links[k].target);
		free(s->hashed[i].links);
		free(s->hashed[i].cas);
		free(s->hashed[i].derived);
		free(s->hashed[i].probed);
	}
	free(s->hashed);
	for (i = 0; i < s->nanchors; i++) {
		free(s->anchors[i].files);
		free(s->anchors[i].mine.buf);
	}
	free(s->anchors);
	for (i = 0; i < s->nkeystores; i++) {
		keystore_free(&s->keystores[i].ks);
		free(s->keystores[i].buf);
	}
	free(s->keystores);
	free(s->setfiles);
	free(s->set_file.buf);
	free(s->ca_file.buf);
	free(s->env_file.buf);
	free(s->profile.buf);
	free(s->dirs_record.buf);
	free(s->known);
	nss_stores_free(s);
	memset(s, 0, sizeof(*s));
}
