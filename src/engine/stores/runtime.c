/*
 * runtime.c: the runtime room, cainit's own files that let runtimes find
 * the managed CAs without flags: /etc/cainit/ca.pem, every set's CAs in
 * one file (what "adds" variables such as NODE_EXTRA_CA_CERTS take), edited
 * block-wise like a bundle; /etc/cainit/env, the variables as NAME=value
 * lines, which `cainit run` and `cainit env` read instead of scanning the
 * root again; and /etc/profile.d/cainit.sh, the same variables for login
 * shells, where the root has /etc/profile.d. All go once no set is left
 * (trust_prepare writes env and the profile before any set, with the paths
 * a set will have).
 * Its plan tells the rows after it whether any set is left (w->sets_left).
 * These files are not stores: status does not list them. trust_env reads
 * the variables back.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"

#define PROFILE_HEADER \
	"# cainit: TLS variables for the CAs cainit manages (see 'cainit env').\n" \
	"# Written by cainit install, deleted with the last set. A variable\n" \
	"# already set is left alone.\n"

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	char show[ENTRY_SHOW_MAX];

	(void)o;
	if (s->cainit_dir_exists) {
		rootfs_show(s->r, CA_FILE, show, sizeof(show));
		if (scan_read_owned(s->cainit_dir.dirfd, CA_FILE_NAME, show, &s->ca_file, e) != 0)
			return CAINIT_EOPS;
		rootfs_show(s->r, ENV_FILE, show, sizeof(show));
		if (scan_read_owned(s->cainit_dir.dirfd, ENV_FILE_NAME, show, &s->env_file, e) != 0)
			return CAINIT_EOPS;
	}
	if (rootfs_resolve(s->r, PROFILE_DIR, RP_DIR, &s->profiled, e) != 0)
		return CAINIT_EOPS;
	if (s->profiled.exists) {
		rootfs_show(s->r, PROFILE_DIR "/" PROFILE_NAME, show, sizeof(show));
		if (scan_read_owned(s->profiled.dirfd, PROFILE_NAME, show, &s->profile, e) != 0)
			return CAINIT_EOPS;
	}
	return 0;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	if (clean && s->cainit_dir_exists) {
		scan_clean_temp(s->cainit_dir.dirfd, CA_FILE_NAME);
		scan_clean_temp(s->cainit_dir.dirfd, ENV_FILE_NAME);
	}
	if (clean && s->profiled.exists)
		scan_clean_temp(s->profiled.dirfd, PROFILE_NAME);
	return 0;
}

/* Sets w->sets_left. */
static int plan_ca_file(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	const char *buf = s->ca_file.exists ? s->ca_file.buf : "";
	size_t len = s->ca_file.exists ? s->ca_file.len : 0;
	char show[ENTRY_SHOW_MAX];
	struct bundle_view v;
	struct rope r;
	bool del;
	int rc = 0;

	w->sets_left = w->certs != NULL || w->prepare;
	if (!s->cainit_dir_exists)
		return 0;
	if (bundle_scan(buf, len, &v) < 0)
		return cerr_sys(e, CA_FILE, "plan", ENOMEM);
	if (w->certs == NULL && !w->prepare)
		w->sets_left = bundle_count(&v, NULL) > (w->set ? bundle_count(&v, w->set) : bundle_count(&v, NULL));
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

static int plan_env_file(struct scan *s, bool sets_left, struct txn *t, struct cerr *e)
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

static int plan_profile(struct scan *s, bool sets_left, struct txn *t, struct cerr *e)
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

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	int rc = plan_ca_file(s, w, t, e);

	if (rc == 0)
		rc = plan_env_file(s, w->sets_left, t, e);
	if (rc == 0)
		rc = plan_profile(s, w->sets_left, t, e);
	return rc;
}

static void release(struct scan *s)
{
	free(s->ca_file.buf);
	free(s->env_file.buf);
	free(s->profile.buf);
}

/* What install recorded in /etc/cainit/env (see trust.h). */
int trust_env(const char *root, unsigned flags, struct env_var *out, size_t *n, struct cerr *e)
{
	char show[SHOW_MAX], *buf;
	struct rootfs r;
	struct rpath dir;
	struct stat st;
	struct scan s;
	size_t len;
	int rc;

	*n = 0;
	if ((rc = rootfs_open(&r, root, e)) != 0)
		return rc;
	/* no lock: every file read here is replaced whole, never edited in place */
	rootfs_show(&r, ENV_FILE, show, sizeof(show));
	rc = rootfs_resolve(&r, CAINIT_DIR, RP_DIR, &dir, e);
	if (rc == 0 && dir.exists)
		rc = rootfs_read_at(dir.dirfd, ENV_FILE_NAME, show, 64 * 1024, &buf, &len, &st, e);
	else
		buf = NULL;
	if (rc == 0 && buf != NULL) {
		/* a set is installed: install wrote what its variables are */
		*n = env_parse_dotenv(buf, len, out);
		free(buf);
	} else if (rc == 0 && (flags & ENV_PLANNED)) {
		/* nothing yet: where a set will be, once one is installed */
		rc = scan_root(&r, SCAN_PATHS, NULL, &s, e);
		if (rc == 0)
			*n = env_from_scan(&s, ENV_PLANNED, out);
		scan_free(&s);
	}
	rootfs_close(&r);
	return rc;
}

const struct store_ops store_runtime = {
	.name = "runtime",
	.find = find,
	.list = list,
	.plan = plan,
	.free = release,
};
