/*
 * nss_sdb.c: see nss_sdb.h; cainit's objects in a loaded database (the
 * files themselves: nss_sdb_file.c). The layout is NSS's lib/softoken/sdb.c: one
 * table (nssPublic in cert9.db, nssPrivate in key4.db) with a column
 * "a<hex type>" per PKCS #11 attribute, every value a blob (CK_ULONGs as 4
 * bytes big endian, booleans as one byte, an empty value as the three
 * bytes a5 00 5a), and key4.db's metaData table holding the password
 * entry and the trust attributes' MACs.
 */
#include "nss_sdb_internal.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystore.h"

/* the trust attributes NSS authenticates (sftkdb_isAuthenticatedAttribute) */
static const unsigned long signed_attrs[] = {
	A_TRUST_SERVER, A_TRUST_CLIENT, A_TRUST_EMAIL, A_TRUST_CODE, A_TRUST_STEP_UP, A_CERT_SHA1, A_CERT_MD5,
};

static const unsigned char explicit_null[] = {0xa5, 0x00, 0x5a};

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
	if (d->key == NULL || !nss_is_table(d->key, "metaData"))
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
		return nss_set_why(why, n, "cert9.db: cannot read its objects");
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
		nss_set_why(why, n, "cannot write its objects: %s", sqlite3_errmsg(d->cert));
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
