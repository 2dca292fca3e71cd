/*
 * bundle_reader.c: a TLS client's view of a bundle. Reads the file the way
 * X509_load_cert_crl_file does (every block must parse).
 *
 *   bundle_reader BUNDLE EXPECTED STOPFILE
 *       loop until STOPFILE exists, counting reads that fail to parse or
 *       hold a number of certificates other than EXPECTED; prints
 *       "reads=N failures=M", exits 0 only when M is 0 and N > 0.
 *   bundle_reader BUNDLE EXPECTED --once
 *       one read; prints "count=N" (-1: does not parse); exits 0 when it
 *       parses and N is EXPECTED (any N when EXPECTED is -1).
 */
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long count(const char *path)
{
	STACK_OF(X509_INFO) *infos = NULL;
	BIO *bio = BIO_new_file(path, "r");
	long n = -1;

	if (bio != NULL)
		infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	if (infos != NULL)
		n = sk_X509_INFO_num(infos);
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	return n;
}

int main(int argc, char **argv)
{
	long reads = 0, failures = 0, expected, n;

	if (argc != 4) {
		fprintf(stderr, "usage: bundle_reader BUNDLE EXPECTED (STOPFILE | --once)\n");
		return 2;
	}
	expected = strtol(argv[2], NULL, 10);
	if (strcmp(argv[3], "--once") == 0) {
		n = count(argv[1]);
		printf("count=%ld\n", n);
		return n >= 0 && (expected < 0 || n == expected) ? 0 : 1;
	}
	while (access(argv[3], F_OK) != 0) {
		n = count(argv[1]);
		if (n != expected) {
			if (failures < 5)
				fprintf(stderr, "bundle_reader: read %ld: %ld certificates (want %ld)\n",
					reads, n, expected);
			failures++;
		}
		reads++;
	}
	printf("reads=%ld failures=%ld\n", reads, failures);
	return failures == 0 && reads > 0 ? 0 : 1;
}
