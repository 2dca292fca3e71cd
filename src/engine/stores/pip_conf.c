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

#include "conf_files.h"
#include "env.h"
#include "ini_text.h"

#define PIP_CONF "/etc/pip.conf"
#define WHAT "pip's CA list: the full bundle (cainit); removed with the last set"

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	(void)o;
	(void)e;
	if (s->paths_only || s->npystdlibs == 0)
		return 0; /* no Python: no pip to configure */
	(void)conf_files_add(s, &s->pip_conf, PIP_CONF, 1);
	return 0;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	if (clean)
		conf_files_clean(&s->pip_conf);
	return 0;
}

static int plan_one(struct scan *s, struct conf_file *f, struct want *w, struct txn *t, struct cerr *e)
{
	char bundle[ENV_VALUE_MAX], lines[ENV_VALUE_MAX + 32];
	const char *block = NULL;
	struct ini_view v;

	ini_scan(f->cur.exists ? f->cur.buf : "", f->cur.exists ? f->cur.len : 0, "global", "cert", &v);
	/* (configparser interpolates '%') */
	if (w->sets_left && conf_var_path(s, "PIP_CERT", "%", bundle, sizeof(bundle))) {
		if (!v.key_set) {
			snprintf(lines, sizeof(lines), "%scert = %s\n", v.has_section ? "" : "[global]\n", bundle);
			block = lines;
		} else if (strcmp(v.value, bundle) != 0 && w->certs != NULL) {
			trust_warn(w->rep, "%s: [global] cert is %s, not the bundle; left as it is", f->show, v.value);
		}
	}
	return conf_file_block(t, w, f, WHAT, block, v.insert_at, e);
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	return conf_files_plan(s, &s->pip_conf, w, t, plan_one, e);
}

static void release(struct scan *s)
{
	conf_files_free(&s->pip_conf);
}

const struct store_ops store_pip_conf = {
	.name = "pip-conf",
	.find = find,
	.list = list,
	.plan = plan,
	.free = release,
};
