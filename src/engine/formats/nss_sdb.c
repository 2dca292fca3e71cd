/*
 * nss_sdb.c: see nss_sdb.h. The layout is NSS's lib/softoken/sdb.c: one
 * table (nssPublic in cert9.db, nssPrivate in key4.db) with a column
 * "a<hex type>" per PKCS #11 attribute, every value a blob (CK_ULONGs as 4
 * bytes big endian, booleans as one byte, an empty value as the three
 * bytes a5 00 5a), and key4.db's metaData table holding the password
 * entry and the trust attributes' MACs.
 */
#include "nss_sdb.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystore.h"

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
static const unsigned long used_attrs[] = {
	A_CLASS, A_TOKEN, A_PRIVATE, A_LABEL, A_VALUE, A_CERT_TYPE, A_ISSUER, A_SERIAL, A_SUBJECT, A_ID,
	A_MODIFIABLE, A_TRUST_SERVER, A_TRUST_CLIENT, A_TRUST_EMAIL, A_TRUST_CODE, A_TRUST_STEP_UP, A_CERT_SHA1,
	A_CERT_MD5,
};

/* the trust attributes NSS authenticates (sftkdb_isAuthenticatedAttribute) */
static const unsigned long signed_attrs[] = {
	A_TRUST_SERVER, A_TRUST_CLIENT, A_TRUST_EMAIL, A_TRUST_CODE, A_TRUST_STEP_UP, A_CERT_SHA1, A_CERT_MD5,
};

static const unsigned char explicit_null[] = {0xa5, 0x00, 0x5a};

#define NSS_SQL_HEAP (256LL * 1024 * 1024)

struct blob {
	unsigned char *p;
	size_t len;
};

/* What NSS stores for one certificate of a set. */
struct nss_cert {
	char label[KEYSTORE_ALIAS_MAX];
	const struct cert *c;
	unsigned char *issuer, *serial, *subject;
	int issuer_len, serial_len, subject_len;
	unsigned char id[SHA_DIGEST_LENGTH], sha1[SHA_DIGEST_LENGTH], md5[16];
};

static void ulong_be(unsigned char out[4], unsigned long v)
{
	out[0] = (unsigned char)(v >> 24);
	out[1] = (unsigned char)(v >> 16);
	out[2] = (unsigned char)(v >> 8);
	out[3] = (unsigned char)v;
}

static int set_why(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int set_why(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -1;
}

static int exec(sqlite3 *db, const char *sql)
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
	exec(db, "PRAGMA cell_size_check=ON");
	return db;
}

static bool quick_check_ok(sqlite3 *db)
{
	sqlite3_stmt *st;
	bool ok = false;

	if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		ok = t != NULL && strcmp((const char *)t, "ok") == 0;
	}
	sqlite3_finalize(st);
	return ok;
}

/* Is name a table (not a view or anything else) of db? */
static bool is_table(sqlite3 *db, const char *name)
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
		set_why(why, n, "%s is not an SQLite database", what);
		return NULL;
	}
	if (h[18] == 2 || h[19] == 2) {
		set_why(why, n, "%s is in WAL mode (NSS never writes that; in use by something else?)", what);
		return NULL;
	}
	if (len > NSS_DB_MAX) {
		set_why(why, n, "%s is larger than %d MiB", what, NSS_DB_MAX >> 20);
		return NULL;
	}
	if ((db = open_memory()) == NULL) {
		set_why(why, n, "%s: cannot open SQLite in memory", what);
		return NULL;
	}
	copy = sqlite3_malloc64(len);
	if (copy == NULL) {
		sqlite3_close(db);
		set_why(why, n, "%s: out of memory", what);
		return NULL;
	}
	memcpy(copy, buf, len);
	if (sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
				SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) != SQLITE_OK) {
		sqlite3_close(db);
		set_why(why, n, "%s does not load as an SQLite database", what);
		return NULL;
	}
	if (!quick_check_ok(db)) {
		sqlite3_close(db);
		set_why(why, n, "%s is damaged (SQLite's quick_check fails)", what);
		return NULL;
	}
	if (!is_table(db, table)) {
		sqlite3_close(db);
		set_why(why, n, "%s has no %s table: not an NSS database", what, table);
		return NULL;
	}
	return db;
}

/* Add the columns cainit writes that an older NSS did not create. */
static int ensure_columns(sqlite3 *db, const char *table)
{
	char col[16], sql[128];
	size_t i;

	for (i = 0; i < sizeof(used_attrs) / sizeof(used_attrs[0]); i++) {
		snprintf(col, sizeof(col), "a%lx", used_attrs[i]);
		if (has_column(db, table, col))
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s", table, col);
		if (exec(db, sql) != 0)
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
	if (!is_table(key, "metaData"))
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
		return set_why(why, n, "cert9.db: cannot add NSS's attribute columns");
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
		return set_why(why, n, "key4.db: its password entry cannot be read");
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

	if (exec(db, create_sql(table)) != 0)
		return -1;
	for (i = 0; i < 4; i++) {
		snprintf(sql, sizeof(sql), "CREATE INDEX %s ON %s (%s)", idx[i][0], table, idx[i][1]);
		if (exec(db, sql) != 0)
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
	     exec(d->key, "CREATE TABLE metaData (id PRIMARY KEY UNIQUE ON CONFLICT REPLACE, item1, item2)") == 0 &&
	     nss_key4_new_empty(salt, entry, &d->pk) == 0 &&
	     sqlite3_prepare_v2(d->key, "INSERT INTO metaData (id, item1, item2) VALUES ('password', ?1, ?2)", -1, &st,
				NULL) == SQLITE_OK &&
	     sqlite3_bind_blob(st, 1, salt, sizeof(salt), SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_blob(st, 2, entry, sizeof(entry), SQLITE_TRANSIENT) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	if (!ok) {
		nss_sdb_close(d);
		return set_why(why, n, "cannot create an NSS database in memory");
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

/* ---- cainit's objects ---- */

static void free_nss_cert(struct nss_cert *x)
{
	OPENSSL_free(x->issuer);
	OPENSSL_free(x->serial);
	OPENSSL_free(x->subject);
	memset(x, 0, sizeof(*x));
}

/* NSS's CKA_ID for a certificate: SHA-1 of the public key's index value
 * (RSA's modulus, an EC or EdDSA point, DSA's y), the value itself when it
 * is no longer than a digest. */
/* The magnitude of the DER INTEGER at *p (of at most len bytes), with
 * leading zeros dropped; false when there is none. */
static bool integer_at(const unsigned char *p, long len, const unsigned char **val, size_t *vlen)
{
	long n;
	int tag, cls;

	if ((ASN1_get_object(&p, &n, &tag, &cls, len) & 0x80) != 0 || tag != V_ASN1_INTEGER || n <= 0)
		return false;
	while (n > 1 && p[0] == 0) {
		p++;
		n--;
	}
	*val = p;
	*vlen = (size_t)n;
	return true;
}

static void key_id(X509 *x, unsigned char out[SHA_DIGEST_LENGTH])
{
	const unsigned char *pk = NULL, *val, *q;
	X509_PUBKEY *xpk = X509_get_X509_PUBKEY(x);
	ASN1_OBJECT *alg = NULL;
	int pklen = 0, nid, tag, cls;
	size_t vlen;
	long n;

	memset(out, 0, SHA_DIGEST_LENGTH);
	if (xpk == NULL || X509_PUBKEY_get0_param(&alg, &pk, &pklen, NULL, xpk) != 1 || pk == NULL || pklen <= 0)
		return;
	val = pk;
	vlen = (size_t)pklen;
	nid = OBJ_obj2nid(alg);
	q = pk;
	if (nid == NID_rsaEncryption || nid == NID_rsassaPss) {
		/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, exponent INTEGER } */
		if ((ASN1_get_object(&q, &n, &tag, &cls, pklen) & 0x80) == 0 && tag == V_ASN1_SEQUENCE)
			integer_at(q, n, &val, &vlen);
	} else if (nid == NID_dsa) {
		integer_at(q, pklen, &val, &vlen); /* y */
	}
	if (vlen <= SHA_DIGEST_LENGTH)
		memcpy(out, val, vlen);
	else
		SHA1(val, vlen, out);
}

static int make_nss_cert(struct nss_cert *x, const char *set, struct cert *c)
{
	X509 *x509 = cert_x509(c);
	unsigned int mdlen = 16;

	memset(x, 0, sizeof(*x));
	if (x509 == NULL)
		return -1;
	keystore_alias(x->label, set, c->sha256);
	x->c = c;
	x->issuer_len = i2d_X509_NAME(X509_get_issuer_name(x509), &x->issuer);
	x->subject_len = i2d_X509_NAME(X509_get_subject_name(x509), &x->subject);
	x->serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(x509), &x->serial);
	key_id(x509, x->id);
	SHA1(c->der, c->der_len, x->sha1);
	if (x->issuer_len <= 0 || x->subject_len <= 0 || x->serial_len <= 0 ||
	    EVP_Digest(c->der, c->der_len, x->md5, &mdlen, EVP_md5(), NULL) != 1) {
		free_nss_cert(x);
		return -1;
	}
	return 0;
}

/* One row of nssPublic as far as cainit looks at it. */
struct row {
	long long id;
	unsigned long cls;
	struct blob label, value, issuer, serial, server, sha1;
	bool ours;
	char set[SET_NAME_MAX + 1];
	unsigned char sha256[32];
	bool keep;
};

static bool is_explicit_null(const void *p, int len)
{
	return len == 3 && memcmp(p, explicit_null, 3) == 0;
}

static int copy_col(sqlite3_stmt *st, int i, struct blob *b)
{
	const void *p = sqlite3_column_blob(st, i);
	int len = sqlite3_column_bytes(st, i);

	b->p = NULL;
	b->len = 0;
	if (p == NULL || len <= 0 || is_explicit_null(p, len))
		return 0;
	if ((b->p = malloc((size_t)len)) == NULL)
		return -1;
	memcpy(b->p, p, (size_t)len);
	b->len = (size_t)len;
	return 0;
}

static void free_rows(struct row *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].label.p);
		free(v[i].value.p);
		free(v[i].issuer.p);
		free(v[i].serial.p);
		free(v[i].server.p);
		free(v[i].sha1.p);
	}
	free(v);
}

static unsigned long blob_ulong(const struct blob *b)
{
	if (b->len != 4)
		return ~0UL;
	return (unsigned long)b->p[0] << 24 | (unsigned long)b->p[1] << 16 | (unsigned long)b->p[2] << 8 | b->p[3];
}

/* Every certificate and NSS trust object of the database. */
static int read_rows(sqlite3 *db, struct row **out, size_t *nout)
{
	static const char sql[] = "SELECT id, a0, a3, a11, a81, a82, ace536358, ace5363b4 FROM nssPublic"
				  " WHERE a0 = x'00000001' OR a0 = x'ce534353'";
	struct row *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*nout = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct blob cls = {0};
		struct row *r;

		if (n == cap) {
			struct row *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*nv));

			if (nv == NULL)
				break;
			v = nv;
		}
		r = &v[n++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		if (copy_col(st, 1, &cls) != 0 || copy_col(st, 2, &r->label) != 0 || copy_col(st, 3, &r->value) != 0 ||
		    copy_col(st, 4, &r->issuer) != 0 || copy_col(st, 5, &r->serial) != 0 ||
		    copy_col(st, 6, &r->server) != 0 || copy_col(st, 7, &r->sha1) != 0) {
			free(cls.p);
			break;
		}
		r->cls = blob_ulong(&cls);
		free(cls.p);
		if (r->cls == CKO_CERTIFICATE && r->label.len > 0 && r->label.len < KEYSTORE_ALIAS_MAX) {
			struct keystore_entry e = {0};

			memcpy(e.alias, r->label.p, r->label.len);
			keystore_classify(&e);
			r->ours = e.ours;
			if (e.ours) {
				memcpy(r->set, e.set, sizeof(r->set));
				memcpy(r->sha256, e.sha256, 32);
			}
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free_rows(v, n);
		return -1;
	}
	*out = v;
	*nout = n;
	return 0;
}

static bool same_blob(const struct blob *a, const void *p, size_t len)
{
	return a->len == len && memcmp(a->p, p, len) == 0;
}

static bool same_issuer_serial(const struct row *a, const struct row *b)
{
	return a->issuer.len > 0 && same_blob(&a->issuer, b->issuer.p, b->issuer.len) &&
	       same_blob(&a->serial, b->serial.p, b->serial.len);
}

/* Do the trust attributes of trust row t carry MACs that check? */
static bool sigs_ok(struct nss_sdb *d, sqlite3_int64 id)
{
	static const char sql[] = "SELECT item1 FROM metaData WHERE id = ?1";
	sqlite3_stmt *st, *val;
	bool ok = true;
	size_t i;

	if (!d->signed_trust)
		return true;
	if (sqlite3_prepare_v2(d->key, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_prepare_v2(d->cert,
			       "SELECT ace536358, ace536359, ace53635a, ace53635b, ace536360, ace5363b4, ace5363b5"
			       " FROM nssPublic WHERE id = ?1",
			       -1, &val, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return false;
	}
	sqlite3_bind_int64(val, 1, id);
	if (sqlite3_step(val) != SQLITE_ROW)
		ok = false;
	for (i = 0; ok && i < sizeof(signed_attrs) / sizeof(signed_attrs[0]); i++) {
		char name[40];

		snprintf(name, sizeof(name), "sig_cert_%08llx_%08lx", (unsigned long long)id, signed_attrs[i]);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		ok = sqlite3_step(st) == SQLITE_ROW &&
		     nss_key4_verify(&d->pk, (unsigned long)id, signed_attrs[i], sqlite3_column_blob(val, (int)i),
				     (size_t)sqlite3_column_bytes(val, (int)i), sqlite3_column_blob(st, 0),
				     (size_t)sqlite3_column_bytes(st, 0));
	}
	sqlite3_finalize(st);
	sqlite3_finalize(val);
	return ok;
}

/* Is cert row c (ours) trusted as cainit makes it: a trust object for it
 * with TLS server trust as a CA, its hash, and MACs that check? */
static bool trust_ok(struct nss_sdb *d, const struct row *v, size_t n, const struct row *c)
{
	unsigned char sha1[SHA_DIGEST_LENGTH];
	unsigned char want[4];

	SHA1(c->value.p, c->value.len, sha1);
	ulong_be(want, CKT_TRUSTED_DELEGATOR);
	for (size_t i = 0; i < n; i++)
		if (v[i].cls == CKO_NSS_TRUST && same_issuer_serial(&v[i], c) && same_blob(&v[i].server, want, 4) &&
		    same_blob(&v[i].sha1, sha1, sizeof(sha1)) && sigs_ok(d, v[i].id))
			return true;
	return false;
}

static bool covers(const char *set, const struct row *r)
{
	return r->ours && (set == NULL || strcmp(set, r->set) == 0);
}

static int delete_object(struct nss_sdb *d, sqlite3_int64 id)
{
	sqlite3_stmt *st;
	char pattern[40];
	int ok;

	if (sqlite3_prepare_v2(d->cert, "DELETE FROM nssPublic WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	ok = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	if (!ok)
		return -1;
	d->cert_changed = true;
	if (d->key == NULL || !is_table(d->key, "metaData"))
		return 0;
	snprintf(pattern, sizeof(pattern), "sig_cert_%08llx_%%", (unsigned long long)id);
	if (sqlite3_prepare_v2(d->key, "DELETE FROM metaData WHERE id LIKE ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, pattern, -1, SQLITE_TRANSIENT);
	ok = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	if (ok && sqlite3_changes(d->key) > 0)
		d->key_changed = true;
	return ok ? 0 : -1;
}

/* A new object id: 30 bits, never 0, not in use (as NSS picks them). */
static sqlite3_int64 new_id(struct nss_sdb *d)
{
	sqlite3_stmt *st;
	sqlite3_int64 id = 0;

	if (sqlite3_prepare_v2(d->cert, "SELECT 1 FROM nssPublic WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return 0;
	for (int tries = 0; tries < 64 && id == 0; tries++) {
		unsigned char r[4];

		if (RAND_bytes(r, 4) != 1)
			break;
		id = (sqlite3_int64)(((unsigned long)r[0] << 24 | (unsigned long)r[1] << 16 | (unsigned long)r[2] << 8 | r[3]) &
				     0x3fffffffUL);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		if (id != 0 && sqlite3_step(st) == SQLITE_ROW)
			id = 0;
	}
	sqlite3_finalize(st);
	return id;
}

struct attr {
	unsigned long type;
	const void *p;
	size_t len;
};

static int insert(sqlite3 *db, sqlite3_int64 id, const struct attr *a, size_t n)
{
	char sql[1024];
	size_t k, i;
	sqlite3_stmt *st;
	bool ok;

	k = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO nssPublic (id");
	for (i = 0; i < n; i++)
		k += (size_t)snprintf(sql + k, sizeof(sql) - k, ", a%lx", a[i].type);
	k += (size_t)snprintf(sql + k, sizeof(sql) - k, ") VALUES (?1");
	for (i = 0; i < n; i++)
		k += (size_t)snprintf(sql + k, sizeof(sql) - k, ", ?%zu", i + 2);
	snprintf(sql + k, sizeof(sql) - k, ")");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	for (i = 0; i < n; i++)
		sqlite3_bind_blob(st, (int)i + 2, a[i].p, (int)a[i].len, SQLITE_STATIC);
	ok = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

static int put_sig(struct nss_sdb *d, sqlite3_int64 id, const struct attr *a)
{
	unsigned char sig[NSS_SIG_LEN];
	char name[40];
	sqlite3_stmt *st;
	bool ok;

	if (nss_key4_sign(&d->pk, (unsigned long)id, a->type, a->p, a->len, sig) != 0)
		return -1;
	snprintf(name, sizeof(name), "sig_cert_%08llx_%08lx", (unsigned long long)id, a->type);
	if (sqlite3_prepare_v2(d->key, "INSERT INTO metaData (id, item1) VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, sig, sizeof(sig), SQLITE_TRANSIENT);
	ok = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	d->key_changed = true;
	return ok ? 0 : -1;
}

/* The trust object certutil -t "C,," makes, signed when the database
 * signs trust. */
static int add_trust(struct nss_sdb *d, const struct nss_cert *x)
{
	unsigned char cls[4], server[4], client[4], unknown[4];
	const unsigned char yes = 1, no = 0;
	sqlite3_int64 id = new_id(d);
	struct attr a[] = {
		{A_CLASS, cls, 4}, {A_TOKEN, &yes, 1}, {A_PRIVATE, &no, 1}, {A_LABEL, explicit_null, 3},
		{A_ISSUER, x->issuer, (size_t)x->issuer_len}, {A_SERIAL, x->serial, (size_t)x->serial_len},
		{A_MODIFIABLE, &yes, 1}, {A_TRUST_SERVER, server, 4}, {A_TRUST_CLIENT, client, 4},
		{A_TRUST_EMAIL, unknown, 4}, {A_TRUST_CODE, unknown, 4}, {A_TRUST_STEP_UP, &no, 1},
		{A_CERT_SHA1, x->sha1, sizeof(x->sha1)}, {A_CERT_MD5, x->md5, sizeof(x->md5)},
	};
	size_t i;

	if (id == 0)
		return -1;
	ulong_be(cls, CKO_NSS_TRUST);
	ulong_be(server, CKT_TRUSTED_DELEGATOR);
	ulong_be(client, CKT_MUST_VERIFY_TRUST);
	ulong_be(unknown, CKT_TRUST_UNKNOWN);
	if (insert(d->cert, id, a, sizeof(a) / sizeof(a[0])) != 0)
		return -1;
	d->cert_changed = true;
	for (i = 0; d->signed_trust && i < sizeof(a) / sizeof(a[0]); i++) {
		for (size_t k = 0; k < sizeof(signed_attrs) / sizeof(signed_attrs[0]); k++)
			if (a[i].type == signed_attrs[k] && put_sig(d, id, &a[i]) != 0)
				return -1;
	}
	return 0;
}

static int add_cert(struct nss_sdb *d, const struct nss_cert *x)
{
	unsigned char cls[4], type[4];
	const unsigned char yes = 1, no = 0;
	sqlite3_int64 id = new_id(d);
	struct attr a[] = {
		{A_CLASS, cls, 4}, {A_TOKEN, &yes, 1}, {A_PRIVATE, &no, 1},
		{A_LABEL, x->label, strlen(x->label)}, {A_VALUE, x->c->der, x->c->der_len}, {A_CERT_TYPE, type, 4},
		{A_ISSUER, x->issuer, (size_t)x->issuer_len}, {A_SERIAL, x->serial, (size_t)x->serial_len},
		{A_SUBJECT, x->subject, (size_t)x->subject_len}, {A_ID, x->id, sizeof(x->id)}, {A_MODIFIABLE, &yes, 1},
	};

	if (id == 0)
		return -1;
	ulong_be(cls, CKO_CERTIFICATE);
	ulong_be(type, CKC_X_509);
	if (insert(d->cert, id, a, sizeof(a) / sizeof(a[0])) != 0)
		return -1;
	d->cert_changed = true;
	return add_trust(d, x);
}

/* Drop row r (ours) and the trust objects no other certificate shares. */
static int drop(struct nss_sdb *d, struct row *v, size_t n, struct row *r)
{
	size_t i, k;

	if (delete_object(d, r->id) != 0)
		return -1;
	r->keep = false;
	for (i = 0; i < n; i++) {
		bool shared = false;

		if (v[i].cls != CKO_NSS_TRUST || !same_issuer_serial(&v[i], r))
			continue;
		for (k = 0; k < n && !shared; k++)
			shared = v[k].cls == CKO_CERTIFICATE && v[k].keep && same_issuer_serial(&v[k], r);
		if (!shared && v[i].keep && delete_object(d, v[i].id) != 0)
			return -1;
		if (!shared)
			v[i].keep = false;
	}
	return 0;
}

int nss_sdb_apply(struct nss_sdb *d, const char *set, const struct cert_list *certs, char *why, size_t n)
{
	struct row *v = NULL;
	size_t nv = 0, i, k;
	int rc = -1;

	if (read_rows(d->cert, &v, &nv) != 0)
		return set_why(why, n, "cert9.db: cannot read its objects");
	for (i = 0; i < nv; i++)
		v[i].keep = true;
	/* what goes: ours, not wanted, or wanted but no longer trusted */
	for (i = 0; i < nv; i++) {
		bool wanted = false;

		if (v[i].cls != CKO_CERTIFICATE || !covers(set, &v[i]))
			continue;
		for (k = 0; certs && k < certs->n && !wanted; k++)
			wanted = memcmp(certs->v[k].sha256, v[i].sha256, 32) == 0 &&
				 same_blob(&v[i].value, certs->v[k].der, certs->v[k].der_len);
		if (wanted && trust_ok(d, v, nv, &v[i]))
			continue;
		if (drop(d, v, nv, &v[i]) != 0)
			goto out;
	}
	/* what comes: each wanted CA not already there (under any label) */
	for (k = 0; certs && k < certs->n; k++) {
		struct nss_cert x;
		bool there = false;

		for (i = 0; i < nv && !there; i++)
			there = v[i].keep && v[i].cls == CKO_CERTIFICATE &&
				same_blob(&v[i].value, certs->v[k].der, certs->v[k].der_len);
		if (there)
			continue;
		if (make_nss_cert(&x, set, &certs->v[k]) != 0)
			goto out;
		rc = add_cert(d, &x);
		free_nss_cert(&x);
		if (rc != 0) {
			rc = -1;
			goto out;
		}
	}
	rc = 0;
out:
	free_rows(v, nv);
	if (rc != 0)
		set_why(why, n, "cannot write its objects: %s", sqlite3_errmsg(d->cert));
	return rc;
}

bool nss_sdb_holds(struct nss_sdb *d, const char *set, const struct cert_list *certs)
{
	struct row *v = NULL;
	size_t nv = 0, i, k, found = 0;
	bool ok = true;

	if (read_rows(d->cert, &v, &nv) != 0)
		return false;
	for (i = 0; i < nv && ok; i++) {
		if (v[i].cls != CKO_CERTIFICATE || !covers(set, &v[i]))
			continue;
		ok = false;
		for (k = 0; k < certs->n && !ok; k++)
			ok = same_blob(&v[i].value, certs->v[k].der, certs->v[k].der_len);
		ok = ok && trust_ok(d, v, nv, &v[i]);
		found++;
	}
	free_rows(v, nv);
	return ok && found == certs->n;
}

size_t nss_sdb_count(struct nss_sdb *d, const char *set)
{
	struct row *v = NULL;
	size_t nv = 0, i, found = 0;

	if (read_rows(d->cert, &v, &nv) != 0)
		return 0;
	for (i = 0; i < nv; i++)
		found += v[i].cls == CKO_CERTIFICATE && covers(set, &v[i]);
	free_rows(v, nv);
	return found;
}
