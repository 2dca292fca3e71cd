/*
 * plan.h: turning "set S must hold exactly these CAs" (or "S is gone") into
 * the operations of one transaction, store by store. A store that already
 * holds what is wanted gets no operation at all, so repeating an install
 * writes nothing.
 */
#ifndef CAINIT_PLAN_H
#define CAINIT_PLAN_H

#include "cert.h"
#include "cerr.h"
#include "scan.h"
#include "txn.h"

struct trust_report;

struct want {
	const char *set;               /* NULL (remove only): every set */
	const struct cert_list *certs; /* NULL: remove the set */
	struct trust_report *rep;      /* where stores left alone are reported */
};

#define OWNED_FILE_MAX (8 * 1024 * 1024)

int plan_bundles(struct scan *s, const struct want *w, struct txn *t, struct cerr *e);
int plan_anchors(struct scan *s, const struct want *w, struct txn *t, struct cerr *e);
int plan_hashed(struct scan *s, const struct want *w, struct txn *t, struct cerr *e);
/* Java keystores (scan_keystores first); one that cannot be edited is
 * reported in w->rep and left alone. */
int plan_keystores(struct scan *s, const struct want *w, struct txn *t, struct cerr *e);
int plan_set_file(struct scan *s, const struct want *w, struct txn *t, struct cerr *e);
/* /etc/cainit/ca.pem; *sets_left tells whether any set remains after w. */
int plan_ca_file(struct scan *s, const struct want *w, struct txn *t, bool *sets_left, struct cerr *e);
/* /etc/cainit/env and /etc/profile.d/cainit.sh: written while sets are
 * left, removed after. */
int plan_env_file(struct scan *s, bool sets_left, struct txn *t, struct cerr *e);
int plan_profile(struct scan *s, bool sets_left, struct txn *t, struct cerr *e);

/* /etc/cainit/dirs: the directories this change made, added to the ones
 * recorded before (plan_dirs.c). */
int plan_dirs_record(struct scan *s, struct txn *t, struct cerr *e);
/* After a change that left no set: the record goes, then every recorded
 * directory that is empty again, deepest first. */
void dirs_remove_made(struct scan *s);

/* Make dirfd/name hold exactly content (which the call consumes). */
int plan_ensure_file(struct txn *t, int dirfd, const char *name, const char *show,
		     struct rope *content, struct cerr *e);

/* The same, for a file the scan already read (cur; its buffer is borrowed). */
int plan_ensure_read(struct txn *t, int dirfd, const char *name, const char *show,
		     struct rope *content, const struct owned_read *cur, struct cerr *e);

/* Does an owned item of set `set` fall under w? */
bool want_covers(const struct want *w, const char *set);

#endif
