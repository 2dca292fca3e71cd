/*
 * bundle_files.c: what the rooms that keep PEM bundles share (see
 * bundle_files.h): reading a bundle once, planning its block edit,
 * and saying for status and verify what it holds.
 */
#include "bundle_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "verify.h"

bool bundle_files_has(const struct bundle_files *l, const char *canon)
{
	for (size_t i = 0; i < *l->n; i++)
		if (strcmp((*l->v)[i].p.canon, canon) == 0)
			return true;
	return false;
}

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

int bundle_files_add(struct scan *s, struct bundle_files *l, const struct rpath *p, struct cerr *e)
{
	struct bundle_store b, *nb;

	if (bundle_files_has(l, p->canon))
		return 0; /* each real file once */
	memset(&b, 0, sizeof(b));
	b.p = *p;
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
	nb = realloc(*l->v, (*l->n + 1) * sizeof(*nb));
	if (nb == NULL || scan_note_view(s, &b.view) < 0) {
		if (nb != NULL)
			*l->v = nb;
		bundle_view_free(&b.view);
		free(b.buf);
		return cerr_sys(e, b.show, "scan", ENOMEM);
	}
	*l->v = nb;
	(*l->v)[(*l->n)++] = b;
	return 0;
}

int bundle_files_plan(struct bundle_files *l, struct want *w, struct txn *t, struct cerr *e)
{
	for (size_t i = 0; i < *l->n; i++) {
		struct bundle_store *b = &(*l->v)[i];
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
			rc = txn_write(t, b->p.dirfd, b->p.base, b->show, &r, b->exists ? &b->p.st : NULL, b->buf,
				       b->len, TXN_IN_PLACE);
		rope_free(&r);
		if (rc < 0)
			return cerr_sys(e, b->show, "plan", ENOMEM);
	}
	return 0;
}

int bundle_files_inventory(struct bundle_files *l, const char *kind, struct store_sink *out)
{
	for (size_t i = 0; i < *l->n; i++)
		if ((*l->v)[i].exists && store_push(out, kind, (*l->v)[i].show) == NULL)
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

int bundle_files_check(struct bundle_files *l, const char *kind, struct status_set *ss)
{
	struct store_sink out = {&ss->stores, &ss->nstores};
	struct status_store *x;

	for (size_t i = 0; i < *l->n; i++) {
		struct bundle_store *b = &(*l->v)[i];

		if (!b->exists)
			continue;
		if ((x = store_push(&out, kind, b->show)) == NULL)
			return -1;
		x->present = bundle_set_matches(&b->view, ss->name, &ss->cas) && ss->cas.n > 0;
		x->verified = store_verify_all(x509_of(b), &ss->cas, x->why, sizeof(x->why));
	}
	return 0;
}

/* The set's blocks in the first bundle that has them. */
void bundle_files_cas_of(struct bundle_files *l, const char *set, struct cert_list *out)
{
	for (size_t i = 0; i < *l->n && out->n == 0; i++) {
		const struct bundle_store *b = &(*l->v)[i];

		for (size_t k = 0; k < b->view.n; k++)
			if (!b->view.blocks[k].header && strcmp(b->view.blocks[k].set, set) == 0)
				store_parse_into(out, b->buf + b->view.blocks[k].pem,
						 b->view.blocks[k].end - b->view.blocks[k].pem);
	}
}

int bundle_files_verify(struct bundle_files *l, const char *kind, const struct store_chain *c,
			struct verify_sink *out)
{
	for (size_t i = 0; i < *l->n; i++) {
		struct verify_result *v;

		if (!(*l->v)[i].exists)
			continue;
		if ((v = store_push_result(out, kind, (*l->v)[i].show)) == NULL)
			return -1;
		v->ok = verify_chain(x509_of(&(*l->v)[i]), c->leaf, c->untrusted, v->why, sizeof(v->why));
	}
	return 0;
}

void bundle_files_dirs(const struct bundle_store *v, size_t n, store_dir_fn fn, void *ctx)
{
	char parent[PATH_MAX], *slash;

	for (size_t i = 0; i < n; i++) {
		if (!v[i].exists)
			continue;
		snprintf(parent, sizeof(parent), "%s", v[i].p.canon);
		slash = strrchr(parent, '/');
		if (slash != NULL && slash != parent) {
			*slash = '\0';
			fn(ctx, parent);
		}
	}
}

/* A killed run's temp file beside each bundle. */
void bundle_files_clean(struct bundle_files *l)
{
	for (size_t i = 0; i < *l->n; i++)
		scan_clean_temp((*l->v)[i].p.dirfd, (*l->v)[i].p.base);
}

void bundle_files_free(struct bundle_files *l)
{
	for (size_t i = 0; i < *l->n; i++) {
		bundle_view_free(&(*l->v)[i].view);
		free((*l->v)[i].buf);
		X509_STORE_free((*l->v)[i].x509);
	}
	free(*l->v);
	*l->v = NULL;
	*l->n = 0;
}
