/*
 * test_keystore.c: Java keystores edited without a JVM. The promises under
 * test: other entries keep their bytes (a JKS add-then-remove is the
 * original file), the integrity digest or MAC checks after every edit, a
 * set holds exactly what it was given (rotation leaves nothing behind,
 * Debian's derived alias included), and a file that is truncated, has a bad
 * digest or another password is never edited. Fixtures are written here by
 * a separate JKS writer and by libcrypto's PKCS12_create, not by the code
 * under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certgen.h"
#include "keystore.h"

#define NCERTS 4
static struct cert certs[NCERTS];

static int setup(void **state)
{
	struct certgen_opts o = {.ca = true, .not_before = -60, .not_after = 86400};
	char cn[32];
	size_t i, len;

	(void)state;
	for (i = 0; i < NCERTS; i++) {
		struct testcert t;
		unsigned char *der;

		snprintf(cn, sizeof(cn), "Keystore CA %zu", i);
		o.cn = cn;
		if (certgen_make(&t, &o) < 0)
			return -1;
		der = certgen_der(&t, &len);
		if (cert_from_der(der, len, &certs[i]) < 0)
			return -1;
		free(der);
		certgen_free(&t);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCERTS; i++)
		cert_free(&certs[i]);
	return 0;
}

/* ---- a JKS writer of the test's own ---- */

struct buf {
	unsigned char *p;
	size_t len;
};

static void put(struct buf *b, const void *p, size_t n)
{
	b->p = realloc(b->p, b->len + n);
	assert_non_null(b->p);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = {v >> 24, v >> 16, v >> 8, v};

	put(b, x, 4);
}

static void pututf(struct buf *b, const char *s)
{
	unsigned char x[2] = {strlen(s) >> 8, strlen(s) & 0xff};

	put(b, x, 2);
	put(b, s, strlen(s));
}

struct jks_entry {
	const char *alias;
	const struct cert *c; /* NULL: a private-key entry with fake key bytes */
};

static struct buf make_jks(const struct jks_entry *v, size_t n, const char *password)
{
	unsigned char date[8] = {0, 0, 1, 0x80, 0, 0, 0, 0}, md[20], pw[64];
	struct buf b = {0};
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t i, plen = strlen(password);

	put32(&b, 0xfeedfeed);
	put32(&b, 2);
	put32(&b, (uint32_t)n);
	for (i = 0; i < n; i++) {
		const struct cert *x = v[i].c ? v[i].c : &certs[0];

		put32(&b, v[i].c ? 2 : 1);
		pututf(&b, v[i].alias);
		put(&b, date, 8);
		if (v[i].c == NULL) {
			put32(&b, 5);
			put(&b, "\x30\x03\x02\x01\x00", 5); /* (not a real key: never read) */
			put32(&b, 1);
		}
		pututf(&b, "X.509");
		put32(&b, (uint32_t)x->der_len);
		put(&b, x->der, x->der_len);
	}
	for (i = 0; i < plen; i++) {
		pw[2 * i] = 0;
		pw[2 * i + 1] = (unsigned char)password[i];
	}
	EVP_DigestInit_ex(c, EVP_sha1(), NULL);
	EVP_DigestUpdate(c, pw, 2 * plen);
	EVP_DigestUpdate(c, "Mighty Aphrodite", 16);
	EVP_DigestUpdate(c, b.p, b.len);
	EVP_DigestFinal_ex(c, md, NULL);
	EVP_MD_CTX_free(c);
	put(&b, md, 20);
	return b;
}

/* Render ks with (set, add) and return the new bytes (must parse). */
static struct buf render(const struct keystore *ks, const char *set, struct cert *add, size_t nadd)
{
	struct cert_list l = {add, nadd};
	char why[KEYSTORE_WHY_MAX];
	struct buf out = {0};
	struct rope r;

	rope_init(&r);
	assert_int_equal(keystore_render(ks, set, add ? &l : NULL, &r, why, sizeof(why)), 0);
	out.p = (unsigned char *)rope_join(&r);
	out.len = r.len;
	rope_free(&r);
	return out;
}

static void parse_ok(const struct buf *b, struct keystore *ks)
{
	char why[KEYSTORE_WHY_MAX] = "";

	if (keystore_parse((const char *)b->p, b->len, ks, why, sizeof(why)) != 0)
		fail_msg("does not parse: %s", why);
	assert_true(keystore_integrity_ok(ks, why, sizeof(why)));
}

static void test_jks_add_remove_is_identity(void **state)
{
	struct jks_entry v[] = {{"debian:foreign_one.pem", &certs[3]}, {"mykey", NULL}, {"foreign-two", &certs[2]}};
	struct buf orig = make_jks(v, 3, "changeit"), added, back;
	struct cert_list want = {certs, 2};
	struct keystore ks, ks2, ks3;

	(void)state;
	parse_ok(&orig, &ks);
	assert_int_equal(ks.n, 3);
	assert_int_equal(keystore_count(&ks, NULL), 0);
	added = render(&ks, "proxy", certs, 2);
	parse_ok(&added, &ks2);
	assert_int_equal(ks2.n, 5);
	assert_true(keystore_holds(&ks2, "proxy", &want));
	assert_int_equal(keystore_count(&ks2, "proxy"), 2);
	assert_int_equal(keystore_count(&ks2, "other"), 0);
	/* the old entries' bytes are where they were */
	assert_memory_equal(added.p + 12, orig.p + 12, orig.len - 12 - 20);
	back = render(&ks2, NULL, NULL, 0);
	assert_int_equal(back.len, orig.len);
	assert_memory_equal(back.p, orig.p, orig.len);
	parse_ok(&back, &ks3);
	keystore_free(&ks);
	keystore_free(&ks2);
	keystore_free(&ks3);
	free(orig.p);
	free(added.p);
	free(back.p);
}

static void test_jks_rotation_and_derived(void **state)
{
	struct jks_entry v[] = {{"foreign", &certs[3]}, {"debian:cainit.proxy.pem", &certs[0]}};
	struct buf orig = make_jks(v, 2, "changeit"), one, two;
	struct cert_list c0 = {&certs[0], 1}, c1 = {&certs[1], 1};
	struct keystore ks, ks1, ks2;

	(void)state;
	parse_ok(&orig, &ks);
	/* Debian's hook's alias for cainit's anchor belongs to the set */
	assert_int_equal(keystore_count(&ks, "proxy"), 1);
	assert_int_equal(keystore_count(&ks, "PROXY"), 1);
	assert_false(keystore_holds(&ks, "proxy", &c0));
	one = render(&ks, "proxy", &certs[0], 1);
	parse_ok(&one, &ks1);
	assert_true(keystore_holds(&ks1, "proxy", &c0));
	assert_int_equal(keystore_count(&ks1, "proxy"), 1); /* the derived one is gone */
	{
		/* after update-ca-certificates, Debian's hook holds a copy of the
		 * set's CA: the set still holds; a stale copy (an old CA) does not */
		char ours[KEYSTORE_ALIAS_MAX];
		struct jks_entry same[] = {{ours, &certs[0]}, {"debian:cainit.proxy.pem", &certs[0]}},
				 stale[] = {{ours, &certs[0]}, {"debian:cainit.proxy.pem", &certs[2]}};
		struct buf bs, bt;
		struct keystore kss, kst;

		keystore_alias(ours, "proxy", certs[0].sha256);
		bs = make_jks(same, 2, "changeit");
		bt = make_jks(stale, 2, "changeit");
		parse_ok(&bs, &kss);
		parse_ok(&bt, &kst);
		assert_true(keystore_holds(&kss, "proxy", &c0));
		assert_false(keystore_holds(&kst, "proxy", &c0));
		keystore_free(&kss);
		keystore_free(&kst);
		free(bs.p);
		free(bt.p);
	}
	two = render(&ks1, "proxy", &certs[1], 1);
	parse_ok(&two, &ks2);
	assert_true(keystore_holds(&ks2, "proxy", &c1));
	assert_false(keystore_holds(&ks2, "proxy", &c0));
	assert_int_equal(keystore_count(&ks2, NULL), 1);
	assert_int_equal(ks2.n, 2);
	keystore_free(&ks);
	keystore_free(&ks1);
	keystore_free(&ks2);
	free(orig.p);
	free(one.p);
	free(two.p);
}

/* A rotation keeps the count, so the digest check and the new digest share
 * their SHA-1 over the kept entries (keystore_jks.c): the check must still
 * see every byte. A byte changed in a kept entry (inside the shared part),
 * in cainit's own entry (after it), or another password: refused, for a
 * rotation as for an addition; the good one rotates to a file whose
 * digest checks (parse_ok checks it the independent way). */
static void test_jks_rotation_checks_every_byte(void **state)
{
	char ours[KEYSTORE_ALIAS_MAX];
	struct jks_entry v[] = {{"foreign", &certs[3]}, {"mykey", NULL}, {ours, &certs[0]}};
	struct cert_list c1 = {&certs[1], 1};
	char why[KEYSTORE_WHY_MAX];
	struct keystore ks, ks2;
	struct buf good, bad, rotated;
	struct rope r;

	(void)state;
	keystore_alias(ours, "proxy", certs[0].sha256);
	good = make_jks(v, 3, "changeit");
	parse_ok(&good, &ks);
	rotated = render(&ks, "proxy", &certs[1], 1);
	parse_ok(&rotated, &ks2);
	assert_true(keystore_holds(&ks2, "proxy", &c1));
	assert_int_equal(ks2.n, 3);
	/* the kept entries' bytes are where they were */
	assert_memory_equal(rotated.p, good.p, ks.v[2].off);
	keystore_free(&ks2);
	for (int i = 0; i < 4; i++) {
		/* 0: a byte of the foreign entry's DER; 1: of the key entry;
		 * 2: of cainit's entry; 3: another password */
		size_t at[] = {ks.v[0].end - 5, ks.v[1].end - 5, ks.v[2].end - 5, 0};

		bad = i == 3 ? make_jks(v, 3, "secret123") : make_jks(v, 3, "changeit");
		if (i < 3)
			bad.p[at[i]] ^= 0x40;
		assert_int_equal(keystore_parse((const char *)bad.p, bad.len, &ks2, why, sizeof(why)), 0);
		rope_init(&r);
		assert_int_equal(keystore_render(&ks2, "proxy", &c1, &r, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "integrity digest"));
		rope_free(&r);
		keystore_free(&ks2);
		free(bad.p);
	}
	keystore_free(&ks);
	free(good.p);
	free(rotated.p);
}

static void test_jks_refusals(void **state)
{
	struct jks_entry v[] = {{"foreign", &certs[3]}, {"mykey", NULL}};
	struct buf good = make_jks(v, 2, "changeit"), other = make_jks(v, 2, "secret123");
	char why[KEYSTORE_WHY_MAX];
	struct keystore ks;
	struct rope r;
	size_t n;

	(void)state;
	/* every truncation is refused (the sanitizers watch the reads) */
	for (n = 0; n < good.len; n++) {
		assert_int_not_equal(keystore_parse((const char *)good.p, n, &ks, why, sizeof(why)), 0);
		keystore_free(&ks);
	}
	/* a flipped digest byte, or another password: parsed, never edited */
	good.p[good.len - 1] ^= 1;
	for (int i = 0; i < 2; i++) {
		struct buf *b = i == 0 ? &good : &other;

		assert_int_equal(keystore_parse((const char *)b->p, b->len, &ks, why, sizeof(why)), 0);
		assert_false(keystore_integrity_ok(&ks, why, sizeof(why)));
		rope_init(&r);
		assert_int_equal(keystore_render(&ks, "proxy", &(struct cert_list){certs, 1}, &r, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "integrity digest"));
		rope_free(&r);
		keystore_free(&ks);
	}
	/* a count that cannot fit, JCEKS, and not a keystore at all */
	good.p[8] = 0x7f;
	assert_int_not_equal(keystore_parse((const char *)good.p, good.len, &ks, why, sizeof(why)), 0);
	keystore_free(&ks);
	assert_int_not_equal(keystore_parse("\xce\xce\xce\xce\0\0\0\2", 8, &ks, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "JCEKS"));
	keystore_free(&ks);
	assert_int_not_equal(keystore_parse("hello", 5, &ks, why, sizeof(why)), 0);
	keystore_free(&ks);
	free(good.p);
	free(other.p);
}

static void test_aliases(void **state)
{
	static const struct {
		const char *alias;
		bool ours, derived;
		const char *set;
	} cases[] = {
		{"cainit.proxy.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true, false, "proxy"},
		{"cainit.a.b.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false, false, ""},
		{"cainit.proxy.0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", false, false, ""},
		{"cainit.proxy.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", false, false, ""},
		{"cainit..0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false, false, ""},
		{"debian:cainit.proxy.pem", false, true, "proxy"},
		{"debian:cainit..pem", false, false, ""},
		{"debian:isrg_root_x1.pem", false, false, ""},
		{"", false, false, ""},
	};
	char alias[KEYSTORE_ALIAS_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct keystore_entry x = {0};

		snprintf(x.alias, sizeof(x.alias), "%s", cases[i].alias);
		keystore_classify(&x);
		assert_int_equal(x.ours, cases[i].ours);
		assert_int_equal(x.derived, cases[i].derived);
		if (x.ours || x.derived)
			assert_string_equal(x.set, cases[i].set);
	}
	keystore_alias(alias, "proxy", certs[0].sha256);
	assert_int_equal(strlen(alias), strlen("cainit.proxy.") + 64);
}

/* A certificates-only PKCS#12, as libcrypto writes one (encrypted bags,
 * a SHA-256 MAC), password "changeit" or another. */
static struct buf make_p12(const char *password)
{
	STACK_OF(X509) *ca = sk_X509_new_null();
	struct buf b = {0};
	unsigned char *der = NULL;
	PKCS12 *p12;
	int len;

	sk_X509_push(ca, cert_x509(&certs[3]));
	p12 = PKCS12_create(password, NULL, NULL, NULL, ca, 0, 0, 0, 0, 0);
	assert_non_null(p12);
	len = i2d_PKCS12(p12, &der);
	assert_true(len > 0);
	put(&b, der, (size_t)len);
	OPENSSL_free(der);
	PKCS12_free(p12);
	sk_X509_free(ca);
	return b;
}

static void test_p12(void **state)
{
	struct buf orig = make_p12("changeit"), other = make_p12("nope"), added, rotated, back;
	struct cert_list c01 = {certs, 2}, c2 = {&certs[2], 1};
	char why[KEYSTORE_WHY_MAX];
	struct keystore ks, ks1, ks2, ks3;
	X509_STORE *anchors;
	X509_STORE_CTX *ctx;

	(void)state;
	parse_ok(&orig, &ks);
	assert_int_equal(ks.format, KEYSTORE_PKCS12);
	added = render(&ks, "proxy", certs, 2);
	parse_ok(&added, &ks1);
	assert_true(keystore_holds(&ks1, "proxy", &c01));
	/* cainit's bags are anchors (trusted-key-usage); they verify */
	anchors = keystore_trust_store(&ks1, why, sizeof(why));
	assert_non_null(anchors);
	ctx = X509_STORE_CTX_new();
	assert_int_equal(X509_STORE_CTX_init(ctx, anchors, cert_x509(&certs[1]), NULL), 1);
	assert_int_equal(X509_verify_cert(ctx), 1);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(anchors);
	rotated = render(&ks1, "proxy", &certs[2], 1);
	parse_ok(&rotated, &ks2);
	assert_true(keystore_holds(&ks2, "proxy", &c2));
	assert_int_equal(keystore_count(&ks2, NULL), 1);
	back = render(&ks2, NULL, NULL, 0);
	parse_ok(&back, &ks3);
	assert_int_equal(keystore_count(&ks3, NULL), 0);
	/* the MAC keeps its parameters: same length as the original */
	assert_int_equal(back.len, orig.len);
	keystore_free(&ks);
	keystore_free(&ks1);
	keystore_free(&ks2);
	keystore_free(&ks3);
	/* another password: parsed, MAC refused, never edited */
	assert_int_equal(keystore_parse((const char *)other.p, other.len, &ks, why, sizeof(why)), 0);
	assert_false(keystore_integrity_ok(&ks, why, sizeof(why)));
	keystore_free(&ks);
	/* truncations are refused */
	for (size_t n = 0; n < orig.len; n += 7) {
		assert_int_not_equal(keystore_parse((const char *)orig.p, n, &ks, why, sizeof(why)), 0);
		keystore_free(&ks);
	}
	free(orig.p);
	free(other.p);
	free(added.p);
	free(rotated.p);
	free(back.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jks_add_remove_is_identity),
		cmocka_unit_test(test_jks_rotation_and_derived),
		cmocka_unit_test(test_jks_rotation_checks_every_byte),
		cmocka_unit_test(test_jks_refusals),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_p12),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
