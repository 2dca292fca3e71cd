/*
 * verify.h: does a certificate chain to a trust anchor through a given
 * store, as an OpenSSL client of that store would see it? Stores are read
 * through rootfs (confined), never by path through libcrypto.
 */
#ifndef CAINIT_VERIFY_H
#define CAINIT_VERIFY_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "rootfs.h"

/* Every certificate of a PEM bundle, parsed as X509_load_cert_crl_file
 * would (one bad block fails the whole bundle). NULL when it does not parse. */
X509_STORE *verify_store_from_pem(const char *buf, size_t len);

/* The anchors an OpenSSL hashed directory offers for chain's issuers:
 * HASH.0, HASH.1, ... up to the first missing index, as by_dir looks. */
X509_STORE *verify_store_from_hashdir(struct rootfs *r, const char *dir_canon, STACK_OF(X509) *chain);

/* Verify target (with untrusted intermediates) against store, accepting a
 * trusted CA that is not self-signed (X509_V_FLAG_PARTIAL_CHAIN, as curl,
 * Go, Java and browsers do). why gets the reason on failure. */
bool verify_chain(X509_STORE *store, X509 *target, STACK_OF(X509) *untrusted, char *why, size_t n);

#endif
