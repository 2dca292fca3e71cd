/*
 * nss.h: NSS databases as a store of the engine (Chromium's ~/.pki/nssdb,
 * Firefox profiles, /etc/pki/nssdb), written natively (nss_sdb.h): no
 * program from the root ever runs, and images without certutil are served
 * like any other.
 *
 * Databases are found only when asked (`--nss`: /etc/pki/nssdb, each
 * /etc/passwd home's .pki/nssdb and Firefox profiles;
 * `--nss-user USER` first creates USER's ~/.pki/nssdb). Every database
 * cainit has written is recorded in /etc/cainit/nss, one directory per
 * line, before its first change, so that later changes of a set (a
 * rotation by /init, `remove` without --nss, the recovery of a killed run)
 * reach exactly those databases and no other. A database's two files are
 * replaced by the same transaction as every other store.
 */
#ifndef CAINIT_NSS_H
#define CAINIT_NSS_H

#include <stdbool.h>

#include "cerr.h"
#include "scan.h"

struct trust_report;
struct txn;
struct want;

/* Read the recorded databases and, with discover, find the root's others
 * (create_user: make that user's ~/.pki/nssdb first when it has none).
 * A database that cannot be read is kept as bad, with why, never fatal. */
int scan_nss(struct scan *s, bool discover, const char *create_user, bool clean, struct trust_report *rep,
	     struct cerr *e);
void nss_stores_free(struct scan *s);

/* The change of w in every database that takes part: all of them for an
 * install with discovery, otherwise those that hold the set. */
int plan_nss(struct scan *s, const struct want *w, struct txn *t, struct cerr *e);

#endif
