/*
 * sha1_pair.h: two SHA-1 computations fed at once. A JKS edit hashes the
 * keystore it read (its integrity check) and the one it writes (the new
 * digest): two messages of nearly the same length, which the x86 SHA
 * extensions compute together in little more than the time of one.
 */
#ifndef CAINIT_SHA1_PAIR_H
#define CAINIT_SHA1_PAIR_H

#include <openssl/sha.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

/* Bytes for one of the two: the pieces' bytes from byte skip on. */
struct sha1_feed {
	SHA_CTX *c;
	const struct iovec *iov;
	size_t niov, skip;
};

/* a->c fed a's bytes and b->c fed b's, exactly as SHA1_Update would feed
 * them (either may already hold bytes, or be fed more after). */
void sha1_pair_update(const struct sha1_feed *a, const struct sha1_feed *b);

/* Whether the two are computed together on this CPU; false makes every
 * later call feed them one after the other through OpenSSL (for tests). */
bool sha1_pair_together(void);
void sha1_pair_allow_together(bool allow);

#endif
