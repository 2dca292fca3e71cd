/*
 * status.c: what a root trusts, store by store, and whether each managed
 * CA really verifies through each store (in-process, with libcrypto): the
 * engine asks every row of store_table (store.h) in turn. Reads only;
 * takes no lock (every file cainit writes is replaced whole).
 */
#include "trust.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define SETS_MAX 1024

/* The CAs of a set: from the record (the last row) first, then from the
 * first other row that has them. */
static void load_cas(struct scan *s, const char *set, struct cert_list *cas)
{
	const struct store_ops *last = store_table[store_table_len - 1];

	memset(cas, 0, sizeof(*cas));
	if (last->cas_of != NULL)
		last->cas_of(s, set, cas);
	for (size_t i = 0; i + 1 < store_table_len && cas->n == 0; i++)
		if (store_table[i]->cas_of != NULL)
			store_table[i]->cas_of(s, set, cas);
}

/* OpenWrt, LEDE: CA files and their hash links, no bundle at all. */
static bool looks_openwrt(struct scan *s)
{
	for (size_t i = 0; s->fallback && i < s->nhashed; i++)
		for (size_t k = 0; k < s->hashed[i].nlinks; k++) {
			const char *t = scan_link_target(&s->hashed[i], &s->hashed[i].links[k]);

			if (t == NULL || strncmp(t, "cainit.", 7) != 0)
				return true;
		}
	return false;
}

int trust_status(const char *root, const char *java_home, struct trust_status *st, struct cerr *e)
{
	/* every store, NSS databases as recorded (no discovery) */
	const struct scan_opts o = {.flags = SCAN_DEEP | SCAN_KEYSTORES | SCAN_NSS, .java_home = java_home};
	struct store_sink all = {&st->stores, &st->nstores};
	const char *names[SETS_MAX];
	struct rootfs r;
	struct scan s;
	size_t n, i, k;
	int rc;

	memset(st, 0, sizeof(*st));
	memset(&s, 0, sizeof(s));
	snprintf(st->root, sizeof(st->root), "%s", root);
	rc = rootfs_open(&r, root, e);
	if (rc == 0)
		rc = scan_root_opts(&r, &o, NULL, &s, e);
	if (rc != 0)
		goto out;
	st->interrupted = s.interrupted;
	for (i = 0; i < s.nlayouts; i++)
		st->layouts[st->nlayouts++] = s.layouts[i]->name;
	st->fallback = s.fallback;
	if (looks_openwrt(&s) && st->nlayouts < sizeof(st->layouts) / sizeof(st->layouts[0]))
		st->layouts[st->nlayouts++] = "openwrt";
	st->made_dirs = s.dirs_record.exists ? strndup(s.dirs_record.buf, s.dirs_record.len) : NULL;
	for (k = 0; k < store_table_len; k++)
		if (store_table[k]->inventory != NULL && store_table[k]->inventory(&s, &all) != 0) {
			rc = cerr_sys(e, "status", "collect", ENOMEM);
			goto out;
		}
	n = scan_set_names(&s, NULL, names, SETS_MAX);
	st->sets = calloc(n + 1, sizeof(*st->sets));
	if (st->sets == NULL) {
		rc = cerr_sys(e, root, "status", ENOMEM);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct status_set *ss = &st->sets[st->nsets++];

		snprintf(ss->name, sizeof(ss->name), "%s", names[i]);
		load_cas(&s, ss->name, &ss->cas);
		for (k = 0; k < store_table_len && rc == 0; k++)
			if (store_table[k]->check != NULL && store_table[k]->check(&s, ss, e) != 0)
				rc = cerr_sys(e, "status", "collect", ENOMEM);
		if (rc != 0)
			goto out;
	}
out:
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

int trust_python_envs(const char *root, char (**out)[PATH_MAX], size_t *n, struct cerr *e)
{
	struct rootfs r;
	struct scan s;
	int rc;

	*out = NULL;
	*n = 0;
	memset(&s, 0, sizeof(s));
	rc = rootfs_open(&r, root, e);
	if (rc == 0)
		rc = scan_root(&r, SCAN_PATHS, NULL, &s, e);
	if (rc == 0) { /* (the python row's find keeps the record's prefixes) */
		*out = s.pyenvs;
		*n = s.npyenvs;
		s.pyenvs = NULL;
		s.npyenvs = 0;
	}
	scan_free(&s);
	rootfs_close(&r);
	return rc;
}

int trust_verify(const char *root, const char *java_home, struct cert_list *chain,
		 struct verify_result **res, size_t *nres, struct cerr *e)
{
	const struct scan_opts o = {.flags = SCAN_KEYSTORES, .java_home = java_home};
	struct store_chain c = {NULL, NULL, NULL};
	struct verify_sink out = {NULL, 0, 0};
	struct rootfs r;
	struct scan s;
	size_t i;
	int rc;

	*res = NULL;
	*nres = 0;
	memset(&s, 0, sizeof(s));
	rc = rootfs_open(&r, root, e);
	if (rc == 0)
		rc = scan_root_opts(&r, &o, NULL, &s, e);
	if (rc != 0)
		goto out;
	c.untrusted = sk_X509_new_null();
	c.all = sk_X509_new_null();
	if (c.untrusted == NULL || c.all == NULL) {
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
		sk_X509_push(c.all, x);
		if (i > 0)
			sk_X509_push(c.untrusted, x);
	}
	c.leaf = cert_x509(&chain->v[0]);
	for (i = 0; i < store_table_len; i++)
		if (store_table[i]->verify != NULL && store_table[i]->verify(&s, &c, &out) != 0) {
			rc = cerr_sys(e, root, "verify", ENOMEM);
			goto out;
		}
	if (out.n == 0)
		rc = cerr_set(e, CAINIT_EOPS, "%s: no trust store found", root);
	for (i = 0; i < out.n && rc == 0; i++)
		if (!out.v[i].ok)
			rc = CAINIT_EOPS;
out:
	sk_X509_free(c.untrusted);
	sk_X509_free(c.all);
	scan_free(&s);
	rootfs_close(&r);
	if (out.n > 0) {
		*res = out.v;
		*nres = out.n;
	} else {
		free(out.v);
	}
	return rc;
}
