/*
 * digest.h: SHA-256 in the "sha256:<64 hex>" form image layouts use, and
 * the check that a digest read from a file is one (it becomes a path).
 */
#ifndef CAINIT_DIGEST_H
#define CAINIT_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_HEX_LEN 64

/* 32 bytes as 64 lowercase hex digits (out holds 65). */
void digest_hex(const unsigned char md[32], char *out);
/* SHA-256 of buf as hex. */
void digest_sha256_hex(const void *buf, size_t len, char *out);
/* True for "sha256:" followed by exactly 64 lowercase hex digits. */
bool digest_valid(const char *s);

#endif
