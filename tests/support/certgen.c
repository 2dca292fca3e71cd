/*
 * certgen.c: see certgen.h.
 */
#include "certgen.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return -1;
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return 0;
}

int certgen_make(struct testcert *out, const struct certgen_opts *o)
{
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	X509 *x = NULL, *issuer_x;
	EVP_PKEY *key, *sign_key;
	X509_NAME *name;

	memset(out, 0, sizeof(*out));
	key = o->rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
	if (key == NULL)
		return -1;
	x = X509_new();
	if (x == NULL)
		goto fail;
	X509_set_version(x, 2);
	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(x), o->not_before);
	X509_gmtime_adj(X509_getm_notAfter(x), o->not_after);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"cainit tests", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)o->cn, -1, -1, 0);
	issuer_x = o->issuer ? o->issuer->x509 : x;
	sign_key = o->issuer ? o->issuer->key : key;
	X509_set_issuer_name(x, X509_get_subject_name(issuer_x));
	if (o->ca) {
		add_ext(x, issuer_x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, issuer_x, NID_key_usage, o->key_usage ? o->key_usage : "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer_x, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, issuer_x, NID_key_usage,
			o->key_usage ? o->key_usage : "critical,digitalSignature,keyEncipherment");
		add_ext(x, issuer_x, NID_ext_key_usage, "serverAuth");
	}
	add_ext(x, issuer_x, NID_subject_key_identifier, "hash");
	if (o->issuer)
		add_ext(x, issuer_x, NID_authority_key_identifier, "keyid:always");
	if (o->san && add_ext(x, issuer_x, NID_subject_alt_name, o->san) < 0)
		goto fail;
	if (!X509_sign(x, sign_key, EVP_sha256()))
		goto fail;
	out->x509 = x;
	out->key = key;
	return 0;
fail:
	X509_free(x);
	EVP_PKEY_free(key);
	return -1;
}

static char *bio_take(BIO *bio, size_t *len)
{
	char *data, *out;
	long n = BIO_get_mem_data(bio, &data);

	out = malloc((size_t)n + 1);
	if (out) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
		*len = (size_t)n;
	}
	BIO_free(bio);
	return out;
}

char *certgen_pem(const struct testcert *c, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());

	if (bio == NULL || !PEM_write_bio_X509(bio, c->x509)) {
		BIO_free(bio);
		return NULL;
	}
	return bio_take(bio, len);
}

unsigned char *certgen_der(const struct testcert *c, size_t *len)
{
	unsigned char *der = NULL, *out;
	int n = i2d_X509(c->x509, &der);

	if (n <= 0)
		return NULL;
	out = malloc((size_t)n);
	if (out)
		memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return out;
}

char *certgen_key_pem(const struct testcert *c, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());

	if (bio == NULL || !PEM_write_bio_PrivateKey(bio, c->key, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(bio);
		return NULL;
	}
	return bio_take(bio, len);
}

void certgen_free(struct testcert *c)
{
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
	memset(c, 0, sizeof(*c));
}
