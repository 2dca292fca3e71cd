/*
 * unpack_tree.c: cainit's layer applier (src/unpack.c) on its own, for
 * comparing its trees with a reference runtime's (umoci) in the tests.
 *
 *   unpack_tree DEST LAYER...
 *
 * Applies each layer blob (plain or gzip tar) in order to DEST, an empty
 * directory. Exits 1 with cainit's message when a layer is refused.
 */
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <unistd.h>

#include "digest.h"
#include "unpack.h"

static int sha256_file(const char *path, char hex[65])
{
	unsigned char buf[65536], md[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(c, buf, (size_t)n);
	close(fd);
	EVP_DigestFinal_ex(c, md, NULL);
	EVP_MD_CTX_free(c);
	digest_hex(md, hex);
	return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct unpack_stats st = {0};
	struct rootfs r;
	struct cerr e = {0};

	if (argc < 3) {
		fprintf(stderr, "usage: unpack_tree DEST LAYER...\n");
		return 2;
	}
	if (rootfs_open(&r, argv[1], &e) != 0) {
		fprintf(stderr, "unpack_tree: %s\n", e.msg);
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		char hex[65];
		int fd;

		if (sha256_file(argv[i], hex) != 0 || (fd = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0) {
			perror(argv[i]);
			return 1;
		}
		if (unpack_layer(&r, fd, hex, argv[i], NULL, &st, &e) != 0) {
			fprintf(stderr, "unpack_tree: %s\n", e.msg);
			return 1;
		}
	}
	rootfs_close(&r);
	printf("entries=%zu skipped=%zu\n", st.entries, st.skipped);
	return 0;
}
