/*
 * canary.h: doctor's throwaway CAs. A canary is an EC P-256 CA and a leaf
 * it signs for 127.0.0.1 and localhost, made in memory, valid for an hour,
 * never written anywhere: the CA's certificate is installed as a temporary
 * set (the engine writes it like any CA), the leaf serves the loopback
 * endpoint, and both keys die with the process. A second canary that
 * nobody trusts is the negative control: a client that accepts its leaf
 * does not verify.
 */
#ifndef CAINIT_CANARY_H
#define CAINIT_CANARY_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "cerr.h"

struct canary {
	X509 *ca;
	X509 *leaf;
	EVP_PKEY *leaf_key; /* the CA's key is freed once the leaf is signed */
	char *ca_pem;       /* the CA's certificate, PEM (malloc'd) */
	size_t ca_pem_len;
};

/* A CA named cn and its leaf; 0 or CAINIT_EOPS. */
int canary_make(struct canary *c, const char *cn, struct cerr *e);
void canary_free(struct canary *c);

#endif
