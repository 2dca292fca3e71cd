/*
 * store.c: the table of rooms, and what they share for status and verify.
 *
 * The table's order is the order of everything: rooms find their stores
 * in it (the bundles first: they tell which layouts a root has), list
 * them, and plan the change in it, which is the order the transaction
 * commits. The runtime row comes before the start paths and the directory
 * record (it says whether any set is left; the start paths may make
 * directories the record keeps), and the set files' row is last: a set's
 * CA-only file is the record of a change that finished.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passwd.h"
#include "prefault.h"
#include "verify.h"

const struct store_ops *const store_table[] = {
	&store_bundles,   /* stores/bundles.c */
	&store_python,    /* stores/python.c: certifi's and the like (after the bundles: links to theirs are theirs) */
	&store_anchors,   /* stores/anchors.c */
	&store_hashed,    /* stores/hashed.c */
	&store_keystores, /* stores/keystores.c (with SCAN_KEYSTORES) */
	&store_nss,       /* stores/nss.c (with SCAN_NSS) */
	&store_runtime,   /* stores/runtime.c: ca.pem, env, profile.d */
	&store_start_paths, /* stores/start_paths.c: /etc/environment, systemd, bashrc */
	&store_python_site, /* stores/python_site.c: each Python's sitecustomize (after python: its finds) */
	&store_pip_conf,  /* stores/pip_conf.c: /etc/pip.conf's cert, where the root has a Python */
	&store_npm_conf,  /* stores/npm_conf.c: each Node's PREFIX/etc/npmrc cafile, /etc/npmrc */
	&store_conda_rc,  /* stores/conda_rc.c: each conda prefix's .condarc ssl_verify */
	&store_bunfig,    /* stores/bunfig.c: the homes' ~/.bunfig.toml [install] cafile, where the root has Bun */
	&store_merged,    /* stores/merged.c: /etc/cainit/merged-NAME.pem */
	&store_made_dirs, /* made_dirs.c: /etc/cainit/dirs */
	&store_set_files, /* stores/set_files.c: the record, last */
};
const size_t store_table_len = sizeof(store_table) / sizeof(store_table[0]);

struct status_store *store_push(struct store_sink *out, const char *kind, const char *path)
{
	struct status_store *nv = realloc(*out->v, (*out->n + 1) * sizeof(**out->v));

	if (nv == NULL)
		return NULL;
	*out->v = nv;
	memset(&nv[*out->n], 0, sizeof(nv[*out->n]));
	nv[*out->n].kind = kind;
	nv[*out->n].verified = -1;
	snprintf(nv[*out->n].path, sizeof(nv[*out->n].path), "%s", path);
	return &nv[(*out->n)++];
}

struct verify_result *store_push_result(struct verify_sink *out, const char *kind, const char *path)
{
	struct verify_result *v;

	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 8;

		if ((v = realloc(out->v, cap * sizeof(*v))) == NULL)
			return NULL;
		out->v = v;
		out->cap = cap;
	}
	v = &out->v[out->n++];
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	snprintf(v->path, sizeof(v->path), "%s", path);
	return v;
}

bool store_file_holds(int dirfd, const char *name, const char *set, const struct cert_list *certs)
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

/* Append src's certificates that dst lacks. */
static int merge(struct cert_list *dst, struct cert_list *src)
{
	for (size_t i = 0; i < src->n; i++) {
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

void store_parse_into(struct cert_list *dst, const char *buf, size_t len)
{
	struct cert_list l;
	struct cerr e;

	if (cert_list_parse((const unsigned char *)buf, len, "store", &l, &e) == 0 && merge(dst, &l) < 0)
		cert_list_free(&l);
}

int store_verify_all(X509_STORE *store, const struct cert_list *cas, char *why, size_t n)
{
	for (size_t i = 0; i < cas->n; i++)
		if (!verify_chain(store, cert_x509(&cas->v[i]), NULL, why, n))
			return 0;
	return 1;
}

/* ---- the walk (scan_root, scan_set_names, scan_free: scan.h) ---- */

static bool row_wanted(const struct store_ops *row, unsigned flags)
{
	return row->scan_flag == 0 || (flags & row->scan_flag);
}

int scan_root_opts(struct rootfs *r, const struct scan_opts *o, const char *set, struct scan *s, struct cerr *e)
{
	size_t i;
	int rc;

	prefault_heap(); /* (a one-shot command's heap, now that it is needed: prefault.h) */
	memset(s, 0, sizeof(*s));
	s->r = r;
	s->set = set;
	s->paths_only = o->flags & SCAN_PATHS;
	/* (the directories pinned so far are kept: whoever removed or mounted
	 * over one since dropped them, rootfs.h; the lock, the mark and the
	 * sweep of held sets have just resolved /etc/cainit) */
	if ((rc = scan_find_own(s, o->flags, e)) != 0)
		return rc;
	for (i = 0; i < store_table_len; i++)
		if (row_wanted(store_table[i], o->flags) && (rc = store_table[i]->find(s, o, e)) != 0)
			return rc;
	s->deep = (o->flags & SCAN_DEEP) || set == NULL || s->interrupted;
	for (i = 0; i < s->nknown && !s->deep; i++)
		s->deep = !s->known[i].has_hash; /* a record too old to name its files */
	if (s->paths_only)
		s->deep = false;
	for (i = 0; i < store_table_len && s->deep; i++)
		if (row_wanted(store_table[i], o->flags) && store_table[i]->list != NULL &&
		    (rc = store_table[i]->list(s, o->flags & SCAN_CLEAN_TEMPS, e)) != 0)
			return rc;
	return 0;
}

int scan_root(struct rootfs *r, unsigned flags, const char *set, struct scan *s, struct cerr *e)
{
	const struct scan_opts o = {.flags = flags};

	return scan_root_opts(r, &o, set, s, e);
}

struct names {
	const char **out;
	size_t n, max;
	const char *only;
};

static void note_name(void *ctx, const char *name)
{
	struct names *x = ctx;
	size_t i;

	if ((x->only != NULL && strcmp(x->only, name) != 0) || x->n == x->max)
		return;
	for (i = 0; i < x->n; i++)
		if (strcmp(x->out[i], name) == 0)
			return;
	x->out[x->n++] = name;
}

/* The record's row (the last) first, then the CAs the blocks name, then
 * the other rows in table order. */
size_t scan_set_names(const struct scan *s, const char *only, const char **out, size_t max)
{
	struct names x = {out, 0, max, only};
	const struct store_ops *last = store_table[store_table_len - 1];
	size_t i;

	if (last->names != NULL)
		last->names(s, note_name, &x);
	for (i = 0; i < s->nknown; i++)
		note_name(&x, s->known[i].set);
	for (i = 0; i + 1 < store_table_len; i++)
		if (store_table[i]->names != NULL)
			store_table[i]->names(s, note_name, &x);
	return x.n;
}

void scan_free(struct scan *s)
{
	for (size_t i = 0; i < store_table_len; i++)
		if (store_table[i]->free != NULL)
			store_table[i]->free(s);
	free(s->known);
	free(s->passwd);
	scan_listings_free(s);
	memset(s, 0, sizeof(*s));
}

const char *scan_passwd(struct scan *s, size_t *len)
{
	if (!s->passwd_tried) {
		s->passwd = passwd_read(s->r, &s->passwd_len);
		s->passwd_tried = true;
	}
	*len = s->passwd_len;
	return s->passwd;
}
