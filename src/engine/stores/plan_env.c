/*
 * plan_env.c: the two files that let runtimes find the managed CAs without
 * flags: /etc/cainit/ca.pem, every set's CAs in one file (what "adds"
 * variables such as NODE_EXTRA_CA_CERTS take one of), edited block-wise
 * like a bundle; and /etc/profile.d/cainit.sh, the variables for login
 * shells, where the root has /etc/profile.d; and /etc/cainit/env, the same
 * variables as NAME=value lines, which `cainit run` and `cainit env` read
 * instead of scanning the root again. All go once no set is left.
 */
#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "env.h"

#define PROFILE_HEADER \
	"# cainit: TLS variables for the CAs cainit manages (see 'cainit env').\n" \
	"# Written by cainit install, deleted with the last set. A variable\n" \
	"# already set is left alone.\n"

int plan_ca_file(struct scan *s, const struct want *w, struct txn *t, bool *sets_left, struct cerr *e)
{
	const char *buf = s->ca_file.exists ? s->ca_file.buf : "";
	size_t len = s->ca_file.exists ? s->ca_file.len : 0;
	char show[ENTRY_SHOW_MAX];
	struct bundle_view v;
	struct rope r;
	bool del;
	int rc = 0;

	*sets_left = w->certs != NULL;
	if (!s->cainit_dir_exists)
		return 0;
	if (bundle_scan(buf, len, &v) < 0)
		return cerr_sys(e, CA_FILE, "plan", ENOMEM);
	if (w->certs == NULL)
		*sets_left = bundle_count(&v, NULL) > (w->set ? bundle_count(&v, w->set) : bundle_count(&v, NULL));
	rootfs_show(s->r, CA_FILE, show, sizeof(show));
	rope_init(&r);
	if (w->certs != NULL ? (s->ca_file.exists && bundle_set_matches(&v, w->set, w->certs))
			     : bundle_count(&v, w->set) == 0)
		goto out; /* already as wanted */
	if (bundle_edit(&v, w->set, w->set, w->certs, &r, &del) < 0)
		rc = -1;
	else if (r.len == 0)
		rc = s->ca_file.exists ? txn_unlink(t, s->cainit_dir.dirfd, CA_FILE_NAME, show) : 0;
	else
		rc = txn_write(t, s->cainit_dir.dirfd, CA_FILE_NAME, show, &r,
			       s->ca_file.exists ? &s->ca_file.st : NULL, s->ca_file.buf, s->ca_file.len, TXN_FAIL);
	if (rc < 0)
		rc = cerr_sys(e, show, "plan", ENOMEM);
out:
	rope_free(&r);
	bundle_view_free(&v);
	return rc;
}

int plan_env_file(struct scan *s, bool sets_left, struct txn *t, struct cerr *e)
{
	struct env_var vars[ENV_VARS_MAX];
	char show[ENTRY_SHOW_MAX];
	struct rope r;

	if (!s->cainit_dir_exists)
		return 0;
	rootfs_show(s->r, ENV_FILE, show, sizeof(show));
	if (!sets_left) {
		if (s->env_file.exists && txn_unlink(t, s->cainit_dir.dirfd, ENV_FILE_NAME, show) < 0)
			return cerr_sys(e, show, "plan", ENOMEM);
		return 0;
	}
	rope_init(&r);
	if (env_render_dotenv(vars, env_from_scan(s, ENV_PLANNED, vars), &r) < 0) {
		rope_free(&r);
		return cerr_sys(e, show, "plan", ENOMEM);
	}
	return plan_ensure_read(t, s->cainit_dir.dirfd, ENV_FILE_NAME, show, &r, &s->env_file, e);
}

int plan_profile(struct scan *s, bool sets_left, struct txn *t, struct cerr *e)
{
	struct env_var vars[ENV_VARS_MAX];
	char show[ENTRY_SHOW_MAX];
	struct rope r;
	size_t n;

	if (!s->profiled.exists)
		return 0;
	rootfs_show(s->r, PROFILE_DIR "/" PROFILE_NAME, show, sizeof(show));
	if (!sets_left) {
		if (s->profile.exists && txn_unlink(t, s->profiled.dirfd, PROFILE_NAME, show) < 0)
			return cerr_sys(e, show, "plan", ENOMEM);
		return 0;
	}
	n = env_from_scan(s, ENV_PLANNED, vars);
	rope_init(&r);
	if (rope_copy(&r, PROFILE_HEADER, strlen(PROFILE_HEADER)) < 0 || env_render_sh(vars, n, true, &r) < 0) {
		rope_free(&r);
		return cerr_sys(e, show, "plan", ENOMEM);
	}
	return plan_ensure_read(t, s->profiled.dirfd, PROFILE_NAME, show, &r, &s->profile, e);
}
