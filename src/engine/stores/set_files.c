/*
 * set_files.c: the record room. Each set's CA-only file,
 * /etc/cainit/sets/SET.pem, is written (or removed) last of a change: it
 * is the record of the last change that finished, what a recovery brings
 * every other store back to, and what `trust_records` and the agent read.
 * Its row is the last of store_table.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	char name[NAME_MAX + 1], show[ENTRY_SHOW_MAX];

	if (rootfs_resolve(s->r, CAINIT_SET_DIR, RP_DIR | ((o->flags & SCAN_CREATE) ? RP_MKDIRS : 0), &s->setdir, e) !=
	    0)
		return CAINIT_EOPS;
	rootfs_show(s->r, CAINIT_SET_DIR, s->setdir_show, sizeof(s->setdir_show));
	s->setdir_exists = s->setdir.exists;
	if (!s->setdir_exists || s->set == NULL)
		return 0;
	name_set_file(name, s->set);
	snprintf(show, sizeof(show), "%s/%s", s->setdir_show, name);
	if (scan_read_owned(s->setdir.dirfd, name, show, &s->set_file, e) != 0)
		return CAINIT_EOPS;
	if (scan_note_blocks(s, s->set_file.buf, s->set_file.len) < 0)
		return cerr_sys(e, s->setdir_show, "scan", ENOMEM);
	return 0;
}

static int setdir_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct scan *s = ctx;
	struct owned_file f;

	if (scan_parse_set_name_file(name, "", ".pem", &f) && scan_entry_type(dirfd, name, type) == DT_REG)
		return scan_push_owned(&s->setfiles, &s->nsetfiles, &f);
	return 0;
}

/* Every set's record, and the CAs each names. */
static int list(struct scan *s, bool clean, struct cerr *e)
{
	int rc;

	if (!s->setdir_exists)
		return 0;
	if ((rc = scan_list_dir(s->setdir.dirfd, s->setdir_show, setdir_entry, s, clean, e)) != 0)
		return rc;
	return scan_note_files(s, s->setdir.dirfd, s->setdir_show, s->setfiles, s->nsetfiles, e);
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	char name[NAME_MAX + 1], show[ENTRY_SHOW_MAX];
	struct rope r;
	size_t k;

	if (!s->setdir_exists)
		return 0;
	if (w->certs == NULL) {
		/* (remove scans are deep: every set file is listed) */
		for (k = 0; k < s->nsetfiles; k++) {
			if (!want_covers(w, s->setfiles[k].set))
				continue;
			snprintf(show, sizeof(show), "%s/%s", s->setdir_show, s->setfiles[k].name);
			if (txn_unlink(t, s->setdir.dirfd, s->setfiles[k].name, show) < 0)
				return cerr_sys(e, show, "plan", ENOMEM);
		}
		return 0;
	}
	rope_init(&r);
	name_set_file(name, w->set);
	snprintf(show, sizeof(show), "%s/%s", s->setdir_show, name);
	if (bundle_render(w->set, w->certs, &r) < 0) {
		rope_free(&r);
		return cerr_sys(e, show, "plan", ENOMEM);
	}
	return plan_ensure_read(t, s->setdir.dirfd, name, show, &r, &s->set_file, e);
}

static int inventory(struct scan *s, struct store_sink *out)
{
	if (s->setdir_exists && store_push(out, store_set_files.name, s->setdir_show) == NULL)
		return -1;
	return 0;
}

static int check(struct scan *s, struct status_set *ss, struct cerr *e)
{
	struct store_sink out = {&ss->stores, &ss->nstores};
	char show[ENTRY_SHOW_MAX], name[NAME_MAX + 1];
	struct status_store *x;

	(void)e;
	if (!s->setdir_exists)
		return 0;
	name_set_file(name, ss->name);
	snprintf(show, sizeof(show), "%s/%s", s->setdir_show, name);
	if ((x = store_push(&out, store_set_files.name, show)) == NULL)
		return -1;
	x->present = store_file_holds(s->setdir.dirfd, name, ss->name, &ss->cas);
	return 0;
}

static void cas_of(struct scan *s, const char *set, struct cert_list *out)
{
	char name[NAME_MAX + 1], *buf;
	struct stat st;
	struct cerr e;
	size_t len;

	if (!s->setdir_exists)
		return;
	name_set_file(name, set);
	if (rootfs_read_at(s->setdir.dirfd, name, name, OWNED_FILE_MAX, &buf, &len, &st, &e) == 0 && buf) {
		store_parse_into(out, buf, len);
		free(buf);
	}
}

static void names(const struct scan *s, store_name_fn fn, void *ctx)
{
	for (size_t i = 0; i < s->nsetfiles; i++)
		fn(ctx, s->setfiles[i].set);
}

static size_t count(const struct scan *s)
{
	return s->setdir_exists ? 1 : 0;
}

static void release(struct scan *s)
{
	free(s->setfiles);
	free(s->set_file.buf);
}

const struct store_ops store_set_files = {
	.name = "ca-file",
	.find = find,
	.list = list,
	.plan = plan,
	.inventory = inventory,
	.check = check,
	.cas_of = cas_of,
	.names = names,
	.count = count,
	.free = release,
};
