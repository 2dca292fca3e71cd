/*
 * certhash.c: "HASH FILE" per certificate file, in one process, so test
 * fixtures can lay out hashed directories without an openssl start per
 * certificate (the unit tests check this hash against the openssl CLI).
 */
#include <openssl/pem.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

		if (x == NULL) {
			fprintf(stderr, "certhash: %s: not a PEM certificate\n", argv[i]);
			rc = 1;
		} else {
			printf("%08lx %s\n", X509_subject_name_hash(x), argv[i]);
		}
		X509_free(x);
		if (f)
			fclose(f);
	}
	return rc;
}
