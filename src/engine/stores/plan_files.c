/*
 * plan_files.c: bundles, anchor directories and cainit's CA-only set files.
 * Bundles are edited block-wise (bytes outside cainit's blocks never move);
 * anchor and set files are whole files that cainit owns.
 */
#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool want_covers(const struct want *w, const char *set)
{
	return w->set == NULL || strcmp(w->set, set) == 0;
}

int plan_ensure_file(struct txn *t, int dirfd, const char *name, const char *show,
		     struct rope *content, struct cerr *e)
{
	struct stat st;
	char *old;
	size_t len;
	int rc;

	rc = rootfs_read_at(dirfd, name, show, OWNED_FILE_MAX, &old, &len, &st, e);
	if (rc != 0) {
		rope_free(content);
		return rc;
	}
	if (old != NULL && rope_equals(content, old, len)) {
		free(old);
		rope_free(content);
		return 0;
	}
	if (old != NULL && txn_keep(t, old) < 0)
		goto nomem;
	if (txn_write(t, dirfd, name, show, content, old ? &st : NULL, old, len, TXN_FAIL) < 0)
		goto nomem;
	return 0;
nomem:
	rope_free(content);
	return cerr_sys(e, show, "plan", ENOMEM);
}

int plan_ensure_read(struct txn *t, int dirfd, const char *name, const char *show,
		     struct rope *content, const struct owned_read *cur, struct cerr *e)
{
	int rc = 0;

	if (cur->exists && rope_equals(content, cur->buf, cur->len))
		rope_free(content);
	else if (txn_write(t, dirfd, name, show, content, cur->exists ? &cur->st : NULL, cur->buf,
			   cur->len, TXN_FAIL) < 0)
		rc = cerr_sys(e, show, "plan", ENOMEM);
	rope_free(content);
	return rc;
}

int plan_bundles(struct scan *s, const struct want *w, struct txn *t, struct cerr *e)
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

int plan_anchors(struct scan *s, const struct want *w, struct txn *t, struct cerr *e)
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

int plan_set_file(struct scan *s, const struct want *w, struct txn *t, struct cerr *e)
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
