/*
 * bundles.c: the bundle room. PEM bundles (each layout's real bundle, the
 * paths that link to it, the others TLS clients probe), each real file
 * once; a root with none gets cainit's own at FALLBACK_BUNDLE. A bundle is
 * edited block-wise: bytes outside cainit's marked blocks never move
 * (bundle.c), and one that cannot be renamed over (a bind-mounted file) is
 * rewritten in place.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "verify.h"

/* Paths only: is the bundle one cainit created? (its first line says) */
static int read_header(struct bundle_store *b, struct cerr *e)
{
	char head[sizeof(BUNDLE_HEADER) - 1];
	struct stat st;
	ssize_t n;
	int fd;

	if (rootfs_open_regular(b->p.dirfd, b->p.base, b->show, &fd, &st, e) != 0)
		return CAINIT_EOPS;
	if (fd < 0)
		return cerr_sys(e, b->show, "open", ENOENT);
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n < 0)
		return cerr_sys(e, b->show, "read", errno);
	b->view.created = (size_t)n == sizeof(head) && memcmp(head, BUNDLE_HEADER, sizeof(head)) == 0;
	return 0;
}

static int add_bundle(struct scan *s, const char *path, unsigned flags, struct cerr *e)
{
	struct bundle_store b, *nb;
	size_t i;

	memset(&b, 0, sizeof(b));
	if (rootfs_resolve(s->r, path, flags, &b.p, e) != 0)
		return CAINIT_EOPS;
	if (!b.p.exists || !S_ISREG(b.p.st.st_mode))
		return 0;
	for (i = 0; i < s->nbundles; i++)
		if (strcmp(s->bundles[i].p.canon, b.p.canon) == 0)
			return 0; /* each real file once */
	rootfs_show(s->r, b.p.canon, b.show, sizeof(b.show));
	if (s->paths_only) {
		if (read_header(&b, e) != 0)
			return CAINIT_EOPS;
	} else if (rootfs_read(s->r, &b.p, BUNDLE_MAX, &b.buf, &b.len, e) != 0) {
		return CAINIT_EOPS;
	} else if (bundle_scan(b.buf, b.len, &b.view) < 0) {
		free(b.buf);
		return cerr_sys(e, b.show, "scan", ENOMEM);
	}
	b.exists = true;
	nb = realloc(s->bundles, (s->nbundles + 1) * sizeof(*nb));
	if (nb == NULL) {
		bundle_view_free(&b.view);
		free(b.buf);
		return cerr_sys(e, b.show, "scan", ENOMEM);
	}
	s->bundles = nb;
	s->bundles[s->nbundles++] = b;
	return 0;
}

/* Every known bundle path; none real (distroless, scratch): cainit's own
 * bundle at the Debian path. */
static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	struct bundle_store b, *nb;
	bool any_real = false;
	size_t i, k;
	int rc;

	for (i = 0; i < n_layouts; i++) {
		if ((rc = add_bundle(s, layouts[i].bundle, 0, e)) != 0)
			return rc;
		for (k = 0; layouts[i].aliases[k]; k++)
			if ((rc = add_bundle(s, layouts[i].aliases[k], 0, e)) != 0)
				return rc;
	}
	for (k = 0; extra_bundles[k]; k++)
		if ((rc = add_bundle(s, extra_bundles[k], 0, e)) != 0)
			return rc;
	for (i = 0; i < s->nbundles; i++) {
		any_real = any_real || !s->bundles[i].view.created;
		if (s->bundles[i].exists && scan_note_view(s, &s->bundles[i].view) < 0)
			return cerr_sys(e, s->bundles[i].show, "scan", ENOMEM);
	}
	if (any_real)
		return 0;
	s->fallback = true;
	if (s->nbundles > 0)
		return 0;
	memset(&b, 0, sizeof(b));
	if (rootfs_resolve(s->r, FALLBACK_BUNDLE, (o->flags & SCAN_CREATE) ? RP_MKDIRS : 0, &b.p, e) != 0)
		return CAINIT_EOPS;
	rootfs_show(s->r, b.p.canon, b.show, sizeof(b.show));
	if (b.p.exists)
		return cerr_set(e, CAINIT_EOPS, "%s: not a regular file", b.show);
	nb = realloc(s->bundles, sizeof(*nb));
	if (nb == NULL)
		return cerr_sys(e, b.show, "scan", ENOMEM);
	s->bundles = nb;
	s->bundles[s->nbundles++] = b;
	return 0;
}

/* Bundles are not listed (their directories are the distro's): only a
 * killed run's temp file beside each is swept. */
static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	for (size_t i = 0; clean && i < s->nbundles; i++)
		scan_clean_temp(s->bundles[i].p.dirfd, s->bundles[i].p.base);
	return 0;
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	size_t i;

	for (i = 0; i < s->nbundles; i++) {
		struct bundle_store *b = &s->bundles[i];
		struct rope r;
		bool del = false;
		int rc;

		if (w->certs != NULL && b->exists && bundle_set_matches(&b->view, w->set, w->certs))
			continue;
		if (w->certs == NULL && (!b->exists || bundle_count(&b->view, w->set) == 0))
			continue;
		rope_init(&r);
		rc = bundle_edit(b->exists ? &b->view : NULL, w->set, w->set, w->certs, &r, &del);
		if (rc == 0 && del)
			rc = txn_unlink(t, b->p.dirfd, b->p.base, b->show);
		else if (rc == 0)
			rc = txn_write(t, b->p.dirfd, b->p.base, b->show, &r,
				       b->exists ? &b->p.st : NULL, b->buf, b->len, TXN_IN_PLACE);
		rope_free(&r);
		if (rc < 0)
			return cerr_sys(e, b->show, "plan", ENOMEM);
	}
	return 0;
}

static int inventory(struct scan *s, struct store_sink *out)
{
	for (size_t i = 0; i < s->nbundles; i++)
		if (s->bundles[i].exists && store_push(out, store_bundles.name, s->bundles[i].show) == NULL)
			return -1;
	return 0;
}

/* The bundle's certificates as a verification store, built once. */
static X509_STORE *x509_of(struct bundle_store *b)
{
	if (b->x509 == NULL)
		b->x509 = verify_store_from_pem(b->buf, b->len);
	return b->x509;
}

static int check(struct scan *s, struct status_set *ss, struct cerr *e)
{
	struct store_sink out = {&ss->stores, &ss->nstores};
	struct status_store *x;

	(void)e;
	for (size_t i = 0; i < s->nbundles; i++) {
		struct bundle_store *b = &s->bundles[i];

		if (!b->exists)
			continue;
		if ((x = store_push(&out, store_bundles.name, b->show)) == NULL)
			return -1;
		x->present = bundle_set_matches(&b->view, ss->name, &ss->cas) && ss->cas.n > 0;
		x->verified = store_verify_all(x509_of(b), &ss->cas, x->why, sizeof(x->why));
	}
	return 0;
}

/* The set's blocks in the first bundle that has them. */
static void cas_of(struct scan *s, const char *set, struct cert_list *out)
{
	for (size_t i = 0; i < s->nbundles && out->n == 0; i++)
		for (size_t k = 0; k < s->bundles[i].view.n; k++) {
			const struct bblock *b = &s->bundles[i].view.blocks[k];

			if (!b->header && strcmp(b->set, set) == 0)
				store_parse_into(out, s->bundles[i].buf + b->pem, b->end - b->pem);
		}
}

static int verify(struct scan *s, const struct store_chain *c, struct verify_sink *out)
{
	for (size_t i = 0; i < s->nbundles; i++) {
		struct verify_result *v;

		if (!s->bundles[i].exists)
			continue;
		if ((v = store_push_result(out, store_bundles.name, s->bundles[i].show)) == NULL)
			return -1;
		v->ok = verify_chain(x509_of(&s->bundles[i]), c->leaf, c->untrusted, v->why, sizeof(v->why));
	}
	return 0;
}

static size_t count(const struct scan *s)
{
	return s->nbundles;
}

/* The directory of each bundle. */
static void dirs(const struct scan *s, store_dir_fn fn, void *ctx)
{
	char parent[PATH_MAX], *slash;

	for (size_t i = 0; i < s->nbundles; i++) {
		if (!s->bundles[i].exists)
			continue;
		snprintf(parent, sizeof(parent), "%s", s->bundles[i].p.canon);
		slash = strrchr(parent, '/');
		if (slash != NULL && slash != parent) {
			*slash = '\0';
			fn(ctx, parent);
		}
	}
}

static void release(struct scan *s)
{
	for (size_t i = 0; i < s->nbundles; i++) {
		bundle_view_free(&s->bundles[i].view);
		free(s->bundles[i].buf);
		X509_STORE_free(s->bundles[i].x509);
	}
	free(s->bundles);
}

const struct store_ops store_bundles = {
	.name = "bundle",
	.find = find,
	.list = list,
	.plan = plan,
	.inventory = inventory,
	.check = check,
	.cas_of = cas_of,
	.verify = verify,
	.count = count,
	.dirs = dirs,
	.free = release,
};
