/*
 * fuzz_text_block.c: libFuzzer target for cainit's block in someone else's
 * text file (/etc/environment, a system bashrc: text_block.h), whatever
 * the file holds. Properties: an edit either refuses (a block cut short or
 * doubled) or gives a file whose bytes before and after the block are the
 * input's; adding the block twice is adding it once; removing it gives a
 * file with no block, and for a file that had none, the input byte for
 * byte; a file cainit created is deleted when its block goes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text_block.h"

#define LINES "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt\nNODE_EXTRA_CA_CERTS=/etc/cainit/ca.pem\n"

static char *flat(struct rope *r, size_t *len)
{
	const struct iovec *iov;
	size_t n, off = 0;
	char *s = malloc(r->len + 1);

	if (s == NULL)
		abort();
	iov = rope_iov(r, &n);
	for (size_t i = 0; i < n; i++) {
		memcpy(s + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	*len = off;
	rope_free(r);
	return s;
}

/* edit, or NULL when refused */
static char *edit(const char *buf, size_t len, bool exists, const char *lines, size_t *olen, bool *del)
{
	struct rope out;
	int rc;

	rope_init(&out);
	rc = text_block_edit(buf, len, exists, "fuzz", lines, &out, del);
	if (rc < 0)
		abort(); /* (no allocation fails here) */
	if (rc == 1) {
		rope_free(&out);
		return NULL;
	}
	return flat(&out, olen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	bool had = text_block_present(in, size), del;
	size_t alen, blen, rlen, r2len;
	char *added, *again, *removed, *re;

	added = edit(in, size, true, LINES, &alen, &del);
	if (added == NULL) {
		/* refused: then removal is refused too (nothing is guessed) */
		if (!had || edit(in, size, true, NULL, &rlen, &del) != NULL)
			abort();
		return 0;
	}
	if (del || !text_block_present(added, alen) || memmem(added, alen, LINES, strlen(LINES)) == NULL)
		abort();
	if (!had && (alen < size || memcmp(added, in, size) != 0))
		abort(); /* a new block only appends */
	again = edit(added, alen, true, LINES, &blen, &del);
	if (again == NULL || blen != alen || memcmp(again, added, alen) != 0)
		abort();
	removed = edit(added, alen, true, NULL, &rlen, &del);
	if (removed == NULL || text_block_present(removed, rlen))
		abort();
	if (!had && (rlen != size || memcmp(removed, in, size) != 0))
		abort(); /* given back byte for byte */
	/* the removal of the input's own block gives the same */
	re = edit(in, size, true, NULL, &r2len, &del);
	if (re == NULL || r2len != rlen || memcmp(re, removed, rlen) != 0)
		abort();
	free(added);
	free(again);
	free(removed);
	free(re);
	/* a file cainit creates goes with its block */
	added = edit(NULL, 0, false, LINES, &alen, &del);
	removed = edit(added, alen, true, NULL, &rlen, &del);
	if (removed == NULL || !del || rlen != 0)
		abort();
	free(added);
	free(removed);
	return 0;
}
