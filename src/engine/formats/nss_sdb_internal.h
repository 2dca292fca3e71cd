/*
 * nss_sdb_internal.h: what the two halves of nss_sdb share (nss_sdb_file.c:
 * loading, creating and saving the SQLite files; nss_sdb.c: cainit's
 * objects in them): PKCS #11 constants, the attribute columns, blobs.
 * Private to those two files.
 */
#ifndef CAINIT_NSS_SDB_INTERNAL_H
#define CAINIT_NSS_SDB_INTERNAL_H

#include <sqlite3.h>

#include "nss_sdb.h"

#define CKO_CERTIFICATE 0x1UL
#define CKO_NSS_TRUST 0xce534353UL
#define CKC_X_509 0x0UL
#define CKT_TRUSTED_DELEGATOR 0xce534352UL
#define CKT_MUST_VERIFY_TRUST 0xce53435bUL
#define CKT_TRUST_UNKNOWN 0xce534353UL

/* the attributes cainit reads or writes (CKA_*) */
enum {
	A_CLASS = 0x0, A_TOKEN = 0x1, A_PRIVATE = 0x2, A_LABEL = 0x3, A_VALUE = 0x11, A_CERT_TYPE = 0x80,
	A_ISSUER = 0x81, A_SERIAL = 0x82, A_SUBJECT = 0x101, A_ID = 0x102, A_MODIFIABLE = 0x170,
};
#define A_TRUST_SERVER 0xce536358UL
#define A_TRUST_CLIENT 0xce536359UL
#define A_TRUST_EMAIL 0xce53635aUL
#define A_TRUST_CODE 0xce53635bUL
#define A_TRUST_STEP_UP 0xce536360UL
#define A_CERT_SHA1 0xce5363b4UL
#define A_CERT_MD5 0xce5363b5UL

/* the columns cainit's objects use: a database lacking one gets it, as
 * NSS itself adds missing columns when it opens a database to write */
extern const unsigned long nss_used_attrs[];
extern const size_t nss_used_attrs_n;

struct blob {
	unsigned char *p;
	size_t len;
};

/* Put the formatted reason in why; returns -1. */
int nss_set_why(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Does db have this table? */
bool nss_is_table(sqlite3 *db, const char *name);
/* Run sql on db: 0 or -1. */
int nss_exec(sqlite3 *db, const char *sql);

#endif
