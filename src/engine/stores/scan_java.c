/*
 * scan_java.c: finding Java's keystores under a root. The distros' own
 * `cacerts`, then every JDK or JRE under /usr/lib/jvm and /opt (and
 * JAVA_HOME when given), through the same confined resolution as every
 * other store: a JDK's cacerts that links to the distro's file is the same
 * real file, read and edited once.
 */
#include "scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_keystore(struct scan *s, const char *path, bool clean, struct cerr *e)
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
	if (clean)
		scan_clean_temp(k.p.dirfd, k.p.base);
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

/* home/REL for each place a JDK keeps its cacerts. */
static int add_java_home(struct scan *s, const char *home, bool clean, struct cerr *e)
{
	char path[PATH_MAX];
	size_t i;
	int rc;

	for (i = 0; java_home_keystores[i]; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", home, java_home_keystores[i]) >= sizeof(path))
			continue;
		if ((rc = add_keystore(s, path, clean, e)) != 0)
			return rc;
	}
	return 0;
}

struct homes_ctx {
	struct scan *s;
	const char *parent; /* canonical, inside the root */
	bool clean;
	struct cerr *e;
};

static int home_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct homes_ctx *h = ctx;
	char path[PATH_MAX];

	(void)dirfd;
	(void)type; /* (a symlink to a JDK counts: it resolves to the same file, read once) */
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", h->parent, name) >= sizeof(path))
		return 0;
	return add_java_home(h->s, path, h->clean, h->e);
}

/* Every directory entry of parent, as a possible JDK. */
static int add_java_homes(struct scan *s, const char *parent, bool clean, struct cerr *e)
{
	char show[SHOW_MAX];
	struct rpath p;
	struct cerr ignored;
	struct homes_ctx h = {s, p.canon, clean, e};

	if (rootfs_resolve(s->r, parent, RP_DIR, &p, &ignored) != 0 || !p.exists)
		return 0;
	rootfs_show(s->r, p.canon, show, sizeof(show));
	return scan_list_dir(p.dirfd, show, home_entry, &h, false, e);
}

int scan_keystores(struct scan *s, const char *java_home, bool clean, struct cerr *e)
{
	size_t i;
	int rc;

	for (i = 0; java_keystores[i]; i++)
		if ((rc = add_keystore(s, java_keystores[i], clean, e)) != 0)
			return rc;
	for (i = 0; java_home_parents[i]; i++)
		if ((rc = add_java_homes(s, java_home_parents[i], clean, e)) != 0)
			return rc;
	if (java_home != NULL && java_home[0] != '\0')
		return add_java_home(s, java_home, clean, e);
	return 0;
}
