/*
 * fuzz_fingerprint.c: libFuzzer target for the small text formats cainit
 * reads and writes without OpenSSL: SHA-256 fingerprints ("AB:CD:..."),
 * set names, durations ("50ms") and listen addresses. Properties:
 * format(parse(s)) parses back to the same bytes; formatting any 32 bytes
 * gives a 95-character string that parses back to them; a valid set name
 * is 1..64 characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "bundle.h"
#include "cert.h"
#include "duration.h"
#include "cerr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char sha[32], again[32];
	char fp[CERT_FP_LEN + 1];
	char *s = malloc(size + 1);
	struct addr a;
	struct cerr e = {0};

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';

	if (cert_parse_fp((const char *)data, size, sha) == 0) {
		cert_format_fp(sha, fp);
		if (cert_parse_fp(fp, strlen(fp), again) != 0 || memcmp(sha, again, 32) != 0)
			abort();
	}
	if (size >= 32) {
		cert_format_fp(data, fp);
		if (strlen(fp) != CERT_FP_LEN || cert_parse_fp(fp, CERT_FP_LEN, again) != 0 ||
		    memcmp(data, again, 32) != 0)
			abort();
	}
	if (set_name_valid(s) && (strlen(s) == 0 || strlen(s) > SET_NAME_MAX))
		abort();
	(void)duration_parse(s);
	(void)addr_parse(s, &a, &e);
	free(s);
	return 0;
}
