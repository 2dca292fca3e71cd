/*
 * conda_rc.c: conda's configuration room. conda (and mamba) fetch packages
 * with requests over their own CA list unless `ssl_verify` names a bundle;
 * a conda prefix's own `.condarc` (the base install's, read as
 * $CONDA_ROOT/.condarc, and each environment's, read as
 * $CONDA_PREFIX/.condarc) is read with no variable. So each conda prefix
 * the Python room found (a directory with conda-meta/) gets `ssl_verify:
 * <the full bundle>` (it replaces conda's list) in cainit's marked block
 * at the end of its .condarc, a top-level key of the YAML mapping.
 *
 * A `ssl_verify` the owner already sets at the top level is theirs: one
 * naming the bundle needs nothing, any other value (another file, false)
 * is left with a warning (a second key would be a duplicate, which YAML
 * loaders refuse or resolve against one of the two). A file whose top
 * level cainit cannot extend by a line (a flow mapping `{...}`, several
 * documents) is left with a warning too. Every byte outside the block
 * stays; a .condarc cainit created goes with the last set.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "text_block.h"

#define CONDARC_MAX 64
#define WHAT "conda's CA list: the full bundle (cainit); removed with the last set"

struct condarc {
	struct rpath p;
	char show[SHOW_MAX];
	struct owned_read cur;
	char why[200];
};

struct conda_rc {
	struct condarc *f;
	size_t n;
};

static void add(struct scan *s, const char *prefix)
{
	struct conda_rc *c = s->conda_rc;
	struct cerr err = {0};
	struct condarc *f;
	char path[PATH_MAX];

	if (c->n == CONDARC_MAX || (size_t)snprintf(path, sizeof(path), "%s/.condarc", prefix) >= sizeof(path) ||
	    (f = realloc(c->f, (c->n + 1) * sizeof(*f))) == NULL)
		return;
	c->f = f;
	f = &c->f[c->n];
	memset(f, 0, sizeof(*f));
	f->p.dirfd = -1;
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
			return; /* (a link to one already kept) */
		}
	c->n++;
}

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	(void)o;
	if (s->paths_only || s->ncondaprefixes == 0)
		return 0;
	if ((s->conda_rc = calloc(1, sizeof(*s->conda_rc))) == NULL)
		return cerr_sys(e, ".condarc", "scan", ENOMEM);
	for (size_t i = 0; i < s->ncondaprefixes; i++)
		add(s, s->condaprefixes[i]);
	return 0;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	for (size_t i = 0; clean && s->conda_rc != NULL && i < s->conda_rc->n; i++)
		scan_clean_temp(s->conda_rc->f[i].p.dirfd, s->conda_rc->f[i].p.base);
	return 0;
}

/* The root's full bundle, as the variables name it. */
static bool bundle_of(struct scan *s, char *out, size_t n)
{
	struct env_var vars[ENV_VARS_MAX];
	size_t k, nv = env_from_scan(s, ENV_PLANNED, vars);

	for (k = 0; k < nv; k++)
		if (strcmp(vars[k].name, "REQUESTS_CA_BUNDLE") == 0) {
			snprintf(out, n, "%s", vars[k].value);
			return out[0] == '/' && strpbrk(out, "\n\r:#'\"") == NULL;
		}
	return false;
}

/* The owner's part of the file (cainit's block left out): may a top-level
 * line be added, and does it set ssl_verify (value in val)? */
static bool owner_lines(const char *buf, size_t len, bool *set, char *val, size_t nval)
{
	size_t at = 0, bstart = len, bend = len;

	*set = false;
	if (!text_block_span(buf, len, &bstart, &bend))
		bstart = bend = len;
	while (at < len) {
		const char *l = buf + at, *nl = memchr(l, '\n', len - at);
		size_t ll = nl ? (size_t)(nl - l) : len - at;

		if (at >= bstart && at < bend) {
			at += ll + 1;
			continue; /* cainit's own block */
		}
		at += ll + 1;
		if (ll == 0 || l[0] == '#' || l[0] == ' ' || l[0] == '\t' || l[0] == '\r')
			continue;
		if (l[0] == '{' || l[0] == '[' || (ll >= 3 && (strncmp(l, "---", 3) == 0 || strncmp(l, "...", 3) == 0)))
			return false; /* a flow collection, a document marker */
		if (ll > 10 && strncmp(l, "ssl_verify", 10) == 0 && (l[10] == ':' || l[10] == ' ')) {
			const char *v = memchr(l, ':', ll);
			size_t vl;

			*set = true;
			if (v == NULL)
				return false;
			v++;
			vl = ll - (size_t)(v - l);
			while (vl > 0 && (*v == ' ' || *v == '\t'))
				v++, vl--;
			while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t' || v[vl - 1] == '\r'))
				vl--;
			if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0])
				v++, vl -= 2;
			snprintf(val, nval, "%.*s", (int)(vl < nval ? vl : nval - 1), v);
		}
	}
	return true;
}

static int plan_one(struct scan *s, struct condarc *f, struct want *w, struct txn *t, struct cerr *e)
{
	char bundle[ENV_VALUE_MAX], lines[ENV_VALUE_MAX + 32], val[PATH_MAX];
	const char *block = NULL;
	bool set = false, ok = true;

	if (f->cur.exists)
		ok = owner_lines(f->cur.buf, f->cur.len, &set, val, sizeof(val));
	if (w->sets_left && bundle_of(s, bundle, sizeof(bundle))) {
		if (!ok && !set) {
			if (w->certs != NULL)
				trust_warn(w->rep, "%s: not a block mapping cainit can add a key to; left as it is",
					   f->show);
			return 0;
		}
		if (!set) {
			snprintf(lines, sizeof(lines), "ssl_verify: %s\n", bundle);
			block = lines;
		} else if (strcmp(val, bundle) != 0 && w->certs != NULL) {
			trust_warn(w->rep, "%s: ssl_verify is %s, not the bundle; left as it is", f->show, val);
		}
	}
	return plan_text_block(t, w, f->p.dirfd, f->p.base, f->show, &f->cur, WHAT, block, SIZE_MAX, e);
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	for (size_t i = 0; s->conda_rc != NULL && i < s->conda_rc->n; i++) {
		struct condarc *f = &s->conda_rc->f[i];
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
	if (s->conda_rc == NULL)
		return;
	for (size_t i = 0; i < s->conda_rc->n; i++)
		free(s->conda_rc->f[i].cur.buf);
	free(s->conda_rc->f);
	free(s->conda_rc);
	s->conda_rc = NULL;
}

const struct store_ops store_conda_rc = {
	.name = "conda-rc",
	.find = find,
	.list = list,
	.plan = plan,
	.free = release,
};
