/*
 * plan.h: turning "set S must hold exactly these CAs" (or "S is gone") into
 * the operations of one transaction, store by store (each row's plan, see
 * store.h). A store that already
 * holds what is wanted gets no operation at all, so repeating an install
 * writes nothing.
 */
#ifndef CAINIT_PLAN_H
#define CAINIT_PLAN_H

#include "cerr.h"
#include "cert.h"
#include "scan.h"
#include "txn.h"

struct trust_report;

struct want {
	const char *set;               /* NULL (remove only): every set */
	const struct cert_list *certs; /* NULL: remove the set */
	struct trust_report *rep;      /* where stores left alone are reported */
	bool sets_left;                /* set by the runtime row's plan: does any
					* set remain after this change? */
	bool prepare;                  /* trust_prepare: no set, but the runtime
					* files and start paths as if one were coming */
	bool beside_sets;              /* TRUST_HOLD (doctor's canary): also every
					* store the other sets are in (the NSS
					* databases recorded for them), as their CAs */
};

#define OWNED_FILE_MAX (8 * 1024 * 1024)

/* After a change that left no set: the record goes, then every recorded
 * directory that is empty again, deepest first (made_dirs.c). */
void dirs_remove_made(struct scan *s);

/* Make dirfd/name hold exactly content (which the call consumes). */
int plan_ensure_file(struct txn *t, int dirfd, const char *name, const char *show,
		     struct rope *content, struct cerr *e);

/* The same, for a file the scan already read (cur; its buffer is borrowed). */
int plan_ensure_read(struct txn *t, int dirfd, const char *name, const char *show,
		     struct rope *content, const struct owned_read *cur, struct cerr *e);

/* Plan cainit's block in someone else's text file (text_block.h) at
 * dirfd/name, read by the scan as cur: the block holds lines (NULL: no
 * block; the file goes if cainit created it and nothing else is left), a
 * new one going at offset at (SIZE_MAX: the end). A block cut short or
 * doubled is reported in w->rep and left as it is. */
int plan_text_block(struct txn *t, struct want *w, int dirfd, const char *name, const char *show,
		    const struct owned_read *cur, const char *what, const char *lines, size_t at, struct cerr *e);
/* The same; a file it creates belongs to uid:gid (a dotfile in a home). */
int plan_text_block_owned(struct txn *t, struct want *w, int dirfd, const char *name, const char *show,
			  const struct owned_read *cur, const char *what, const char *lines, size_t at, uid_t uid,
			  gid_t gid, struct cerr *e);

/* Does an owned item of set `set` fall under w? */
bool want_covers(const struct want *w, const char *set);

#endif
