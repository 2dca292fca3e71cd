/*
 * pip_conf.c: the pip configuration room. pip's `cert` option replaces the
 * CA list pip trusts, for every pip of the root, whatever its vendored
 * certifi says, and /etc/pip.conf is read by every pip with no variable.
 * So where the root has a Python, /etc/pip.conf gets `cert = <the full
 * bundle>` in cainit's marked block (text_block.h), inside the existing
 * [global] section (before the next section's header), or as a new
 * [global] section at the end when there is none. A strict INI parser
 * (Python's configparser, pip's) then reads one [global] and one `cert`.
 *
 * A `cert` the file's [global] already sets (`cert = ...` or `cert: ...`)
 * outside cainit's block is its owner's: one naming the bundle needs nothing; one
 * naming another file is left, with a warning (cainit's block there
 * would be a duplicate option, which strict parsers refuse). Every byte
 * outside the block stays; a file cainit created goes with the last set.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "ini_text.h"

#define PIP_CONF "/etc/pip.conf"
#define WHAT "pip's CA list: the full bundle (cainit); removed with the last set"

struct pip_conf {
	struct rpath p;
	char show[SHOW_MAX];
	struct owned_read cur;
	char why[200];
};

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	struct cerr err = {0};
	struct pip_conf *c;

	(void)o;
	if (s->paths_only || s->npystdlibs == 0)
		return 0; /* no Python: no pip to configure */
	if ((c = s->pip_conf = calloc(1, sizeof(*c))) == NULL)
		return cerr_sys(e, PIP_CONF, "scan", ENOMEM);
	c->p.dirfd = -1;
	rootfs_show(s->r, PIP_CONF, c->show, sizeof(c->show));
	if (rootfs_resolve(s->r, PIP_CONF, 0, &c->p, &err) == 0 && c->p.exists &&
	    rootfs_read_at(c->p.dirfd, c->p.base, c->show, OWNED_FILE_MAX, &c->cur.buf, &c->cur.len, &c->cur.st,
			   &err) == 0)
		c->cur.exists = c->cur.buf != NULL;
	if (err.code != 0)
		snprintf(c->why, sizeof(c->why), "%.199s", err.msg);
	return 0;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	if (clean && s->pip_conf != NULL)
		scan_clean_temp(s->pip_conf->p.dirfd, s->pip_conf->p.base);
	return 0;
}

/* The root's full bundle (what `cert` must name: it replaces pip's list). */
static bool bundle_of(struct scan *s, char *out, size_t n)
{
	struct env_var vars[ENV_VARS_MAX];
	size_t k, nv = env_from_scan(s, ENV_PLANNED, vars);

	for (k = 0; k < nv; k++)
		if (strcmp(vars[k].name, "PIP_CERT") == 0) {
			snprintf(out, n, "%s", vars[k].value);
			return out[0] == '/' && strpbrk(out, "\n\r%") == NULL;
		}
	return false;
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	struct pip_conf *c = s->pip_conf;
	char bundle[ENV_VALUE_MAX], lines[ENV_VALUE_MAX + 32];
	const char *block = NULL;
	struct ini_view v;

	if (c == NULL)
		return 0;
	if (c->why[0]) {
		if (w->certs != NULL)
			trust_warn(w->rep, "%s: %s; left as it is", c->show, c->why);
		return 0;
	}
	if (!w->sets_left && !c->cur.exists)
		return 0;
	if (c->p.dirfd < 0)
		return 0; /* (no /etc) */
	ini_scan(c->cur.exists ? c->cur.buf : "", c->cur.exists ? c->cur.len : 0, "global", "cert", &v);
	if (w->sets_left && bundle_of(s, bundle, sizeof(bundle))) {
		if (!v.key_set) {
			snprintf(lines, sizeof(lines), "%scert = %s\n", v.has_section ? "" : "[global]\n", bundle);
			block = lines;
		} else if (strcmp(v.value, bundle) != 0 && w->certs != NULL) {
			trust_warn(w->rep, "%s: [global] cert is %s, not the bundle; left as it is", c->show, v.value);
		}
	}
	return plan_text_block(t, w, c->p.dirfd, c->p.base, c->show, &c->cur, WHAT, block, v.insert_at, e);
}

static void release(struct scan *s)
{
	if (s->pip_conf == NULL)
		return;
	free(s->pip_conf->cur.buf);
	free(s->pip_conf);
	s->pip_conf = NULL;
}

const struct store_ops store_pip_conf = {
	.name = "pip-conf",
	.find = find,
	.list = list,
	.plan = plan,
	.free = release,
};
