/*
 * fuzz_bundle.c: libFuzzer target for cainit's blocks in a bundle
 * (bundle_scan, bundle_edit). The input is a few operation bytes and then
 * any bundle text; the operations (install one or two CAs as a set, remove
 * a set, remove every set) are applied one after another, each to the
 * previous result, as installs, rotations and removes are to a real file.
 * Properties, after every operation:
 *   - the result scans again;
 *   - the bytes outside cainit's blocks are exactly the original's;
 *   - an installed set holds exactly the CAs asked for, a removed one none,
 *     and the other sets keep their counts;
 *   - every block of the set just installed decodes to a certificate with
 *     its marker's SHA-256 (blocks that came in with the input may have
 *     been edited by hand; bundle_set_matches compares their PEM bytes, so
 *     an edited block never passes for an installed CA).
 */
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "certgen.h"
#include "cerr.h"
#include "pem.h"
#include "rope.h"

static const char *const sets[] = {"default", "egress", "b", "Z-9"};
static struct cert_list cas[3]; /* A, B, and A+B */

static void make_cas(void)
{
	for (int i = 0; i < 2; i++) {
		struct certgen_opts o = {.cn = i ? "fuzz CA B" : "fuzz CA A", .ca = true,
					 .not_before = -3600, .not_after = 86400};
		struct testcert c;
		struct cerr e = {0};
		size_t n;
		char *pem;

		if (certgen_make(&c, &o) < 0 || (pem = certgen_pem(&c, &n)) == NULL ||
		    cert_list_parse((unsigned char *)pem, n, "fuzz", &cas[i], &e) != 0)
			abort();
		free(pem);
		certgen_free(&c);
	}
	{
		struct cerr e = {0};
		size_t n = cas[0].v[0].pem_len + cas[1].v[0].pem_len;
		char *both = malloc(n);

		memcpy(both, cas[0].v[0].pem, cas[0].v[0].pem_len);
		memcpy(both + cas[0].v[0].pem_len, cas[1].v[0].pem, cas[1].v[0].pem_len);
		if (cert_list_parse((unsigned char *)both, n, "fuzz", &cas[2], &e) != 0)
			abort();
		free(both);
	}
}

/* the bytes of v outside cainit's blocks, joined */
static char *foreign(const struct bundle_view *v, size_t *n)
{
	char *out = malloc(v->len + 1);
	size_t at = 0, o = 0;

	if (out == NULL)
		abort();
	for (size_t i = 0; i < v->n; i++) {
		memcpy(out + o, v->buf + at, v->blocks[i].start - at);
		o += v->blocks[i].start - at;
		at = v->blocks[i].end;
	}
	memcpy(out + o, v->buf + at, v->len - at);
	*n = o + v->len - at;
	return out;
}

static void check_blocks(const struct bundle_view *v, const char *set)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct bblock *b = &v->blocks[i];
		struct pem_block p;
		size_t pos = b->pem, dlen;
		unsigned char *der, md[32];

		if (b->header || strcmp(b->set, set) != 0)
			continue;
		if (pem_next(v->buf, b->end, &pos, &p) != PEM_FOUND ||
		    b64_decode(p.body, p.body_len, &der, &dlen) != 0)
			abort();
		SHA256(der, dlen, md);
		if (memcmp(md, b->sha256, 32) != 0)
			abort();
		free(der);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_view v;
	char *cur, *orig_foreign;
	size_t nops, cur_len, orig_len;

	if (cas[0].n == 0)
		make_cas();
	if (size < 1)
		return 0;
	nops = data[0] % 6;
	if (size < 1 + nops)
		return 0;
	cur_len = size - 1 - nops;
	cur = malloc(cur_len + 1);
	memcpy(cur, data + 1 + nops, cur_len);
	if (bundle_scan(cur, cur_len, &v) != 0) {
		free(cur); /* a bundle cainit cannot read is refused, never edited */
		return 0;
	}
	orig_foreign = foreign(&v, &orig_len);

	for (size_t k = 0; k < nops; k++) {
		uint8_t op = data[1 + k];
		const char *set = sets[op & 3];
		int what = (op >> 2) & 3;
		const struct cert_list *add = what < 2 ? &cas[what == 0 ? (op >> 4) & 1 : 2] : NULL;
		size_t before[4], n;
		struct rope r;
		bool del = false;
		char *next, *f;

		for (int s = 0; s < 4; s++)
			before[s] = bundle_count(&v, sets[s]);
		rope_init(&r);
		if (bundle_edit(&v, what == 3 ? NULL : set, add ? set : NULL, add, &r, &del) != 0)
			abort();
		next = del ? calloc(1, 1) : rope_join(&r);
		n = del ? 0 : r.len;
		rope_free(&r);
		bundle_view_free(&v);
		free(cur);
		cur = next;
		cur_len = n;
		if (bundle_scan(cur, cur_len, &v) != 0)
			abort(); /* cainit's own output always reads back */
		if (add)
			check_blocks(&v, set);
		f = foreign(&v, &n);
		if (n != orig_len || memcmp(f, orig_foreign, n) != 0)
			abort(); /* bytes outside cainit's blocks never change */
		free(f);
		for (int s = 0; s < 4; s++) {
			size_t got = bundle_count(&v, sets[s]);

			if (what == 3)
				before[s] = 0;
			if (strcmp(sets[s], set) != 0 || what == 3) {
				if (got != before[s])
					abort();
			} else if (add ? !bundle_set_matches(&v, set, add) || got != add->n : got != 0) {
				abort();
			}
		}
	}
	bundle_view_free(&v);
	free(cur);
	free(orig_foreign);
	return 0;
}
