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

#include "conf_files.h"
#include "env.h"
#include "text_block.h"

#define CONDARC_MAX 64
#define WHAT "conda's CA list: the full bundle (cainit); removed with the last set"

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	char path[PATH_MAX];

	(void)o;
	(void)e;
	if (s->paths_only)
		return 0;
	for (size_t i = 0; i < s->ncondaprefixes; i++)
		if ((size_t)snprintf(path, sizeof(path), "%s/.condarc", s->condaprefixes[i]) < sizeof(path))
			(void)conf_files_add(s, &s->conda_rc, path, CONDARC_MAX);
	return 0;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	if (clean)
		conf_files_clean(&s->conda_rc);
	return 0;
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

static int plan_one(struct scan *s, struct conf_file *f, struct want *w, struct txn *t, struct cerr *e)
{
	char bundle[ENV_VALUE_MAX], lines[ENV_VALUE_MAX + 32], val[PATH_MAX];
	const char *block = NULL;
	bool set = false, ok = true;

	if (f->cur.exists)
		ok = owner_lines(f->cur.buf, f->cur.len, &set, val, sizeof(val));
	/* (a plain YAML scalar: none of the bytes that would need quoting) */
	if (w->sets_left && conf_var_path(s, "REQUESTS_CA_BUNDLE", ":#'\"", bundle, sizeof(bundle))) {
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
	return conf_file_block(t, w, f, WHAT, block, SIZE_MAX, e);
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	return conf_files_plan(s, &s->conda_rc, w, t, plan_one, e);
}

static void release(struct scan *s)
{
	conf_files_free(&s->conda_rc);
}

const struct store_ops store_conda_rc = {
	.name = "conda-rc",
	.find = find,
	.list = list,
	.plan = plan,
	.free = release,
};
