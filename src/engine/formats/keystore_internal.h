/*
 * keystore_internal.h: the two back ends behind keystore.h's calls (JKS
 * in keystore_jks.c, PKCS#12 in keystore_p12.c), private to
 * formats/keystore*.c.
 * Nothing outside those three files includes it.
 */
#ifndef CAINIT_KEYSTORE_INTERNAL_H
#define CAINIT_KEYSTORE_INTERNAL_H

#include "keystore.h"

/* The format back ends. */
int jks_parse(struct keystore *ks, char *why, size_t n);
bool jks_integrity_ok(const struct keystore *ks, char *why, size_t n);
/* Checks the digest as it renders (the two share their SHA-1 work): -1 with
 * why when it does not check or memory runs out. */
int jks_render(const struct keystore *ks, const bool *drop, const char *set, const struct cert_list *certs,
	       struct rope *out, char *why, size_t n);
int jks_add_anchors(const struct keystore *ks, X509_STORE *store);
int p12_parse(struct keystore *ks, char *why, size_t n);
bool p12_integrity_ok(const struct keystore *ks, char *why, size_t n);
int p12_render(const struct keystore *ks, const bool *drop, const char *set, const struct cert_list *certs,
	       struct rope *out, char *why, size_t n);
int p12_add_anchors(const struct keystore *ks, X509_STORE *store, char *why, size_t n);
void p12_free(struct keystore *ks);

#endif
