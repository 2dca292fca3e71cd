/*
 * trust.c: install and remove, each one locked scan-plan-commit cycle, and
 * the recovery that runs first when a previous change was interrupted.
 *
 * A set's CA-only file (/etc/cainit/sets/NAME.pem) is written, or removed,
 * last of all its stores: it is the record of the last change that finished.
 * A change in flight is marked in /etc/cainit/txn with its set's name. The
 * next run that finds the mark (the previous one was killed) first brings
 * that set back to its CA-only file in every store (or removes the set, when
 * the file is gone) and sweeps the leftovers, then does its own work.
 */
#include "trust.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "held.h"
#include "plan.h"
#include "prefault.h"
#include "rootfs.h"
#include "seal.h"
#include "store.h"
#include "txn.h"

#define NAMES_MAX 1024

static void add_sentinel(struct trust_report *rep, int dirfd, const char *name)
{
	struct trust_sentinel *x = &rep->sentinels[rep->nsentinels];

	if (rep->nsentinels == TRUST_SENTINELS_MAX || dirfd < 0 || fstatat(dirfd, name, &x->st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if ((x->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) < 0)
		return;
	snprintf(x->name, sizeof(x->name), "%s", name);
	rep->nsentinels++;
}

/* The set's record, then each real bundle, as the change left them. */
static void take_sentinels(struct scan *s, const char *set, struct trust_report *rep)
{
	char name[NAME_MAX + 1];

	if (!s->setdir_exists)
		return; /* (no record: nothing may be answered from memory) */
	name_set_file(name, set);
	add_sentinel(rep, s->setdir.dirfd, name);
	for (size_t i = 0; i < s->nbundles; i++)
		if (s->bundles[i].exists)
			add_sentinel(rep, s->bundles[i].p.dirfd, s->bundles[i].p.base);
}

bool trust_sentinels_hold(const struct trust_sentinel *v, size_t n)
{
	struct stat st;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (fstatat(v[i].dirfd, v[i].name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !rootfs_same_stamp(&st, &v[i].st))
			return false;
	return true;
}

void trust_sentinels_close(struct trust_sentinel *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].dirfd >= 0)
			close(v[i].dirfd);
}

/* One scan-plan-commit cycle on a locked root: every row of store_table
 * finds its stores, then plans its part of the change, in table order;
 * the transaction then commits it all. keep_mark: the run is part of a
 * recovery, which removes the mark itself when it is done. */
static int run_locked(struct rootfs *r, struct want *w, const struct trust_opts *o, unsigned scan_flags,
		      bool keep_mark, struct trust_report *rep, struct cerr *e)
{
	static pthread_once_t heap_once = PTHREAD_ONCE_INIT;
	const struct scan_opts so = {
		.flags = scan_flags | SCAN_KEYSTORES | SCAN_NSS,
		.java_home = o->java_home,
		.python_envs = o->python_envs,
		.nss_discover = (o->flags & TRUST_NSS) != 0,
		.nss_user = w->certs != NULL ? o->nss_user : NULL,
		.rep = rep,
	};
	struct scan s;
	struct txn t;
	size_t i;
	int rc, sealdir;

	/* a change reads and writes whole files (bundles, keystores) of a few
	 * hundred KB each; glibc would hand those buffers back to the kernel,
	 * and each later change of a long-lived process (the agent, run
	 * --watch) fault them in again: with two JDK keystores, 105 faults,
	 * nearly 1 ms of a 1.7 ms change */
	(void)pthread_once(&heap_once, heap_keep);
	txn_init(&t);
	rc = scan_root_opts(r, &so, w->set, &s, e);
	if (rc == 0 && w->certs == NULL) {
		const char *names[NAMES_MAX];

		rep->sets = scan_set_names(&s, w->set, names, NAMES_MAX);
	}
	w->sets_left = false;
	for (i = 0; i < store_table_len && rc == 0; i++)
		rc = store_table[i]->plan(&s, w, &t, e); /* the record last: a finished change */
	/* /etc/cainit/seal: 1 there, 0 not, -1 unknown (the merged room's listing) */
	sealdir = scan_listed_has(&s, CAINIT_DIR, SEAL_DIR_NAME);
	if (rc == 0 && t.n > 0 && sealdir != 0 && !w->sets_left)
		seal_drop(r); /* (before the change: its directory goes with the last set) */
	if (rc == 0 && t.n > 0 && !keep_mark)
		rc = scan_mark_txn(&s, w->set, e);
	if (rc == 0)
		rc = txn_run(&t, e);
	if (!keep_mark && ((rc == 0 && (t.n > 0 || s.interrupted)) || (rc != 0 && t.restored)))
		scan_unmark_txn(&s);
	if (rc == 0 && !w->sets_left && !keep_mark)
		dirs_remove_made(&s); /* the root as it was before the first set */
	else if (rc == 0 && t.n > 0 && sealdir != 1 && w->certs != NULL && !(o->flags & (TRUST_FULL | TRUST_HOLD)))
		seal_dir_make(r); /* where the next install's seal goes */
	if (rc == 0) {
		rep->changes = t.n;
		for (i = 0; i < t.n; i++)
			if (t.ops[i].skipped) {
				rep->changes--;
				trust_warn(rep, "%s: cannot be replaced (a bind-mounted file?); left as it is",
					   t.ops[i].display);
			}
		rep->fallback = s.fallback;
		if (w->certs != NULL && (o->flags & TRUST_SENTINELS))
			take_sentinels(&s, w->set, rep);
		rep->stores = 0;
		for (i = 0; i < store_table_len; i++)
			if (store_table[i]->count != NULL)
				rep->stores += store_table[i]->count(&s);
	}
	txn_free(&t);
	scan_free(&s);
	return rc;
}

/* The CAs of set's CA-only file; false when it does not exist or does not
 * parse (then nothing says what the set last was). */
static bool recorded_cas(struct rootfs *r, const char *set, struct cert_list *out, struct cerr *e)
{
	char path[PATH_MAX], *buf;
	struct rpath p;
	size_t len;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s.pem", CAINIT_SET_DIR, set);
	if (rootfs_resolve(r, path, 0, &p, e) != 0 || !p.exists || rootfs_read(r, &p, OWNED_FILE_MAX, &buf, &len, e) != 0)
		return false;
	ok = cert_list_parse((const unsigned char *)buf, len, path, out, e) == 0;
	free(buf);
	return ok;
}

/* Bring the interrupted set (every set for "*") back to its record. */
static int recover(struct rootfs *r, const char *marked, const char *java_home, struct cerr *e)
{
	const struct trust_opts o = {.java_home = java_home};
	const char *names[NAMES_MAX];
	char (*sets)[SET_NAME_MAX + 1] = NULL;
	struct trust_report rep;
	struct scan s;
	size_t n = 1, i;
	int rc = 0;

	if (strcmp(marked, "*") == 0) {
		if ((rc = scan_root(r, SCAN_DEEP, NULL, &s, e)) != 0)
			return rc;
		n = scan_set_names(&s, NULL, names, NAMES_MAX);
		sets = calloc(n + 1, sizeof(*sets));
		for (i = 0; sets && i < n; i++)
			snprintf(sets[i], sizeof(sets[i]), "%s", names[i]);
		scan_free(&s);
	} else {
		sets = calloc(1, sizeof(*sets));
		if (sets)
			snprintf(sets[0], sizeof(sets[0]), "%s", marked);
	}
	if (sets == NULL)
		return cerr_set(e, CAINIT_EOPS, "recovery: out of memory");
	for (i = 0; i < n && rc == 0; i++) {
		struct cert_list cas = {0};
		struct want w = {sets[i], NULL, NULL, false, false, false};

		if (recorded_cas(r, sets[i], &cas, e))
			w.certs = &cas;
		memset(&rep, 0, sizeof(rep));
		rc = run_locked(r, &w, &o, SCAN_CLEAN_TEMPS | SCAN_DEEP, true, &rep, e);
		cert_list_free(&cas);
	}
	free(sets);
	if (rc == 0) {
		/* (each run above was deep: leftovers of the set are swept) */
		if ((rc = scan_root(r, 0, NULL, &s, e)) == 0)
			scan_unmark_txn(&s);
		scan_free(&s);
	}
	return rc;
}

/* Remove the temporary sets whose installer is gone (held.c). */
static int sweep_held(struct rootfs *r, const char *java_home, struct cerr *e)
{
	const struct trust_opts o = {.java_home = java_home};
	char stale[HELD_SWEEP_MAX][SET_NAME_MAX + 1];
	size_t n = 0;
	int rc = held_stale(r, stale, HELD_SWEEP_MAX, &n, e);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct want w = {stale[i], NULL, NULL, false, false, false};
		struct trust_report rep;

		memset(&rep, 0, sizeof(rep));
		rc = run_locked(r, &w, &o, SCAN_CLEAN_TEMPS | SCAN_DEEP, false, &rep, e);
	}
	return rc;
}

/* Open and lock the root, recovering an interrupted change first, then
 * removing the temporary sets nobody holds any more. */
static int begin(struct rootfs *r, const char *root, const char *java_home, struct cerr *e)
{
	char marked[SET_NAME_MAX + 2];
	bool present;
	int rc;

	rc = rootfs_open(r, root, e);
	if (rc == 0)
		rc = rootfs_lock(r, TRUST_LOCK_TIMEOUT_MS, e);
	if (rc == 0)
		rc = scan_read_mark(r, &present, marked, sizeof(marked), e);
	if (rc == 0 && present)
		rc = recover(r, marked, java_home, e);
	if (rc == 0)
		rc = sweep_held(r, java_home, e);
	return rc;
}

int trust_install(const char *root, const char *set, const struct cert_list *certs,
		  const struct trust_opts *o, const char *origin, struct trust_report *rep, struct cerr *e)
{
	static const struct trust_opts none;
	struct want w = {set, certs, rep, false, false, o != NULL && (o->flags & TRUST_HOLD)};
	char key[SEAL_KEY_LEN + 1];
	struct timespec t0;
	struct rootfs r;
	bool sealable;
	int rc;

	if (o == NULL)
		o = &none;
	/* (the agent answers repeats from its own memory, with sentinels;
	 * a held set and bake always scan) */
	sealable = !(o->flags & (TRUST_SENTINELS | TRUST_HOLD | TRUST_FULL));
	memset(rep, 0, sizeof(*rep));
	rep->hold_fd = -1;
	if (!set_name_valid(set))
		return cerr_input(e, "invalid_set",
				  "invalid set name \"%.80s\" (letters, digits, '-' and '_'; at most 64)", set);
	if (!(o->flags & TRUST_HOLD) && strncmp(set, HELD_PREFIX, strlen(HELD_PREFIX)) == 0)
		return cerr_input(e, "invalid_set",
				  "set names beginning \"" HELD_PREFIX "\" are doctor's temporary sets (not \"%.80s\")", set);
	if (certs == NULL || certs->n == 0)
		return cerr_input(e, "no_certificate", "%s: no certificate found", origin);
	rc = cert_list_check(certs, o->flags, time(NULL), origin, e);
	if (rc != 0)
		return rc;
	clock_gettime(CLOCK_REALTIME, &t0);
	rc = begin(&r, root, o->java_home, e);
	if (rc == 0 && (o->flags & TRUST_HOLD))
		rc = held_take(&r, set, &rep->hold_fd, e);
	if (rc == 0 && sealable) {
		seal_key(key, set, certs, o->flags & ~(unsigned)(TRUST_SENTINELS | TRUST_HOLD | TRUST_FULL), o->java_home,
			 o->python_envs, o->nss_user);
		if (seal_holds(&r, key, set, &rep->stores, &rep->fallback)) {
			rootfs_close(&r);
			return 0; /* every stamp holds: nothing to change */
		}
		rootfs_watch(&r, true);
	}
	if (rc == 0 && (o->flags & TRUST_FULL))
		seal_drop(&r);
	if (rc == 0)
		rc = run_locked(&r, &w, o, SCAN_CREATE | SCAN_CLEAN_TEMPS, false, rep, e);
	if (sealable) {
		rootfs_watch(&r, false);
		if (rc == 0 && rep->changes == 0 && rep->nss == 0 && rep->nwarnings == 0)
			seal_write(&r, key, set, rep->stores, rep->fallback, &t0);
	}
	if (rc != 0 && rep->hold_fd >= 0) {
		held_drop(&r, set);
		close(rep->hold_fd);
		rep->hold_fd = -1;
	}
	rootfs_close(&r);
	return rc;
}

int trust_remove(const char *root, const char *set, const struct trust_opts *o, struct trust_report *rep,
		 struct cerr *e)
{
	static const struct trust_opts none;
	struct want w = {set, NULL, rep, false, false, false};
	struct rootfs r;
	int rc;

	if (o == NULL)
		o = &none;
	memset(rep, 0, sizeof(*rep));
	if (set != NULL && !set_name_valid(set))
		return cerr_input(e, "invalid_set",
				  "invalid set name \"%.80s\" (letters, digits, '-' and '_'; at most 64)", set);
	rc = begin(&r, root, o->java_home, e);
	if (rc == 0) {
		held_drop(&r, set); /* (first: its directory may go with the last set) */
		rc = run_locked(&r, &w, o, SCAN_CLEAN_TEMPS | SCAN_DEEP, false, rep, e);
	}
	rootfs_close(&r);
	return rc;
}

int trust_prepare(const char *root, struct trust_report *rep, struct cerr *e)
{
	static const struct trust_opts none;
	struct want w = {NULL, NULL, rep, false, true, false};
	struct rootfs r;
	struct rpath dir;
	int rc;

	memset(rep, 0, sizeof(*rep));
	rc = begin(&r, root, NULL, e);
	if (rc == 0)
		rc = rootfs_resolve(&r, ENV_FILE, 0, &dir, e);
	/* a set is installed (its variables recorded), or the root is prepared */
	if (rc == 0 && !dir.exists)
		rc = run_locked(&r, &w, &none, SCAN_CREATE | SCAN_CLEAN_TEMPS, false, rep, e);
	rootfs_close(&r);
	return rc;
}

int trust_recover(const char *root, bool *recovered, struct cerr *e)
{
	char marked[SET_NAME_MAX + 2];
	struct rootfs r;
	bool present = false;
	int rc;

	rc = rootfs_open(&r, root, e);
	if (rc == 0)
		rc = rootfs_lock(&r, TRUST_LOCK_TIMEOUT_MS, e);
	if (rc == 0)
		rc = scan_read_mark(&r, &present, marked, sizeof(marked), e);
	if (rc == 0 && present)
		rc = recover(&r, marked, NULL, e);
	if (rc == 0)
		rc = sweep_held(&r, NULL, e);
	rootfs_close(&r);
	*recovered = rc == 0 && present;
	return rc;
}
