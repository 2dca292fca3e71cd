/*
 * digest.c: SHA-256 formatting and digest-string checks for bake.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "digest.h"

#include <openssl/sha.h>
#include <string.h>

void digest_hex(const unsigned char md[32], char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 32; i++) {
		out[i * 2] = hex[md[i] >> 4];
		out[i * 2 + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void digest_sha256_hex(const void *buf, size_t len, char *out)
{
	unsigned char md[32];

	SHA256(buf, len, md);
	digest_hex(md, out);
}

bool digest_valid(const char *s)
{
	size_t i;

	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + DIGEST_HEX_LEN)
		return false;
	for (i = 7; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}
