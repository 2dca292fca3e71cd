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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_hash_equals_openssl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
