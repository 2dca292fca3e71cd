/*
 * token.c: see token.h. Hashing both sides first makes the comparison
 * independent of the presented token's length as well as of its bytes.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t trim(char *s, size_t len)
{
	size_t start = 0;

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (start < len && (s[start] == ' ' || s[start] == '\t'))
		start++;
	memmove(s, s + start, len - start);
	s[len - start] = '\0';
	return len - start;
}

int token_load(const char *file, char *out, size_t n, bool *found, struct cerr *e)
{
	ssize_t k;
	size_t len = 0;
	char *nl;
	int fd;

	*found = false;
	if (file == NULL) {
		const char *env = getenv("CAINIT_TOKEN");

		if (env == NULL || *env == '\0')
			return 0;
		if (strlen(env) >= n)
			return cerr_input(e, "bad_token", "CAINIT_TOKEN is longer than %zu bytes", n - 1);
		snprintf(out, n, "%s", env);
		*found = trim(out, strlen(out)) > 0;
		return *found ? 0 : cerr_input(e, "bad_token", "CAINIT_TOKEN is blank");
	}
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cerr_sys(e, file, "open", errno);
	/* one byte more than fits: a longer file is refused, never cut short */
	while (len < n && (k = read(fd, out + len, n - len)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int err = errno;

			close(fd);
			return cerr_sys(e, file, "read", err);
		}
		len += (size_t)k;
	}
	close(fd);
	if (len == n) {
		out[0] = '\0';
		return cerr_input(e, "bad_token", "%s: longer than %zu bytes: not a token file", file, n - 1);
	}
	out[len] = '\0';
	nl = memchr(out, '\n', len);
	if (nl != NULL)
		len = (size_t)(nl - out);
	if (memchr(out, '\0', len) != NULL) {
		out[0] = '\0';
		return cerr_input(e, "bad_token", "%s: a NUL byte in the token", file);
	}
	if (trim(out, len) == 0)
		return cerr_input(e, "bad_token", "%s: no token on its first line", file);
	for (const char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			out[0] = '\0';
			return cerr_input(e, "bad_token", "%s: a control character in the token", file);
		}
	*found = true;
	return 0;
}

void token_hash(const char *token, size_t len, unsigned char out[32])
{
	SHA256_CTX ctx;

	SHA256_Init(&ctx);
	SHA256_Update(&ctx, token, len);
	SHA256_Final(out, &ctx);
}

bool token_matches(const unsigned char want[32], const char *presented, size_t len)
{
	unsigned char got[32];

	token_hash(presented, len, got);
	return CRYPTO_memcmp(want, got, 32) == 0;
}
