/*
 * status.c: what a root trusts, store by store, and whether each managed
 * CA really verifies through each store (in-process, with libcrypto).
 * Reads only; takes no lock (every file cainit writes is replaced whole).
 */
#include "trust.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nss.h"
#include "plan.h"
#include "verify.h"

#define SETS_MAX 1024

const char *store_kind_name(enum store_kind k)
{
	switch (k) {
	case STORE_BUNDLE:
		return "bundle";
	case STORE_ANCHOR:
		return "anchor";
	case STORE_HASHED:
		return "hashed";
	case STORE_SET_FILE:
		return "ca-file";
	case STORE_KEYSTORE:
		return "keystore";
	case STORE_NSS:
		return "nss";
	}
	return "?";
}

/* Append src's certificates that dst lacks. */
static int merge(struct cert_list *dst, struct cert_list *src)
{
	size_t i;

	for (i = 0; i < src->n; i++) {
		struct cert *v;

		if (cert_list_find(dst, src->v[i].sha256) >= 0)
			continue;
		v = realloc(dst->v, (dst->n + 1) * sizeof(*v));
		if (v == NULL)
			return -1;
		dst->v = v;
		dst->v[dst->n++] = src->v[i];
		memset(&src->v[i], 0, sizeof(src->v[i]));
	}
	cert_list_free(src);
	return 0;
}

static void parse_into(struct cert_list *dst, const char *buf, size_t len)
{
	struct cert_list l;
	struct cerr e;

	if (cert_list_parse((const unsigned char *)buf, len, "store", &l, &e) == 0 && merge(dst, &l) < 0)
		cert_list_free(&l);
}

/* The CAs of a set: its CA-only file, else its blocks in the first bundle
 * that has them, else its anchor file, else its hashed-dir files. */
static void load_cas(struct scan *s, const char *set, struct cert_list *cas)
{
	char name[NAME_MAX + 1], *buf;
	struct stat st;
	struct cerr e;
	size_t len, i, k;

	memset(cas, 0, sizeof(*cas));
	if (s->setdir_exists) {
		name_set_file(name, set);
		if (rootfs_read_at(s->setdir.dirfd, name, name, OWNED_FILE_MAX, &buf, &len, &st, &e) == 0 && buf) {
			parse_into(cas, buf, len);
			free(buf);
		}
	}
	for (i = 0; i < s->nbundles && cas->n == 0; i++)
		for (k = 0; k < s->bundles[i].view.n; k++) {
			const struct bblock *b = &s->bundles[i].view.blocks[k];

			if (!b->header && strcmp(b->set, set) == 0)
				parse_into(cas, s->bundles[i].buf + b->pem, b->end - b->pem);
		}
	name_anchor(name, set);
	for (i = 0; i < s->nanchors && cas->n == 0; i++)
		if (rootfs_read_at(s->anchors[i].p.dirfd, name, name, OWNED_FILE_MAX, &buf, &len, &st, &e) == 0 && buf) {
			parse_into(cas, buf, len);
			free(buf);
		}
	for (i = 0; i < s->nhashed && cas->n == 0; i++)
		for (k = 0; k < s->hashed[i].ncas; k++)
			if (strcmp(s->hashed[i].cas[k].set, set) == 0 &&
			    rootfs_read_at(s->hashed[i].p.dirfd, s->hashed[i].cas[k].name, name,
					   OWNED_FILE_MAX, &buf, &len, &st, &e) == 0 && buf) {
				parse_into(cas, buf, len);
				free(buf);
			}
}

/* Does dirfd/name hold exactly the rendering of (set, certs)? */
static bool file_holds(int dirfd, const char *name, const char *set, const struct cert_list *certs)
{
	struct rope r;
	struct stat st;
	struct cerr e;
	char *buf;
	size_t len;
	bool same = false;

	rope_init(&r);
	if (bundle_render(set, certs, &r) == 0 &&
	    rootfs_read_at(dirfd, name, name, OWNED_FILE_MAX, &buf, &len, &st, &e) == 0 && buf) {
		same = rope_equals(&r, buf, len);
		free(buf);
	}
	rope_free(&r);
	return same;
}

static bool hashed_holds(struct hashed_store *h, const char *set, const struct cert_list *cas)
{
	char name[NAME_MAX + 1];
	size_t i, k;

	for (i = 0; i < cas->n; i++) {
		struct cert_list one = {&cas->v[i], 1};
		bool linked = false;

		name_ca_slot(name, set, cas->v[i].subject_hash, ca_slot(cas, i));
		if (!file_holds(h->p.dirfd, name, set, &one))
			return false;
		for (k = 0; k < h->nlinks && !linked; k++) {
			const char *t;

			if (h->links[k].hash != cas->v[i].subject_hash)
				continue;
			t = scan_link_target(h, &h->links[k]);
			linked = t != NULL && strcmp(t, name) == 0;
		}
		if (!linked)
			return false;
	}
	return cas->n > 0;
}

static int verify_all(X509_STORE *store, const struct cert_list *cas, char *why, size_t n)
{
	size_t i;

	for (i = 0; i < cas->n; i++)
		if (!verify_chain(store, cert_x509(&cas->v[i]), NULL, why, n))
			return 0;
	return 1;
}

static struct status_store *push_store(struct status_store **v, size_t *n, enum store_kind kind, const char *path)
{
	struct status_store *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return NULL;
	*v = nv;
	memset(&nv[*n], 0, sizeof(nv[*n]));
	nv[*n].kind = kind;
	nv[*n].verified = -1;
	snprintf(nv[*n].path, sizeof(nv[*n].path), "%s", path);
	return &nv[(*n)++];
}

/* A keystore's anchors, once its digest or MAC has checked; NULL with why
 * when it does not parse, does not check or does not decode. */
static X509_STORE *keystore_anchors(const struct keystore_store *k, char *why, size_t n)
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

static int fill_set(struct scan *s, X509_STORE **bstores, X509_STORE **kstores, struct status_set *ss,
		    struct cerr *e)
{
	char show[ENTRY_SHOW_MAX], name[NAME_MAX + 1];
	struct status_store *x;
	size_t i;

	for (i = 0; i < s->nbundles; i++) {
		struct bundle_store *b = &s->bundles[i];

		if (!b->exists)
			continue;
		if ((x = push_store(&ss->stores, &ss->nstores, STORE_BUNDLE, b->show)) == NULL)
			goto nomem;
		x->present = bundle_set_matches(&b->view, ss->name, &ss->cas) && ss->cas.n > 0;
		x->verified = verify_all(bstores[i], &ss->cas, x->why, sizeof(x->why));
	}
	name_anchor(name, ss->name);
	for (i = 0; i < s->nanchors; i++) {
		snprintf(show, sizeof(show), "%s/%s", s->anchors[i].show, name);
		if ((x = push_store(&ss->stores, &ss->nstores, STORE_ANCHOR, show)) == NULL)
			goto nomem;
		x->layout = s->anchors[i].layout->name;
		x->present = file_holds(s->anchors[i].p.dirfd, name, ss->name, &ss->cas);
	}
	for (i = 0; i < s->nhashed; i++) {
		struct hashed_store *h = &s->hashed[i];
		size_t k;

		if ((x = push_store(&ss->stores, &ss->nstores, STORE_HASHED, h->show)) == NULL)
			goto nomem;
		x->present = hashed_holds(h, ss->name, &ss->cas);
		x->verified = 1;
		for (k = 0; k < ss->cas.n && x->verified; k++) {
			STACK_OF(X509) *chain = sk_X509_new_null();
			X509_STORE *store;

			if (chain == NULL || !sk_X509_push(chain, cert_x509(&ss->cas.v[k]))) {
				sk_X509_free(chain);
				goto nomem;
			}
			store = verify_store_from_hashdir(s->r, h->p.canon, chain);
			x->verified = verify_chain(store, cert_x509(&ss->cas.v[k]), NULL, x->why, sizeof(x->why));
			X509_STORE_free(store);
			sk_X509_free(chain);
		}
	}
	for (i = 0; i < s->nkeystores; i++) {
		struct keystore_store *k = &s->keystores[i];

		if (k->bad)
			continue; /* shown in the list of stores, with why */
		if ((x = push_store(&ss->stores, &ss->nstores, STORE_KEYSTORE, k->show)) == NULL)
			goto nomem;
		x->layout = keystore_format_name(k->ks.format);
		x->present = keystore_holds(&k->ks, ss->name, &ss->cas) && ss->cas.n > 0;
		if (kstores[i] != NULL) {
			x->verified = verify_all(kstores[i], &ss->cas, x->why, sizeof(x->why));
		} else {
			x->verified = 0;
			snprintf(x->why, sizeof(x->why), "%s", k->why);
		}
	}
	for (i = 0; i < s->nnss; i++) {
		struct nss_store *d = &s->nss[i];

		/* a database takes part in the sets it holds (--nss is per install) */
		if (!d->loaded || nss_sdb_count(&d->db, ss->name) == 0)
			continue;
		if ((x = push_store(&ss->stores, &ss->nstores, STORE_NSS, d->show)) == NULL)
			goto nomem;
		x->present = ss->cas.n > 0 && nss_sdb_holds(&d->db, ss->name, &ss->cas);
	}
	if (s->setdir_exists) {
		name_set_file(name, ss->name);
		snprintf(show, sizeof(show), "%s/%s", s->setdir_show, name);
		if ((x = push_store(&ss->stores, &ss->nstores, STORE_SET_FILE, show)) == NULL)
			goto nomem;
		x->present = file_holds(s->setdir.dirfd, name, ss->name, &ss->cas);
	}
	return 0;
nomem:
	return cerr_sys(e, "status", "collect", ENOMEM);
}

static int list_stores(struct scan *s, struct trust_status *st, struct cerr *e)
{
	struct status_store *x;
	size_t i;

	for (i = 0; i < s->nbundles; i++)
		if (s->bundles[i].exists &&
		    push_store(&st->stores, &st->nstores, STORE_BUNDLE, s->bundles[i].show) == NULL)
			goto nomem;
	for (i = 0; i < s->nanchors; i++) {
		if ((x = push_store(&st->stores, &st->nstores, STORE_ANCHOR, s->anchors[i].show)) == NULL)
			goto nomem;
		x->layout = s->anchors[i].layout->name;
	}
	for (i = 0; i < s->nhashed; i++)
		if (push_store(&st->stores, &st->nstores, STORE_HASHED, s->hashed[i].show) == NULL)
			goto nomem;
	for (i = 0; i < s->nkeystores; i++) {
		if ((x = push_store(&st->stores, &st->nstores, STORE_KEYSTORE, s->keystores[i].show)) == NULL)
			goto nomem;
		if (s->keystores[i].bad)
			snprintf(x->why, sizeof(x->why), "%s; left as it is", s->keystores[i].why);
		else
			x->layout = keystore_format_name(s->keystores[i].ks.format);
	}
	for (i = 0; i < s->nnss; i++) {
		if ((x = push_store(&st->stores, &st->nstores, STORE_NSS, s->nss[i].show)) == NULL)
			goto nomem;
		if (s->nss[i].bad)
			snprintf(x->why, sizeof(x->why), "%.150s; left as it is", s->nss[i].why);
	}
	if (s->setdir_exists && push_store(&st->stores, &st->nstores, STORE_SET_FILE, s->setdir_show) == NULL)
		goto nomem;
	return 0;
nomem:
	return cerr_sys(e, "status", "collect", ENOMEM);
}

int trust_status(const char *root, const char *java_home, struct trust_status *st, struct cerr *e)
{
	const char *names[SETS_MAX];
	X509_STORE **bstores = NULL, **kstores = NULL;
	struct rootfs r;
	struct scan s;
	size_t n, i;
	int rc;

	memset(st, 0, sizeof(*st));
	memset(&s, 0, sizeof(s));
	snprintf(st->root, sizeof(st->root), "%s", root);
	rc = rootfs_open(&r, root, e);
	if (rc == 0)
		rc = scan_root(&r, SCAN_DEEP, NULL, &s, e);
	if (rc == 0)
		rc = scan_keystores(&s, java_home, false, e);
	if (rc == 0)
		rc = scan_nss(&s, false, NULL, false, NULL, e); /* the recorded databases */
	if (rc != 0)
		goto out;
	/* one whose digest or MAC does not check is as unusable as one that
	 * does not parse: install leaves both alone, status lists both so */
	for (i = 0; i < s.nkeystores; i++)
		if (!s.keystores[i].bad && !keystore_integrity_ok(&s.keystores[i].ks, s.keystores[i].why,
								  sizeof(s.keystores[i].why)))
			s.keystores[i].bad = true;
	st->interrupted = s.interrupted;
	for (i = 0; i < s.nlayouts; i++)
		st->layouts[st->nlayouts++] = s.layouts[i]->name;
	st->fallback = s.fallback;
	/* OpenWrt, LEDE: CA files and their hash links, no bundle at all */
	for (i = 0; s.fallback && i < s.nhashed && st->nlayouts < sizeof(st->layouts) / sizeof(st->layouts[0]); i++) {
		size_t k, foreign = 0;

		for (k = 0; k < s.hashed[i].nlinks; k++) {
			const char *t = scan_link_target(&s.hashed[i], &s.hashed[i].links[k]);

			foreign += t == NULL || strncmp(t, "cainit.", 7) != 0;
		}
		if (foreign > 0) {
			st->layouts[st->nlayouts++] = "openwrt";
			break;
		}
	}
	st->made_dirs = s.dirs_record.exists ? strndup(s.dirs_record.buf, s.dirs_record.len) : NULL;
	if ((rc = list_stores(&s, st, e)) != 0)
		goto out;
	n = scan_set_names(&s, NULL, names, SETS_MAX);
	bstores = calloc(s.nbundles + 1, sizeof(*bstores));
	kstores = calloc(s.nkeystores + 1, sizeof(*kstores));
	st->sets = calloc(n + 1, sizeof(*st->sets));
	if (bstores == NULL || kstores == NULL || st->sets == NULL) {
		rc = cerr_sys(e, root, "status", ENOMEM);
		goto out;
	}
	for (i = 0; i < s.nbundles && n > 0; i++)
		if (s.bundles[i].exists)
			bstores[i] = verify_store_from_pem(s.bundles[i].buf, s.bundles[i].len);
	for (i = 0; i < s.nkeystores && n > 0; i++)
		if (!s.keystores[i].bad) /* (checked above; why gets the reason when one does not decode) */
			kstores[i] = keystore_trust_store(&s.keystores[i].ks, s.keystores[i].why,
							  sizeof(s.keystores[i].why));
	for (i = 0; i < n; i++) {
		struct status_set *ss = &st->sets[st->nsets++];

		snprintf(ss->name, sizeof(ss->name), "%s", names[i]);
		load_cas(&s, ss->name, &ss->cas);
		if ((rc = fill_set(&s, bstores, kstores, ss, e)) != 0)
			goto out;
	}
out:
	for (i = 0; bstores && i < s.nbundles; i++)
		X509_STORE_free(bstores[i]);
	free(bstores);
	for (i = 0; kstores && i < s.nkeystores; i++)
		X509_STORE_free(kstores[i]);
	free(kstores);
	scan_free(&s);
	rootfs_close(&r);
	if (rc != 0)
		trust_status_free(st);
	return rc;
}

void trust_status_free(struct trust_status *st)
{
	size_t i;

	for (i = 0; i < st->nsets; i++) {
		cert_list_free(&st->sets[i].cas);
		free(st->sets[i].stores);
	}
	free(st->sets);
	free(st->stores);
	free(st->made_dirs);
	memset(st, 0, sizeof(*st));
}

int trust_records(const char *root, struct trust_record **out, size_t *n, struct cerr *e)
{
	struct trust_record *v = NULL;
	struct rootfs r;
	struct scan s;
	size_t i;
	int rc;

	*out = NULL;
	*n = 0;
	memset(&s, 0, sizeof(s));
	rc = rootfs_open(&r, root, e);
	if (rc == 0)
		rc = scan_root(&r, SCAN_DEEP, NULL, &s, e);
	if (rc != 0)
		goto out;
	v = calloc(s.nsetfiles + 1, sizeof(*v));
	if (v == NULL) {
		rc = cerr_sys(e, root, "records", ENOMEM);
		goto out;
	}
	for (i = 0; i < s.nsetfiles; i++) {
		char *buf;
		size_t len;
		struct stat st;
		struct cerr ignored;

		snprintf(v[*n].name, sizeof(v[*n].name), "%s", s.setfiles[i].set);
		if (rootfs_read_at(s.setdir.dirfd, s.setfiles[i].name, s.setfiles[i].name, OWNED_FILE_MAX, &buf, &len,
				   &st, &ignored) != 0 || buf == NULL)
			continue;
		if (cert_list_parse((const unsigned char *)buf, len, "record", &v[*n].cas, &ignored) == 0)
			(*n)++;
		free(buf);
	}
	*out = v;
	v = NULL;
out:
	free(v);
	scan_free(&s);
	rootfs_close(&r);
	return rc;
}

void trust_records_free(struct trust_record *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cert_list_free(&v[i].cas);
	free(v);
}

int trust_verify(const char *root, const char *java_home, struct cert_list *chain,
		 struct verify_result **res, size_t *nres, struct cerr *e)
{
	STACK_OF(X509) *untrusted = NULL, *all = NULL;
	struct verify_result *v = NULL;
	struct rootfs r;
	struct scan s;
	size_t n = 0, i;
	bool all_ok = true;
	int rc;

	*res = NULL;
	*nres = 0;
	memset(&s, 0, sizeof(s));
	rc = rootfs_open(&r, root, e);
	if (rc == 0)
		rc = scan_root(&r, 0, NULL, &s, e);
	if (rc == 0)
		rc = scan_keystores(&s, java_home, false, e);
	if (rc != 0)
		goto out;
	untrusted = sk_X509_new_null();
	all = sk_X509_new_null();
	v = calloc(s.nbundles + s.nhashed + s.nkeystores + 1, sizeof(*v));
	if (untrusted == NULL || all == NULL || v == NULL) {
		rc = cerr_sys(e, root, "verify", ENOMEM);
		goto out;
	}
	for (i = 0; i < chain->n; i++) {
		X509 *x = cert_x509(&chain->v[i]);

		if (x == NULL) {
			rc = cerr_set(e, CAINIT_EINPUT, "\"%s\": libcrypto cannot decode it for verification",
				      chain->v[i].subject);
			goto out;
		}
		sk_X509_push(all, x);
		if (i > 0)
			sk_X509_push(untrusted, x);
	}
	for (i = 0; i < s.nbundles; i++) {
		X509_STORE *store;

		if (!s.bundles[i].exists)
			continue;
		v[n].kind = STORE_BUNDLE;
		snprintf(v[n].path, sizeof(v[n].path), "%s", s.bundles[i].show);
		store = verify_store_from_pem(s.bundles[i].buf, s.bundles[i].len);
		v[n].ok = verify_chain(store, cert_x509(&chain->v[0]), untrusted, v[n].why, sizeof(v[n].why));
		all_ok = all_ok && v[n].ok;
		X509_STORE_free(store);
		n++;
	}
	for (i = 0; i < s.nhashed; i++) {
		X509_STORE *store = verify_store_from_hashdir(&r, s.hashed[i].p.canon, all);

		v[n].kind = STORE_HASHED;
		snprintf(v[n].path, sizeof(v[n].path), "%s", s.hashed[i].show);
		v[n].ok = verify_chain(store, cert_x509(&chain->v[0]), untrusted, v[n].why, sizeof(v[n].why));
		all_ok = all_ok && v[n].ok;
		X509_STORE_free(store);
		n++;
	}
	for (i = 0; i < s.nkeystores; i++) {
		X509_STORE *store;

		v[n].kind = STORE_KEYSTORE;
		snprintf(v[n].path, sizeof(v[n].path), "%s", s.keystores[i].show);
		store = keystore_anchors(&s.keystores[i], v[n].why, sizeof(v[n].why));
		v[n].ok = store != NULL &&
			  verify_chain(store, cert_x509(&chain->v[0]), untrusted, v[n].why, sizeof(v[n].why));
		all_ok = all_ok && v[n].ok;
		X509_STORE_free(store);
		n++;
	}
	if (n == 0)
		rc = cerr_set(e, CAINIT_EOPS, "%s: no trust store found", root);
	else if (!all_ok)
		rc = CAINIT_EOPS;
out:
	sk_X509_free(untrusted);
	sk_X509_free(all);
	scan_free(&s);
	rootfs_close(&r);
	if (v != NULL && n > 0) {
		*res = v;
		*nres = n;
	} else {
		free(v);
	}
	return rc;
}
