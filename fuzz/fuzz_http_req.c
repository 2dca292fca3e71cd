/*
 * fuzz_http_req.c: libFuzzer target for the agent's HTTP framing (the
 * request head parser and the chunked decoder, http_req.c), fed bytes an
 * untrusted peer could send. Properties:
 *  - a head is accepted only with a path that starts with '/', an HTTP/1.x
 *    version, a token without control characters, at most 100 headers, and
 *    never both a length and chunked; a refusal always carries a reason
 *    and a 4xx/5xx status;
 *  - parsing only a prefix of an accepted head (its blank line cut) is a
 *    refusal, never an acceptance;
 *  - the chunked decoder gives the same body and the same end whether the
 *    bytes arrive at once or split in two at any point, never reads past the
 *    body's end, and never produces more than its limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_req.h"

#define MAX_BODY 4096

static void check_head(const uint8_t *data, size_t size)
{
	struct http_req r;
	const char *why = NULL;
	int rc = http_req_parse((const char *)data, size, &r, &why);

	if (rc != 0) {
		if (why == NULL || why[0] == '\0' || rc < 400 || rc > 599)
			abort();
		return;
	}
	if (r.path[0] != '/' || r.minor < 0 || r.minor > 9 || r.nheaders > HTTP_HEADERS_MAX ||
	    (r.chunked && r.has_length) || http_head_end((const char *)data, size) != size)
		abort();
	for (size_t i = 0; r.has_token && i < r.token_len; i++)
		if ((unsigned char)r.token[i] < 0x20 && r.token[i] != '\t')
			abort();
	if (size > 2 && http_req_parse((const char *)data, size - 2, &r, &why) == 0)
		abort(); /* without its blank line a head is never whole */
}

static int decode(const uint8_t *data, size_t size, size_t split, struct http_body *out, size_t *used_all)
{
	struct http_chunked c = {0};
	size_t used = 0, used2 = 0;
	int rc = http_chunked_feed(&c, (const char *)data, split, &used, out, MAX_BODY);

	if (used > split)
		abort();
	if (rc == HTTP_CHUNK_MORE && used != split)
		abort();
	if (rc == HTTP_CHUNK_MORE) {
		rc = http_chunked_feed(&c, (const char *)data + split, size - split, &used2, out, MAX_BODY);
		if (used2 > size - split)
			abort();
		used += used2;
	}
	*used_all = used;
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_body a = {0}, b = {0};
	size_t ua, ub, split;
	int ra, rb;

	check_head(data, size);
	if (size < 1)
		return 0;
	split = data[0] % (size + 1);
	ra = decode(data + 1, size - 1, size - 1, &a, &ua);
	rb = decode(data + 1, size - 1, split > size - 1 ? size - 1 : split, &b, &ub);
	if (a.len > MAX_BODY || b.len > MAX_BODY)
		abort();
	/* byte by byte the same machine: the same answer however split */
	if (ra != rb)
		abort();
	if (ra == HTTP_CHUNK_DONE && (ua != ub || a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0)))
		abort();
	http_body_free(&a);
	http_body_free(&b);
	return 0;
}
