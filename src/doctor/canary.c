/*
 * canary.c: see canary.h. The certificates carry what strict verifiers ask
 * for (Python 3.13's VERIFY_X509_STRICT among them): a critical
 * basicConstraints, key usages, subject and authority key identifiers, and
 * on the leaf a subjectAltName and serverAuth.
 */
#include "canary.h"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return 0;
}

/* A certificate for key named cn, signed by sign_key as issuer (NULL: self). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *sign_key, bool ca)
{
	unsigned char serial[16];
	X509 *x = X509_new();
	BIGNUM *bn = NULL;
	X509_NAME *name;
	bool ok;

	if (x == NULL || RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto fail;
	name = X509_get_subject_name(x);
	ok = X509_set_version(x, 2) && X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
	     X509_gmtime_adj(X509_getm_notAfter(x), 3600) && X509_set_pubkey(x, key) &&
	     X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"cainit doctor", -1, -1, 0) &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) &&
	     X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	if (!ok)
		goto fail;
	if (issuer == NULL)
		issuer = x;
	if (add_ext(x, issuer, NID_subject_key_identifier, "hash") != 0 ||
	    (ca ? add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE") != 0 ||
		      add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign") != 0
		: add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
		      add_ext(x, issuer, NID_key_usage, "critical,digitalSignature") != 0 ||
		      add_ext(x, issuer, NID_ext_key_usage, "serverAuth") != 0 ||
		      add_ext(x, issuer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") != 0 ||
		      add_ext(x, issuer, NID_authority_key_identifier, "keyid:always") != 0))
		goto fail;
	if (!X509_sign(x, sign_key, EVP_sha256()))
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

int canary_make(struct canary *c, const char *cn, struct cerr *e)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256");
	char leaf_cn[128];
	BIO *mem = NULL;
	char *p;
	long n;

	memset(c, 0, sizeof(*c));
	snprintf(leaf_cn, sizeof(leaf_cn), "%s endpoint", cn);
	if (ca_key == NULL || (c->leaf_key = EVP_EC_gen("P-256")) == NULL ||
	    (c->ca = make_cert(ca_key, cn, NULL, ca_key, true)) == NULL ||
	    (c->leaf = make_cert(c->leaf_key, leaf_cn, c->ca, ca_key, false)) == NULL ||
	    (mem = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509(mem, c->ca) ||
	    (n = BIO_get_mem_data(mem, &p)) <= 0 || (c->ca_pem = malloc((size_t)n + 1)) == NULL) {
		EVP_PKEY_free(ca_key);
		BIO_free(mem);
		canary_free(c);
		return cerr_set(e, CAINIT_EOPS, "doctor: could not make a canary CA (libcrypto)");
	}
	memcpy(c->ca_pem, p, (size_t)n);
	c->ca_pem[n] = '\0';
	c->ca_pem_len = (size_t)n;
	EVP_PKEY_free(ca_key);
	BIO_free(mem);
	return 0;
}

void canary_free(struct canary *c)
{
	X509_free(c->ca);
	X509_free(c->leaf);
	EVP_PKEY_free(c->leaf_key);
	free(c->ca_pem);
	memset(c, 0, sizeof(*c));
}
