/*
 * cert.h: certificates as cainit handles them: parsed once from PEM or DER,
 * refused early when they are not what a trust store should hold, and
 * carrying everything the stores need (DER, SHA-256, subject hash, PEM).
 */
#ifndef CAINIT_CERT_H
#define CAINIT_CERT_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cerr.h"

#define CERT_INPUT_MAX (1024 * 1024) /* bytes of input accepted */
#define CERT_FP_LEN 95               /* "AB:CD:...:EF" for SHA-256 */

struct cert {
	X509 *x509;                /* decoded on demand: use cert_x509() */
	unsigned char *der;
	size_t der_len;
	unsigned char sha256[32];
	char fp[CERT_FP_LEN + 1];  /* upper-case hex pairs joined by ':' */
	char fp_hex[65];           /* lower-case hex, for file names */
	unsigned long subject_hash; /* X509_subject_name_hash: "openssl x509 -subject_hash" */
	char *subject;             /* RFC 2253, ASCII with escapes */
	char *pem;                 /* canonical PEM text of der */
	size_t pem_len;
	time_t not_before, not_after;
	bool is_ca;                /* basicConstraints CA:TRUE, keyCertSign when keyUsage is there */
	bool no_cert_sign;         /* CA:TRUE, but a keyUsage without keyCertSign */
};

struct cert_list {
	struct cert *v;
	size_t n;
};

enum {
	CERT_ALLOW_LEAF = 1 << 0,
	CERT_ALLOW_EXPIRED = 1 << 1,
};

/*
 * Parse PEM (any number of CERTIFICATE blocks, text outside blocks ignored)
 * or a single DER certificate. Refuses private keys, other block types,
 * broken base64 or DER, and inputs over CERT_INPUT_MAX. Duplicates (same DER)
 * are kept once. origin names the input in messages. Returns 0 or
 * CAINIT_EINPUT (2) / CAINIT_EOPS (1, memory).
 */
int cert_list_parse(const unsigned char *buf, size_t len, const char *origin,
		    struct cert_list *out, struct cerr *e);

/* A PEM bundle whose blocks are all CERTIFICATE, read for its bytes only:
 * each certificate's der, sha256, fp, fp_hex and pem (the other fields
 * stay empty), its DER checked for shape (a SEQUENCE of exactly its
 * length holding a SEQUENCE), not decoded. For certificates cainit passes
 * along but does not manage (a caller's bundle to merge): 0, or -1 when
 * the input is anything else (then cert_list_parse decides). */
int cert_list_parse_flat(const char *buf, size_t len, struct cert_list *out);

/* Does a bundle that cert_list_parse_flat would read hold every certificate
 * of want (by SHA-256)? 1 yes, 0 no, -1 when it is not one that function
 * reads. The same check as parsing and looking up, with no certificate
 * kept: the question `cainit run` asks of a caller's file at every start. */
int cert_bundle_holds(const char *buf, size_t len, const struct cert_list *want);

/* Refuse non-CA and out-of-validity certificates unless flags allow them. */
int cert_list_check(const struct cert_list *l, unsigned flags, time_t now,
		    const char *origin, struct cerr *e);

/* Fill c from exactly one DER certificate; -1 when it is not one. */
int cert_from_der(const unsigned char *der, size_t len, struct cert *c);

/* The certificate as libcrypto's X509 (decoded on first use, kept in c);
 * NULL when libcrypto refuses it. */
X509 *cert_x509(struct cert *c);

void cert_free(struct cert *c);
void cert_list_free(struct cert_list *l);

/* Index of the certificate with this SHA-256 in l, or -1. */
long cert_list_find(const struct cert_list *l, const unsigned char sha256[32]);

/* "AB:CD:..." for a SHA-256; out holds CERT_FP_LEN + 1 bytes. */
void cert_format_fp(const unsigned char sha256[32], char *out);

/* Parse "AB:CD:..." back; -1 when malformed. */
int cert_parse_fp(const char *s, size_t len, unsigned char sha256[32]);

/* The subject hash cainit computes (exposed for its unit test). */
unsigned long cert_name_hash_for_test(const X509_NAME *name);

/* UTC "YYYY-MM-DDTHH:MM:SSZ" into out (21 bytes). */
void cert_format_time(time_t t, char out[21]);

#endif
