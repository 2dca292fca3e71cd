/*
 * certgen.h: test certificates made in-process with libcrypto: CAs and
 * leaves, any validity window, optional issuer and subjectAltName. Tests use
 * it (directly or through tests/tools/mkcert) so no fixture is a stale file.
 */
#ifndef CAINIT_TEST_CERTGEN_H
#define CAINIT_TEST_CERTGEN_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

struct testcert {
	X509 *x509;
	EVP_PKEY *key;
};

struct certgen_opts {
	const char *cn;
	bool ca;                 /* basicConstraints CA:TRUE */
	long not_before;         /* seconds from now (negative: past) */
	long not_after;          /* seconds from now */
	const struct testcert *issuer; /* NULL: self-signed */
	const char *san;         /* "DNS:localhost,IP:127.0.0.1" or NULL */
	bool rsa;                /* RSA-2048 instead of EC P-256 */
	const char *key_usage;   /* keyUsage value instead of the default
				  * ("critical,keyCertSign,cRLSign" for a CA) */
};

int certgen_make(struct testcert *out, const struct certgen_opts *o);
/* malloc'd PEM (or DER) of the certificate */
char *certgen_pem(const struct testcert *c, size_t *len);
unsigned char *certgen_der(const struct testcert *c, size_t *len);
/* malloc'd PEM of the private key */
char *certgen_key_pem(const struct testcert *c, size_t *len);
void certgen_free(struct testcert *c);

#endif
