/*
 * test_pem.c: strict base64 and PEM framing, the ground every refusal
 * stands on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pem.h"

static void test_b64_roundtrip_all_lengths(void **state)
{
	unsigned char in[300], *out;
	char *pem;
	size_t n, outlen, i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (n = 1; n <= sizeof(in); n++) {
		struct pem_block b;
		size_t pos = 0, written;

		pem = malloc(pem_cert_size(n));
		written = pem_encode_cert(in, n, pem);
		assert_int_equal(written, pem_cert_size(n));
		assert_int_equal(pem_next(pem, written, &pos, &b), PEM_FOUND);
		assert_int_equal(b.label_len, 11);
		assert_memory_equal(b.label, "CERTIFICATE", 11);
		assert_int_equal(pos, written);
		assert_int_equal(b64_decode(b.body, b.body_len, &out, &outlen), 0);
		assert_int_equal(outlen, n);
		assert_memory_equal(out, in, n);
		free(out);
		free(pem);
	}
}

static void test_b64_lines_are_64_columns(void **state)
{
	unsigned char in[200] = {0};
	char pem[512];
	size_t n = pem_encode_cert(in, sizeof(in), pem);
	const char *line = strchr(pem, '\n') + 1;

	(void)state;
	assert_true(n > 0);
	assert_int_equal(strchr(line, '\n') - line, 64);
}

static void expect_bad(const char *s)
{
	unsigned char *out = NULL;
	size_t len;

	assert_int_equal(b64_decode(s, strlen(s), &out, &len), -1);
	assert_null(out);
}

static void test_b64_refuses_garbage(void **state)
{
	(void)state;
	expect_bad("QUJD*A==");     /* stray byte */
	expect_bad("QUJDRA=");      /* bad length */
	expect_bad("QQ==QUJD");     /* data after padding */
	expect_bad("Q===");         /* too much padding */
	expect_bad("QR==");         /* non-zero spare bits */
	expect_bad("");             /* nothing at all */
	expect_bad("Proc-Type: 4,ENCRYPTED"); /* a PEM header line */
}

static void test_b64_accepts_whitespace_and_crlf(void **state)
{
	const char *s = "QUJD\r\nREVG\n  R0g=\t\n";
	unsigned char *out;
	size_t len;

	(void)state;
	assert_int_equal(b64_decode(s, strlen(s), &out, &len), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(out, "ABCDEFGH", 8);
	free(out);
}

static void test_pem_nul_byte_is_bad_base64(void **state)
{
	const char s[] = "QUJD\0REVG";
	unsigned char *out;
	size_t len;

	(void)state;
	assert_int_equal(b64_decode(s, sizeof(s) - 1, &out, &len), -1);
}

static void test_pem_framing(void **state)
{
	const char *s = "junk before\n"
			"  -----BEGIN CERTIFICATE----- not at line start\n"
			"-----BEGIN CERTIFICATE-----\r\nQUJD\r\n-----END CERTIFICATE-----\r\n"
			"between\n"
			"-----BEGIN X509 CRL-----\nQUJD\n-----END X509 CRL-----\n"
			"-----BEGIN CERTIFICATE-----\nQUJD\n";
	struct pem_block b;
	size_t pos = 0;

	(void)state;
	assert_int_equal(pem_next(s, strlen(s), &pos, &b), PEM_FOUND);
	assert_int_equal(b.label_len, 11);
	assert_int_equal(pem_line_of(s, b.start), 3);
	assert_int_equal(pem_next(s, strlen(s), &pos, &b), PEM_FOUND);
	assert_memory_equal(b.label, "X509 CRL", 8);
	assert_int_equal(pem_next(s, strlen(s), &pos, &b), PEM_TRUNCATED);
	assert_int_equal(pem_line_of(s, b.start), 10);
}

static void test_pem_mismatched_end_is_truncated(void **state)
{
	const char *s = "-----BEGIN CERTIFICATE-----\nQUJD\n-----END PUBLIC KEY-----\n";
	struct pem_block b;
	size_t pos = 0;

	(void)state;
	assert_int_equal(pem_next(s, strlen(s), &pos, &b), PEM_TRUNCATED);
}

static void test_private_key_labels(void **state)
{
	const char *labels[] = {"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY",
				"ENCRYPTED PRIVATE KEY", "DSA PRIVATE KEY", "OPENSSH PRIVATE KEY"};
	char buf[256];
	size_t i, at;

	(void)state;
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		/* framed or not, anywhere in the input */
		snprintf(buf, sizeof(buf), "text\n-----BEGIN CERTIFICATE-----\n-----BEGIN %s-----\nQUJD\n", labels[i]);
		assert_true(pem_has_private_key(buf, strlen(buf), &at));
		assert_int_equal(pem_line_of(buf, at), 3);
	}
	snprintf(buf, sizeof(buf), "# no PRIVATE KEY here\n-----BEGIN CERTIFICATE-----\n");
	assert_false(pem_has_private_key(buf, strlen(buf), &at));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_roundtrip_all_lengths),
		cmocka_unit_test(test_b64_lines_are_64_columns),
		cmocka_unit_test(test_b64_refuses_garbage),
		cmocka_unit_test(test_b64_accepts_whitespace_and_crlf),
		cmocka_unit_test(test_pem_nul_byte_is_bad_base64),
		cmocka_unit_test(test_pem_framing),
		cmocka_unit_test(test_pem_mismatched_end_is_truncated),
		cmocka_unit_test(test_private_key_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
