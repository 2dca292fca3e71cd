/*
 * bundle_files.h: lists of PEM bundle files that rooms edit block-wise,
 * the distro's bundles (stores/bundles.c) and the bundles that Python
 * packages ship (stores/python.c). Each real file is in a list once; its
 * bytes outside cainit's marked blocks never move (bundle.c), and one that
 * cannot be renamed over (a bind-mounted file) is rewritten in place. The
 * rooms decide which files; this file does what is the same for all.
 */
#ifndef CAINIT_BUNDLE_FILES_H
#define CAINIT_BUNDLE_FILES_H

#include "store.h"

struct bundle_files {
	struct bundle_store **v;
	size_t *n;
};

/* Is canon (a path inside the root) in the list? */
bool bundle_files_has(const struct bundle_files *l, const char *canon);

/* Add the regular file p (already resolved) unless its real file is in the
 * list: read it (only its first line on a paths-only scan) and note its
 * blocks' CAs in s->known. */
int bundle_files_add(struct scan *s, struct bundle_files *l, const struct rpath *p, struct cerr *e);

/* The store operations over every file of the list (store.h), each store
 * named kind. */
int bundle_files_plan(struct bundle_files *l, struct want *w, struct txn *t, struct cerr *e);
int bundle_files_inventory(struct bundle_files *l, const char *kind, struct store_sink *out);
int bundle_files_check(struct bundle_files *l, const char *kind, struct status_set *ss);
void bundle_files_cas_of(struct bundle_files *l, const char *set, struct cert_list *out);
int bundle_files_verify(struct bundle_files *l, const char *kind, const struct store_chain *c,
			struct verify_sink *out);
/* The directory of each of the n bundles of v. */
void bundle_files_dirs(const struct bundle_store *v, size_t n, store_dir_fn fn, void *ctx);
void bundle_files_clean(struct bundle_files *l);
void bundle_files_free(struct bundle_files *l);

#endif
