/*
 * test_bundle.c: cainit's blocks in a bundle. The promise under test: bytes
 * outside cainit's blocks never change, removal restores them exactly, and
 * every result parses, whatever the bundle looked like before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "certgen.h"

#define NCERTS 4
static struct cert certs[NCERTS];
static char *foreign_pem; /* a real certificate, as distro content */

static int setup(void **state)
{
	struct certgen_opts o = {.ca = true, .not_before = -60, .not_after = 86400};
	char cn[32];
	size_t i, len;

	(void)state;
	for (i = 0; i <= NCERTS; i++) {
		struct testcert t;
		unsigned char *der;

		snprintf(cn, sizeof(cn), "Bundle CA %zu", i);
		o.cn = cn;
		if (certgen_make(&t, &o) < 0)
			return -1;
		if (i == NCERTS) {
			foreign_pem = certgen_pem(&t, &len);
		} else {
			der = certgen_der(&t, &len);
			if (cert_from_der(der, len, &certs[i]) < 0)
				return -1;
			free(der);
		}
		certgen_free(&t);
	}
	return 0;
}

static int teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCERTS; i++)
		cert_free(&certs[i]);
	free(foreign_pem);
	return 0;
}

/* Apply one edit to *buf in place (via rope) and return the new content. */
static char *edit(const char *buf, size_t len, const char *drop, const char *set,
		  struct cert *add, size_t nadd, size_t *outlen, bool *del)
{
	struct cert_list l = {add, nadd};
	struct bundle_view v;
	struct rope r;
	char *out;

	rope_init(&r);
	assert_int_equal(bundle_scan(buf, len, &v), 0);
	assert_int_equal(bundle_edit(&v, drop, set, add ? &l : NULL, &r, del), 0);
	out = rope_join(&r);
	*outlen = r.len;
	rope_free(&r);
	bundle_view_free(&v);
	return out;
}

/* Number of certificates libcrypto reads, or -1 when it does not parse. */
static int parse_count(const char *buf, size_t len)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	STACK_OF(X509_INFO) *infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	int n = infos ? sk_X509_INFO_num(infos) : -1;

	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	return n;
}

/* The bytes outside cainit's blocks. */
static char *outside(const char *buf, size_t len, size_t *outlen)
{
	struct bundle_view v;
	char *out = malloc(len + 1);
	size_t pos = 0, n = 0, i;

	assert_int_equal(bundle_scan(buf, len, &v), 0);
	for (i = 0; i < v.n; i++) {
		memcpy(out + n, buf + pos, v.blocks[i].start - pos);
		n += v.blocks[i].start - pos;
		pos = v.blocks[i].end;
	}
	memcpy(out + n, buf + pos, len - pos);
	n += len - pos;
	bundle_view_free(&v);
	*outlen = n;
	return out;
}

static void test_add_and_remove_restores_bytes(void **state)
{
	const char *orig = foreign_pem;
	size_t olen = strlen(orig), n1, n2;
	bool del;
	char *b1 = edit(orig, olen, "default", "default", &certs[0], 1, &n1, &del);
	char *b2;
	struct bundle_view v;
	struct cert_list want = {&certs[0], 1};

	(void)state;
	assert_false(del);
	assert_int_equal(parse_count(b1, n1), 2);
	assert_memory_equal(b1, orig, olen); /* appended, prefix untouched */
	assert_int_equal(bundle_scan(b1, n1, &v), 0);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.blocks[0].set, "default");
	assert_memory_equal(v.blocks[0].sha256, certs[0].sha256, 32);
	assert_true(bundle_set_matches(&v, "default", &want));
	assert_false(bundle_set_matches(&v, "other", &want));
	assert_true(bundle_set_matches(&v, "other", NULL));
	bundle_view_free(&v);
	b2 = edit(b1, n1, "default", NULL, NULL, 0, &n2, &del);
	assert_int_equal(n2, olen);
	assert_memory_equal(b2, orig, olen);
	free(b1);
	free(b2);
}

static void test_no_trailing_newline(void **state)
{
	size_t olen = strlen(foreign_pem) - 1, n1, n2, n3, n4;
	char *orig = strndup(foreign_pem, olen); /* "-----END CERTIFICATE-----" with no newline */
	bool del;
	char *b1, *b2, *b3, *b4;
	struct bundle_view v;

	(void)state;
	b1 = edit(orig, olen, "a", "a", &certs[0], 1, &n1, &del);
	assert_int_equal(parse_count(b1, n1), 2);
	assert_int_equal(bundle_scan(b1, n1, &v), 0);
	assert_true(v.blocks[0].nl);
	assert_int_equal(v.blocks[0].start, olen);
	bundle_view_free(&v);
	b2 = edit(b1, n1, "b", "b", &certs[1], 1, &n2, &del);
	assert_int_equal(parse_count(b2, n2), 3);
	/* dropping the block that owns the newline hands it to the next one */
	b3 = edit(b2, n2, "a", NULL, NULL, 0, &n3, &del);
	assert_int_equal(parse_count(b3, n3), 2);
	assert_int_equal(bundle_scan(b3, n3, &v), 0);
	assert_int_equal(v.n, 1);
	assert_true(v.blocks[0].nl);
	assert_string_equal(v.blocks[0].set, "b");
	bundle_view_free(&v);
	b4 = edit(b3, n3, "b", NULL, NULL, 0, &n4, &del);
	assert_int_equal(n4, olen);
	assert_memory_equal(b4, orig, olen);
	free(orig);
	free(b1);
	free(b2);
	free(b3);
	free(b4);
}

static void test_rotation_and_sets_are_independent(void **state)
{
	size_t olen = strlen(foreign_pem), n1, n2, n3;
	bool del;
	char *b1 = edit(foreign_pem, olen, "a", "a", &certs[0], 2, &n1, &del);
	char *b2 = edit(b1, n1, "b", "b", &certs[2], 1, &n2, &del);
	char *b3 = edit(b2, n2, "a", "a", &certs[3], 1, &n3, &del);
	struct bundle_view v;
	struct cert_list a = {&certs[3], 1}, b = {&certs[2], 1};

	(void)state;
	assert_int_equal(parse_count(b3, n3), 3);
	assert_int_equal(bundle_scan(b3, n3, &v), 0);
	assert_int_equal(bundle_count(&v, "a"), 1);
	assert_int_equal(bundle_count(&v, "b"), 1);
	assert_int_equal(bundle_count(&v, NULL), 2);
	assert_true(bundle_set_matches(&v, "a", &a));
	assert_true(bundle_set_matches(&v, "b", &b));
	bundle_view_free(&v);
	free(b1);
	free(b2);
	free(b3);
}

static void test_block_in_the_middle(void **state)
{
	/* someone appended after cainit's block (E2B-style `cat ca >> bundle`) */
	size_t olen = strlen(foreign_pem), n1, n2;
	bool del;
	char *b1 = edit(foreign_pem, olen, "a", "a", &certs[0], 1, &n1, &del);
	char *mid = malloc(n1 + olen + 1), *b2;

	(void)state;
	memcpy(mid, b1, n1);
	memcpy(mid + n1, foreign_pem, olen);
	b2 = edit(mid, n1 + olen, "a", NULL, NULL, 0, &n2, &del);
	assert_int_equal(n2, 2 * olen);
	assert_memory_equal(b2, foreign_pem, olen);
	assert_memory_equal(b2 + olen, foreign_pem, olen);
	free(b1);
	free(mid);
	free(b2);
}

static void test_created_bundle_goes_away(void **state)
{
	struct cert_list l = {&certs[0], 1};
	struct bundle_view v;
	struct rope r;
	bool del;
	char *b1, *b2;
	size_t n2;

	(void)state;
	rope_init(&r);
	assert_int_equal(bundle_edit(NULL, "a", "a", &l, &r, &del), 0);
	b1 = rope_join(&r);
	assert_int_equal(bundle_scan(b1, r.len, &v), 0);
	assert_true(v.created);
	assert_int_equal(bundle_count(&v, NULL), 1);
	assert_int_equal(parse_count(b1, r.len), 1);
	bundle_view_free(&v);
	b2 = edit(b1, r.len, NULL, NULL, NULL, 0, &n2, &del);
	assert_true(del);
	rope_free(&r);
	free(b1);
	free(b2);
}

static void test_altered_block_does_not_match(void **state)
{
	size_t olen = strlen(foreign_pem), n1;
	bool del;
	char *b1 = edit(foreign_pem, olen, "a", "a", &certs[0], 1, &n1, &del);
	struct cert_list want = {&certs[0], 1}, both = {&certs[0], 2};
	struct bundle_view v;
	char *p;

	(void)state;
	assert_int_equal(bundle_scan(b1, n1, &v), 0);
	assert_false(bundle_set_matches(&v, "a", &both)); /* one missing */
	bundle_view_free(&v);
	p = strstr(b1 + olen, "-----BEGIN CERTIFICATE-----\n") + 28;
	*p = *p == 'A' ? 'B' : 'A';
	assert_int_equal(bundle_scan(b1, n1, &v), 0);
	assert_false(bundle_set_matches(&v, "a", &want));
	bundle_view_free(&v);
	free(b1);
}

static void test_pad_marker_keeps_parse(void **state)
{
	size_t olen = strlen(foreign_pem), n1;
	bool del;
	char *b1 = edit(foreign_pem, olen, "a", "a", &certs[0], 1, &n1, &del);
	char *padded = bundle_pad_marker(b1, n1, olen, 300);
	struct bundle_view v;
	struct cert_list want = {&certs[0], 1};

	(void)state;
	assert_non_null(padded);
	assert_int_equal(parse_count(padded, n1 + 300), 2);
	assert_int_equal(bundle_scan(padded, n1 + 300, &v), 0);
	assert_int_equal(v.n, 1);
	assert_true(bundle_set_matches(&v, "a", &want));
	bundle_view_free(&v);
	assert_null(bundle_pad_marker(foreign_pem, olen, 0, 10));
	free(padded);
	free(b1);
}

/*
 * A "# cainit+nl" block right after another block: the newline before its
 * marker is also the previous block's END line's. The blocks must not
 * overlap, and dropping either leaves the foreign bytes as they were. (fuzz_bundle found
 * the overlap: fuzz/corpus/bundle/regress-adjacent-nl-block.)
 */
static void test_nl_block_after_block(void **state)
{
	const char *orig = foreign_pem;
	size_t olen = strlen(orig), n1, n2, n3, n4;
	bool del;
	char *b1 = edit(orig, olen, "a", "a", &certs[0], 1, &n1, &del);
	char *b2 = edit(b1, n1, "b", "b", &certs[1], 1, &n2, &del);
	char *plus, *b3, *b4;
	struct bundle_view v;

	(void)state;
	/* turn b's marker into the "+nl" form, right after a's END line */
	plus = malloc(n2 + 3);
	memcpy(plus, b2, n1);
	memcpy(plus + n1, "# cainit+nl", 11);
	memcpy(plus + n1 + 11, b2 + n1 + 8, n2 - n1 - 8);
	n2 += 3;
	assert_int_equal(bundle_scan(plus, n2, &v), 0);
	assert_int_equal(v.n, 2);
	assert_true(v.blocks[1].start >= v.blocks[0].end);
	bundle_view_free(&v);
	/* the newline is the "+nl" block's: it goes with it, and a's END line
	 * is left without one; the bytes before a are untouched */
	b3 = edit(plus, n2, "b", NULL, NULL, 0, &n3, &del);
	assert_int_equal(n3, n1 - 1);
	assert_memory_equal(b3, b1, n1 - 1);
	assert_memory_equal(b3, orig, olen);
	assert_int_equal(parse_count(b3, n3), parse_count(orig, olen) + 1);
	b4 = edit(plus, n2, "a", NULL, NULL, 0, &n4, &del);
	assert_int_equal(parse_count(b4, n4), parse_count(orig, olen) + 1);
	assert_memory_equal(b4, orig, olen);
	free(b1);
	free(b2);
	free(plus);
	free(b3);
	free(b4);
}

static void test_set_names(void **state)
{
	char long_name[80];

	(void)state;
	memset(long_name, 'a', sizeof(long_name));
	long_name[65] = '\0';
	assert_true(set_name_valid("default"));
	assert_true(set_name_valid("egress-ca_2"));
	assert_false(set_name_valid(""));
	assert_false(set_name_valid("-lead"));
	assert_false(set_name_valid("a.b"));
	assert_false(set_name_valid("a/b"));
	assert_false(set_name_valid("a b"));
	assert_false(set_name_valid(long_name));
	long_name[64] = '\0';
	assert_true(set_name_valid(long_name));
}

/* Random bundles (CRLF, comments, missing final newline) and random
 * install/remove sequences over three sets. */
static void test_random_edits_never_touch_foreign_bytes(void **state)
{
	const char *sets[] = {"a", "b", "c"};
	unsigned seed = 12345;
	int round;

	(void)state;
	for (round = 0; round < 300; round++) {
		char *orig = malloc(8192), *cur, *out;
		size_t olen = 0, clen, flen, nout;
		int step, base, expect_blocks = 0, in_set[3] = {0, 0, 0};
		bool del;

		seed = seed * 1103515245 + 12345;
		if (seed % 3 == 0) {
			memcpy(orig, foreign_pem, strlen(foreign_pem));
			olen = strlen(foreign_pem);
		}
		if (seed % 5 == 0)
			olen += (size_t)sprintf(orig + olen, "# a comment\r\n");
		if (seed % 7 == 0 && olen > 0)
			olen--; /* drop the final newline */
		base = parse_count(orig, olen);
		assert_true(base >= 0);
		cur = malloc(olen + 1);
		memcpy(cur, orig, olen);
		clen = olen;
		for (step = 0; step < 12; step++) {
			int s, nadd;

			seed = seed * 1103515245 + 12345;
			s = (int)((seed >> 8) % 3);
			nadd = (int)((seed >> 12) % 3); /* 0: remove */
			out = edit(cur, clen, sets[s], sets[s], nadd ? &certs[(seed >> 16) % 2] : NULL,
				   (size_t)nadd, &nout, &del);
			free(cur);
			cur = out;
			clen = nout;
			expect_blocks += nadd - in_set[s];
			in_set[s] = nadd;
			{
				char *o = outside(cur, clen, &flen);

				assert_int_equal(flen, olen);
				assert_memory_equal(o, orig, olen);
				free(o);
			}
			/* every certificate still parses: the original ones plus cainit's */
			assert_int_equal(parse_count(cur, clen), base + expect_blocks);
		}
		out = edit(cur, clen, NULL, NULL, NULL, 0, &nout, &del);
		assert_int_equal(nout, olen);
		assert_memory_equal(out, orig, olen);
		free(out);
		free(cur);
		free(orig);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_remove_restores_bytes),
		cmocka_unit_test(test_no_trailing_newline),
		cmocka_unit_test(test_rotation_and_sets_are_independent),
		cmocka_unit_test(test_block_in_the_middle),
		cmocka_unit_test(test_created_bundle_goes_away),
		cmocka_unit_test(test_altered_block_does_not_match),
		cmocka_unit_test(test_pad_marker_keeps_parse),
		cmocka_unit_test(test_nl_block_after_block),
		cmocka_unit_test(test_set_names),
		cmocka_unit_test(test_random_edits_never_touch_foreign_bytes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
