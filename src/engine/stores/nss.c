/*
 * nss.c: the NSS room. NSS databases as a store of the engine
 * (Chromium's ~/.pki/nssdb, Firefox profiles, /etc/pki/nssdb), written
 * natively (nss_sdb.h): no program from the root ever runs, and images
 * without certutil are served like any other.
 *
 * Databases are found only when asked (`--nss`: /etc/pki/nssdb, each
 * /etc/passwd home's .pki/nssdb and Firefox profiles;
 * `--nss-user USER` first creates USER's ~/.pki/nssdb). Every database
 * cainit has written is recorded in /etc/cainit/nss, one directory per
 * line, before its first change, so that later changes of a set (a
 * rotation by /init, `remove` without --nss, the recovery of a killed run)
 * reach exactly those databases and no other. A database's two files are
 * replaced by the same transaction as every other store.
 *
 * Here: finding databases (the record, and with --nss the root's passwd
 * homes and /etc/pki/nssdb), reading their two files through the root's
 * confined resolution, and turning a set's change into transaction writes.
 * The databases themselves are edited by nss_sdb.c.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nss_sdb.h"
#include "passwd.h"

#define NSS_STORES_MAX 256
#define RECORD_MAX (1024 * 1024)

static const char *const db_files[] = {"cert9.db", "key4.db", "pkcs11.txt"};

static struct nss_store *find_store(struct scan *s, const char *canon)
{
	for (size_t i = 0; i < s->nnss; i++)
		if (strcmp(s->nss[i].dir.canon, canon) == 0)
			return &s->nss[i];
	return NULL;
}

static void mark_bad(struct nss_store *n, const char *fmt, const char *detail)
{
	n->bad = true;
	snprintf(n->why, sizeof(n->why), fmt, detail);
}

/* Read the database files of n (cert9.db must exist unless n->create). */
static void load_store(struct scan *s, struct nss_store *n, bool clean)
{
	static const char *const journals[] = {"cert9.db-journal", "cert9.db-wal", "key4.db-journal", "key4.db-wal"};
	char show[ENTRY_SHOW_MAX];
	struct cerr e;
	struct stat st;
	size_t i;

	(void)s;
	if (clean)
		for (i = 0; i < 3; i++)
			scan_clean_temp(n->dir.dirfd, db_files[i]);
	if (n->create)
		return;
	for (i = 0; i < 4; i++)
		if (fstatat(n->dir.dirfd, journals[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
			mark_bad(n, "%s is there (the database is in use, or was left by a crash)", journals[i]);
			return;
		}
	snprintf(show, sizeof(show), "%s/cert9.db", n->show);
	if (rootfs_read_at(n->dir.dirfd, "cert9.db", show, NSS_DB_MAX, &n->cert_buf, &n->cert_len, &n->cert_st, &e) !=
	    0) {
		mark_bad(n, "%.150s", e.msg);
		return;
	}
	if (n->cert_buf == NULL) {
		mark_bad(n, "%s", "no cert9.db");
		return;
	}
	snprintf(show, sizeof(show), "%s/key4.db", n->show);
	if (rootfs_read_at(n->dir.dirfd, "key4.db", show, NSS_DB_MAX, &n->key_buf, &n->key_len, &n->key_st, &e) != 0) {
		mark_bad(n, "%.150s", e.msg);
		return;
	}
	if (nss_sdb_load(&n->db, n->cert_buf, n->cert_len, n->key_buf, n->key_len, n->why, sizeof(n->why)) != 0) {
		n->bad = true;
		return;
	}
	n->loaded = true;
}

/* Append n (its dir resolved) to the scan's stores. */
static int push_store(struct scan *s, struct nss_store *n, const char *path, struct cerr *e)
{
	struct nss_store *v;

	if (s->nnss == NSS_STORES_MAX)
		return 0;
	v = realloc(s->nss, (s->nnss + 1) * sizeof(*v));
	if (v == NULL)
		return cerr_sys(e, path, "scan", ENOMEM);
	s->nss = v;
	rootfs_show(s->r, n->dir.canon, n->show, sizeof(n->show));
	s->nss[s->nnss++] = *n;
	return 0;
}

/* The database in directory path (inside the root). need_db: only when
 * cert9.db is there (discovery); a recorded one is kept even when gone. */
static int add_store(struct scan *s, const char *path, bool recorded, bool need_db, bool clean, struct cerr *e)
{
	struct nss_store n, *v;
	struct rpath db;
	struct cerr ignored;
	char file[PATH_MAX];

	memset(&n, 0, sizeof(n));
	if (rootfs_resolve(s->r, path, RP_DIR, &n.dir, &ignored) != 0 || !n.dir.exists) {
		if (!recorded)
			return 0;
		/* gone: nothing to change there, and the record drops it */
		return 0;
	}
	if (need_db) {
		if ((size_t)snprintf(file, sizeof(file), "%s/cert9.db", n.dir.canon) >= sizeof(file) ||
		    rootfs_resolve(s->r, file, 0, &db, &ignored) != 0 || !db.exists)
			return 0;
	}
	if ((v = find_store(s, n.dir.canon)) != NULL) {
		v->recorded = v->recorded || recorded;
		v->discovered = v->discovered || !recorded;
		return 0;
	}
	if (s->nnss == NSS_STORES_MAX)
		return 0;
	rootfs_show(s->r, n.dir.canon, n.show, sizeof(n.show));
	n.recorded = recorded;
	n.discovered = !recorded;
	load_store(s, &n, clean);
	if (push_store(s, &n, path, e) != 0) {
		nss_sdb_close(&n.db);
		free(n.cert_buf);
		free(n.key_buf);
		return CAINIT_EOPS;
	}
	return 0;
}

struct profiles_ctx {
	struct scan *s;
	const char *dir;
	bool clean;
	struct cerr *e;
};

static int profile_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct profiles_ctx *p = ctx;
	char path[PATH_MAX];

	(void)dirfd;
	(void)type;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", p->dir, name) < sizeof(path))
		return add_store(p->s, path, false, true, p->clean, p->e);
	return 0;
}

/* Where, under a home, browsers keep NSS databases: Chromium's (and
 * Playwright's, and Chrome's) ~/.pki/nssdb, natively, as a snap (whose
 * HOME is ~/snap/NAME/current) and as a Flatpak (~/.var/app/ID). */
static const char *const home_dbs[] = {".pki/nssdb", "snap/chromium/current/.pki/nssdb",
				       ".var/app/org.chromium.Chromium/.pki/nssdb", NULL};
/* ... and where Firefox keeps its profiles, one database in each: native,
 * XDG (newer Firefox), snap, Flatpak. */
static const char *const firefox_dirs[] = {".mozilla/firefox", ".config/mozilla/firefox",
					   "snap/firefox/common/.mozilla/firefox",
					   ".var/app/org.mozilla.firefox/.mozilla/firefox", NULL};

/* Firefox keeps one database per profile directory. */
static int add_firefox(struct scan *s, const char *home, bool clean, struct cerr *e)
{
	char path[PATH_MAX];
	struct rpath p;
	struct cerr ignored;
	struct profiles_ctx pc = {s, p.canon, clean, e};
	int rc = 0;

	for (size_t i = 0; rc == 0 && firefox_dirs[i]; i++)
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", home, firefox_dirs[i]) < sizeof(path) &&
		    rootfs_resolve(s->r, path, RP_DIR, &p, &ignored) == 0 && p.exists && p.dirfd >= 0)
			rc = scan_list_dir(p.dirfd, path, profile_entry, &pc, false, &ignored) < 0 ? 0 : 0;
	return rc;
}

static int discover(struct scan *s, bool clean, struct cerr *e)
{
	struct passwd_entry pw;
	char path[PATH_MAX];
	const char *p, *buf;
	size_t len = 0;
	int rc;

	if ((rc = add_store(s, "/etc/pki/nssdb", false, true, clean, e)) != 0)
		return rc;
	if ((buf = scan_passwd(s, &len)) == NULL)
		return 0;
	for (p = buf; rc == 0 && passwd_next(&p, buf + len, &pw);) {
		for (size_t i = 0; rc == 0 && home_dbs[i]; i++)
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", pw.home, home_dbs[i]) < sizeof(path))
				rc = add_store(s, path, false, true, clean, e);
		if (rc == 0)
			rc = add_firefox(s, pw.home, clean, e);
	}
	return rc;
}

/* USER's ~/.pki/nssdb: the directories made (mode 0700, the user's) when
 * missing, and, when it holds no database yet, one to be created by the
 * change. Problems are warnings: the rest of the change goes on. */
static int create_user_db(struct scan *s, const char *user, struct trust_report *rep, struct cerr *e)
{
	struct passwd_entry pw;
	char path[PATH_MAX];
	bool found = false;
	const char *p, *buf;
	size_t len = 0;

	if ((buf = scan_passwd(s, &len)) != NULL)
		for (p = buf; !found && passwd_next(&p, buf + len, &pw);)
			found = strcmp(pw.name, user) == 0;
	if (!found) {
		trust_warn(rep, "--nss-user %s: no such user in /etc/passwd", user);
		return 0;
	}
	for (int i = 0; i < 2; i++) {
		struct rpath d;
		struct cerr err;

		snprintf(path, sizeof(path), "%s/%s", pw.home, i == 0 ? ".pki" : ".pki/nssdb");
		if (rootfs_resolve(s->r, path, 0, &d, &err) != 0) {
			trust_warn(rep, "--nss-user %s: %s", user, err.msg);
			return 0;
		}
		if (d.dirfd < 0) {
			trust_warn(rep, "--nss-user %s: %s: no such directory", user, pw.home);
			return 0;
		}
		if (d.exists)
			continue;
		if (mkdirat(d.dirfd, d.base, 0700) != 0 ||
		    fchownat(d.dirfd, d.base, pw.uid, pw.gid, AT_SYMLINK_NOFOLLOW) != 0) {
			trust_warn(rep, "%s: cannot create: %s", path, strerror(errno));
			return 0;
		}
		/* (no rootfs_forget: the scan holds pinned directories; the new one
		 * was the last component, never cached as missing) */
	}
	{
		struct nss_store n;
		struct rpath db;
		struct cerr ignored;

		memset(&n, 0, sizeof(n));
		snprintf(path, sizeof(path), "%s/.pki/nssdb/cert9.db", pw.home);
		if (rootfs_resolve(s->r, path, 0, &db, &ignored) == 0 && db.exists)
			return 0; /* there already: discovery finds it */
		snprintf(path, sizeof(path), "%s/.pki/nssdb", pw.home);
		if (rootfs_resolve(s->r, path, RP_DIR, &n.dir, &ignored) != 0 || !n.dir.exists ||
		    find_store(s, n.dir.canon) != NULL)
			return 0;
		n.discovered = true;
		n.create = true;
		n.uid = pw.uid;
		n.gid = pw.gid;
		return push_store(s, &n, path, e);
	}
	return 0;
}

/* Read the recorded databases and, with discovery, find the root's others
 * (nss_user: make that user's ~/.pki/nssdb first when it has none). A
 * database that cannot be read is kept as bad, with why, never fatal. */
static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	bool discover_dbs = o->nss_discover, clean = o->flags & SCAN_CLEAN_TEMPS;
	const char *create_user = o->nss_user;
	struct trust_report *rep = o->rep;
	int rc = 0;

	s->nss_discover = discover_dbs;
	if (s->cainit_dir_exists) {
		char show[ENTRY_SHOW_MAX];

		snprintf(show, sizeof(show), "%s%s/%s", s->r->prefix, CAINIT_DIR, NSS_RECORD_NAME);
		if (rootfs_read_at(s->cainit_dir.dirfd, NSS_RECORD_NAME, show, RECORD_MAX, &s->nss_record.buf,
				   &s->nss_record.len, &s->nss_record.st, e) != 0)
			return CAINIT_EOPS;
		s->nss_record.exists = s->nss_record.buf != NULL;
	}
	if (s->nss_record.exists) {
		char *line = s->nss_record.buf, *end = line + s->nss_record.len;

		while (rc == 0 && line < end) {
			char *nl = memchr(line, '\n', (size_t)(end - line)), path[PATH_MAX];
			size_t n = (size_t)((nl ? nl : end) - line);

			if (n > 0 && n < sizeof(path) && line[0] == '/' && memchr(line, '\0', n) == NULL) {
				memcpy(path, line, n);
				path[n] = '\0';
				rc = add_store(s, path, true, false, clean, e);
			}
			line = nl ? nl + 1 : end;
		}
	}
	if (rc == 0 && discover_dbs && create_user != NULL)
		rc = create_user_db(s, create_user, rep, e);
	if (rc == 0 && discover_dbs)
		rc = discover(s, clean, e);
	return rc;
}

static void release(struct scan *s)
{
	for (size_t i = 0; i < s->nnss; i++) {
		nss_sdb_close(&s->nss[i].db);
		free(s->nss[i].cert_buf);
		free(s->nss[i].key_buf);
	}
	free(s->nss);
	s->nss = NULL;
	s->nnss = 0;
	free(s->nss_record.buf);
	memset(&s->nss_record, 0, sizeof(s->nss_record));
}

/* ---- the change ---- */

static int write_db_file(struct txn *t, struct nss_store *n, bool key, struct cerr *e)
{
	char show[ENTRY_SHOW_MAX];
	const char *name = key ? "key4.db" : "cert9.db";
	unsigned char *buf;
	size_t len;
	struct rope r;
	int rc;

	snprintf(show, sizeof(show), "%s/%s", n->show, name);
	if (nss_sdb_save(&n->db, key, &buf, &len) != 0)
		return cerr_set(e, CAINIT_EOPS, "%s: cannot serialize the database", show);
	rope_init(&r);
	if (txn_keep(t, (char *)buf) < 0 || rope_add(&r, (const char *)buf, len) < 0) {
		rope_free(&r);
		return cerr_sys(e, show, "plan", ENOMEM);
	}
	if (n->create)
		rc = txn_create(t, n->dir.dirfd, name, show, &r, 0600, n->uid, n->gid);
	else if (key && n->key_buf == NULL)
		rc = txn_create(t, n->dir.dirfd, name, show, &r, n->cert_st.st_mode & 0777, n->cert_st.st_uid,
				n->cert_st.st_gid);
	else
		rc = txn_write(t, n->dir.dirfd, name, show, &r, key ? &n->key_st : &n->cert_st,
			       key ? n->key_buf : n->cert_buf, key ? n->key_len : n->cert_len, TXN_FAIL);
	rope_free(&r);
	return rc < 0 ? cerr_sys(e, show, "plan", ENOMEM) : 0;
}

/* certutil's module list for a database it creates. */
static int write_pkcs11_txt(struct txn *t, struct nss_store *n, struct cerr *e)
{
	char show[ENTRY_SHOW_MAX];
	struct rope r;
	int rc;

	snprintf(show, sizeof(show), "%s/pkcs11.txt", n->show);
	rope_init(&r);
	if (rope_printf(&r,
			"library=\nname=NSS Internal PKCS #11 Module\nparameters=configdir='sql:%s' certPrefix='' "
			"keyPrefix='' secmod='secmod.db' flags= updatedir='' updateCertPrefix='' updateKeyPrefix='' "
			"updateid='' updateTokenDescription='' \nNSS=Flags=internal,critical trustOrder=75 "
			"cipherOrder=100 slotParams=(1={slotFlags=[ECC,RSA,DSA,DH,RC2,RC4,DES,RANDOM,SHA1,MD5,MD2,"
			"SSL,TLS,AES,Camellia,SEED,SHA256,SHA512] askpw=any timeout=30})\n\n",
			n->dir.canon) < 0) {
		rope_free(&r);
		return cerr_sys(e, show, "plan", ENOMEM);
	}
	rc = txn_create(t, n->dir.dirfd, "pkcs11.txt", show, &r, 0600, n->uid, n->gid);
	rope_free(&r);
	return rc < 0 ? cerr_sys(e, show, "plan", ENOMEM) : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* /etc/cainit/nss listing dirs (sorted, once each); written only when it
 * changes, and removed when it would be empty. */
static int plan_record(struct scan *s, const char **dirs, size_t n, struct txn *t, struct cerr *e)
{
	char show[ENTRY_SHOW_MAX];
	struct rope r;
	size_t i;

	if (!s->cainit_dir_exists)
		return 0; /* (only a change that writes nothing: nothing recorded) */
	snprintf(show, sizeof(show), "%s%s/%s", s->r->prefix, CAINIT_DIR, NSS_RECORD_NAME);
	if (n == 0) {
		if (s->nss_record.exists && txn_unlink(t, s->cainit_dir.dirfd, NSS_RECORD_NAME, show) < 0)
			return cerr_sys(e, show, "plan", ENOMEM);
		return 0;
	}
	qsort(dirs, n, sizeof(*dirs), cmp_str);
	rope_init(&r);
	for (i = 0; i < n; i++)
		if ((i == 0 || strcmp(dirs[i], dirs[i - 1]) != 0) && rope_printf(&r, "%s\n", dirs[i]) < 0) {
			rope_free(&r);
			return cerr_sys(e, show, "plan", ENOMEM);
		}
	return plan_ensure_read(t, s->cainit_dir.dirfd, NSS_RECORD_NAME, show, &r, &s->nss_record, e);
}

/* Does n take part in w? */
static bool involved(const struct scan *s, struct nss_store *n, const struct want *w)
{
	if (n->create)
		return w->certs != NULL;
	if (!n->loaded)
		return false;
	if (w->certs != NULL && !s->nss_discover && nss_sdb_count(&n->db, w->set) == 0 &&
	    !(w->beside_sets && nss_sdb_count(&n->db, NULL) > 0))
		return false; /* a recorded database that does not hold this set
			       * (a canary: nor any other) */
	if (w->certs != NULL)
		return !nss_sdb_holds(&n->db, w->set, w->certs);
	return nss_sdb_count(&n->db, w->set) > 0;
}

/* The change of w in every database that takes part: all of them for an
 * install with discovery, otherwise those that hold the set. */
static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	const char **keep = calloc(s->nnss + 1, sizeof(*keep)), **add = calloc(s->nnss + 1, sizeof(*add));
	bool *changed = calloc(s->nnss + 1, sizeof(*changed)), adding = false;
	size_t i, nkeep = 0, nadd = 0;
	int rc = 0;

	if (keep == NULL || add == NULL || changed == NULL) {
		rc = cerr_sys(e, "NSS databases", "plan", ENOMEM);
		goto out;
	}
	for (i = 0; i < s->nnss; i++) {
		struct nss_store *n = &s->nss[i];

		if (n->bad) {
			if (n->recorded || (w->certs != NULL && s->nss_discover))
				trust_warn(w->rep, "NSS database %s: %s; left as it is", n->show, n->why);
			if (n->recorded)
				keep[nkeep++] = n->dir.canon; /* it may still hold a set */
			continue;
		}
		if (involved(s, n, w)) {
			if (n->create && nss_sdb_create(&n->db, n->why, sizeof(n->why)) != 0) {
				trust_warn(w->rep, "NSS database %s: %s", n->show, n->why);
				continue;
			}
			n->loaded = true;
			if (nss_sdb_apply(&n->db, w->set, w->certs, n->why, sizeof(n->why)) != 0) {
				trust_warn(w->rep, "NSS database %s: %s; left as it is", n->show, n->why);
				n->bad = true;
				if (n->recorded)
					keep[nkeep++] = n->dir.canon;
				continue;
			}
			changed[i] = n->db.cert_changed || n->db.key_changed;
		}
		if (n->loaded && nss_sdb_count(&n->db, NULL) > 0) {
			keep[nkeep++] = n->dir.canon;
			if (!n->recorded) {
				add[nadd++] = n->dir.canon;
				adding = true;
			}
		}
	}
	/* a database cainit writes is in the record before it changes; one it
	 * has emptied leaves the record after */
	if (adding)
		rc = plan_record(s, keep, nkeep, t, e);
	for (i = 0; rc == 0 && i < s->nnss; i++) {
		struct nss_store *n = &s->nss[i];

		if (!changed[i])
			continue;
		if (w->rep != NULL)
			w->rep->nss++;
		if (n->db.key_changed || n->create)
			rc = write_db_file(t, n, true, e);
		if (rc == 0)
			rc = write_db_file(t, n, false, e);
		if (rc == 0 && n->create)
			rc = write_pkcs11_txt(t, n, e);
	}
	if (rc == 0 && !adding && s->nss_record.exists)
		rc = plan_record(s, keep, nkeep, t, e);
	if (rc == 0 && s->nss_discover && w->certs != NULL && s->nnss == 0)
		trust_warn(w->rep, "no NSS database found (--nss-user USER creates one)");
out:
	free(keep);
	free(add);
	free(changed);
	return rc;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	if (clean && s->cainit_dir_exists)
		scan_clean_temp(s->cainit_dir.dirfd, NSS_RECORD_NAME);
	return 0;
}

static int inventory(struct scan *s, struct store_sink *out)
{
	struct status_store *x;

	for (size_t i = 0; i < s->nnss; i++) {
		if ((x = store_push(out, store_nss.name, s->nss[i].show)) == NULL)
			return -1;
		if (s->nss[i].bad)
			snprintf(x->why, sizeof(x->why), "%.150s; left as it is", s->nss[i].why);
	}
	return 0;
}

/* A database takes part in the sets it holds (--nss is per install). */
static int check(struct scan *s, struct status_set *ss, struct cerr *e)
{
	struct store_sink out = {&ss->stores, &ss->nstores};
	struct status_store *x;

	(void)e;
	for (size_t i = 0; i < s->nnss; i++) {
		struct nss_store *d = &s->nss[i];

		if (!d->loaded || nss_sdb_count(&d->db, ss->name) == 0)
			continue;
		if ((x = store_push(&out, store_nss.name, d->show)) == NULL)
			return -1;
		x->present = ss->cas.n > 0 && nss_sdb_holds(&d->db, ss->name, &ss->cas);
	}
	return 0;
}

/* (NSS databases are counted in trust_report.nss, not in stores.) */
const struct store_ops store_nss = {
	.name = "nss",
	.scan_flag = SCAN_NSS,
	.find = find,
	.list = list,
	.plan = plan,
	.inventory = inventory,
	.check = check,
	.free = release,
};
