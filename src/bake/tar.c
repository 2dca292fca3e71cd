/*
 * tar.c: reading the tar streams of image layers and writing the one layer
 * bake adds. See tar.h for the formats understood.
 */
#include "tar.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 512
#define PAX_MAX (1024 * 1024)   /* a pax header larger than this is refused */
#define LONGNAME_MAX PATH_MAX

struct ustar {
	char name[100], mode[8], uid[8], gid[8], size[12], mtime[12], chksum[8];
	char typeflag, linkname[100], magic[6], version[2], uname[32], gname[32];
	char devmajor[8], devminor[8], prefix[155], pad[12];
};
_Static_assert(sizeof(struct ustar) == BLOCK, "ustar header is one block");

/* ---- reading ---- */

/* What 'L', 'K' and 'x' headers say of the entry that follows them. */
struct pending {
	char *path, *link;
	bool has_size, has_uid, has_gid, has_mtime;
	uint64_t size;
	uint64_t uid, gid;
	int64_t mtime;
};

static void pending_free(struct pending *p)
{
	free(p->path);
	free(p->link);
	memset(p, 0, sizeof(*p));
}

static int read_full(struct tar_reader *t, void *buf, size_t n, struct cerr *e)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		k = layer_stream_read(t->in, (char *)buf + got, n - got, e);
		if (k < 0)
			return e->code;
		if (k == 0)
			return cerr_input(e, "bad_layer", "%s: the tar archive ends in the middle of an entry", t->show);
		got += (size_t)k;
	}
	return 0;
}

static int skip(struct tar_reader *t, uint64_t n, struct cerr *e)
{
	char buf[16384];
	size_t k;

	while (n > 0) {
		k = n > sizeof(buf) ? sizeof(buf) : (size_t)n;
		if (read_full(t, buf, k, e) != 0)
			return e->code;
		n -= k;
	}
	return 0;
}

/* An octal field (spaces and NULs around it), or GNU base-256. */
static bool parse_num(const char *f, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if ((unsigned char)f[0] & 0x80) {
		if ((unsigned char)f[0] != 0x80)
			return false; /* negative */
		for (i = 1; i < n; i++) {
			if (v >> 56)
				return false;
			v = v << 8 | (unsigned char)f[i];
		}
		*out = v;
		return true;
	}
	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return false;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return false;
	*out = v;
	return true;
}

static bool checksum_ok(const unsigned char *b, uint64_t want)
{
	uint64_t sum = 0;
	int64_t ssum = 0;
	size_t i;

	for (i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : b[i];
		sum += c;
		ssum += (signed char)c;
	}
	return sum == want || (uint64_t)ssum == want;
}

static char *field_dup(const char *f, size_t n)
{
	return strndup(f, strnlen(f, n));
}

/* Apply "LEN key=value\n" records. */
static int parse_pax(struct tar_reader *t, char *buf, size_t len, struct pending *p, struct cerr *e)
{
	size_t off = 0;

	while (off < len) {
		char *rec = buf + off, *end, *eq, *val;
		unsigned long rlen = strtoul(rec, &end, 10);

		if (end == rec || *end != ' ' || rlen < 5 || rlen > len - off || rec[rlen - 1] != '\n')
			return cerr_input(e, "bad_layer", "%s: a malformed pax header", t->show);
		rec[rlen - 1] = '\0';
		eq = strchr(end + 1, '=');
		if (eq == NULL)
			return cerr_input(e, "bad_layer", "%s: a malformed pax record", t->show);
		*eq = '\0';
		val = eq + 1;
		if (strcmp(end + 1, "path") == 0) {
			free(p->path);
			p->path = strdup(val);
		} else if (strcmp(end + 1, "linkpath") == 0) {
			free(p->link);
			p->link = strdup(val);
		} else if (strcmp(end + 1, "size") == 0) {
			p->size = strtoull(val, NULL, 10);
			p->has_size = true;
		} else if (strcmp(end + 1, "uid") == 0) {
			p->uid = strtoull(val, NULL, 10);
			p->has_uid = true;
		} else if (strcmp(end + 1, "gid") == 0) {
			p->gid = strtoull(val, NULL, 10);
			p->has_gid = true;
		} else if (strcmp(end + 1, "mtime") == 0) {
			p->mtime = strtoll(val, NULL, 10);
			p->has_mtime = true;
		}
		off += rlen;
	}
	return 0;
}

/* The data of an 'L', 'K' or 'x' header, NUL-terminated. */
static int read_meta(struct tar_reader *t, uint64_t size, uint64_t max, char **out, struct cerr *e)
{
	char *buf;

	if (size > max)
		return cerr_input(e, "bad_layer", "%s: a %llu-byte extended header (at most %llu)", t->show,
				  (unsigned long long)size, (unsigned long long)max);
	buf = malloc((size_t)size + 1);
	if (buf == NULL)
		return cerr_sys(e, t->show, "malloc", ENOMEM);
	if (read_full(t, buf, (size_t)size, e) != 0 || skip(t, (BLOCK - size % BLOCK) % BLOCK, e) != 0) {
		free(buf);
		return e->code;
	}
	buf[size] = '\0';
	*out = buf;
	return 0;
}

void tar_reader_init(struct tar_reader *t, struct layer_stream *in, const char *show)
{
	memset(t, 0, sizeof(*t));
	t->in = in;
	t->show = show;
}

static void entry_clear(struct tar_entry *ent)
{
	free(ent->path);
	free(ent->link);
	memset(ent, 0, sizeof(*ent));
}

static enum tar_type type_of(char flag)
{
	switch (flag) {
	case '0': case '\0': case '7':
		return TAR_FILE;
	case '1':
		return TAR_HARDLINK;
	case '2':
		return TAR_SYMLINK;
	case '5':
		return TAR_DIR;
	default:
		return TAR_OTHER;
	}
}

static bool header_only(char flag, enum tar_type type)
{
	return type == TAR_HARDLINK || type == TAR_SYMLINK || type == TAR_DIR || flag == '3' || flag == '4' ||
	       flag == '6';
}

/* (Longer than most: one header loop, the extended headers that may come
 * before an entry (pax, GNU long names) gathered on the way.) */
int tar_next(struct tar_reader *t, struct cerr *e)
{
	union {
		struct ustar h;
		unsigned char b[BLOCK];
	} u;
	struct pending p = {0};
	uint64_t size, sum, mode, uid, gid, mtime;
	char *meta = NULL;
	static const unsigned char zero[BLOCK];

	if (skip(t, t->left + t->pad, e) != 0)
		return e->code;
	t->left = t->pad = 0;
	entry_clear(&t->cur);
	for (;;) {
		ssize_t k = layer_stream_read(t->in, u.b, 1, e);

		if (k < 0)
			goto fail;
		if (k == 0) /* no end blocks at all: accepted, as tar does */
			break;
		if (read_full(t, u.b + 1, BLOCK - 1, e) != 0)
			goto fail;
		if (memcmp(u.b, zero, BLOCK) == 0)
			break;
		if (!parse_num(u.h.chksum, sizeof(u.h.chksum), &sum) || !checksum_ok(u.b, sum) ||
		    !parse_num(u.h.size, sizeof(u.h.size), &size)) {
			cerr_input(e, "bad_layer", "%s: not a tar archive (a header's checksum is wrong)", t->show);
			goto fail;
		}
		if (u.h.typeflag == 'L' || u.h.typeflag == 'K' || u.h.typeflag == 'x' || u.h.typeflag == 'g') {
			if (read_meta(t, size, u.h.typeflag == 'x' || u.h.typeflag == 'g' ? PAX_MAX : LONGNAME_MAX,
				      &meta, e) != 0)
				goto fail;
			if (u.h.typeflag == 'L') {
				free(p.path);
				p.path = meta;
			} else if (u.h.typeflag == 'K') {
				free(p.link);
				p.link = meta;
			} else {
				int rc = u.h.typeflag == 'x' ? parse_pax(t, meta, (size_t)size, &p, e) : 0;

				free(meta);
				if (rc != 0)
					goto fail;
			}
			continue;
		}
		/* a real entry */
		if (p.path) {
			t->cur.path = p.path;
			p.path = NULL;
		} else if (memcmp(u.h.magic, "ustar", 5) == 0 && u.h.prefix[0]) {
			char *pre = field_dup(u.h.prefix, sizeof(u.h.prefix));
			char *nm = field_dup(u.h.name, sizeof(u.h.name));

			if (pre && nm && asprintf(&t->cur.path, "%s/%s", pre, nm) < 0)
				t->cur.path = NULL;
			free(pre);
			free(nm);
		} else {
			t->cur.path = field_dup(u.h.name, sizeof(u.h.name));
		}
		if (p.link) {
			t->cur.link = p.link;
			p.link = NULL;
		} else if (u.h.linkname[0]) {
			t->cur.link = field_dup(u.h.linkname, sizeof(u.h.linkname));
		}
		if (t->cur.path == NULL || (u.h.linkname[0] && t->cur.link == NULL)) {
			cerr_sys(e, t->show, "malloc", ENOMEM);
			goto fail;
		}
		if (t->cur.path[0] == '\0') {
			cerr_input(e, "bad_layer", "%s: an entry without a name", t->show);
			goto fail;
		}
		t->cur.type = type_of(u.h.typeflag);
		if (u.h.typeflag == '\0' && t->cur.path[strlen(t->cur.path) - 1] == '/')
			t->cur.type = TAR_DIR; /* old tar's directories, as Go's archive/tar reads them */
		if ((t->cur.type == TAR_HARDLINK || t->cur.type == TAR_SYMLINK) && t->cur.link == NULL) {
			cerr_input(e, "bad_layer", "%s: %s: a link without a target", t->show, t->cur.path);
			goto fail;
		}
		if (t->cur.type != TAR_HARDLINK && t->cur.type != TAR_SYMLINK) {
			free(t->cur.link); /* a linkname on anything else means nothing (as in GNU tar and Go) */
			t->cur.link = NULL;
		}
		/* a mode, uid, gid or mtime that is not a number is refused, as
		 * Go's archive/tar (the runtimes') refuses it: read as something
		 * (Python stops at a NUL, a default is a guess), the baked layer
		 * would say what the runtime never applies */
		if (!parse_num(u.h.mode, sizeof(u.h.mode), &mode) || !parse_num(u.h.uid, sizeof(u.h.uid), &uid) ||
		    !parse_num(u.h.gid, sizeof(u.h.gid), &gid) || !parse_num(u.h.mtime, sizeof(u.h.mtime), &mtime)) {
			cerr_input(e, "bad_layer", "%s: %s: a header's mode, uid, gid or mtime is not a number", t->show,
				   t->cur.path);
			goto fail;
		}
		t->cur.mode = (mode_t)(mode & 07777);
		t->cur.uid = p.has_uid ? (uid_t)p.uid : (uid_t)uid;
		t->cur.gid = p.has_gid ? (gid_t)p.gid : (gid_t)gid;
		t->cur.mtime = p.has_mtime ? p.mtime : (int64_t)mtime;
		if (p.has_size)
			size = p.size;
		/* links, directories, devices and FIFOs are headers only: whatever
		 * size says, the next header follows at once, as Go's archive/tar
		 * (the runtimes'), GNU tar and Python read them. Skipping `size`
		 * bytes there would hide headers the runtime applies. */
		t->cur.size = header_only(u.h.typeflag, t->cur.type) ? 0 : size;
		t->left = t->cur.size;
		t->pad = (BLOCK - t->cur.size % BLOCK) % BLOCK;
		pending_free(&p);
		return 1;
	}
	pending_free(&p);
	return 0;
fail:
	pending_free(&p);
	return e->code;
}

ssize_t tar_read_data(struct tar_reader *t, void *buf, size_t n, struct cerr *e)
{
	if (t->cur.type != TAR_FILE)
		return 0;
	if (n > t->left)
		n = (size_t)t->left;
	if (n == 0)
		return 0;
	if (read_full(t, buf, n, e) != 0)
		return -1;
	t->left -= n;
	return (ssize_t)n;
}

void tar_reader_free(struct tar_reader *t)
{
	entry_clear(&t->cur);
}

/* ---- writing ---- */

void tar_writer_init(struct tar_writer *w)
{
	memset(w, 0, sizeof(*w));
}

static unsigned char *grow(struct tar_writer *w, size_t n)
{
	unsigned char *p;
	size_t cap;

	if (w->failed)
		return NULL;
	if (w->len + n > w->cap) {
		cap = w->cap ? w->cap : 64 * 1024;
		while (cap < w->len + n)
			cap *= 2;
		p = realloc(w->buf, cap);
		if (p == NULL) {
			w->failed = true;
			return NULL;
		}
		w->buf = p;
		w->cap = cap;
	}
	p = w->buf + w->len;
	memset(p, 0, n);
	w->len += n;
	return p;
}

/* n - 1 octal digits and a NUL (callers keep v in range). */
static void put_octal(char *f, size_t n, uint64_t v)
{
	size_t i;

	for (i = n - 1; i-- > 0; v >>= 3)
		f[i] = (char)('0' + (v & 7));
	f[n - 1] = '\0';
}

static void put_header(struct tar_writer *w, const char *name, const char *prefix, char flag,
		       const struct tar_entry *ent, uint64_t size, const char *link)
{
	struct ustar *h = (struct ustar *)grow(w, BLOCK);
	unsigned sum = 0;
	size_t i;

	if (h == NULL)
		return;
	memcpy(h->name, name, strnlen(name, sizeof(h->name)));
	if (prefix)
		memcpy(h->prefix, prefix, strnlen(prefix, sizeof(h->prefix)));
	put_octal(h->mode, sizeof(h->mode), ent->mode & 07777);
	put_octal(h->uid, sizeof(h->uid), ent->uid < 07777777 ? ent->uid : 0);
	put_octal(h->gid, sizeof(h->gid), ent->gid < 07777777 ? ent->gid : 0);
	put_octal(h->size, sizeof(h->size), size);
	put_octal(h->mtime, sizeof(h->mtime), ent->mtime > 0 ? (uint64_t)ent->mtime : 0);
	h->typeflag = flag;
	if (link)
		memcpy(h->linkname, link, strnlen(link, sizeof(h->linkname)));
	memcpy(h->magic, "ustar", 6);
	memcpy(h->version, "00", 2);
	memset(h->chksum, ' ', sizeof(h->chksum));
	for (i = 0; i < BLOCK; i++)
		sum += ((unsigned char *)h)[i];
	snprintf(h->chksum, sizeof(h->chksum), "%06o", sum);
	h->chksum[7] = ' ';
}

static void put_data(struct tar_writer *w, const void *data, size_t n)
{
	unsigned char *p = grow(w, n + (BLOCK - n % BLOCK) % BLOCK);

	if (p != NULL && n > 0)
		memcpy(p, data, n);
}

/* "LEN key=value\n", LEN counting itself. */
static int pax_record(char *out, size_t cap, const char *key, const char *val)
{
	size_t body = strlen(key) + strlen(val) + 3, len = body + 1, digits;

	for (;;) {
		digits = (size_t)snprintf(NULL, 0, "%zu", len);
		if (body + digits == len)
			break;
		len = body + digits;
	}
	return snprintf(out, cap, "%zu %s=%s\n", len, key, val);
}

void tar_write_entry(struct tar_writer *w, const struct tar_entry *ent, const void *data)
{
	static const char flags[] = {[TAR_FILE] = '0', [TAR_HARDLINK] = '1', [TAR_SYMLINK] = '2',
				     [TAR_DIR] = '5'};
	char path[PATH_MAX + 2], *pax = NULL, *name = path, *prefix = NULL, cut[156];
	size_t plen, paxlen = 0, cap;
	uint64_t size = ent->type == TAR_FILE ? ent->size : 0;

	if (w->failed)
		return;
	if (ent->type == TAR_OTHER) {
		/* devices and FIFOs: cainit's layer never holds one, and written
		 * as a regular file one would change kind */
		w->failed = true;
		return;
	}
	snprintf(path, sizeof(path), "%s%s", ent->path,
		 ent->type == TAR_DIR && ent->path[strlen(ent->path) - 1] != '/' ? "/" : "");
	plen = strlen(path);
	cap = plen + (ent->link ? strlen(ent->link) : 0) + 64;
	if (plen > 100) {
		/* ustar's prefix/name split, when some '/' allows it */
		char *slash = NULL, *s;

		for (s = path + plen - 1; s > path; s--)
			if (*s == '/' && s[1] != '\0' && (size_t)(s - path) <= 155 && plen - (size_t)(s - path) - 1 <= 100) {
				slash = s;
				break;
			}
		if (slash) {
			memcpy(cut, path, (size_t)(slash - path));
			cut[slash - path] = '\0';
			prefix = cut;
			name = slash + 1;
		} else {
			pax = malloc(cap);
			if (pax == NULL) {
				w->failed = true;
				return;
			}
			paxlen = (size_t)pax_record(pax, cap, "path", path);
		}
	}
	if (ent->link && strlen(ent->link) > 100) {
		if (pax == NULL && (pax = malloc(cap)) == NULL) {
			w->failed = true;
			return;
		}
		paxlen += (size_t)pax_record(pax + paxlen, cap - paxlen, "linkpath", ent->link);
	}
	if (pax) {
		struct tar_entry ph = {.mode = 0644, .mtime = ent->mtime};

		put_header(w, "PaxHeader", NULL, 'x', &ph, paxlen, NULL);
		put_data(w, pax, paxlen);
		free(pax);
	}
	put_header(w, name, prefix, flags[ent->type], ent, size, ent->link);
	if (size > 0)
		put_data(w, data, (size_t)size);
}

int tar_finish(struct tar_writer *w)
{
	grow(w, 2 * BLOCK);
	return w->failed ? -1 : 0;
}

void tar_writer_free(struct tar_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}
