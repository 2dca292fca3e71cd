/*
 * cert.c: reading user-supplied certificates and refusing what a trust store
 * must never hold. Everything a store later needs (fingerprint, subject hash,
 * canonical PEM) is computed here once, with libcrypto, in-process.
 *
 * Certificates are decoded with libcrypto's ASN.1 engine through a template
 * of their own (below) rather than d2i_X509: the structure is checked just
 * as strictly, but the public key is kept as opaque DER. OpenSSL 3.0's
 * d2i_X509 decodes every key through its provider decoders, which costs
 * about 1.2 ms on first use; cainit never needs the key to install a CA.
 * A full X509 is decoded only for verification (cert_x509).
 *
 * For the same reason the digests here are libcrypto's low-level SHA-256
 * and SHA-1: the first EVP digest fetch makes OpenSSL 3 load its default
 * provider's whole algorithm table (about 0.7 ms), more than everything
 * else an install does. The subject hash therefore computes the name's
 * canonical encoding itself (name_hash, tested against X509_NAME_hash_ex).
 */
/* the low-level SHA-1/SHA-256 calls: no provider needed (see below) */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "cert.h"
#include "digest.h"

#include <openssl/asn1t.h>
#include <openssl/sha.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pem.h"

/* RFC 5280's SubjectPublicKeyInfo, its structure checked as d2i_X509's
 * is (an algorithm and a BIT STRING that fill it exactly), the key itself
 * left undecoded. */
typedef struct {
	X509_ALGOR *algor;
	ASN1_BIT_STRING *key;
} CAINIT_SPKI;

/* RFC 5280's Certificate, with the public key left undecoded. */
typedef struct {
	ASN1_INTEGER *version;
	ASN1_INTEGER *serial;
	X509_ALGOR *signature;
	X509_NAME *issuer;
	X509_VAL *validity;
	X509_NAME *subject;
	CAINIT_SPKI *spki;
	ASN1_BIT_STRING *issuer_uid;
	ASN1_BIT_STRING *subject_uid;
	STACK_OF(X509_EXTENSION) *extensions;
	ASN1_ENCODING enc;    /* its bytes as read, as X509_CINF keeps them */
} CAINIT_TBS;

typedef struct {
	CAINIT_TBS *tbs;
	X509_ALGOR *sig_alg;
	ASN1_BIT_STRING *sig;
} CAINIT_CERT;

ASN1_SEQUENCE(CAINIT_SPKI) = {
	ASN1_SIMPLE(CAINIT_SPKI, algor, X509_ALGOR),
	ASN1_SIMPLE(CAINIT_SPKI, key, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(CAINIT_SPKI)

ASN1_SEQUENCE_enc(CAINIT_TBS, enc, NULL) = {
	ASN1_EXP_OPT(CAINIT_TBS, version, ASN1_INTEGER, 0),
	ASN1_SIMPLE(CAINIT_TBS, serial, ASN1_INTEGER),
	ASN1_SIMPLE(CAINIT_TBS, signature, X509_ALGOR),
	ASN1_SIMPLE(CAINIT_TBS, issuer, X509_NAME),
	ASN1_SIMPLE(CAINIT_TBS, validity, X509_VAL),
	ASN1_SIMPLE(CAINIT_TBS, subject, X509_NAME),
	ASN1_SIMPLE(CAINIT_TBS, spki, CAINIT_SPKI),
	ASN1_IMP_OPT(CAINIT_TBS, issuer_uid, ASN1_BIT_STRING, 1),
	ASN1_IMP_OPT(CAINIT_TBS, subject_uid, ASN1_BIT_STRING, 2),
	ASN1_EXP_SEQUENCE_OF_OPT(CAINIT_TBS, extensions, X509_EXTENSION, 3),
} static_ASN1_SEQUENCE_END_ref(CAINIT_TBS, CAINIT_TBS)

ASN1_SEQUENCE(CAINIT_CERT) = {
	ASN1_SIMPLE(CAINIT_CERT, tbs, CAINIT_TBS),
	ASN1_SIMPLE(CAINIT_CERT, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(CAINIT_CERT, sig, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(CAINIT_CERT)

/* Each extension at most once, basicConstraints and keyUsage decodable:
 * what libcrypto's EXFLAG_INVALID checks for the extensions cainit relies
 * on. A CA is basicConstraints CA:TRUE whose keyUsage, when present,
 * allows keyCertSign (RFC 5280 4.2.1.3: without it the key may not verify
 * certificate signatures, and verifiers refuse the chain). */
static int read_extensions(const STACK_OF(X509_EXTENSION) *exts, struct cert *c)
{
	BASIC_CONSTRAINTS *bc;
	ASN1_BIT_STRING *ku;
	int i, j, crit;

	c->is_ca = false;
	c->no_cert_sign = false;
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++)
		for (j = i + 1; j < sk_X509_EXTENSION_num(exts); j++)
			if (OBJ_cmp(X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, i)),
				    X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, j))) == 0)
				return -1;
	bc = X509V3_get_d2i(exts, NID_basic_constraints, &crit, NULL);
	if (bc == NULL && crit != -1)
		return -1; /* present but undecodable */
	ku = X509V3_get_d2i(exts, NID_key_usage, &crit, NULL);
	if (ku == NULL && crit != -1) {
		BASIC_CONSTRAINTS_free(bc);
		return -1;
	}
	c->is_ca = bc != NULL && bc->ca;
	c->no_cert_sign = c->is_ca && ku != NULL && !ASN1_BIT_STRING_get_bit(ku, 5); /* keyCertSign */
	c->is_ca = c->is_ca && !c->no_cert_sign;
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	return 0;
}

static bool canon_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The canonical form of one attribute value, as OpenSSL defines it for the
 * hashed directory: string types become UTF-8 with leading and trailing
 * white space dropped, inner runs of it folded to one space, and ASCII
 * letters lowered; other types are kept as they are. */
static X509_NAME_ENTRY *canon_entry(const X509_NAME_ENTRY *ne)
{
	const unsigned long string_types = B_ASN1_UTF8STRING | B_ASN1_BMPSTRING | B_ASN1_UNIVERSALSTRING |
					   B_ASN1_PRINTABLESTRING | B_ASN1_T61STRING | B_ASN1_IA5STRING |
					   B_ASN1_VISIBLESTRING;
	const ASN1_STRING *v = X509_NAME_ENTRY_get_data(ne);
	unsigned char *utf8 = NULL, *out;
	X509_NAME_ENTRY *res;
	int len, i, n = 0;

	if (!(ASN1_tag2bit(ASN1_STRING_type(v)) & string_types))
		return X509_NAME_ENTRY_dup(ne);
	len = ASN1_STRING_to_UTF8(&utf8, v);
	if (len < 0)
		return NULL;
	out = OPENSSL_malloc((size_t)len + 1);
	if (out == NULL) {
		OPENSSL_free(utf8);
		return NULL;
	}
	for (i = 0; i < len && canon_space(utf8[i]); i++)
		;
	while (len > i && canon_space(utf8[len - 1]))
		len--;
	for (; i < len; i++) {
		unsigned char c = utf8[i];

		if (c >= 0x80) {
			out[n++] = c;
		} else if (canon_space(c)) {
			out[n++] = ' ';
			while (i + 1 < len && canon_space(utf8[i + 1]))
				i++;
		} else {
			out[n++] = (unsigned char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		}
	}
	res = X509_NAME_ENTRY_create_by_OBJ(NULL, X509_NAME_ENTRY_get_object(ne), V_ASN1_UTF8STRING, out, n);
	OPENSSL_free(out);
	OPENSSL_free(utf8);
	return res;
}

/* X509_NAME_hash_ex's value: the first four bytes (little-endian) of the
 * SHA-1 of the name's canonical encoding, which is the DER of each
 * canonical RDN in turn (the contents of the canonical Name SEQUENCE). */
static int name_hash(const X509_NAME *name, unsigned long *hash)
{
	X509_NAME *canon = X509_NAME_new();
	unsigned char md[SHA_DIGEST_LENGTH], *der = NULL;
	const unsigned char *p;
	long content_len;
	int i, der_len, tag, xclass, rc = -1;

	if (canon == NULL)
		return -1;
	for (i = 0; i < X509_NAME_entry_count(name); i++) {
		const X509_NAME_ENTRY *ne = X509_NAME_get_entry(name, i);
		X509_NAME_ENTRY *c = canon_entry(ne);
		bool same_rdn = i > 0 && X509_NAME_ENTRY_set(ne) == X509_NAME_ENTRY_set(X509_NAME_get_entry(name, i - 1));
		int ok = c != NULL && X509_NAME_add_entry(canon, c, -1, same_rdn ? -1 : 0);

		X509_NAME_ENTRY_free(c);
		if (!ok)
			goto out;
	}
	der_len = i2d_X509_NAME(canon, &der);
	if (der_len <= 0)
		goto out;
	p = der;
	if (ASN1_get_object(&p, &content_len, &tag, &xclass, der_len) & 0x80 || tag != V_ASN1_SEQUENCE)
		goto out;
	{
		/* SHA1_Init/Update/Final, not SHA1(): in OpenSSL 3 the one-shot
		 * functions go through EVP_Q_digest, i.e. the provider fetch */
		SHA_CTX ctx;

		SHA1_Init(&ctx);
		SHA1_Update(&ctx, p, (size_t)content_len);
		SHA1_Final(md, &ctx);
	}
	*hash = ((unsigned long)md[0] | (unsigned long)md[1] << 8 | (unsigned long)md[2] << 16 |
		 (unsigned long)md[3] << 24) & 0xffffffffUL;
	rc = 0;
out:
	OPENSSL_free(der);
	X509_NAME_free(canon);
	return rc;
}

unsigned long cert_name_hash_for_test(const X509_NAME *name)
{
	unsigned long h = 0;

	return name_hash(name, &h) == 0 ? h : 0;
}

static char *name_to_string(const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned long flags = XN_FLAG_RFC2253;
	char *data = NULL, *s = NULL;
	long n;

	if (bio == NULL)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0, flags) >= 0) {
		n = BIO_get_mem_data(bio, &data);
		s = malloc((size_t)n + 1);
		if (s != NULL) {
			memcpy(s, data, (size_t)n);
			s[n] = '\0';
		}
	}
	BIO_free(bio);
	return s;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil); timegm(3) would load /etc/localtime for nothing. */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int asn1_to_time(const ASN1_TIME *a, time_t *out)
{
	struct tm tm;

	if (a == NULL || !ASN1_TIME_to_tm(a, &tm))
		return -1;
	*out = (time_t)(days_from_civil(tm.tm_year + 1900LL, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) * 86400 +
			tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
	return 0;
}

void cert_format_fp(const unsigned char sha256[32], char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < 32; i++) {
		out[i * 3] = hex[sha256[i] >> 4];
		out[i * 3 + 1] = hex[sha256[i] & 15];
		out[i * 3 + 2] = i == 31 ? '\0' : ':';
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int cert_parse_fp(const char *s, size_t len, unsigned char sha256[32])
{
	size_t i;

	if (len != CERT_FP_LEN)
		return -1;
	for (i = 0; i < 32; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 31 && s[i * 3 + 2] != ':'))
			return -1;
		sha256[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* Is der exactly what libcrypto writes back for it (i2d_X509 of d2i_X509)?
 * Like X509_CINF, the TBS keeps the bytes it was read from; the rest (the
 * signature algorithm and value, the outer lengths) is encoded again, and
 * libcrypto's decoder takes some BER there (a signature BIT STRING with
 * padding bits set, for one): OpenSSL's fingerprint and copies would then
 * be of other bytes than cainit's. */
static bool is_der(CAINIT_CERT *lite, const unsigned char *der, size_t len)
{
	unsigned char *re = NULL;
	int n = ASN1_item_i2d((ASN1_VALUE *)lite, &re, ASN1_ITEM_rptr(CAINIT_CERT));
	bool same = n >= 0 && (size_t)n == len && memcmp(re, der, len) == 0;

	OPENSSL_free(re);
	return same;
}

void cert_format_time(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cert_from_der(const unsigned char *der, size_t len, struct cert *c)
{
	const unsigned char *p = der;
	CAINIT_CERT *lite;

	memset(c, 0, sizeof(*c));
	if (len == 0 || len > CERT_INPUT_MAX)
		return -1;
	lite = (CAINIT_CERT *)ASN1_item_d2i(NULL, &p, (long)len, ASN1_ITEM_rptr(CAINIT_CERT));
	if (lite == NULL || p != der + len)
		goto fail; /* not a certificate, or trailing bytes after it */
	if (!is_der(lite, der, len))
		goto fail; /* BER, not DER: OpenSSL would store (and fingerprint) other bytes */
	if (read_extensions(lite->tbs->extensions, c) < 0)
		goto fail;
	c->der = malloc(len);
	c->pem = malloc(pem_cert_size(len));
	c->subject = name_to_string(lite->tbs->subject);
	if (c->der == NULL || c->pem == NULL || c->subject == NULL)
		goto fail;
	memcpy(c->der, der, len);
	c->der_len = len;
	{
		SHA256_CTX ctx;

		SHA256_Init(&ctx);
		SHA256_Update(&ctx, der, len);
		SHA256_Final(c->sha256, &ctx);
	}
	cert_format_fp(c->sha256, c->fp);
	digest_hex(c->sha256, c->fp_hex);
	if (name_hash(lite->tbs->subject, &c->subject_hash) < 0)
		goto fail;
	c->pem_len = pem_encode_cert(der, len, c->pem);
	if (asn1_to_time(lite->tbs->validity->notBefore, &c->not_before) < 0 ||
	    asn1_to_time(lite->tbs->validity->notAfter, &c->not_after) < 0)
		goto fail;
	ASN1_item_free((ASN1_VALUE *)lite, ASN1_ITEM_rptr(CAINIT_CERT));
	return 0;
fail:
	ASN1_item_free((ASN1_VALUE *)lite, ASN1_ITEM_rptr(CAINIT_CERT));
	cert_free(c);
	return -1;
}

X509 *cert_x509(struct cert *c)
{
	const unsigned char *p = c->der;

	if (c->x509 == NULL && c->der != NULL)
		c->x509 = d2i_X509(NULL, &p, (long)c->der_len);
	return c->x509;
}

void cert_free(struct cert *c)
{
	X509_free(c->x509);
	free(c->der);
	free(c->pem);
	free(c->subject);
	memset(c, 0, sizeof(*c));
}

void cert_list_free(struct cert_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		cert_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

long cert_list_find(const struct cert_list *l, const unsigned char sha256[32])
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (memcmp(l->v[i].sha256, sha256, 32) == 0)
			return (long)i;
	return -1;
}

/* Add a certificate from DER unless already present; 0, or a cerr code. */
static int add_der(struct cert_list *l, const unsigned char *der, size_t len,
		   const char *origin, const char *what, struct cerr *e)
{
	struct cert c, *v;

	if (cert_from_der(der, len, &c) < 0)
		return cerr_input(e, "bad_der", "%s: %s is not a valid DER certificate", origin, what);
	if (cert_list_find(l, c.sha256) >= 0) {
		cert_free(&c);
		return 0;
	}
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v == NULL) {
		cert_free(&c);
		return cerr_set(e, CAINIT_EOPS, "%s: out of memory", origin);
	}
	l->v = v;
	l->v[l->n++] = c;
	return 0;
}

static bool label_is(const struct pem_block *b, const char *s)
{
	return b->label_len == strlen(s) && memcmp(b->label, s, b->label_len) == 0;
}

/* OpenSSL's "TRUSTED CERTIFICATE" is a certificate followed by trust
 * settings; keep the certificate, drop the settings. */
static int trusted_to_der(const unsigned char *in, size_t len, unsigned char **out, size_t *outlen)
{
	const unsigned char *p = in;
	X509 *x = d2i_X509_AUX(NULL, &p, (long)len);
	unsigned char *der = NULL;
	int n;

	if (x == NULL || p != in + len) {
		X509_free(x);
		return -1;
	}
	n = i2d_X509(x, &der);
	X509_free(x);
	if (n <= 0)
		return -1;
	*out = der;
	*outlen = (size_t)n;
	return 0;
}

static int parse_pem(const char *buf, size_t len, const char *origin,
		     struct cert_list *out, struct cerr *e)
{
	struct pem_block b;
	size_t pos = 0, counted = 0;
	unsigned line = 1;
	int r;

	while ((r = pem_next(buf, len, &pos, &b)) != PEM_NONE) {
		unsigned char *der = NULL;
		size_t der_len;
		char what[64];
		int rc;

		line += pem_newlines(buf + counted, b.start - counted); /* (linear, not from the top each time) */
		counted = b.start;

		if (r == PEM_TRUNCATED)
			return cerr_input(e, "bad_pem", "%s: line %u: truncated PEM block (no matching END line)",
					  origin, line);
		snprintf(what, sizeof(what), "the certificate at line %u", line);
		if (label_is(&b, "CERTIFICATE") || label_is(&b, "X509 CERTIFICATE")) {
			if (b64_decode(b.body, b.body_len, &der, &der_len) < 0)
				return cerr_input(e, "bad_pem", "%s: line %u: broken base64 in PEM block", origin,
						  line);
			rc = add_der(out, der, der_len, origin, what, e);
			free(der);
		} else if (label_is(&b, "TRUSTED CERTIFICATE")) {
			unsigned char *plain = NULL;
			size_t plain_len;

			if (b64_decode(b.body, b.body_len, &der, &der_len) < 0)
				return cerr_input(e, "bad_pem", "%s: line %u: broken base64 in PEM block", origin,
						  line);
			rc = trusted_to_der(der, der_len, &plain, &plain_len);
			free(der);
			if (rc < 0)
				return cerr_input(e, "bad_der", "%s: %s is not a valid DER certificate", origin,
						  what);
			rc = add_der(out, plain, plain_len, origin, what, e);
			OPENSSL_free(plain);
		} else {
			return cerr_input(e, "unsupported_block",
					  "%s: line %u: unsupported PEM block \"%.*s\" (only CERTIFICATE is accepted)",
					  origin, line, (int)(b.label_len > 40 ? 40 : b.label_len), b.label);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* DER of the shape of a certificate: one SEQUENCE, exactly len bytes,
 * whose content starts with a SEQUENCE (the signed part). */
static bool der_shaped(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	long clen;
	int tag, xclass;

	if (len > CERT_INPUT_MAX || ASN1_get_object(&p, &clen, &tag, &xclass, (long)len) & 0x80 ||
	    tag != V_ASN1_SEQUENCE || p + clen != der + len)
		return false;
	return !(ASN1_get_object(&p, &clen, &tag, &xclass, clen) & 0x80) && tag == V_ASN1_SEQUENCE;
}

/* Each certificate of a bundle of plain CERTIFICATE blocks, for the flat
 * reads below: fn gets its DER (owned by fn) and SHA-256. 0, or -1 when the
 * bundle is anything else or fn failed; no certificate at all is -1. */
typedef int (*flat_fn)(void *ctx, unsigned char *der, size_t der_len, const unsigned char sha256[32]);

static int each_flat(const char *buf, size_t len, flat_fn fn, void *ctx)
{
	struct pem_block b;
	size_t pos = 0, at, n = 0;
	int r;

	if (len > CERT_INPUT_MAX || pem_has_private_key(buf, len, &at) || !pem_looks_like_pem(buf, len))
		return -1;
	while ((r = pem_next(buf, len, &pos, &b)) != PEM_NONE) {
		unsigned char *der = NULL, md[32];
		size_t der_len;
		SHA256_CTX sc;

		if (r == PEM_TRUNCATED || !(label_is(&b, "CERTIFICATE") || label_is(&b, "X509 CERTIFICATE")) ||
		    b64_decode(b.body, b.body_len, &der, &der_len) < 0)
			return -1;
		if (!der_shaped(der, der_len)) {
			free(der);
			return -1;
		}
		SHA256_Init(&sc);
		SHA256_Update(&sc, der, der_len);
		SHA256_Final(md, &sc);
		if (fn(ctx, der, der_len, md) < 0)
			return -1;
		n++;
	}
	return n > 0 ? 0 : -1;
}

static int keep_flat(void *ctx, unsigned char *der, size_t der_len, const unsigned char sha256[32])
{
	struct cert_list *out = ctx;
	struct cert c, *v;

	memset(&c, 0, sizeof(c));
	c.der = der;
	c.der_len = der_len;
	memcpy(c.sha256, sha256, 32);
	if (cert_list_find(out, c.sha256) >= 0) {
		cert_free(&c);
		return 0;
	}
	if ((c.pem = malloc(pem_cert_size(der_len))) == NULL ||
	    (v = realloc(out->v, (out->n + 1) * sizeof(*v))) == NULL) {
		cert_free(&c);
		return -1;
	}
	cert_format_fp(c.sha256, c.fp);
	digest_hex(c.sha256, c.fp_hex);
	c.pem_len = pem_encode_cert(der, der_len, c.pem);
	out->v = v;
	out->v[out->n++] = c;
	return 0;
}

int cert_list_parse_flat(const char *buf, size_t len, struct cert_list *out)
{
	memset(out, 0, sizeof(*out));
	if (each_flat(buf, len, keep_flat, out) == 0)
		return 0;
	cert_list_free(out);
	return -1;
}

struct holds {
	const struct cert_list *want;
	bool *seen;
	size_t found;
};

static int note_held(void *ctx, unsigned char *der, size_t der_len, const unsigned char sha256[32])
{
	struct holds *h = ctx;
	long k = cert_list_find(h->want, sha256);

	(void)der_len;
	free(der);
	if (k >= 0 && !h->seen[k]) {
		h->seen[k] = true;
		h->found++;
	}
	return 0;
}

int cert_bundle_holds(const char *buf, size_t len, const struct cert_list *want)
{
	struct holds h = {want, calloc(want->n + 1, sizeof(bool)), 0};
	int rc = -1;

	if (h.seen != NULL && each_flat(buf, len, note_held, &h) == 0)
		rc = h.found == want->n;
	free(h.seen);
	return rc;
}

static bool der_is_private_key(const unsigned char *buf, size_t len)
{
	const unsigned char *p = buf;
	EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, (long)len);
	bool is_key = k != NULL;

	EVP_PKEY_free(k);
	return is_key;
}

int cert_list_parse(const unsigned char *buf, size_t len, const char *origin,
		    struct cert_list *out, struct cerr *e)
{
	const char *text = (const char *)buf;
	size_t at;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > CERT_INPUT_MAX)
		return cerr_input(e, "too_large", "%s: input is larger than 1 MiB", origin);
	if (len == 0)
		return cerr_input(e, "no_certificate", "%s: input is empty", origin);
	if (pem_has_private_key(text, len, &at))
		return cerr_input(e, "private_key", "%s: line %u: refusing input that holds a private key",
				  origin, pem_line_of(text, at));
	if (pem_looks_like_pem(text, len)) {
		rc = parse_pem(text, len, origin, out, e);
	} else {
		if (der_is_private_key(buf, len))
			return cerr_input(e, "private_key", "%s: refusing input that is a DER private key", origin);
		rc = add_der(out, buf, len, origin, "input", e);
		if (rc == CAINIT_EINPUT)
			rc = cerr_input(e, "bad_der", "%s: input is neither PEM nor a DER certificate", origin);
	}
	if (rc == 0 && out->n == 0)
		rc = cerr_input(e, "no_certificate", "%s: no certificate found", origin);
	if (rc != 0)
		cert_list_free(out);
	return rc;
}

int cert_list_check(const struct cert_list *l, unsigned flags, time_t now,
		    const char *origin, struct cerr *e)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct cert *c = &l->v[i];
		char when[21];

		if (c->no_cert_sign && !(flags & CERT_ALLOW_LEAF))
			return cerr_input(e, "not_ca",
					  "%s: \"%s\" cannot sign certificates (its keyUsage lacks keyCertSign); --allow-leaf installs it anyway",
					  origin, c->subject);
		if (!c->is_ca && !(flags & CERT_ALLOW_LEAF))
			return cerr_input(e, "not_ca",
					  "%s: \"%s\" is not a CA (no basicConstraints CA:TRUE); --allow-leaf installs it anyway",
					  origin, c->subject);
		if (flags & CERT_ALLOW_EXPIRED)
			continue;
		if (c->not_after < now) {
			cert_format_time(c->not_after, when);
			return cerr_input(e, "expired", "%s: \"%s\" expired at %s; --allow-expired installs it anyway",
					  origin, c->subject, when);
		}
		if (c->not_before > now) {
			cert_format_time(c->not_before, when);
			return cerr_input(e, "not_yet_valid",
					  "%s: \"%s\" is not valid before %s; --allow-expired installs it anyway",
					  origin, c->subject, when);
		}
	}
	return 0;
}
