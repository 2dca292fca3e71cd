/*
 * test_sha1_pair.c: two SHA-1s fed at once (sha1_pair.h) give exactly the
 * digests of each message hashed alone, whatever the pieces, the bytes
 * skipped, and the bytes each context held before and is fed after; both
 * with the SHA extensions (where the CPU has them) and without.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/sha.h>

#include "sha1_pair.h"

#define MAX_MSG 6000
#define MAX_PIECES 40

static uint64_t seed = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t below)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint32_t)(seed % below);
}

/* one message: its bytes cut into pieces, some empty */
struct msg {
	unsigned char bytes[MAX_MSG];
	size_t len, skip, before, after, npieces;
	struct iovec iov[MAX_PIECES];
};

static const size_t edges[] = {0, 1, 63, 64, 65, 127, 128, 129, 4096, 5000};

static void make(struct msg *m, size_t len)
{
	size_t at = 0;

	m->len = len;
	for (size_t i = 0; i < len; i++)
		m->bytes[i] = (unsigned char)rnd(256);
	m->npieces = 0;
	while (m->npieces < MAX_PIECES - 1 && at < len) {
		size_t cut = rnd(4) == 0 ? rnd(3) : rnd(4) == 0 ? rnd(70) : rnd(1500);

		if (cut > len - at)
			cut = len - at;
		m->iov[m->npieces++] = (struct iovec){m->bytes + at, cut};
		at += cut;
	}
	m->iov[m->npieces++] = (struct iovec){m->bytes + at, len - at};
	m->skip = rnd(3) == 0 ? 0 : rnd((uint32_t)len + 2);
	m->before = rnd(3) == 0 ? 0 : rnd(130);
	m->after = rnd(3) == 0 ? 0 : rnd(130);
}

/* SHA-1 of before's bytes, the message from skip on, after's bytes, in one go */
static void expected(const struct msg *m, const unsigned char *pad, unsigned char md[20])
{
	SHA_CTX c;
	size_t from = m->skip < m->len ? m->skip : m->len;

	SHA1_Init(&c);
	SHA1_Update(&c, pad, m->before);
	SHA1_Update(&c, m->bytes + from, m->len - from);
	SHA1_Update(&c, pad + 200, m->after);
	SHA1_Final(md, &c);
}

static void check_pairs(int rounds)
{
	static struct msg a, b;
	unsigned char pad[400], want_a[20], want_b[20], got_a[20], got_b[20];

	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = (unsigned char)rnd(256);
	for (int r = 0; r < rounds; r++) {
		size_t la = r < 100 ? edges[r % 10] : rnd(MAX_MSG);
		size_t lb = r < 100 ? edges[(r / 10) % 10] : rnd(5) == 0 ? la : rnd(MAX_MSG);
		SHA_CTX ca, cb;

		make(&a, la);
		make(&b, lb);
		SHA1_Init(&ca);
		SHA1_Init(&cb);
		SHA1_Update(&ca, pad, a.before);
		SHA1_Update(&cb, pad, b.before);
		sha1_pair_update(&(struct sha1_feed){&ca, a.iov, a.npieces, a.skip},
				 &(struct sha1_feed){&cb, b.iov, b.npieces, b.skip});
		SHA1_Update(&ca, pad + 200, a.after);
		SHA1_Update(&cb, pad + 200, b.after);
		SHA1_Final(got_a, &ca);
		SHA1_Final(got_b, &cb);
		expected(&a, pad, want_a);
		expected(&b, pad, want_b);
		if (memcmp(got_a, want_a, 20) != 0 || memcmp(got_b, want_b, 20) != 0)
			fail_msg("round %d: lengths %zu/%zu, skips %zu/%zu, before %zu/%zu, %zu/%zu pieces", r, la, lb,
				 a.skip, b.skip, a.before, b.before, a.npieces, b.npieces);
	}
}

#if defined(__x86_64__)
/* Does the kernel say this CPU has the SHA extensions? ("sha_ni" among
 * the x86 flags; arm64 and others never take the pair) */
static bool cpuinfo_has_sha_ni(void)
{
	char line[8192];
	bool yes = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f != NULL && !yes && fgets(line, sizeof(line), f) != NULL)
		yes = strncmp(line, "flags", 5) == 0 && strstr(line, " sha_ni") != NULL;
	if (f != NULL)
		fclose(f);
	return yes;
}
#endif

static void test_together(void **state)
{
	(void)state;
	sha1_pair_allow_together(true);
#if defined(__x86_64__)
	/* where the CPU has them, the pair is what is tested here, not the
	 * fallback: a detection that broke would make every JKS edit slower
	 * and still pass the digests below */
	if (cpuinfo_has_sha_ni())
		assert_true(sha1_pair_together());
#endif
	if (!sha1_pair_together())
		printf("# this CPU has no SHA extensions: the pair is fed one after the other\n");
	check_pairs(3000);
}

static void test_one_after_the_other(void **state)
{
	(void)state;
	sha1_pair_allow_together(false);
	assert_false(sha1_pair_together());
	check_pairs(500);
	sha1_pair_allow_together(true);
}

#define JKS_KEY "\0c\0h\0a\0n\0g\0e\0i\0tMighty Aphrodite"

/* SHA-1 of the keyed prefix and buf, in one go */
static void keyed(const unsigned char *buf, size_t len, unsigned char md[20])
{
	SHA_CTX c;

	SHA1_Init(&c);
	SHA1_Update(&c, JKS_KEY, 30);
	SHA1_Update(&c, buf, len);
	SHA1_Final(md, &c);
}

/* Two keystore-sized messages in one piece each, as a JKS edit feeds them. */
static void test_keystore_sized(void **state)
{
	static unsigned char x[166178], y[167600];
	unsigned char want[20], got[20];
	SHA_CTX cx, cy;

	(void)state;
	for (size_t i = 0; i < sizeof(y); i++)
		y[i] = (unsigned char)rnd(256);
	memcpy(x, y, sizeof(x));
	SHA1_Init(&cx);
	SHA1_Update(&cx, JKS_KEY, 30);
	cy = cx;
	sha1_pair_update(&(struct sha1_feed){&cx, &(struct iovec){x, sizeof(x)}, 1, 0},
			 &(struct sha1_feed){&cy, &(struct iovec){y, sizeof(y)}, 1, 0});
	SHA1_Final(got, &cx);
	keyed(x, sizeof(x), want);
	assert_memory_equal(got, want, 20);
	SHA1_Final(got, &cy);
	keyed(y, sizeof(y), want);
	assert_memory_equal(got, want, 20);
}

/* The bit count's low word wraps inside a run of blocks (as after 512 MB
 * fed): the carry reaches the high word as SHA1_Update's does. */
static void test_count_carries(void **state)
{
	static unsigned char x[4096], y[4096];
	unsigned char want[20], got[20];
	SHA_CTX pair_x, pair_y, alone;

	(void)state;
	for (size_t i = 0; i < sizeof(x); i++) {
		x[i] = (unsigned char)rnd(256);
		y[i] = (unsigned char)rnd(256);
	}
	SHA1_Init(&pair_x);
	pair_x.Nl = 0xfffff000u; /* 512 bytes before the wrap, on a block boundary */
	pair_y = alone = pair_x;
	sha1_pair_update(&(struct sha1_feed){&pair_x, &(struct iovec){x, sizeof(x)}, 1, 0},
			 &(struct sha1_feed){&pair_y, &(struct iovec){y, sizeof(y)}, 1, 0});
	SHA1_Update(&alone, x, sizeof(x));
	assert_int_equal(pair_x.Nh, alone.Nh);
	assert_int_equal(pair_x.Nl, alone.Nl);
	SHA1_Final(got, &pair_x);
	SHA1_Final(want, &alone);
	assert_memory_equal(got, want, 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_together),
		cmocka_unit_test(test_one_after_the_other),
		cmocka_unit_test(test_keystore_sized),
		cmocka_unit_test(test_count_carries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
