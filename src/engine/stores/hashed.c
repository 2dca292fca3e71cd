/*
 * hashed.c: the hashed-directory room (OpenSSL's CApath).
 *
 * Each managed CA gets a file "cainit.SET.HASH8.SLOT.pem" in the directory
 * and a symlink "HASH8.N" to it, as Debian does for its own CAs, so that
 * `openssl rehash` (run by update-ca-certificates) keeps them. The name
 * does not change when a CA of the same subject replaces the set's CA: the
 * file is rewritten (renamed over), the link stays, and a reader that has
 * followed the link never finds its target gone. OpenSSL looks up HASH8.0,
 * HASH8.1, ... and stops at the first missing index, so the indices of one
 * hash must stay contiguous at every step: a retired entry is re-pointed
 * atomically to a new CA when there is one, and otherwise the highest
 * entry of that hash is renamed over it. An install probes only the
 * hashes of the CAs it handles; a deep scan lists the directory.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hashed_links.h"
#include "verify.h"

/* ---- finding ---- */

static int add_hashed(struct scan *s, const char *path, bool create, struct cerr *e)
{
	struct hashed_store h, *nh;
	size_t i;

	memset(&h, 0, sizeof(h));
	if (rootfs_resolve(s->r, path, RP_DIR | (create ? RP_MKDIRS : 0), &h.p, e) != 0)
		return CAINIT_EOPS;
	if (!h.p.exists)
		return 0;
	for (i = 0; i < s->nhashed; i++)
		if (strcmp(s->hashed[i].p.canon, h.p.canon) == 0)
			return 0;
	rootfs_show(s->r, h.p.canon, h.show, sizeof(h.show));
	h.exists = true;
	nh = realloc(s->hashed, (s->nhashed + 1) * sizeof(*nh));
	if (nh == NULL)
		return cerr_sys(e, h.show, "scan", ENOMEM);
	s->hashed = nh;
	s->hashed[s->nhashed++] = h;
	return 0;
}

/* The hashed directory of each layout; a root with no bundle of its own
 * gets the fallback directory (made by an install). */
static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	int rc;

	if ((rc = scan_layouts(s, e)) != 0)
		return rc;
	for (size_t i = 0; i < s->nlayouts; i++)
		if ((rc = add_hashed(s, s->layouts[i]->hashed_dir, false, e)) != 0)
			return rc;
	return s->fallback ? add_hashed(s, FALLBACK_HASHED_DIR, o->flags & SCAN_CREATE, e) : 0;
}

/* Append HASH.IDX to h->links; with target_known, its readlink (NULL: not
 * a symlink). NULL on ENOMEM. */
static struct hash_link *push_link(struct hashed_store *h, unsigned long hash, unsigned idx, bool is_link,
				   const char *target, bool target_known)
{
	struct hash_link *nl = realloc(h->links, (h->nlinks + 1) * sizeof(*nl)), *l;

	if (nl == NULL)
		return NULL;
	h->links = nl;
	l = &nl[h->nlinks];
	memset(l, 0, sizeof(*l));
	l->hash = hash;
	l->idx = idx;
	l->is_link = is_link;
	name_hash_link(l->name, hash, idx);
	if (target_known) {
		l->target_read = true;
		l->target = target ? strdup(target) : NULL;
		if (target && l->target == NULL)
			return NULL;
	}
	h->nlinks++;
	return l;
}

static int hashed_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct hashed_store *h = ctx;
	struct owned_file f;
	unsigned long hash;
	unsigned idx;

	memset(&f, 0, sizeof(f));
	if (scan_parse_hash_name(name, &hash, &idx))
		return push_link(h, hash, idx, scan_entry_type(dirfd, name, type) == DT_LNK, NULL, false) ? 0 : -1;
	if (scan_parse_ca_name(name, &f))
		return scan_entry_type(dirfd, name, type) == DT_REG ? scan_push_owned(&h->cas, &h->ncas, &f) : 0;
	if (scan_parse_set_name_file(name, "cainit.", ".pem", &f) && scan_entry_type(dirfd, name, type) == DT_LNK)
		return scan_push_owned(&h->derived, &h->nderived, &f);
	return 0;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	int rc;

	for (size_t i = 0; i < s->nhashed; i++)
		if ((rc = scan_list_dir(s->hashed[i].p.dirfd, s->hashed[i].show, hashed_entry, &s->hashed[i], clean, e)) != 0)
			return rc;
	return 0;
}

const char *scan_link_target(struct hashed_store *h, struct hash_link *l)
{
	char buf[PATH_MAX];
	ssize_t n;

	if (!l->is_link)
		return NULL;
	if (!l->target_read) {
		l->target_read = true;
		n = readlinkat(h->p.dirfd, l->name, buf, sizeof(buf) - 1);
		if (n >= 0) {
			buf[n] = '\0';
			l->target = strdup(buf);
		}
	}
	return l->target;
}

int scan_probe_links(struct hashed_store *h, unsigned long hash, struct cerr *e)
{
	char name[24], target[PATH_MAX];
	unsigned long *np;
	unsigned idx;
	size_t i;

	for (i = 0; i < h->nprobed; i++)
		if (h->probed[i] == hash)
			return 0;
	np = realloc(h->probed, (h->nprobed + 1) * sizeof(*np));
	if (np == NULL)
		return cerr_sys(e, h->show, "probe", ENOMEM);
	h->probed = np;
	h->probed[h->nprobed++] = hash;
	for (idx = 0;; idx++) {
		ssize_t n;

		name_hash_link(name, hash, idx);
		n = readlinkat(h->p.dirfd, name, target, sizeof(target) - 1);
		if (n < 0 && errno == ENOENT)
			return 0; /* OpenSSL stops here too */
		if (n < 0 && errno != EINVAL)
			return cerr_sys(e, h->show, "readlink", errno);
		if (n >= 0)
			target[n] = '\0';
		if (push_link(h, hash, idx, n >= 0, n >= 0 ? target : NULL, true) == NULL)
			return cerr_sys(e, h->show, "probe", ENOMEM);
	}
}

/* ---- the change (the links: hashed_links.c) ---- */

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	int rc;

	for (size_t i = 0; i < s->nhashed; i++)
		if ((rc = hashed_plan_store(s, &s->hashed[i], w, t, e)) != 0)
			return rc;
	return 0;
}

/* ---- status and verify ---- */

static int inventory(struct scan *s, struct store_sink *out)
{
	for (size_t i = 0; i < s->nhashed; i++)
		if (store_push(out, store_hashed.name, s->hashed[i].show) == NULL)
			return -1;
	return 0;
}

/* Each CA in its file, and a HASH.N link to that file. */
static bool holds(struct hashed_store *h, const char *set, const struct cert_list *cas)
{
	char name[NAME_MAX + 1];

	for (size_t i = 0; i < cas->n; i++) {
		struct cert_list one = {&cas->v[i], 1};
		bool linked = false;

		name_ca_slot(name, set, cas->v[i].subject_hash, ca_slot(cas, i));
		if (!store_file_holds(h->p.dirfd, name, set, &one))
			return false;
		for (size_t k = 0; k < h->nlinks && !linked; k++) {
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

/* Does each CA verify through the directory, as OpenSSL looks it up? */
static int verifies(struct scan *s, struct hashed_store *h, const struct cert_list *cas, char *why, size_t n)
{
	for (size_t k = 0; k < cas->n; k++) {
		STACK_OF(X509) *chain = sk_X509_new_null();
		X509_STORE *store;
		bool ok;

		if (chain == NULL || !sk_X509_push(chain, cert_x509(&cas->v[k]))) {
			sk_X509_free(chain);
			return -1;
		}
		store = verify_store_from_hashdir(s->r, h->p.canon, chain);
		ok = verify_chain(store, cert_x509(&cas->v[k]), NULL, why, n);
		X509_STORE_free(store);
		sk_X509_free(chain);
		if (!ok)
			return 0;
	}
	return 1;
}

static int check(struct scan *s, struct status_set *ss, struct cerr *e)
{
	struct store_sink out = {&ss->stores, &ss->nstores};
	struct status_store *x;

	(void)e;
	for (size_t i = 0; i < s->nhashed; i++) {
		struct hashed_store *h = &s->hashed[i];

		if ((x = store_push(&out, store_hashed.name, h->show)) == NULL)
			return -1;
		x->present = holds(h, ss->name, &ss->cas);
		if ((x->verified = verifies(s, h, &ss->cas, x->why, sizeof(x->why))) < 0)
			return -1;
	}
	return 0;
}

/* The set's files in the first directory that has them. */
static void cas_of(struct scan *s, const char *set, struct cert_list *out)
{
	char *buf;
	struct stat st;
	struct cerr e;
	size_t len;

	for (size_t i = 0; i < s->nhashed && out->n == 0; i++)
		for (size_t k = 0; k < s->hashed[i].ncas; k++)
			if (strcmp(s->hashed[i].cas[k].set, set) == 0 &&
			    rootfs_read_at(s->hashed[i].p.dirfd, s->hashed[i].cas[k].name, s->hashed[i].cas[k].name,
					   OWNED_FILE_MAX, &buf, &len, &st, &e) == 0 && buf) {
				store_parse_into(out, buf, len);
				free(buf);
			}
}

static void names(const struct scan *s, store_name_fn fn, void *ctx)
{
	for (size_t i = 0; i < s->nhashed; i++)
		for (size_t k = 0; k < s->hashed[i].ncas; k++)
			fn(ctx, s->hashed[i].cas[k].set);
}

static int verify(struct scan *s, const struct store_chain *c, struct verify_sink *out)
{
	for (size_t i = 0; i < s->nhashed; i++) {
		struct verify_result *v = store_push_result(out, store_hashed.name, s->hashed[i].show);
		X509_STORE *store;

		if (v == NULL)
			return -1;
		store = verify_store_from_hashdir(s->r, s->hashed[i].p.canon, c->all);
		v->ok = verify_chain(store, c->leaf, c->untrusted, v->why, sizeof(v->why));
		X509_STORE_free(store);
	}
	return 0;
}

static size_t count(const struct scan *s)
{
	return s->nhashed;
}

static void dirs(const struct scan *s, store_dir_fn fn, void *ctx)
{
	for (size_t i = 0; i < s->nhashed; i++)
		fn(ctx, s->hashed[i].p.canon);
}

static void release(struct scan *s)
{
	for (size_t i = 0; i < s->nhashed; i++) {
		for (size_t k = 0; k < s->hashed[i].nlinks; k++)
			free(s->hashed[i].links[k].target);
		free(s->hashed[i].links);
		free(s->hashed[i].cas);
		free(s->hashed[i].derived);
		free(s->hashed[i].probed);
	}
	free(s->hashed);
}

const struct store_ops store_hashed = {
	.name = "hashed",
	.find = find,
	.list = list,
	.plan = plan,
	.inventory = inventory,
	.check = check,
	.cas_of = cas_of,
	.names = names,
	.verify = verify,
	.count = count,
	.dirs = dirs,
	.free = release,
};
