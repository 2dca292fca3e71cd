/*
 * nss_sdb_file.c: an NSS database's two SQLite files (see nss_sdb.h):
 * the tenant's bytes loaded into a private in-memory SQLite that refuses
 * what could hurt (defensive mode, no triggers or views, an
 * integrity_check first), a new database created as NSS 3.87 would, and the files saved
 * back as bytes for the engine's transaction.
 */
#include "nss_sdb_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSS_SQL_HEAP (256LL * 1024 * 1024)

/* The columns of a database NSS 3.87 creates (its known attributes). */
static const unsigned long known_attrs[] = {
	0x0, 0x1, 0x2, 0x3, 0x10, 0x11, 0x12, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a,
	0x8b, 0x90, 0x100, 0x101, 0x102, 0x103, 0x104, 0x105, 0x106, 0x107, 0x108, 0x109, 0x10a, 0x10b, 0x10c,
	0x110, 0x111, 0x120, 0x121, 0x122, 0x123, 0x124, 0x125, 0x126, 0x127, 0x128, 0x129, 0x130, 0x131, 0x132,
	0x133, 0x134, 0x160, 0x161, 0x162, 0x163, 0x164, 0x165, 0x166, 0x170, 0x180, 0x181, 0x200, 0x201, 0x202,
	0x210, 0x300, 0x301, 0x302, 0x400, 0x401, 0x402, 0x403, 0x404, 0x405, 0x406, 0x480, 0x481, 0x482, 0x500,
	0x501, 0x502, 0x503, 0x40000211, 0x40000212, 0x80000001, 0xce534351, 0xce534352, 0xce534353, 0xce534354,
	0xce534355, 0xce534356, 0xce534357, 0xce534358, 0xce534364, 0xce534365, 0xce534366, 0xce534367, 0xce534368,
	0xce534369, 0xce534373, 0xce534374, 0xce536351, 0xce536352, 0xce536353, 0xce536354, 0xce536355, 0xce536356,
	0xce536357, 0xce536358, 0xce536359, 0xce53635a, 0xce53635b, 0xce53635c, 0xce53635d, 0xce53635e, 0xce53635f,
	0xce536360, 0xce5363b4, 0xce5363b5, 0xd5a0db00,
};

/* the columns cainit's objects use: a database lacking one gets it, as
 * NSS itself adds missing columns when it opens a database to write */
const unsigned long nss_used_attrs[] = {
	A_CLASS, A_TOKEN, A_PRIVATE, A_LABEL, A_VALUE, A_CERT_TYPE, A_ISSUER, A_SERIAL, A_SUBJECT, A_ID,
	A_MODIFIABLE, A_TRUST_SERVER, A_TRUST_CLIENT, A_TRUST_EMAIL, A_TRUST_CODE, A_TRUST_STEP_UP, A_CERT_SHA1,
	A_CERT_MD5,
};

const size_t nss_used_attrs_n = sizeof(nss_used_attrs) / sizeof(nss_used_attrs[0]);

int nss_set_why(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -1;
}

int nss_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* ---- opening the tenant's bytes safely ---- */

static sqlite3 *open_memory(void)
{
	sqlite3 *db = NULL;

	sqlite3_hard_heap_limit64(NSS_SQL_HEAP);
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	/* the database's own schema is never trusted: no triggers, no views,
	 * no functions with side effects, no writes to the schema itself */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, NSS_DB_MAX);
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 100000);
	sqlite3_limit(db, SQLITE_LIMIT_COLUMN, 2000);
	sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, 100);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	nss_exec(db, "PRAGMA cell_size_check=ON");
	return db;
}

/* SQLite's integrity_check, not its quick_check: the quick one does not
 * compare indexes with their tables, and a tenant's index that lacks a row
 * makes lookups by it miss (metaData's: a trust MAC replaced but its stale
 * twin read back), so cainit would report trust it did not write. */
static bool integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st;
	bool ok = false;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &st, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		ok = t != NULL && strcmp((const char *)t, "ok") == 0;
	}
	sqlite3_finalize(st);
	return ok;
}

/* Is name a table (not a view or anything else) of db? */
bool nss_is_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	bool yes = false;

	if (sqlite3_prepare_v2(db, "SELECT type FROM sqlite_master WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		yes = t != NULL && strcmp((const char *)t, "table") == 0;
	}
	sqlite3_finalize(st);
	return yes;
}

static bool has_column(sqlite3 *db, const char *table, const char *col)
{
	char sql[128];
	sqlite3_stmt *st;
	bool yes = false;

	snprintf(sql, sizeof(sql), "SELECT 1 FROM pragma_table_info('%s') WHERE name = ?1", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, col, -1, SQLITE_STATIC);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

/* The bytes of one SQLite file as a private in-memory database. */
static sqlite3 *load_bytes(const void *buf, size_t len, const char *what, const char *table, char *why, size_t n)
{
	const unsigned char *h = buf;
	unsigned char *copy;
	sqlite3 *db;

	if (len < 100 || memcmp(h, "SQLite format 3", 16) != 0) {
		nss_set_why(why, n, "%s is not an SQLite database", what);
		return NULL;
	}
	if (h[18] == 2 || h[19] == 2) {
		nss_set_why(why, n, "%s is in WAL mode (NSS never writes that; in use by something else?)", what);
		return NULL;
	}
	if (len > NSS_DB_MAX) {
		nss_set_why(why, n, "%s is larger than %d MiB", what, NSS_DB_MAX >> 20);
		return NULL;
	}
	if ((db = open_memory()) == NULL) {
		nss_set_why(why, n, "%s: cannot open SQLite in memory", what);
		return NULL;
	}
	copy = sqlite3_malloc64(len);
	if (copy == NULL) {
		sqlite3_close(db);
		nss_set_why(why, n, "%s: out of memory", what);
		return NULL;
	}
	memcpy(copy, buf, len);
	if (sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
				SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) != SQLITE_OK) {
		sqlite3_close(db);
		nss_set_why(why, n, "%s does not load as an SQLite database", what);
		return NULL;
	}
	if (!integrity_ok(db)) {
		sqlite3_close(db);
		nss_set_why(why, n, "%s is damaged (SQLite's integrity_check fails)", what);
		return NULL;
	}
	if (!nss_is_table(db, table)) {
		sqlite3_close(db);
		nss_set_why(why, n, "%s has no %s table: not an NSS database", what, table);
		return NULL;
	}
	return db;
}

/* Add the columns cainit writes that an older NSS did not create. */
static int ensure_columns(sqlite3 *db, const char *table)
{
	char col[16], sql[128];
	size_t i;

	for (i = 0; i < nss_used_attrs_n; i++) {
		snprintf(col, sizeof(col), "a%lx", nss_used_attrs[i]);
		if (has_column(db, table, col))
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s", table, col);
		if (nss_exec(db, sql) != 0)
			return -1;
	}
	return 0;
}

/* The password entry of key4.db: (salt, entry); 0 when there is none. */
static int password_entry(sqlite3 *key, struct blob *salt, struct blob *entry, bool *found)
{
	sqlite3_stmt *st;
	int rc = 0;

	*found = false;
	if (!nss_is_table(key, "metaData"))
		return 0;
	if (sqlite3_prepare_v2(key, "SELECT item1, item2 FROM metaData WHERE id = 'password'", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const void *a = sqlite3_column_blob(st, 0), *b = sqlite3_column_blob(st, 1);
		int la = sqlite3_column_bytes(st, 0), lb = sqlite3_column_bytes(st, 1);

		salt->p = la > 0 ? malloc((size_t)la) : NULL;
		entry->p = lb > 0 ? malloc((size_t)lb) : NULL;
		if (la <= 0 || lb <= 0 || salt->p == NULL || entry->p == NULL) {
			rc = -1;
		} else {
			memcpy(salt->p, a, (size_t)la);
			memcpy(entry->p, b, (size_t)lb);
			salt->len = (size_t)la;
			entry->len = (size_t)lb;
			*found = true;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int nss_sdb_load(struct nss_sdb *d, const void *cert, size_t cert_len, const void *key, size_t key_len, char *why,
		 size_t n)
{
	struct blob salt = {0}, entry = {0};
	bool found;

	memset(d, 0, sizeof(*d));
	if ((d->cert = load_bytes(cert, cert_len, "cert9.db", "nssPublic", why, n)) == NULL)
		return -1;
	if (ensure_columns(d->cert, "nssPublic") != 0) {
		nss_sdb_close(d);
		return nss_set_why(why, n, "cert9.db: cannot add NSS's attribute columns");
	}
	if (key == NULL)
		return 0; /* NSS makes key4.db when it first opens the directory to write */
	if ((d->key = load_bytes(key, key_len, "key4.db", "nssPrivate", why, n)) == NULL) {
		nss_sdb_close(d);
		return -1;
	}
	if (password_entry(d->key, &salt, &entry, &found) != 0) {
		nss_sdb_close(d);
		free(salt.p);
		free(entry.p);
		return nss_set_why(why, n, "key4.db: its password entry cannot be read");
	}
	if (found) {
		int rc = nss_key4_open_empty(salt.p, salt.len, entry.p, entry.len, &d->pk, why, n);

		free(salt.p);
		free(entry.p);
		if (rc != 0) {
			nss_sdb_close(d);
			return -1;
		}
		d->signed_trust = true;
	}
	return 0;
}

static const char *create_sql(const char *table)
{
	static char sql[4096];
	size_t k, i;

	k = (size_t)snprintf(sql, sizeof(sql), "CREATE TABLE %s (id PRIMARY KEY UNIQUE ON CONFLICT ABORT", table);
	for (i = 0; i < sizeof(known_attrs) / sizeof(known_attrs[0]) && k < sizeof(sql); i++)
		k += (size_t)snprintf(sql + k, sizeof(sql) - k, ", a%lx", known_attrs[i]);
	if (k < sizeof(sql))
		snprintf(sql + k, sizeof(sql) - k, ")");
	return sql;
}

/* A table and its indexes, as NSS's sdb_init creates them. */
static int create_table(sqlite3 *db, const char *table)
{
	static const char *const idx[][2] = {{"issuer", "a81"}, {"subject", "a101"}, {"label", "a3"}, {"ckaid", "a102"}};
	char sql[160];
	size_t i;

	if (nss_exec(db, create_sql(table)) != 0)
		return -1;
	for (i = 0; i < 4; i++) {
		snprintf(sql, sizeof(sql), "CREATE INDEX %s ON %s (%s)", idx[i][0], table, idx[i][1]);
		if (nss_exec(db, sql) != 0)
			return -1;
	}
	return 0;
}

int nss_sdb_create(struct nss_sdb *d, char *why, size_t n)
{
	unsigned char salt[NSS_SALT_LEN], entry[NSS_ENTRY_LEN];
	sqlite3_stmt *st = NULL;
	bool ok;

	memset(d, 0, sizeof(*d));
	d->cert = open_memory();
	d->key = open_memory();
	ok = d->cert && d->key && create_table(d->cert, "nssPublic") == 0 && create_table(d->key, "nssPrivate") == 0 &&
	     nss_exec(d->key, "CREATE TABLE metaData (id PRIMARY KEY UNIQUE ON CONFLICT REPLACE, item1, item2)") == 0 &&
	     nss_key4_new_empty(salt, entry, &d->pk) == 0 &&
	     sqlite3_prepare_v2(d->key, "INSERT INTO metaData (id, item1, item2) VALUES ('password', ?1, ?2)", -1, &st,
				NULL) == SQLITE_OK &&
	     sqlite3_bind_blob(st, 1, salt, sizeof(salt), SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_blob(st, 2, entry, sizeof(entry), SQLITE_TRANSIENT) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	if (!ok) {
		nss_sdb_close(d);
		return nss_set_why(why, n, "cannot create an NSS database in memory");
	}
	d->signed_trust = true;
	d->cert_changed = d->key_changed = true;
	return 0;
}

void nss_sdb_close(struct nss_sdb *d)
{
	sqlite3_close(d->cert);
	sqlite3_close(d->key);
	OPENSSL_cleanse(&d->pk, sizeof(d->pk));
	memset(d, 0, sizeof(*d));
}

int nss_sdb_save(struct nss_sdb *d, bool key, unsigned char **buf, size_t *len)
{
	sqlite3 *db = key ? d->key : d->cert;
	sqlite3_int64 size = 0;
	unsigned char *p;

	*buf = NULL;
	*len = 0;
	if (db == NULL || (p = sqlite3_serialize(db, "main", &size, 0)) == NULL || size <= 0)
		return -1;
	*buf = malloc((size_t)size);
	if (*buf != NULL) {
		memcpy(*buf, p, (size_t)size);
		*len = (size_t)size;
	}
	sqlite3_free(p);
	return *buf ? 0 : -1;
}
