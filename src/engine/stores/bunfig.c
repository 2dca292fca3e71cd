/*
 * bunfig.c: Bun's configuration room. `bun install` trusts neither the
 * system store nor NODE_EXTRA_CA_CERTS: it fetches from the registry over
 * the CA list compiled into Bun, unless `[install] cafile` in a bunfig
 * names a file. Bun reads a global one, $HOME/.bunfig.toml, with no
 * variable. So where the root has Bun (PREFIX/bin/bun for /usr, /usr/local
 * and /opt/NAME: then root's and each login user's home, uid 1000 and up;
 * or a home's own ~/.bun/bin/bun, where Bun's installer puts it), each of
 * those homes that exists gets `cafile = "<the full
 * bundle>"` (it replaces Bun's list) in cainit's marked block of
 * ~/.bunfig.toml: inside its [install] table, before the next table's
 * header, or as a new [install] table at the end. A file cainit creates
 * belongs to the home's owner, as any dotfile there.
 *
 * A `cafile` the owner's [install] already sets is theirs: one naming the
 * bundle needs nothing, another is left with a warning (a second key would
 * be a duplicate, which TOML refuses); so is a file that defines `install`
 * as an inline table or with dotted keys, which a new [install] table
 * would collide with. Every byte outside the block stays; a file cainit
 * created goes with the last set.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "ini_text.h"
#include "passwd.h"

#define BUNFIG_MAX 64
#define BUNFIG_NAME ".bunfig.toml"
#define WHAT "bun install's CA list: the full bundle (cainit); removed with the last set"

struct bunfig_file {
	struct rpath p;
	char show[SHOW_MAX];
	struct owned_read cur;
	uid_t uid;
	gid_t gid;
	char why[200];
};

struct bunfig {
	struct bunfig_file *f;
	size_t n;
};

static bool is_file(struct scan *s, const char *path)
{
	struct cerr ignored = {0};
	struct rpath p;

	return rootfs_resolve(s->r, path, 0, &p, &ignored) == 0 && p.exists && S_ISREG(p.st.st_mode);
}

static int opt_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	void **a = ctx;
	char path[PATH_MAX];

	type = scan_entry_type(dirfd, name, type);
	if ((type == DT_DIR || type == DT_LNK) && (size_t)snprintf(path, sizeof(path), "/opt/%s/bin/bun", name) <
							  sizeof(path) && is_file(a[0], path))
		*(bool *)a[1] = true;
	return 0;
}

/* Bun outside the homes: PREFIX/bin/bun. */
static bool system_bun(struct scan *s)
{
	static const char *const where[] = {"/usr/local/bin/bun", "/usr/bin/bun", "/bin/bun", NULL};
	struct cerr ignored = {0};
	struct rpath p;
	bool found = false;
	void *a[2] = {s, &found};

	for (size_t i = 0; where[i]; i++)
		if (is_file(s, where[i]))
			return true;
	if (rootfs_resolve(s->r, "/opt", RP_DIR, &p, &ignored) == 0 && p.exists && p.dirfd >= 0)
		scan_list_dir(p.dirfd, "/opt", opt_entry, a, false, &ignored);
	return found;
}

/* root, or a login user (not a system account, whose "home" may be /bin
 * or /usr/sbin): uid 0, or 1000 up to nobody's */
static bool person(const struct passwd_entry *pw)
{
	return pw->uid == 0 || (pw->uid >= 1000 && pw->uid < 65534);
}

static void add(struct scan *s, const struct passwd_entry *pw)
{
	struct bunfig *c = s->bunfig;
	struct cerr err = {0};
	struct bunfig_file *f;
	char path[PATH_MAX];
	struct rpath home;

	if (c->n == BUNFIG_MAX || (size_t)snprintf(path, sizeof(path), "%s/" BUNFIG_NAME, pw->home) >= sizeof(path) ||
	    rootfs_resolve(s->r, pw->home, RP_DIR, &home, &err) != 0 || !home.exists || home.dirfd < 0 ||
	    (f = realloc(c->f, (c->n + 1) * sizeof(*f))) == NULL)
		return; /* no home there: no one to configure */
	c->f = f;
	f = &c->f[c->n];
	memset(f, 0, sizeof(*f));
	f->p.dirfd = -1;
	f->uid = pw->uid;
	f->gid = pw->gid;
	rootfs_show(s->r, path, f->show, sizeof(f->show));
	if (rootfs_resolve(s->r, path, 0, &f->p, &err) == 0 && f->p.exists &&
	    rootfs_read_at(f->p.dirfd, f->p.base, f->show, OWNED_FILE_MAX, &f->cur.buf, &f->cur.len, &f->cur.st,
			   &err) == 0)
		f->cur.exists = f->cur.buf != NULL;
	if (err.code != 0)
		snprintf(f->why, sizeof(f->why), "%.199s", err.msg);
	for (size_t i = 0; i < c->n; i++)
		if (f->p.dirfd >= 0 && strcmp(c->f[i].p.canon, f->p.canon) == 0) {
			free(f->cur.buf);
			return; /* (two users, one home) */
		}
	c->n++;
}

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	struct passwd_entry pw;
	const char *p;
	char *pwbuf, path[PATH_MAX];
	size_t len;
	bool everyone;

	(void)o;
	if (s->paths_only || (pwbuf = passwd_read(s->r, &len)) == NULL)
		return 0;
	if ((s->bunfig = calloc(1, sizeof(*s->bunfig))) == NULL) {
		free(pwbuf);
		return cerr_sys(e, BUNFIG_NAME, "scan", ENOMEM);
	}
	everyone = system_bun(s);
	for (p = pwbuf; passwd_next(&p, pwbuf + len, &pw);) {
		if (strcmp(pw.home, "/") == 0 || strncmp(pw.home, "/nonexistent", 12) == 0)
			continue;
		if ((everyone && person(&pw)) ||
		    ((size_t)snprintf(path, sizeof(path), "%s/.bun/bin/bun", pw.home) < sizeof(path) && is_file(s, path)))
			add(s, &pw);
	}
	free(pwbuf);
	return 0;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	for (size_t i = 0; clean && s->bunfig != NULL && i < s->bunfig->n; i++)
		scan_clean_temp(s->bunfig->f[i].p.dirfd, s->bunfig->f[i].p.base);
	return 0;
}

/* The root's full bundle, as the variables name it. */
static bool bundle_of(struct scan *s, char *out, size_t n)
{
	struct env_var vars[ENV_VARS_MAX];
	size_t k, nv = env_from_scan(s, ENV_PLANNED, vars);

	for (k = 0; k < nv; k++)
		if (strcmp(vars[k].name, "SSL_CERT_FILE") == 0) {
			snprintf(out, n, "%s", vars[k].value);
			return out[0] == '/' && strpbrk(out, "\n\r\"\\") == NULL;
		}
	return false;
}

/* Does the owner's top level (before any table header) define install
 * itself, as an inline table or with dotted keys? */
static bool install_defined_inline(const char *buf, size_t len)
{
	size_t at = 0;

	while (at < len) {
		const char *l = buf + at, *nl = memchr(l, '\n', len - at);
		size_t ll = nl ? (size_t)(nl - l) : len - at;

		at += ll + 1;
		while (ll > 0 && (*l == ' ' || *l == '\t'))
			l++, ll--;
		if (ll > 0 && l[0] == '[')
			return false;
		if (ll > 7 && strncmp(l, "install", 7) == 0) {
			const char *r = l + 7;

			while (r < l + ll && (*r == ' ' || *r == '\t'))
				r++;
			if (r < l + ll && (*r == '=' || *r == '.'))
				return true;
		}
	}
	return false;
}

static int plan_one(struct scan *s, struct bunfig_file *f, struct want *w, struct txn *t, struct cerr *e)
{
	char bundle[ENV_VALUE_MAX], lines[ENV_VALUE_MAX + 32], val[PATH_MAX];
	const char *block = NULL, *buf = f->cur.exists ? f->cur.buf : "";
	size_t len = f->cur.exists ? f->cur.len : 0, vl;
	struct ini_view v;

	ini_scan(buf, len, "install", "cafile", &v);
	if (w->sets_left && bundle_of(s, bundle, sizeof(bundle))) {
		if (!v.key_set && install_defined_inline(buf, len)) {
			if (w->certs != NULL)
				trust_warn(w->rep, "%s: defines install inline; left as it is", f->show);
			return 0;
		}
		snprintf(val, sizeof(val), "%s", v.value);
		vl = strlen(val);
		if (vl >= 2 && (val[0] == '"' || val[0] == '\'') && val[vl - 1] == val[0]) {
			memmove(val, val + 1, vl - 2);
			val[vl - 2] = '\0';
		}
		if (!v.key_set) {
			snprintf(lines, sizeof(lines), "%scafile = \"%s\"\n", v.has_section ? "" : "[install]\n", bundle);
			block = lines;
		} else if (strcmp(val, bundle) != 0 && w->certs != NULL) {
			trust_warn(w->rep, "%s: [install] cafile is %s, not the bundle; left as it is", f->show, val);
		}
	}
	return plan_text_block_owned(t, w, f->p.dirfd, f->p.base, f->show, &f->cur, WHAT, block, v.insert_at, f->uid,
				     f->gid, e);
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	for (size_t i = 0; s->bunfig != NULL && i < s->bunfig->n; i++) {
		struct bunfig_file *f = &s->bunfig->f[i];
		int rc;

		if (f->why[0]) {
			if (w->certs != NULL)
				trust_warn(w->rep, "%s: %s; left as it is", f->show, f->why);
			continue;
		}
		if ((!w->sets_left && !f->cur.exists) || f->p.dirfd < 0)
			continue;
		if ((rc = plan_one(s, f, w, t, e)) != 0)
			return rc;
	}
	return 0;
}

static void release(struct scan *s)
{
	if (s->bunfig == NULL)
		return;
	for (size_t i = 0; i < s->bunfig->n; i++)
		free(s->bunfig->f[i].cur.buf);
	free(s->bunfig->f);
	free(s->bunfig);
	s->bunfig = NULL;
}

const struct store_ops store_bunfig = {
	.name = "bunfig",
	.find = find,
	.list = list,
	.plan = plan,
	.free = release,
};
