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

#include "conf_files.h"
#include "env.h"
#include "ini_text.h"
#include "passwd.h"

#define NPMRC_MAX 32
#define WHAT "npm's cafile: the full bundle (cainit); removed with the last set"

static const char *const root_prefixes[] = {"/usr", "/usr/local", NULL};
static const char *const listed_prefixes[] = {"/opt", NULL}; /* each directory there */
static const char *const home_listed[] = {".nvm/versions/node", NULL};

/* Keep path (an npmrc) unless it is there already; make its directory
 * (recorded) when create. */
static void add(struct scan *s, const char *path, bool create)
{
	struct cerr err = {0};
	struct conf_file *f;

	if (create) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", path);
		*strrchr(dir, '/') = '\0';
		(void)rootfs_resolve(s->r, dir, RP_DIR | RP_MKDIRS, &(struct rpath){0}, &err);
	}
	if ((f = conf_files_add(s, &s->npm_conf, path, NPMRC_MAX)) != NULL && err.code != 0)
		snprintf(f->why, sizeof(f->why), "%.199s", err.msg);
}

/* A Node installed in prefix: its global npmrc. npm takes its prefix from
 * node's real path (process.execPath), so a bin/node that is a link names
 * the prefix of what it points at. */
static void add_prefix(struct scan *s, const char *prefix, bool create)
{
	char path[PATH_MAX], real[PATH_MAX], *slash;

	if ((size_t)snprintf(path, sizeof(path), "%s/bin/node", prefix) >= sizeof(path) || !conf_is_file(s, path, real))
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
		scan_list_dir_once(s, &p, dir, each_dir, a, &ignored);
}

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	bool create = (o->flags & SCAN_CREATE) != 0;
	struct passwd_entry pw;
	const char *p, *pwbuf;
	size_t len;

	(void)e;
	if (s->paths_only)
		return 0;
	if (conf_is_file(s, "/etc/npmrc", NULL))
		add(s, "/etc/npmrc", false);
	for (size_t i = 0; root_prefixes[i]; i++)
		add_prefix(s, root_prefixes[i], create);
	for (size_t i = 0; listed_prefixes[i]; i++)
		add_listed(s, listed_prefixes[i], create);
	if ((pwbuf = scan_passwd(s, &len)) == NULL)
		return 0;
	for (p = pwbuf; passwd_next(&p, pwbuf + len, &pw);) {
		char dir[PATH_MAX];

		if (strcmp(pw.home, "/") == 0)
			continue;
		for (size_t i = 0; home_listed[i]; i++)
			if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", pw.home, home_listed[i]) < sizeof(dir))
				add_listed(s, dir, create);
	}
	return 0;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	if (clean)
		conf_files_clean(&s->npm_conf);
	return 0;
}

/* npm's cafile replaces the CAs npm trusts for the registry (Node's
 * compiled-in roots), so it must name them all: the root's full bundle. */
static int plan_one(struct scan *s, struct conf_file *f, struct want *w, struct txn *t, struct cerr *e)
{
	char bundle[ENV_VALUE_MAX], lines[ENV_VALUE_MAX + 16];
	const char *block = NULL;
	struct ini_view v;

	ini_scan(f->cur.exists ? f->cur.buf : "", f->cur.exists ? f->cur.len : 0, NULL, "cafile", &v);
	if (w->sets_left && conf_var_path(s, "NPM_CONFIG_CAFILE", "", bundle, sizeof(bundle))) {
		if (!v.key_set) {
			snprintf(lines, sizeof(lines), "cafile=%s\n", bundle);
			block = lines;
		} else if (strcmp(v.value, bundle) != 0 && w->certs != NULL) {
			trust_warn(w->rep, "%s: cafile is %s, not the bundle; left as it is", f->show, v.value);
		}
	}
	return conf_file_block(t, w, f, WHAT, block, SIZE_MAX, e);
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	return conf_files_plan(s, &s->npm_conf, w, t, plan_one, e);
}

static void release(struct scan *s)
{
	conf_files_free(&s->npm_conf);
}

const struct store_ops store_npm_conf = {
	.name = "npm-conf",
	.find = find,
	.list = list,
	.plan = plan,
	.free = release,
};
