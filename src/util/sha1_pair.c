/*
 * sha1_pair.c: see sha1_pair.h. One message's SHA-1 rounds wait on each
 * other (each sha1rnds4 needs the last one's result); the rounds of a
 * second, independent message fill those waits. Two 164 KB messages: 180
 * us one after the other through OpenSSL, 103 us together (AMD EPYC, the
 * bench machine). Only whole 64-byte blocks go through the pair; partial
 * blocks, padding, the length, and CPUs without the SHA extensions are
 * OpenSSL's, through the same SHA_CTX.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_Update on a SHA_CTX: as keystore_jks.c */
#include "sha1_pair.h"

#include <stdint.h>
#include <string.h>

#define BLOCK 64

/* a message's place in its pieces and the bytes it has left */
struct cursor {
	SHA_CTX *c;
	const struct iovec *iov;
	size_t n, i, off, left;
};

static void settle(struct cursor *k)
{
	while (k->i < k->n && k->off >= k->iov[k->i].iov_len) {
		k->i++;
		k->off = 0;
	}
}

static void advance(struct cursor *k, size_t len)
{
	k->left -= len;
	while (len > 0) {
		size_t in;

		settle(k);
		in = k->iov[k->i].iov_len - k->off;
		if (len < in) {
			k->off += len;
			return;
		}
		len -= in;
		k->i++;
		k->off = 0;
	}
	settle(k);
}

static void start(struct cursor *k, const struct sha1_feed *f)
{
	size_t total = 0;

	for (size_t i = 0; i < f->niov; i++)
		total += f->iov[i].iov_len;
	*k = (struct cursor){f->c, f->iov, f->niov, 0, 0, total};
	advance(k, f->skip < total ? f->skip : total);
}

/* up to len bytes of the current piece through OpenSSL */
static void feed_some(struct cursor *k, size_t len)
{
	size_t in;

	settle(k);
	in = k->iov[k->i].iov_len - k->off;
	if (len > in)
		len = in;
	SHA1_Update(k->c, (const char *)k->iov[k->i].iov_base + k->off, len);
	advance(k, len);
}

static void feed_rest(struct cursor *k)
{
	while (k->left > 0)
		feed_some(k, k->left);
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

static int cpu_state; /* 0 not asked yet, 1 has the extensions, -1 has not */
static bool allowed = true;

static bool cpu_has_sha(void)
{
	unsigned a, b, c, d;

	if (cpu_state == 0) {
		bool ok = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) && (c & bit_SSE4_1) &&
			  __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);

		cpu_state = ok ? 1 : -1;
	}
	return cpu_state > 0;
}

bool sha1_pair_together(void)
{
	return allowed && cpu_has_sha();
}

void sha1_pair_allow_together(bool allow)
{
	allowed = allow;
}

/* the 16 message bytes at p + 16 k as four big-endian words, first word
 * in the top lane (the order sha1rnds4 takes) */
#define WORDS(p, k)                                                                                              \
	_mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p) + (k)),                           \
			 _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL))

/* Words 4 g .. 4 g + 3 of the schedule from the four before them, in
 * place: w[g & 3] held words 4 (g - 4) .. and becomes the new ones. */
#define SCHEDULE(w, g)                                                                                           \
	((w)[(g) & 3] = _mm_sha1msg2_epu32(                                                                     \
		 _mm_xor_si128(_mm_sha1msg1_epu32((w)[(g) & 3], (w)[((g) + 1) & 3]), (w)[((g) + 2) & 3]),       \
		 (w)[((g) + 3) & 3]))

/* Four rounds, group g (0..19) with function f = g / 5: e is the group's
 * e added to its words; prev is abcd before the last group (whose a,
 * rotated, is this group's e). */
#define ROUNDS(abcd, prev, w, g, f)                                                                              \
	do {                                                                                                     \
		__m128i e_ = _mm_sha1nexte_epu32(prev, (g) < 4 ? (w)[g] : SCHEDULE(w, g));                    \
		prev = abcd;                                                                                     \
		abcd = _mm_sha1rnds4_epu32(abcd, e_, f);                                                        \
	} while (0)

#define BOTH(g, f)                                                                                               \
	do {                                                                                                     \
		ROUNDS(x, xprev, xw, g, f);                                                                      \
		ROUNDS(y, yprev, yw, g, f);                                                                      \
	} while (0)

__attribute__((target("sha,sse4.1,ssse3"))) static void compress_pair(SHA_CTX *cx, const unsigned char *px,
									  SHA_CTX *cy, const unsigned char *py,
									  size_t blocks)
{
	__m128i x = _mm_set_epi32((int)cx->h0, (int)cx->h1, (int)cx->h2, (int)cx->h3);
	__m128i y = _mm_set_epi32((int)cy->h0, (int)cy->h1, (int)cy->h2, (int)cy->h3);
	__m128i xe = _mm_set_epi32((int)cx->h4, 0, 0, 0), ye = _mm_set_epi32((int)cy->h4, 0, 0, 0);

	for (; blocks > 0; blocks--, px += BLOCK, py += BLOCK) {
		__m128i xw[4], yw[4], xsave = x, ysave = y, xprev, yprev;

		for (int k = 0; k < 4; k++) {
			xw[k] = WORDS(px, k);
			yw[k] = WORDS(py, k);
		}
		/* group 0: e is the saved e itself, not one made from a */
		xprev = x;
		x = _mm_sha1rnds4_epu32(x, _mm_add_epi32(xe, xw[0]), 0);
		yprev = y;
		y = _mm_sha1rnds4_epu32(y, _mm_add_epi32(ye, yw[0]), 0);
		BOTH(1, 0);
		BOTH(2, 0);
		BOTH(3, 0);
		BOTH(4, 0);
		BOTH(5, 1);
		BOTH(6, 1);
		BOTH(7, 1);
		BOTH(8, 1);
		BOTH(9, 1);
		BOTH(10, 2);
		BOTH(11, 2);
		BOTH(12, 2);
		BOTH(13, 2);
		BOTH(14, 2);
		BOTH(15, 3);
		BOTH(16, 3);
		BOTH(17, 3);
		BOTH(18, 3);
		BOTH(19, 3);
		xe = _mm_sha1nexte_epu32(xprev, xe);
		x = _mm_add_epi32(x, xsave);
		ye = _mm_sha1nexte_epu32(yprev, ye);
		y = _mm_add_epi32(y, ysave);
	}
	cx->h0 = (SHA_LONG)_mm_extract_epi32(x, 3);
	cx->h1 = (SHA_LONG)_mm_extract_epi32(x, 2);
	cx->h2 = (SHA_LONG)_mm_extract_epi32(x, 1);
	cx->h3 = (SHA_LONG)_mm_extract_epi32(x, 0);
	cx->h4 = (SHA_LONG)_mm_extract_epi32(xe, 3);
	cy->h0 = (SHA_LONG)_mm_extract_epi32(y, 3);
	cy->h1 = (SHA_LONG)_mm_extract_epi32(y, 2);
	cy->h2 = (SHA_LONG)_mm_extract_epi32(y, 1);
	cy->h3 = (SHA_LONG)_mm_extract_epi32(y, 0);
	cy->h4 = (SHA_LONG)_mm_extract_epi32(ye, 3);
}

/* the message length SHA_CTX keeps, in bits, as SHA1_Update counts it */
static void count(SHA_CTX *c, size_t bytes)
{
	SHA_LONG l = c->Nl + (SHA_LONG)(bytes << 3);

	if (l < c->Nl)
		c->Nh++;
	c->Nh += (SHA_LONG)(bytes >> 29);
	c->Nl = l;
}

/* Whole blocks ready at k's place: in its current piece (*p points
 * there), or one gathered across pieces into spare. 0 when fewer than a
 * block's bytes are left. */
static size_t ready(struct cursor *k, unsigned char spare[BLOCK], const unsigned char **p)
{
	size_t in;

	if (k->left < BLOCK)
		return 0;
	settle(k);
	in = k->iov[k->i].iov_len - k->off;
	if (in >= BLOCK) {
		*p = (const unsigned char *)k->iov[k->i].iov_base + k->off;
		return in / BLOCK;
	}
	for (size_t got = 0, i = k->i, off = k->off; got < BLOCK; i++, off = 0) {
		size_t take = k->iov[i].iov_len - off;

		if (take > BLOCK - got)
			take = BLOCK - got;
		memcpy(spare + got, (const char *)k->iov[i].iov_base + off, take);
		got += take;
	}
	*p = spare;
	return 1;
}

/* SHA1_Update up to the next block boundary, so that whole blocks can
 * go through the pair */
static void align(struct cursor *k)
{
	while (k->c->num != 0 && k->left > 0)
		feed_some(k, BLOCK - k->c->num);
}

static void together(struct cursor *x, struct cursor *y)
{
	unsigned char xs[BLOCK], ys[BLOCK];
	const unsigned char *px, *py;
	size_t nx, ny, n;

	align(x);
	align(y);
	while ((nx = ready(x, xs, &px)) > 0 && (ny = ready(y, ys, &py)) > 0) {
		n = nx < ny ? nx : ny;
		compress_pair(x->c, px, y->c, py, n);
		count(x->c, n * BLOCK);
		count(y->c, n * BLOCK);
		advance(x, n * BLOCK);
		advance(y, n * BLOCK);
	}
}
#else
bool sha1_pair_together(void)
{
	return false;
}

void sha1_pair_allow_together(bool allow)
{
	(void)allow;
}

static void together(struct cursor *x, struct cursor *y)
{
	(void)x;
	(void)y;
}
#endif

void sha1_pair_update(const struct sha1_feed *a, const struct sha1_feed *b)
{
	struct cursor x, y;

	start(&x, a);
	start(&y, b);
	if (sha1_pair_together())
		together(&x, &y);
	feed_rest(&x);
	feed_rest(&y);
}
