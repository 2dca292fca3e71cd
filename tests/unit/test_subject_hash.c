/*
 * test_subject_hash.c: the hashed-directory name cainit computes in-process
 * must equal `openssl x509 -subject_hash` for the host's real CAs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

#define CA_DIR "/usr/share/ca-certificates/mozilla"

static void test_subject_hash_equals_openssl(void **state)
{
	DIR *d = opendir(CA_DIR);
	struct dirent *de;
	int compared = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL && compared < 40) {
		char path[512], cmd[600], line[64], *buf;
		struct cert_list l;
		struct cerr e = {0};
		unsigned long want;
		FILE *f, *p;
		long n;

		if (strstr(de->d_name, ".crt") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", CA_DIR, de->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		buf = malloc((size_t)n);
		assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
		fclose(f);
		assert_int_equal(cert_list_parse((unsigned char *)buf, (size_t)n, path, &l, &e), 0);
		free(buf);
		snprintf(cmd, sizeof(cmd), "openssl x509 -noout -subject_hash -in '%s'", path);
		p = popen(cmd, "r");
		assert_non_null(fgets(line, sizeof(line), p));
		pclose(p);
		want = strtoul(line, NULL, 16);
		if (l.v[0].subject_hash != want)
			fail_msg("%s: cainit %08lx, openssl %08lx", path, l.v[0].subject_hash, want);
		cert_list_free(&l);
		compared++;
	}
	closedir(d);
	print_message("compared %d real CA certificates\n", compared);
	assert_true(compared >= 20);
}

/* Add field=value as an entry of exactly this string type (raw types skip
 * libcrypto's attribute size table, so empty values are possible too). */
static void add(X509_NAME *n, const char *field, int type, const char *value, int set)
{
	ASN1_STRING *bmp = NULL;
	int ok;

	if (type == V_ASN1_BMPSTRING || type == V_ASN1_UNIVERSALSTRING) {
		assert_true(ASN1_mbstring_copy(&bmp, (const unsigned char *)value, -1, MBSTRING_UTF8,
					       ASN1_tag2bit(type)) > 0);
		ok = X509_NAME_add_entry_by_txt(n, field, type, ASN1_STRING_get0_data(bmp),
						ASN1_STRING_length(bmp), -1, set);
		ASN1_STRING_free(bmp);
	} else {
		ok = X509_NAME_add_entry_by_txt(n, field, type, (const unsigned char *)value, -1, -1, set);
	}
	assert_int_equal(ok, 1);
}

/* Names that exercise every rule of the canonical encoding, checked
 * against libcrypto's own X509_NAME_hash_ex. */
static void test_canonical_encoding_edge_cases(void **state)
{
	const char *values[] = {
		"Plain", "  Leading and  MULTIPLE   spaces  ", "\tTabs\nand\rnewlines\f\v", "MiXeD CaSe",
		("\xc3\x84\xc3\x96\xc3\x9c \xc3\xbcnic\xc3\xb6" "de  \xc3\x9c"), "", "   ", "a",
	};
	const int types[] = {V_ASN1_UTF8STRING, V_ASN1_BMPSTRING, V_ASN1_UNIVERSALSTRING,
			     V_ASN1_PRINTABLESTRING, V_ASN1_IA5STRING, V_ASN1_T61STRING};
	size_t i, k, checked = 0;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
			X509_NAME *n = X509_NAME_new();
			int ok = 0;
			unsigned long want;

			/* PrintableString and IA5String cannot hold the UTF-8 value */
			if (types[k] != V_ASN1_UTF8STRING && types[k] != V_ASN1_BMPSTRING &&
			    types[k] != V_ASN1_UNIVERSALSTRING && strchr(values[i], '\xc3') != NULL) {
				X509_NAME_free(n);
				continue;
			}
			if (types[k] == V_ASN1_PRINTABLESTRING && strpbrk(values[i], "\t\n\r\f\v") != NULL) {
				X509_NAME_free(n);
				continue;
			}
			add(n, "C", V_ASN1_PRINTABLESTRING, "DE", 0);
			add(n, "O", types[k], values[i], 0);
			add(n, "OU", V_ASN1_UTF8STRING, "Unit One", 0);
			add(n, "CN", V_ASN1_UTF8STRING, "multi", 0);
			add(n, "serialNumber", V_ASN1_PRINTABLESTRING, "42", -1); /* same RDN as CN */
			want = X509_NAME_hash_ex(n, NULL, NULL, &ok);
			assert_true(ok);
			if (cert_name_hash_for_test(n) != want)
				fail_msg("value \"%s\" type %d: cainit %08lx, libcrypto %08lx", values[i], types[k],
					 cert_name_hash_for_test(n), want);
			X509_NAME_free(n);
			checked++;
		}
	}
	{
		/* a type OpenSSL does not canonicalize, and an empty name */
		X509_NAME *n = X509_NAME_new();
		int ok = 0;

		assert_int_equal(cert_name_hash_for_test(n), X509_NAME_hash_ex(n, NULL, NULL, &ok));
		add(n, "serialNumber", V_ASN1_NUMERICSTRING, "0042 17", 0);
		add(n, "CN", V_ASN1_UTF8STRING, "Numeric  Case", 0);
		assert_int_equal(cert_name_hash_for_test(n), X509_NAME_hash_ex(n, NULL, NULL, &ok));
		X509_NAME_free(n);
	}
	print_message("checked %zu names\n", checked);
	assert_true(checked >= 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_hash_equals_openssl),
		cmocka_unit_test(test_canonical_encoding_edge_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
