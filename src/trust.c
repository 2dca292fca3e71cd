/*
 * trust.c: install and remove, each one locked scan-plan-commit cycle.
 */
#include "trust.h"

#include <string.h>

#include "plan.h"
#include "rootfs.h"
#include "txn.h"

#define NAMES_MAX 1024

static int run(const char *root, const struct want *w, unsigned scan_flags,
	       struct trust_report *rep, struct cerr *e)
{
	struct rootfs r;
	struct scan s;
	struct txn t;
	int rc;

	memset(&s, 0, sizeof(s));
	txn_init(&t);
	rc = rootfs_open(&r, root, e);
	if (rc == 0)
		rc = rootfs_lock(&r, TRUST_LOCK_TIMEOUT_MS, e);
	if (rc == 0)
		rc = scan_root(&r, scan_flags, w->set, &s, e);
	if (rc == 0 && w->certs == NULL) {
		const char *names[NAMES_MAX];

		rep->sets = scan_set_names(&s, w->set, names, NAMES_MAX);
	}
	if (rc == 0)
		rc = plan_hashed(&s, w, &t, e);
	if (rc == 0)
		rc = plan_anchors(&s, w, &t, e);
	if (rc == 0)
		rc = plan_set_file(&s, w, &t, e);
	if (rc == 0)
		rc = plan_bundles(&s, w, &t, e);
	/* a change under way is marked, so an interrupted one gets swept */
	if (rc == 0 && t.n > 0)
		rc = scan_mark_txn(&s, e);
	if (rc == 0)
		rc = txn_run(&t, e);
	if ((rc == 0 && (t.n > 0 || s.interrupted)) || (rc != 0 && t.restored && !s.interrupted))
		scan_unmark_txn(&s);
	if (rc == 0) {
		rep->changes = t.n;
		rep->fallback = s.fallback;
		rep->stores = s.nbundles + s.nanchors + s.nhashed + (s.setdir_exists ? 1 : 0);
	}
	txn_free(&t);
	scan_free(&s);
	rootfs_close(&r);
	return rc;
}

int trust_install(const char *root, const char *set, const struct cert_list *certs,
		  unsigned flags, const char *origin, struct trust_report *rep, struct cerr *e)
{
	struct want w = {set, certs};
	int rc;

	memset(rep, 0, sizeof(*rep));
	if (!set_name_valid(set))
		return cerr_set(e, CAINIT_EINPUT,
				"invalid set name \"%.80s\" (letters, digits, '-' and '_'; at most 64)", set);
	if (certs == NULL || certs->n == 0)
		return cerr_set(e, CAINIT_EINPUT, "%s: no certificate found", origin);
	rc = cert_list_check(certs, flags, time(NULL), origin, e);
	if (rc != 0)
		return rc;
	return run(root, &w, SCAN_CREATE | SCAN_CLEAN_TEMPS, rep, e);
}

int trust_remove(const char *root, const char *set, struct trust_report *rep, struct cerr *e)
{
	struct want w = {set, NULL};

	memset(rep, 0, sizeof(*rep));
	if (set != NULL && !set_name_valid(set))
		return cerr_set(e, CAINIT_EINPUT,
				"invalid set name \"%.80s\" (letters, digits, '-' and '_'; at most 64)", set);
	return run(root, &w, SCAN_CLEAN_TEMPS | SCAN_DEEP, rep, e);
}
