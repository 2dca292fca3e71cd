/*
 * fuzz_cert_input.c: libFuzzer target for the input reader every front end
 * uses (`install FILE`, `/init`'s caBundle, `PUT /ca/SET`, `run --ca`):
 * cert_list_parse on any bytes (PEM with any labels, base64 and line
 * endings, or DER), then the CA checks. Property: it returns 0 or a refusal
 * with a one-line message; an accepted list holds only well-formed
 * certificates, each once, whose PEM re-encoding parses back to the same DER.
 * Differential: cainit decodes certificates with its own DER reader and
 * computes the subject hash (the hashed directory's file names) itself, so
 * every certificate it accepts must also be one for libcrypto (d2i_X509,
 * with an identical DER re-encoding), with the same subject hash
 * (X509_subject_name_hash, what `openssl rehash` and OpenSSL's lookups
 * use) and the same SHA-256.
 */
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "cerr.h"
#include "pem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cert_list l = {0};
	struct cerr e = {0};
	size_t at;
	int rc;

	(void)pem_has_private_key((const char *)data, size, &at);
	rc = cert_list_parse(data, size, "fuzz", &l, &e);
	if (rc != 0) {
		if (e.msg[0] == '\0' || strchr(e.msg, '\n') != NULL)
			abort(); /* a refusal always says why, on one line */
		return 0;
	}
	if (l.n == 0)
		abort(); /* success means at least one certificate */
	(void)cert_list_check(&l, 0, 1700000000, "fuzz", &e);
	for (size_t i = 0; i < l.n; i++) {
		struct cert_list back = {0};
		struct cerr e2 = {0};

		if (cert_list_parse((const unsigned char *)l.v[i].pem, l.v[i].pem_len, "re-encoded", &back,
				    &e2) != 0 ||
		    back.n != 1 || back.v[0].der_len != l.v[i].der_len ||
		    memcmp(back.v[0].der, l.v[i].der, l.v[i].der_len) != 0)
			abort(); /* the canonical PEM cainit writes reads back as the same DER */
		{
			const unsigned char *p = l.v[i].der;
			X509 *x = d2i_X509(NULL, &p, (long)l.v[i].der_len);
			unsigned char *re = NULL, md[32];
			int relen;

			if (x == NULL || p != l.v[i].der + l.v[i].der_len)
				abort(); /* cainit accepted what libcrypto does not decode whole */
			relen = i2d_X509(x, &re);
			if (relen < 0 || (size_t)relen != l.v[i].der_len || memcmp(re, l.v[i].der, l.v[i].der_len) != 0)
				abort(); /* not the DER libcrypto would write: not canonical */
			if (X509_subject_name_hash(x) != l.v[i].subject_hash)
				abort(); /* the hashed directory's names would differ from OpenSSL's lookups */
			SHA256(l.v[i].der, l.v[i].der_len, md);
			if (memcmp(md, l.v[i].sha256, 32) != 0)
				abort();
			OPENSSL_free(re);
			X509_free(x);
		}
		for (size_t j = 0; j < i; j++)
			if (memcmp(l.v[j].sha256, l.v[i].sha256, 32) == 0)
				abort(); /* duplicates are kept once */
		cert_list_free(&back);
	}
	cert_list_free(&l);
	return 0;
}
