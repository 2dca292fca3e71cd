/*
 * bundles.c: the bundle room. PEM bundles (each layout's real bundle, the
 * paths that link to it, the others TLS clients probe), each real file
 * once; a root with none gets cainit's own at FALLBACK_BUNDLE. A bundle is
 * edited block-wise (bundle_files.c, shared with the Python room).
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_files.h"

#define FILES(s) (&(struct bundle_files){&(s)->bundles, &(s)->nbundles})

static int add_bundle(struct scan *s, const char *path, struct cerr *e)
{
	struct rpath p;

	if (rootfs_resolve(s->r, path, 0, &p, e) != 0)
		return CAINIT_EOPS;
	if (!p.exists || !S_ISREG(p.st.st_mode))
		return 0;
	return bundle_files_add(s, FILES(s), &p, e);
}

/* add_bundle, unless path was probed already in this find (the layouts
 * share aliases: /etc/ssl/cert.pem is three layouts', Debian's bundle
 * Arch's alias); past SEEN_MAX paths, every path is probed. */
#define SEEN_MAX 32

struct probed {
	const char *v[SEEN_MAX];
	size_t n;
};

static int probe_once(struct scan *s, struct probed *seen, const char *path, struct cerr *e)
{
	for (size_t k = 0; k < seen->n; k++)
		if (seen->v[k] == path || strcmp(seen->v[k], path) == 0)
			return 0;
	if (seen->n < SEEN_MAX)
		seen->v[seen->n++] = path;
	return add_bundle(s, path, e);
}

/* Every known bundle path; none real (distroless, scratch): cainit's own
 * bundle at the Debian path. */
static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	struct bundle_store b, *nb;
	bool any_real = false;
	size_t i, k;
	struct probed seen = {.n = 0};
	int rc;

	for (i = 0; i < n_layouts; i++) {
		if ((rc = probe_once(s, &seen, layouts[i].bundle, e)) != 0)
			return rc;
		for (k = 0; layouts[i].aliases[k]; k++)
			if ((rc = probe_once(s, &seen, layouts[i].aliases[k], e)) != 0)
				return rc;
	}
	for (k = 0; extra_bundles[k]; k++)
		if ((rc = probe_once(s, &seen, extra_bundles[k], e)) != 0)
			return rc;
	for (i = 0; i < s->nbundles; i++)
		any_real = any_real || !s->bundles[i].view.created;
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
	if (clean)
		bundle_files_clean(FILES(s));
	return 0;
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	return bundle_files_plan(FILES(s), w, t, e);
}

static int inventory(struct scan *s, struct store_sink *out)
{
	return bundle_files_inventory(FILES(s), store_bundles.name, out);
}

static int check(struct scan *s, struct status_set *ss, struct cerr *e)
{
	(void)e;
	return bundle_files_check(FILES(s), store_bundles.name, ss);
}

static void cas_of(struct scan *s, const char *set, struct cert_list *out)
{
	bundle_files_cas_of(FILES(s), set, out);
}

static int verify(struct scan *s, const struct store_chain *c, struct verify_sink *out)
{
	return bundle_files_verify(FILES(s), store_bundles.name, c, out);
}

static size_t count(const struct scan *s)
{
	return s->nbundles;
}

static void dirs(const struct scan *s, store_dir_fn fn, void *ctx)
{
	bundle_files_dirs(s->bundles, s->nbundles, fn, ctx);
}

static void release(struct scan *s)
{
	bundle_files_free(FILES(s));
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
