/*
 * anchors.c: the anchor room. The directory each layout's regenerator
 * reads (/usr/local/share/ca-certificates, /etc/pki/ca-trust/source/anchors,
 * ...) gets one whole file per set, cainit.SET.crt, that cainit owns: the
 * distro's own tools (update-ca-certificates, update-ca-trust) then keep
 * the set when they rebuild the other stores.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_anchor(struct scan *s, const struct layout *l, unsigned flags, struct cerr *e)
{
	char name[NAME_MAX + 1], show[ENTRY_SHOW_MAX];
	struct anchor_store a, *na;
	size_t i;

	memset(&a, 0, sizeof(a));
	if (rootfs_resolve(s->r, l->anchor_dir, RP_DIR | ((flags & SCAN_CREATE) ? RP_MKDIRS : 0), &a.p, e) != 0)
		return CAINIT_EOPS;
	if (!a.p.exists)
		return 0;
	for (i = 0; i < s->nanchors; i++)
		if (strcmp(s->anchors[i].p.canon, a.p.canon) == 0)
			return 0;
	rootfs_show(s->r, a.p.canon, a.show, sizeof(a.show));
	a.layout = l;
	a.exists = true;
	if (s->set != NULL) {
		name_anchor(name, s->set);
		snprintf(show, sizeof(show), "%s/%s", a.show, name);
		if (scan_read_owned(a.p.dirfd, name, show, &a.mine, e) != 0)
			return CAINIT_EOPS;
	}
	na = realloc(s->anchors, (s->nanchors + 1) * sizeof(*na));
	if (na == NULL) {
		free(a.mine.buf);
		return cerr_sys(e, a.show, "scan", ENOMEM);
	}
	s->anchors = na;
	s->anchors[s->nanchors++] = a;
	return 0;
}

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	int rc;

	if ((rc = scan_layouts(s, e)) != 0)
		return rc;
	for (size_t i = 0; i < s->nlayouts; i++)
		if ((rc = add_anchor(s, s->layouts[i], o->flags, e)) != 0)
			return rc;
	for (size_t i = 0; i < s->nanchors; i++)
		if (scan_note_blocks(s, s->anchors[i].mine.buf, s->anchors[i].mine.len) < 0)
			return cerr_sys(e, s->anchors[i].show, "scan", ENOMEM);
	return 0;
}

static int anchor_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct anchor_store *a = ctx;
	struct owned_file f;

	if (scan_parse_set_name_file(name, "cainit.", ".crt", &f) && scan_entry_type(dirfd, name, type) == DT_REG)
		return scan_push_owned(&a->files, &a->nfiles, &f);
	return 0;
}

/* Every set's anchor file, and the CAs each names. */
static int list(struct scan *s, bool clean, struct cerr *e)
{
	int rc;

	for (size_t i = 0; i < s->nanchors; i++) {
		struct anchor_store *a = &s->anchors[i];

		if ((rc = scan_list_dir(a->p.dirfd, a->show, anchor_entry, a, clean, e)) != 0 ||
		    (rc = scan_note_files(s, a->p.dirfd, a->show, a->files, a->nfiles, e)) != 0)
			return rc;
	}
	return 0;
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	char name[NAME_MAX + 1], show[ENTRY_SHOW_MAX];
	size_t i, k;
	int rc;

	for (i = 0; i < s->nanchors; i++) {
		struct anchor_store *a = &s->anchors[i];

		if (w->certs == NULL) {
			for (k = 0; k < a->nfiles; k++) {
				if (!want_covers(w, a->files[k].set))
					continue;
				snprintf(show, sizeof(show), "%s/%s", a->show, a->files[k].name);
				if (txn_unlink(t, a->p.dirfd, a->files[k].name, show) < 0)
					return cerr_sys(e, show, "plan", ENOMEM);
			}
			continue;
		}
		{
			struct rope r;

			rope_init(&r);
			name_anchor(name, w->set);
			snprintf(show, sizeof(show), "%s/%s", a->show, name);
			if (bundle_render(w->set, w->certs, &r) < 0) {
				rope_free(&r);
				return cerr_sys(e, show, "plan", ENOMEM);
			}
			if ((rc = plan_ensure_read(t, a->p.dirfd, name, show, &r, &a->mine, e)) != 0)
				return rc;
		}
	}
	return 0;
}

static int inventory(struct scan *s, struct store_sink *out)
{
	struct status_store *x;

	for (size_t i = 0; i < s->nanchors; i++) {
		if ((x = store_push(out, store_anchors.name, s->anchors[i].show)) == NULL)
			return -1;
		x->layout = s->anchors[i].layout->name;
	}
	return 0;
}

static int check(struct scan *s, struct status_set *ss, struct cerr *e)
{
	struct store_sink out = {&ss->stores, &ss->nstores};
	char show[ENTRY_SHOW_MAX], name[NAME_MAX + 1];
	struct status_store *x;

	(void)e;
	name_anchor(name, ss->name);
	for (size_t i = 0; i < s->nanchors; i++) {
		snprintf(show, sizeof(show), "%s/%s", s->anchors[i].show, name);
		if ((x = store_push(&out, store_anchors.name, show)) == NULL)
			return -1;
		x->layout = s->anchors[i].layout->name;
		x->present = store_file_holds(s->anchors[i].p.dirfd, name, ss->name, &ss->cas);
	}
	return 0;
}

static void cas_of(struct scan *s, const char *set, struct cert_list *out)
{
	char name[NAME_MAX + 1], *buf;
	struct stat st;
	struct cerr e;
	size_t len;

	name_anchor(name, set);
	for (size_t i = 0; i < s->nanchors && out->n == 0; i++)
		if (rootfs_read_at(s->anchors[i].p.dirfd, name, name, OWNED_FILE_MAX, &buf, &len, &st, &e) == 0 && buf) {
			store_parse_into(out, buf, len);
			free(buf);
		}
}

static void names(const struct scan *s, store_name_fn fn, void *ctx)
{
	for (size_t i = 0; i < s->nanchors; i++)
		for (size_t k = 0; k < s->anchors[i].nfiles; k++)
			fn(ctx, s->anchors[i].files[k].set);
}

static size_t count(const struct scan *s)
{
	return s->nanchors;
}

static void dirs(const struct scan *s, store_dir_fn fn, void *ctx)
{
	for (size_t i = 0; i < s->nanchors; i++)
		fn(ctx, s->anchors[i].p.canon);
}

static void release(struct scan *s)
{
	for (size_t i = 0; i < s->nanchors; i++) {
		free(s->anchors[i].files);
		free(s->anchors[i].mine.buf);
	}
	free(s->anchors);
}

const struct store_ops store_anchors = {
	.name = "anchor",
	.find = find,
	.list = list,
	.plan = plan,
	.inventory = inventory,
	.check = check,
	.cas_of = cas_of,
	.names = names,
	.count = count,
	.dirs = dirs,
	.free = release,
};
