/*
 * test_cert.c: what `cainit install` accepts as input and what it refuses,
 * with the exit code and the message a user sees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert.h"
#include "certgen.h"

static struct testcert ca1, ca2, leaf, expired, future;
static char *ca1_pem, *ca2_pem, *leaf_pem, *expired_pem, *future_pem;
static size_t ca1_len, ca2_len, leaf_len, expired_len, future_len;

static int setup(void **state)
{
	struct certgen_opts o = {.cn = "Unit CA one", .ca = true, .not_before = -60, .not_after = 86400};

	(void)state;
	if (certgen_make(&ca1, &o) < 0)
		return -1;
	o.cn = "Unit CA two";
	if (certgen_make(&ca2, &o) < 0)
		return -1;
	o.cn = "leaf.example";
	o.ca = false;
	o.issuer = &ca1;
	if (certgen_make(&leaf, &o) < 0)
		return -1;
	o = (struct certgen_opts){.cn = "Expired CA", .ca = true, .not_before = -7200, .not_after = -3600};
	if (certgen_make(&expired, &o) < 0)
		return -1;
	o = (struct certgen_opts){.cn = "Future CA", .ca = true, .not_before = 3600, .not_after = 7200};
	if (certgen_make(&future, &o) < 0)
		return -1;
	ca1_pem = certgen_pem(&ca1, &ca1_len);
	ca2_pem = certgen_pem(&ca2, &ca2_len);
	leaf_pem = certgen_pem(&leaf, &leaf_len);
	expired_pem = certgen_pem(&expired, &expired_len);
	future_pem = certgen_pem(&future, &future_len);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	certgen_free(&ca1);
	certgen_free(&ca2);
	certgen_free(&leaf);
	certgen_free(&expired);
	certgen_free(&future);
	free(ca1_pem);
	free(ca2_pem);
	free(leaf_pem);
	free(expired_pem);
	free(future_pem);
	return 0;
}

static int parse(const char *s, size_t len, struct cert_list *l, struct cerr *e)
{
	return cert_list_parse((const unsigned char *)s, len, "in.pem", l, e);
}

static void expect_refusal(const char *s, size_t len, const char *needle)
{
	struct cert_list l;
	struct cerr e = {0};

	assert_int_equal(parse(s, len, &l, &e), CAINIT_EINPUT);
	assert_int_equal(e.code, CAINIT_EINPUT);
	assert_non_null(strstr(e.msg, "in.pem"));
	if (strstr(e.msg, needle) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, needle);
	assert_null(strchr(e.msg, '\n'));
	assert_int_equal(l.n, 0);
}

static char *concat(const char *a, const char *b, const char *c)
{
	char *s = malloc(strlen(a) + strlen(b) + strlen(c) + 1);

	strcpy(s, a);
	strcat(s, b);
	strcat(s, c);
	return s;
}

static void test_single_pem(void **state)
{
	struct cert_list l;
	struct cerr e = {0};

	(void)state;
	assert_int_equal(parse(ca1_pem, ca1_len, &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].is_ca);
	assert_string_equal(l.v[0].subject, "CN=Unit CA one,O=cainit tests");
	assert_int_equal(l.v[0].subject_hash, X509_subject_name_hash(ca1.x509));
	/* canonical PEM equals what OpenSSL itself writes */
	assert_int_equal(l.v[0].pem_len, ca1_len);
	assert_memory_equal(l.v[0].pem, ca1_pem, ca1_len);
	cert_list_free(&l);
}

static void test_several_with_text_and_duplicates(void **state)
{
	char *mid = concat("between the blocks\n", ca2_pem, "trailing notes\n");
	char *s = concat("leading text\n", ca1_pem, mid);
	char *s2 = concat(s, ca1_pem, "");
	struct cert_list l;
	struct cerr e = {0};

	(void)state;
	assert_int_equal(parse(s2, strlen(s2), &l, &e), 0);
	assert_int_equal(l.n, 2); /* the duplicate counts once */
	assert_string_equal(l.v[1].subject, "CN=Unit CA two,O=cainit tests");
	cert_list_free(&l);
	free(mid);
	free(s);
	free(s2);
}

static void test_crlf(void **state)
{
	char *crlf = malloc(ca1_len * 2 + 1), *p = crlf;
	struct cert_list l;
	struct cerr e = {0};
	size_t i;

	(void)state;
	for (i = 0; i < ca1_len; i++) {
		if (ca1_pem[i] == '\n')
			*p++ = '\r';
		*p++ = ca1_pem[i];
	}
	assert_int_equal(parse(crlf, (size_t)(p - crlf), &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_memory_equal(l.v[0].pem, ca1_pem, ca1_len);
	cert_list_free(&l);
	free(crlf);
}

static void test_der(void **state)
{
	size_t len;
	unsigned char *der = certgen_der(&ca1, &len), *longer;
	struct cert_list l;
	struct cerr e = {0};

	(void)state;
	assert_int_equal(cert_list_parse(der, len, "in.der", &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].der_len, len);
	cert_list_free(&l);
	/* trailing bytes after the DER certificate */
	longer = malloc(len + 3);
	memcpy(longer, der, len);
	memcpy(longer + len, "\0\0\0", 3);
	assert_int_equal(cert_list_parse(longer, len + 3, "in.der", &l, &e), CAINIT_EINPUT);
	assert_non_null(strstr(e.msg, "neither PEM nor a DER certificate"));
	free(longer);
	free(der);
}

static void test_trusted_certificate_label(void **state)
{
	unsigned char *der = NULL;
	int n = i2d_X509_AUX(ca1.x509, &der);
	char b64[4096], *s;
	struct cert_list l;
	struct cerr e = {0};

	(void)state;
	assert_true(n > 0);
	EVP_EncodeBlock((unsigned char *)b64, der, n);
	OPENSSL_free(der);
	s = concat("-----BEGIN TRUSTED CERTIFICATE-----\n", b64, "\n-----END TRUSTED CERTIFICATE-----\n");
	assert_int_equal(parse(s, strlen(s), &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_memory_equal(l.v[0].pem, ca1_pem, ca1_len);
	cert_list_free(&l);
	free(s);
}

static void test_refuses_private_keys(void **state)
{
	const char *labels[] = {"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"};
	size_t i, klen;
	char *key = certgen_key_pem(&ca1, &klen), *s;

	(void)state;
	for (i = 0; i < 4; i++) {
		char block[128];

		snprintf(block, sizeof(block), "-----BEGIN %s-----\nQUJD\n-----END %s-----\n", labels[i], labels[i]);
		s = concat(ca1_pem, block, "");
		expect_refusal(s, strlen(s), "private key");
		free(s);
	}
	/* a real key next to its certificate */
	s = concat(key, ca1_pem, "");
	expect_refusal(s, strlen(s), "line 1: refusing input that holds a private key");
	free(s);
	free(key);
}

static void test_refuses_der_private_key(void **state)
{
	unsigned char *der = NULL;
	int n = i2d_PrivateKey(ca1.key, &der);

	(void)state;
	expect_refusal((const char *)der, (size_t)n, "DER private key");
	OPENSSL_free(der);
}

static void test_refuses_bad_inputs(void **state)
{
	char *s, *big;
	char broken[4096];

	(void)state;
	expect_refusal("", 0, "input is empty");
	expect_refusal("just some text\n", 15, "neither PEM nor a DER certificate");
	expect_refusal("-----BEGIN CERTIFICATE-----\nQUJD\n", 33, "line 1: truncated PEM block");
	expect_refusal("\x30\x82\x01\x00garbage", 11, "neither PEM nor a DER certificate");
	s = concat("-----BEGIN X509 CRL-----\nQUJD\n-----END X509 CRL-----\n", ca1_pem, "");
	expect_refusal(s, strlen(s), "unsupported PEM block \"X509 CRL\"");
	free(s);
	/* a flipped base64 character */
	snprintf(broken, sizeof(broken), "%s", ca1_pem);
	broken[40] = '*';
	expect_refusal(broken, strlen(broken), "line 1: broken base64");
	/* valid base64 that is not a certificate */
	expect_refusal("-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n", 58,
		       "the certificate at line 1 is not a valid DER certificate");
	/* over 1 MiB, even when it starts well */
	big = malloc(CERT_INPUT_MAX + 1);
	memset(big, '\n', CERT_INPUT_MAX + 1);
	memcpy(big, ca1_pem, ca1_len);
	expect_refusal(big, CERT_INPUT_MAX + 1, "larger than 1 MiB");
	free(big);
}

/* The flat read (a caller's bundle to merge) gives the full parse's bytes
 * and digests for plain certificates, and refuses what is not them. */
static void test_flat_parse(void **state)
{
	char *mid = concat("between the blocks\n", ca2_pem, "notes\n");
	char *s = concat("leading text\n", ca1_pem, mid), *s2 = concat(s, ca1_pem, ""), broken[4096];
	struct cert_list full, flat;
	struct cerr e = {0};

	(void)state;
	assert_int_equal(parse(s2, strlen(s2), &full, &e), 0);
	assert_int_equal(cert_list_parse_flat(s2, strlen(s2), &flat), 0);
	assert_int_equal(flat.n, full.n); /* the duplicate once, as the full parse */
	for (size_t i = 0; i < full.n; i++) {
		assert_memory_equal(flat.v[i].sha256, full.v[i].sha256, 32);
		assert_string_equal(flat.v[i].fp, full.v[i].fp);
		assert_int_equal(flat.v[i].pem_len, full.v[i].pem_len);
		assert_memory_equal(flat.v[i].pem, full.v[i].pem, full.v[i].pem_len);
		assert_null(flat.v[i].subject);
	}
	cert_list_free(&full);
	cert_list_free(&flat);
	/* the same question without keeping anything: does it hold these? */
	assert_int_equal(parse(ca1_pem, ca1_len, &full, &e), 0);
	assert_int_equal(cert_bundle_holds(s2, strlen(s2), &full), 1);
	cert_list_free(&full);
	assert_int_equal(parse(leaf_pem, leaf_len, &full, &e), 0);
	assert_int_equal(cert_bundle_holds(s2, strlen(s2), &full), 0);
	assert_int_equal(cert_bundle_holds(leaf_pem, leaf_len, &full), 1);
	assert_int_equal(cert_bundle_holds("just text\n", 10, &full), -1);
	cert_list_free(&full);
	/* not plain certificates: refused (cert_list_parse then decides) */
	assert_int_equal(cert_list_parse_flat("", 0, &flat), -1);
	assert_int_equal(cert_list_parse_flat("just text\n", 10, &flat), -1);
	assert_int_equal(cert_list_parse_flat("-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n", 58,
					      &flat), -1); /* base64, not a certificate's shape */
	assert_int_equal(cert_list_parse_flat("-----BEGIN CERTIFICATE-----\nQUJD\n", 33, &flat), -1);
	free(s);
	s = concat(ca1_pem, "-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n", "");
	assert_int_equal(cert_list_parse_flat(s, strlen(s), &flat), -1);
	assert_int_equal(parse(ca1_pem, ca1_len, &full, &e), 0);
	assert_int_equal(cert_bundle_holds(s, strlen(s), &full), -1); /* it holds ca1, among what is not certificates */
	cert_list_free(&full);
	free(s);
	s = concat(ca1_pem, "-----BEGIN TRUSTED CERTIFICATE-----\nQUJD\n-----END TRUSTED CERTIFICATE-----\n", "");
	assert_int_equal(cert_list_parse_flat(s, strlen(s), &flat), -1);
	snprintf(broken, sizeof(broken), "%s", ca1_pem);
	broken[40] = '*';
	assert_int_equal(cert_list_parse_flat(broken, strlen(broken), &flat), -1);
	assert_int_equal(flat.n, 0);
	free(s);
	free(mid);
	free(s2);
}

static void check(const char *pem, size_t len, unsigned flags, int want, const char *needle)
{
	struct cert_list l;
	struct cerr e = {0};

	assert_int_equal(parse(pem, len, &l, &e), 0);
	assert_int_equal(cert_list_check(&l, flags, time(NULL), "in.pem", &e), want);
	if (needle && strstr(e.msg, needle) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, needle);
	cert_list_free(&l);
}

static void test_validity_and_ca_checks(void **state)
{
	(void)state;
	check(ca1_pem, ca1_len, 0, 0, NULL);
	check(leaf_pem, leaf_len, 0, CAINIT_EINPUT, "\"CN=leaf.example,O=cainit tests\" is not a CA");
	check(leaf_pem, leaf_len, CERT_ALLOW_LEAF, 0, NULL);
	check(expired_pem, expired_len, 0, CAINIT_EINPUT, "expired at");
	check(expired_pem, expired_len, CERT_ALLOW_EXPIRED, 0, NULL);
	check(future_pem, future_len, 0, CAINIT_EINPUT, "is not valid before");
	check(future_pem, future_len, CERT_ALLOW_EXPIRED, 0, NULL);
}

/* RFC 5280: a CA key whose keyUsage lacks keyCertSign may not sign
 * certificates; such a CA is refused like a leaf (--allow-leaf takes it),
 * and a CA with no keyUsage at all, or with keyCertSign, is a CA. */
static void test_key_usage_without_cert_sign(void **state)
{
	struct certgen_opts o = {.cn = "No keyCertSign", .ca = true, .not_before = -60, .not_after = 86400,
				 .key_usage = "critical,digitalSignature,cRLSign"};
	struct testcert c;
	struct cert_list l;
	struct cerr e = {0};
	size_t len;
	char *pem;

	(void)state;
	assert_int_equal(certgen_make(&c, &o), 0);
	pem = certgen_pem(&c, &len);
	assert_int_equal(parse(pem, len, &l, &e), 0);
	assert_false(l.v[0].is_ca);
	assert_true(l.v[0].no_cert_sign);
	cert_list_free(&l);
	check(pem, len, 0, CAINIT_EINPUT, "cannot sign certificates (its keyUsage lacks keyCertSign)");
	check(pem, len, CERT_ALLOW_LEAF, 0, NULL);
	free(pem);
	certgen_free(&c);
	o.key_usage = "critical,keyCertSign";
	assert_int_equal(certgen_make(&c, &o), 0);
	pem = certgen_pem(&c, &len);
	check(pem, len, 0, 0, NULL);
	free(pem);
	certgen_free(&c);
}

static void test_fingerprint_matches_openssl(void **state)
{
	char path[] = "/tmp/cainit-fp-XXXXXX", cmd[256], line[256];
	unsigned char back[32];
	struct cert_list l;
	struct cerr e = {0};
	FILE *f, *p;
	int fd;

	(void)state;
	assert_int_equal(parse(ca1_pem, ca1_len, &l, &e), 0);
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fwrite(ca1_pem, 1, ca1_len, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "openssl x509 -noout -fingerprint -sha256 -in %s", path);
	p = popen(cmd, "r");
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	unlink(path);
	line[strcspn(line, "\n")] = '\0';
	/* "sha256 Fingerprint=AB:CD:..." */
	assert_string_equal(strchr(line, '=') + 1, l.v[0].fp);
	assert_int_equal(strlen(l.v[0].fp), CERT_FP_LEN);
	assert_int_equal(cert_parse_fp(l.v[0].fp, CERT_FP_LEN, back), 0);
	assert_memory_equal(back, l.v[0].sha256, 32);
	assert_int_equal(cert_parse_fp("AB:CD", 5, back), -1);
	cert_list_free(&l);
}

static void test_validity_dates(void **state)
{
	/* 30 years back (UTCTime) to 40 years ahead (GeneralizedTime, past 2050) */
	const long offsets[] = {-30L * 365 * 86400, -86400, 0, 3600, 40L * 365 * 86400};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		struct certgen_opts o = {.cn = "Dates", .ca = true, .not_before = offsets[i],
					 .not_after = offsets[i] + 86400};
		struct testcert t;
		struct cert c;
		unsigned char *der;
		size_t len;
		time_t now = time(NULL);

		assert_int_equal(certgen_make(&t, &o), 0);
		der = certgen_der(&t, &len);
		assert_int_equal(cert_from_der(der, len, &c), 0);
		if (labs((long)(c.not_before - (now + offsets[i]))) > 5 ||
		    labs((long)(c.not_after - (now + offsets[i] + 86400))) > 5)
			fail_msg("offset %ld: not_before %ld, not_after %ld, now %ld", offsets[i],
				 (long)c.not_before, (long)c.not_after, (long)now);
		cert_free(&c);
		free(der);
		certgen_free(&t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_pem),
		cmocka_unit_test(test_several_with_text_and_duplicates),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_der),
		cmocka_unit_test(test_trusted_certificate_label),
		cmocka_unit_test(test_refuses_private_keys),
		cmocka_unit_test(test_refuses_der_private_key),
		cmocka_unit_test(test_refuses_bad_inputs),
		cmocka_unit_test(test_flat_parse),
		cmocka_unit_test(test_validity_and_ca_checks),
		cmocka_unit_test(test_key_usage_without_cert_sign),
		cmocka_unit_test(test_fingerprint_matches_openssl),
		cmocka_unit_test(test_validity_dates),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
