/*
 * npm_conf.c: the npm configuration room. npm (and pnpm, yarn 1, which
 * read the same files) trusts Node's compiled-in roots, or what its
 * `cafile` names instead; a variable reaches it only when set. Its global
 * configuration, PREFIX/etc/npmrc for the Node installed in PREFIX, is
 * read by every npm of that Node with no variable. So, for each Node the
 * root has (PREFIX/bin/node, PREFIX in /usr, /usr/local, /opt/NAME and
 * each passwd home's .nvm/versions/node/NAME), PREFIX/etc/npmrc gets
 * `cafile=<the full bundle>` in cainit's marked block (text_block.h), and
 * so does /etc/npmrc where it exists (Debian's npm reads it). A `cafile`
 * the owner already sets is theirs: one naming the bundle needs nothing,
 * another is left, with a warning. Every byte outside the block stays; a
 * file cainit created goes with the last set, and PREFIX/etc with it when
 * cainit made it (the directory record).
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "ini_text.h"
#include "passwd.h"

#define NPMRC_MAX 32
#define WHAT "npm's cafile: the full bundle (cainit); removed with the last set"

struct npmrc {
	struct rpath p;
	char show[SHOW_MAX];
	struct owned_read cur;
	char why[200];
};

struct npm_conf {
	struct npmrc *f; /* grown one by one: most roots have one or two */
	size_t n;
};

static const char *const root_prefixes[] = {"/usr", "/usr/local", NULL};
static const char *const listed_prefixes[] = {"/opt", NULL}; /* each directory there */
static const char *const home_listed[] = {".nvm/versions/node", NULL};

static bool is_file(struct scan *s, const char *path, char *canon)
{
	struct cerr ignored = {0};
	struct rpath p;

	if (rootfs_resolve(s->r, path, 0, &p, &ignored) != 0 || !p.exists || !S_ISREG(p.st.st_mode))
		return false;
	if (canon != NULL)
		memcpy(canon, p.canon, PATH_MAX);
	return true;
}

/* Keep path (an npmrc) unless it is there already; make its directory
 * (recorded) when create. */
static void add(struct scan *s, const char *path, bool create)
{
	struct npm_conf *c = s->npm_conf;
	struct cerr err = {0};
	struct npmrc *f;

	if (c->n == NPMRC_MAX || (f = realloc(c->f, (c->n + 1) * sizeof(*f))) == NULL)
		return;
	c->f = f;
	f = &c->f[c->n];
	memset(f, 0, sizeof(*f));
	f->p.dirfd = -1;
	rootfs_show(s->r, path, f->show, sizeof(f->show));
	if (create) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", path);
		*strrchr(dir, '/') = '\0';
		if (rootfs_resolve(s->r, dir, RP_DIR | RP_MKDIRS, &(struct rpath){0}, &err) != 0)
			snprintf(f->why, sizeof(f->why), "%.199s", err.msg);
	}
	if (!f->why[0] && rootfs_resolve(s->r, path, 0, &f->p, &err) == 0 && f->p.exists &&
	    rootfs_read_at(f->p.dirfd, f->p.base, f->show, OWNED_FILE_MAX, &f->cur.buf, &f->cur.len, &f->cur.st,
			   &err) == 0)
		f->cur.exists = f->cur.buf != NULL;
	if (err.code != 0 && !f->why[0])
		snprintf(f->why, sizeof(f->why), "%.199s", err.msg);
	for (size_t i = 0; i < c->n; i++)
		if (f->p.dirfd >= 0 && strcmp(c->f[i].p.canon, f->p.canon) == 0) {
			free(f->cur.buf);
			return; /* (a link to one already kept) */
		}
	c->n++;
}

/* A Node installed in prefix: its global npmrc. npm takes its prefix from
 * node's real path (process.execPath), so a bin/node that is a link names
 * the prefix of what it points at. */
static void add_prefix(struct scan *s, const char *prefix, bool create)
{
	char path[PATH_MAX], real[PATH_MAX], *slash;

	if ((size_t)snprintf(path, sizeof(path), "%s/bin/node", prefix) >= sizeof(path) || !is_file(s, path, real))
		return;
	for (int k = 0; k < 2; k++)
		if ((slash = strrchr(real, '/')) != NULL)
			*slash = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s/etc/npmrc", real) < sizeof(path))
		add(s, path, create);
}

static int each_dir(void *ctx, int dirfd, const char *name, unsigned char type)
{
	void **a = ctx;
	struct scan *s = a[0];
	char path[PATH_MAX];

	type = scan_entry_type(dirfd, name, type);
	if ((type == DT_DIR || type == DT_LNK) && (size_t)snprintf(path, sizeof(path), "%s/%s", (const char *)a[1], name) <
							  sizeof(path))
		add_prefix(s, path, *(bool *)a[2]);
	return 0;
}

/* Each directory of dir as a prefix. */
static void add_listed(struct scan *s, const char *dir, bool create)
{
	struct cerr ignored = {0};
	struct rpath p;
	void *a[3] = {s, (void *)dir, &create};

	if (rootfs_resolve(s->r, dir, RP_DIR, &p, &ignored) == 0 && p.exists && p.dirfd >= 0)
		scan_list_dir(p.dirfd, dir, each_dir, a, false, &ignored);
}

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	bool create = (o->flags & SCAN_CREATE) != 0;
	struct passwd_entry pw;
	const char *p;
	char *pwbuf;
	size_t len;

	if (s->paths_only)
		return 0;
	if ((s->npm_conf = calloc(1, sizeof(*s->npm_conf))) == NULL)
		return cerr_sys(e, "npmrc", "scan", ENOMEM);
	if (is_file(s, "/etc/npmrc", NULL))
		add(s, "/etc/npmrc", false);
	for (size_t i = 0; root_prefixes[i]; i++)
		add_prefix(s, root_prefixes[i], create);
	for (size_t i = 0; listed_prefixes[i]; i++)
		add_listed(s, listed_prefixes[i], create);
	if ((pwbuf = passwd_read(s->r, &len)) == NULL)
		return 0;
	for (p = pwbuf; passwd_next(&p, pwbuf + len, &pw);) {
		char dir[PATH_MAX];

		if (strcmp(pw.home, "/") == 0)
			continue;
		for (size_t i = 0; home_listed[i]; i++)
			if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", pw.home, home_listed[i]) < sizeof(dir))
				add_listed(s, dir, create);
	}
	free(pwbuf);
	return 0;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	for (size_t i = 0; clean && s->npm_conf != NULL && i < s->npm_conf->n; i++)
		scan_clean_temp(s->npm_conf->f[i].p.dirfd, s->npm_conf->f[i].p.base);
	return 0;
}

/* The root's full bundle: npm's cafile replaces the CAs npm trusts for the
 * registry (Node's compiled-in roots), so it must name them all. */
static bool bundle_of(struct scan *s, char *out, size_t n)
{
	struct env_var vars[ENV_VARS_MAX];
	size_t k, nv = env_from_scan(s, ENV_PLANNED, vars);

	for (k = 0; k < nv; k++)
		if (strcmp(vars[k].name, "NPM_CONFIG_CAFILE") == 0) {
			snprintf(out, n, "%s", vars[k].value);
			return out[0] == '/' && strpbrk(out, "\n\r") == NULL;
		}
	return false;
}

static int plan_one(struct scan *s, struct npmrc *f, struct want *w, struct txn *t, struct cerr *e)
{
	char bundle[ENV_VALUE_MAX], lines[ENV_VALUE_MAX + 16];
	const char *block = NULL;
	struct ini_view v;

	ini_scan(f->cur.exists ? f->cur.buf : "", f->cur.exists ? f->cur.len : 0, NULL, "cafile", &v);
	if (w->sets_left && bundle_of(s, bundle, sizeof(bundle))) {
		if (!v.key_set) {
			snprintf(lines, sizeof(lines), "cafile=%s\n", bundle);
			block = lines;
		} else if (strcmp(v.value, bundle) != 0 && w->certs != NULL) {
			trust_warn(w->rep, "%s: cafile is %s, not the bundle; left as it is", f->show, v.value);
		}
	}
	return plan_text_block(t, w, f->p.dirfd, f->p.base, f->show, &f->cur, WHAT, block, SIZE_MAX, e);
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	for (size_t i = 0; s->npm_conf != NULL && i < s->npm_conf->n; i++) {
		struct npmrc *f = &s->npm_conf->f[i];
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
	if (s->npm_conf == NULL)
		return;
	for (size_t i = 0; i < s->npm_conf->n; i++)
		free(s->npm_conf->f[i].cur.buf);
	free(s->npm_conf->f);
	free(s->npm_conf);
	s->npm_conf = NULL;
}

const struct store_ops store_npm_conf = {
	.name = "npm-conf",
	.find = find,
	.list = list,
	.plan = plan,
	.free = release,
};
