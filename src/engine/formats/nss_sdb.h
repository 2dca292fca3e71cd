/*
 * nss_sdb.h: one NSS database (cert9.db and key4.db, NSS's "sql:" format,
 * what Chromium and Firefox read) edited in memory, natively: no certutil,
 * nothing from the root ever runs.
 *
 * The bytes of both files are loaded into private in-memory SQLite
 * databases (SQLite's defensive mode, no triggers, views or untrusted
 * schema, an integrity_check first: the files are the tenant's, not ours),
 * changed there, and serialized again for the engine to write through its
 * own transaction (temp file, rename), so a database is never half
 * written and nothing outside the root is ever opened by SQLite.
 *
 * cainit's certificates are NSS objects labelled "cainit.SET.SHA256HEX"
 * (the keystore alias), each with an NSS trust object making it a CA for
 * TLS servers ("C,," in certutil's terms), written exactly as certutil
 * writes them, the trust attributes signed in key4.db as NSS requires
 * when the database's password is empty. A database with a password, or
 * whose key database uses a scheme NSS no longer writes, is left alone.
 */
#ifndef CAINIT_NSS_SDB_H
#define CAINIT_NSS_SDB_H

#include <stdbool.h>
#include <stddef.h>

#include "cert.h"
#include "nss_key4.h"

#define NSS_DB_MAX (64 * 1024 * 1024)
#define NSS_WHY_MAX 192

struct sqlite3;

struct nss_sdb {
	struct sqlite3 *cert;   /* cert9.db */
	struct sqlite3 *key;    /* key4.db; NULL when the directory has none */
	bool signed_trust;      /* key4.db has an (empty) password: trust attributes carry MACs */
	struct nss_passkey pk;
	bool cert_changed, key_changed;
};

/* Load a database from the bytes of its files (key NULL: no key4.db).
 * -1 with why when it is not one cainit may edit. */
int nss_sdb_load(struct nss_sdb *d, const void *cert, size_t cert_len, const void *key, size_t key_len, char *why,
		 size_t n);

/* A new, empty database with an empty password, as `certutil -N
 * --empty-password` makes one. */
int nss_sdb_create(struct nss_sdb *d, char *why, size_t n);

/* Make set hold exactly certs (certs NULL: drop set; set NULL and certs
 * NULL: drop every set). A CA the database already holds under another
 * label is the owner's, and left as it is. */
int nss_sdb_apply(struct nss_sdb *d, const char *set, const struct cert_list *certs, char *why, size_t n);

/* Does set hold exactly certs, each with working trust? */
bool nss_sdb_holds(struct nss_sdb *d, const char *set, const struct cert_list *certs);

/* How many of cainit's certificates the database holds for set (NULL: any). */
size_t nss_sdb_count(struct nss_sdb *d, const char *set);

/* The serialized bytes of cert9.db (key false) or key4.db (key true),
 * malloc'd. */
int nss_sdb_save(struct nss_sdb *d, bool key, unsigned char **buf, size_t *len);

void nss_sdb_close(struct nss_sdb *d);

#endif
