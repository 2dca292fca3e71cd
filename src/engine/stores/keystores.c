/*
 * keystores.c: the Java keystore room. The distros' own `cacerts`, then
 * every JDK or JRE under /usr/lib/jvm, /usr/local and /opt (two levels
 * there: /opt/java/openjdk), the JAVA_HOME of /etc/environment and the one
 * given (--java-home, an image's JAVA_HOME),
 * through the same confined resolution as every other store: a JDK's
 * cacerts that links to the distro's file is the same real file, read and
 * edited once. Each one is rewritten whole (keystore.c renders it, JKS or
 * PKCS#12) and swapped in by the same transaction as the other stores. A
 * keystore cainit cannot edit (it does not parse, or its digest or MAC does
 * not check with the default password, or it is a bind-mounted file that
 * cannot be renamed over) is reported and left exactly as it was; it never
 * fails the rest of the change.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

static int add_keystore(struct scan *s, const char *path, struct cerr *e)
{
	struct keystore_store k, *nk;
	struct cerr ignored;
	size_t i;

	memset(&k, 0, sizeof(k));
	/* a path that does not resolve (a loop, a parent that is a file) is
	 * not a keystore: nothing to do there */
	if (rootfs_resolve(s->r, path, 0, &k.p, &ignored) != 0 || !k.p.exists || !S_ISREG(k.p.st.st_mode))
		return 0;
	for (i = 0; i < s->nkeystores; i++)
		if (strcmp(s->keystores[i].p.canon, k.p.canon) == 0)
			return 0; /* each real file once */
	rootfs_show(s->r, k.p.canon, k.show, sizeof(k.show));
	/* a keystore that cannot be read or parsed is shown, never fatal */
	if (rootfs_read(s->r, &k.p, KEYSTORE_MAX, &k.buf, &k.len, &ignored) != 0) {
		snprintf(k.why, sizeof(k.why), "%.150s", ignored.msg);
		k.bad = true;
	} else if (keystore_parse(k.buf, k.len, &k.ks, k.why, sizeof(k.why)) != 0) {
		k.bad = true;
	}
	nk = realloc(s->keystores, (s->nkeystores + 1) * sizeof(*nk));
	if (nk == NULL) {
		keystore_free(&k.ks);
		free(k.buf);
		return cerr_sys(e, k.show, "scan", ENOMEM);
	}
	s->keystores = nk;
	s->keystores[s->nkeystores++] = k;
	return 0;
}

/* home/REL for each place a JDK keeps its cacerts (not looked for where
 * this scan's listing of home has no REL's first directory: a directory
 * under /opt or /usr/local is rarely a JDK, and each probe is a lookup). */
static int add_java_home(struct scan *s, const char *home, struct cerr *e)
{
	char path[PATH_MAX];
	size_t i;
	int rc;

	for (i = 0; java_home_keystores[i]; i++) {
		int first = (int)strcspn(java_home_keystores[i], "/");

		if ((size_t)snprintf(path, sizeof(path), "%s/%.*s", home, first, java_home_keystores[i]) >= sizeof(path) ||
		    scan_listed_without(s, path) ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", home, java_home_keystores[i]) >= sizeof(path))
			continue;
		if ((rc = add_keystore(s, path, e)) != 0)
			return rc;
	}
	return 0;
}

struct homes_ctx {
	struct scan *s;
	const char *parent; /* canonical, inside the root */
	int depth;          /* levels still to look below parent */
	struct cerr *e;
};

static int add_java_homes(struct scan *s, const char *parent, int depth, struct cerr *e);

static int home_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct homes_ctx *h = ctx;
	char path[PATH_MAX];
	int rc;

	/* (a symlink to a JDK counts: it resolves to the same file, read once) */
	type = scan_entry_type(dirfd, name, type);
	if ((type != DT_DIR && type != DT_LNK) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", h->parent, name) >= sizeof(path))
		return 0;
	if (h->depth > 1 && type == DT_DIR && (rc = scan_list_once(h->s, path, h->e)) != 0)
		return rc; /* listed below anyway: first, so that its names answer add_java_home */
	if ((rc = add_java_home(h->s, path, h->e)) != 0 || h->depth <= 1)
		return rc;
	return add_java_homes(h->s, path, h->depth - 1, h->e);
}

/* Every directory of parent (and below, depth levels), as a possible JDK. */
static int add_java_homes(struct scan *s, const char *parent, int depth, struct cerr *e)
{
	char show[SHOW_MAX], canon[PATH_MAX];
	struct rpath p;
	struct cerr ignored = {0};
	struct homes_ctx h = {s, canon, depth, e};

	if (scan_listed_without(s, parent) ||
	    rootfs_resolve(s->r, parent, RP_DIR, &p, &ignored) != 0 || !p.exists || p.dirfd < 0)
		return 0;
	memcpy(canon, p.canon, sizeof(canon));
	rootfs_show(s->r, p.canon, show, sizeof(show));
	return scan_list_dir_once(s, &p, show, home_entry, &h, e);
}

/* The JAVA_HOME that /etc/environment sets for PAM sessions, if any (the
 * last one, quotes taken off, as pam_env reads it). */
static void environment_java_home(struct scan *s, char *out, size_t n)
{
	struct cerr ignored = {0};
	struct rpath p;
	struct stat st;
	char *buf = NULL;
	size_t len, at = 0;

	out[0] = '\0';
	if (rootfs_resolve(s->r, "/etc/environment", 0, &p, &ignored) != 0 || !p.exists ||
	    rootfs_read_at(p.dirfd, p.base, "/etc/environment", 64 * 1024, &buf, &len, &st, &ignored) != 0 ||
	    buf == NULL)
		return;
	while (at < len) {
		char *l = buf + at, *nl = memchr(l, '\n', len - at);
		size_t ll = nl ? (size_t)(nl - l) : len - at;

		at += ll + 1;
		while (ll > 0 && (*l == ' ' || *l == '\t'))
			l++, ll--;
		if (ll > 7 && strncmp(l, "export ", 7) == 0)
			l += 7, ll -= 7;
		if (ll <= 10 || strncmp(l, "JAVA_HOME=", 10) != 0)
			continue;
		l += 10, ll -= 10;
		if (ll >= 2 && (l[0] == '"' || l[0] == '\'') && l[ll - 1] == l[0])
			l++, ll -= 2;
		if (ll > 0 && l[0] == '/' && ll < n && memchr(l, '\0', ll) == NULL)
			snprintf(out, n, "%.*s", (int)ll, l);
	}
	free(buf);
}

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	const char *java_home = o->java_home;
	size_t i;
	int rc;

	for (i = 0; java_keystores[i]; i++)
		if ((rc = add_keystore(s, java_keystores[i], e)) != 0)
			return rc;
	char env_home[PATH_MAX];

	for (i = 0; java_home_parents[i].dir; i++)
		if ((rc = add_java_homes(s, java_home_parents[i].dir, java_home_parents[i].depth, e)) != 0)
			return rc;
	environment_java_home(s, env_home, sizeof(env_home));
	if (env_home[0] != '\0' && (rc = add_java_home(s, env_home, e)) != 0)
		return rc;
	if (java_home != NULL && java_home[0] != '\0')
		return add_java_home(s, java_home, e);
	return 0;
}

/* Deep scans only (a killed run's mark makes one): the temp file a killed
 * run left beside each keystore. A change that writes a keystore replaces
 * its leftover anyway (txn.c). */
static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	for (size_t i = 0; clean && i < s->nkeystores; i++)
		scan_clean_temp(s->keystores[i].p.dirfd, s->keystores[i].p.base);
	return 0;
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	size_t i;

	for (i = 0; i < s->nkeystores; i++) {
		struct keystore_store *k = &s->keystores[i];
		struct rope r;
		int rc;

		if (k->bad) {
			trust_warn(w->rep, "%s: %s; left as it is", k->show, k->why);
			continue;
		}
		if (w->certs != NULL && keystore_holds(&k->ks, w->set, w->certs))
			continue;
		if (w->certs == NULL && keystore_count(&k->ks, w->set) == 0)
			continue;
		rope_init(&r);
		if (keystore_render(&k->ks, w->set, w->certs, &r, k->why, sizeof(k->why)) != 0) {
			rope_free(&r);
			k->bad = true;
			trust_warn(w->rep, "%s: %s; left as it is", k->show, k->why);
			continue;
		}
		rc = txn_write(t, k->p.dirfd, k->p.base, k->show, &r, &k->p.st, k->buf, k->len, TXN_SKIP);
		rope_free(&r);
		if (rc < 0)
			return cerr_sys(e, k->show, "plan", ENOMEM);
	}
	return 0;
}

/* status: one whose digest or MAC does not check is as unusable as one
 * that does not parse: install leaves both alone, status lists both so. */
static int inventory(struct scan *s, struct store_sink *out)
{
	struct status_store *x;

	for (size_t i = 0; i < s->nkeystores; i++) {
		struct keystore_store *k = &s->keystores[i];

		if (!k->bad && !keystore_integrity_ok(&k->ks, k->why, sizeof(k->why)))
			k->bad = true;
		if ((x = store_push(out, store_keystores.name, k->show)) == NULL)
			return -1;
		if (k->bad)
			snprintf(x->why, sizeof(x->why), "%s; left as it is", k->why);
		else
			x->layout = keystore_format_name(k->ks.format);
	}
	return 0;
}

static int check(struct scan *s, struct status_set *ss, struct cerr *e)
{
	struct store_sink out = {&ss->stores, &ss->nstores};
	struct status_store *x;

	(void)e;
	for (size_t i = 0; i < s->nkeystores; i++) {
		struct keystore_store *k = &s->keystores[i];

		if (k->bad)
			continue; /* shown in the list of stores, with why */
		if (k->x509 == NULL) /* (why gets the reason when it does not decode) */
			k->x509 = keystore_trust_store(&k->ks, k->why, sizeof(k->why));
		if ((x = store_push(&out, store_keystores.name, k->show)) == NULL)
			return -1;
		x->layout = keystore_format_name(k->ks.format);
		x->present = keystore_holds(&k->ks, ss->name, &ss->cas) && ss->cas.n > 0;
		if (k->x509 != NULL) {
			x->verified = store_verify_all(k->x509, &ss->cas, x->why, sizeof(x->why));
		} else {
			x->verified = 0;
			snprintf(x->why, sizeof(x->why), "%s", k->why);
		}
	}
	return 0;
}

/* A keystore's anchors, once its digest or MAC has checked; NULL with why
 * when it does not parse, does not check or does not decode. */
static X509_STORE *anchors_of(const struct keystore_store *k, char *why, size_t n)
{
	char buf[KEYSTORE_WHY_MAX];
	X509_STORE *store;

	if (k->bad) {
		snprintf(why, n, "%s", k->why);
		return NULL;
	}
	if (!keystore_integrity_ok(&k->ks, buf, sizeof(buf)) || (store = keystore_trust_store(&k->ks, buf, sizeof(buf))) == NULL) {
		snprintf(why, n, "%s", buf);
		return NULL;
	}
	return store;
}

static int verify(struct scan *s, const struct store_chain *c, struct verify_sink *out)
{
	for (size_t i = 0; i < s->nkeystores; i++) {
		struct verify_result *v = store_push_result(out, store_keystores.name, s->keystores[i].show);
		X509_STORE *store;

		if (v == NULL)
			return -1;
		store = anchors_of(&s->keystores[i], v->why, sizeof(v->why));
		v->ok = store != NULL && verify_chain(store, c->leaf, c->untrusted, v->why, sizeof(v->why));
		X509_STORE_free(store);
	}
	return 0;
}

static size_t count(const struct scan *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nkeystores; i++)
		n += !s->keystores[i].bad;
	return n;
}

static void release(struct scan *s)
{
	for (size_t i = 0; i < s->nkeystores; i++) {
		keystore_free(&s->keystores[i].ks);
		free(s->keystores[i].buf);
		X509_STORE_free(s->keystores[i].x509);
	}
	free(s->keystores);
}

const struct store_ops store_keystores = {
	.name = "keystore",
	.scan_flag = SCAN_KEYSTORES,
	.find = find,
	.list = list,
	.plan = plan,
	.inventory = inventory,
	.check = check,
	.verify = verify,
	.count = count,
	.free = release,
};
