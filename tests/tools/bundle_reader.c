/*
 * bundle_reader.c: a TLS client's view of a bundle, in a tight loop. Reads
 * the file the way X509_load_cert_crl_file does (every block must parse)
 * until STOPFILE appears, and counts any read that fails to parse or holds
 * a number of certificates other than expected.
 *
 *   bundle_reader BUNDLE EXPECTED_COUNT STOPFILE
 * Prints "reads=N failures=M" and exits 0 only when M is 0 and N > 0.
 */
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long reads = 0, failures = 0, expected;

	if (argc != 4) {
		fprintf(stderr, "usage: bundle_reader BUNDLE EXPECTED_COUNT STOPFILE\n");
		return 2;
	}
	expected = strtol(argv[2], NULL, 10);
	while (access(argv[3], F_OK) != 0) {
		STACK_OF(X509_INFO) *infos = NULL;
		BIO *bio = BIO_new_file(argv[1], "r");
		long n = -1;

		if (bio != NULL)
			infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
		if (infos != NULL)
			n = sk_X509_INFO_num(infos);
		if (n != expected) {
			if (failures < 5)
				fprintf(stderr, "bundle_reader: read %ld: %ld certificates (want %ld)\n", reads, n, expected);
			failures++;
		}
		sk_X509_INFO_pop_free(infos, X509_INFO_free);
		BIO_free(bio);
		reads++;
	}
	printf("reads=%ld failures=%ld\n", reads, failures);
	return failures == 0 && reads > 0 ? 0 : 1;
}
