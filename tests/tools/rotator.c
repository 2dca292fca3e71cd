/*
 * rotator.c: many rotations, fast: the engine in-process, as the agent
 * calls it, alternating between two CA files.
 *
 *   rotator ROOT COUNT A.pem B.pem
 *
 * Installs B, A, B, ... COUNT times into set "default" of ROOT; exits 1 at
 * the first failure. Prints "rotations=N".
 */
#include <stdio.h>
#include <stdlib.h>

#include "trust.h"

static int load(const char *path, struct cert_list *l)
{
	static unsigned char buf[CERT_INPUT_MAX];
	struct cerr e = {0};
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (cert_list_parse(buf, n, path, l, &e) != 0) {
		fprintf(stderr, "rotator: %s\n", e.msg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cert_list ca[2];
	long n, i;

	if (argc != 5) {
		fprintf(stderr, "usage: rotator ROOT COUNT A.pem B.pem\n");
		return 2;
	}
	n = strtol(argv[2], NULL, 10);
	if (load(argv[3], &ca[0]) != 0 || load(argv[4], &ca[1]) != 0)
		return 2;
	for (i = 0; i < n; i++) {
		struct trust_report rep;
		struct cerr e = {0};

		if (trust_install(argv[1], "default", &ca[(i + 1) % 2], NULL, "rotator", &rep, &e) != 0) {
			fprintf(stderr, "rotator: rotation %ld: %s\n", i + 1, e.msg);
			return 1;
		}
	}
	printf("rotations=%ld\n", n);
	cert_list_free(&ca[0]);
	cert_list_free(&ca[1]);
	return 0;
}
