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
 * use) and the same SHA-256. Also on the same bytes: b64_decode (its fast
 * path four characters at a time) decodes exactly as a plain one-character
 * reference does, and the flat read of a caller's bundle
 * (cert_list_parse_flat), where it and the full parse both accept, gives
 * the same certificates in the same order.
 */
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "cerr.h"
#include "pem.h"

/* The reference for b64_decode: one character at a time. */
static int ref_b64(const uint8_t *in, size_t len, unsigned char *o, size_t *outlen)
{
	static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned acc = 0, nbits = 0, pad = 0, nchars = 0;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		const char *hit = in[i] != 0 ? memchr(A, in[i], 64) : NULL;

		if (in[i] == ' ' || in[i] == '\t' || in[i] == '\r' || in[i] == '\n')
			continue;
		if (in[i] == '=') {
			pad++;
			nchars++;
			continue;
		}
		if (hit == NULL || pad > 0)
			return -1;
		nchars++;
		acc = (acc << 6) | (unsigned)(hit - A);
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			o[n++] = (unsigned char)(acc >> nbits);
			acc &= (1u << nbits) - 1;
		}
	}
	if (nchars == 0 || nchars % 4 != 0 || pad > 2 || acc != 0)
		return -1;
	*outlen = n;
	return 0;
}

static void check_b64(const uint8_t *data, size_t size)
{
	unsigned char *got = NULL, *want = malloc(size / 4 * 3 + 3);
	size_t got_len = 0, want_len = 0;
	int rc_got = b64_decode((const char *)data, size, &got, &got_len);
	int rc_want = ref_b64(data, size, want, &want_len);

	if (rc_got != rc_want || (rc_got == 0 && (got_len != want_len || memcmp(got, want, got_len) != 0)))
		abort(); /* the fast path decodes otherwise than the reference */
	free(got);
	free(want);
}

static void check_flat(const uint8_t *data, size_t size, const struct cert_list *full, int full_rc)
{
	struct cert_list flat = {0};

	if (cert_list_parse_flat((const char *)data, size, &flat) != 0) {
		if (flat.n != 0 || flat.v != NULL)
			abort(); /* a refusal leaves nothing */
		return;
	}
	if (flat.n == 0)
		abort();
	for (size_t i = 0; i < flat.n; i++) {
		unsigned char md[32];

		SHA256(flat.v[i].der, flat.v[i].der_len, md);
		if (memcmp(md, flat.v[i].sha256, 32) != 0)
			abort();
		for (size_t j = 0; j < i; j++)
			if (memcmp(flat.v[j].sha256, flat.v[i].sha256, 32) == 0)
				abort(); /* duplicates are kept once */
	}
	if (full_rc == 0) {
		if (flat.n != full->n)
			abort(); /* both read every certificate */
		for (size_t i = 0; i < flat.n; i++)
			if (memcmp(flat.v[i].sha256, full->v[i].sha256, 32) != 0 || flat.v[i].pem_len != full->v[i].pem_len ||
			    memcmp(flat.v[i].pem, full->v[i].pem, flat.v[i].pem_len) != 0)
				abort(); /* the same certificates, the same PEM, in the same order */
	}
	cert_list_free(&flat);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cert_list l = {0};
	struct cerr e = {0};
	size_t at;
	int rc;

	(void)pem_has_private_key((const char *)data, size, &at);
	check_b64(data, size);
	rc = cert_list_parse(data, size, "fuzz", &l, &e);
	check_flat(data, size, &l, rc);
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
