/*
 * nss.h: NSS databases (Chromium's ~/.pki/nssdb, Firefox profiles,
 * /etc/pki/nssdb), changed through the root's own `certutil` (Debian:
 * libnss3-tools), run inside the root as the database's owner. NSS keeps
 * its databases in SQLite, whose own transactions make each change atomic;
 * they are not part of cainit's file transaction.
 *
 * Nicknames are the keystore aliases (keystore.h): "cainit.SET.SHA256HEX".
 * Nothing here ever fails an install: a missing certutil or database, or a
 * certutil that fails, is a warning in the report.
 */
#ifndef CAINIT_NSS_H
#define CAINIT_NSS_H

#include "cert.h"
#include "rootfs.h"
#include "trust.h"

#define NSS_TRUST "C,," /* a CA trusted to issue TLS server certificates */

/* Make every database under the root hold exactly certs as set (certs
 * NULL: drop set; set NULL: every set). create_user: first create that
 * user's ~/.pki/nssdb when it has none. */
void nss_apply(struct rootfs *r, const char *set, const struct cert_list *certs, const char *create_user,
	       struct trust_report *rep);

#endif
