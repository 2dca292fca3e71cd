/*
 * store_reader.c: TLS clients' view of a root's stores while they change.
 *
 *   store_reader STOPFILE HASHDIR CA FILE...
 *
 * Until STOPFILE exists, over and over, in three processes at once:
 * opening HASHDIR/HASH.0 (HASH: CA's subject hash) must give a
 * certificate; OpenSSL's hashed-directory lookup in HASHDIR
 * (X509_LOOKUP_hash_dir, as `-CApath` and SSL_CERT_DIR use it) must find
 * one with CA's subject; every FILE must open and hold at least one
 * certificate. Prints "reads=N failures=M" (N: the direct opens of
 * HASH.0); exits 0 only when M is 0 and every loop ran at least once. A
 * rotation between CAs of the same subject must never make one fail (a
 * link whose target was removed under the reader).
 */
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long failures;

static void fail(long reads, const char *what, const char *path)
{
	if (failures++ < 5)
		fprintf(stderr, "store_reader: read %ld: %s %s (%s)\n", reads, what, path, strerror(errno));
}

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

static int lookup(const char *dir, X509_NAME *subject)
{
	X509_STORE *store = X509_STORE_new();
	X509_LOOKUP *lu = store ? X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir()) : NULL;
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_OBJECT *obj = NULL;
	int ok = 0;

	if (lu && ctx && X509_LOOKUP_add_dir(lu, dir, X509_FILETYPE_PEM) == 1 &&
	    X509_STORE_CTX_init(ctx, store, NULL, NULL) == 1)
		ok = (obj = X509_STORE_CTX_get_obj_by_subject(ctx, X509_LU_X509, subject)) != NULL;
	X509_OBJECT_free(obj);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

/* One loop until stop exists; returns its failures (and *reads). */
static long loop(int kind, char **argv, int argc, const char *link, X509 *ca, long *reads)
{
	while (access(argv[1], F_OK) != 0) {
		X509 *x = NULL;
		FILE *f;

		errno = 0;
		if (kind == 0) {
			if ((f = fopen(link, "r")) == NULL || (x = PEM_read_X509(f, NULL, NULL, NULL)) == NULL)
				fail(*reads, "open and read", link);
			X509_free(x);
			if (f)
				fclose(f);
		} else if (kind == 1) {
			if (!lookup(argv[2], X509_get_subject_name(ca)))
				fail(*reads, "hashed-directory lookup in", argv[2]);
		} else {
			for (int i = 4; i < argc; i++)
				if (count(argv[i]) < 1)
					fail(*reads, "open and read", argv[i]);
		}
		(*reads)++;
	}
	return failures;
}

int main(int argc, char **argv)
{
	char link[4096];
	long reads = 0, total = 0;
	pid_t kids[2];
	int ok = 1;
	X509 *ca;
	FILE *f;

	if (argc < 4) {
		fprintf(stderr, "usage: store_reader STOPFILE HASHDIR CA FILE...\n");
		return 2;
	}
	if ((f = fopen(argv[3], "r")) == NULL || (ca = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "store_reader: cannot read %s\n", argv[3]);
		return 2;
	}
	fclose(f);
	snprintf(link, sizeof(link), "%s/%08lx.0", argv[2], X509_NAME_hash_ex(X509_get_subject_name(ca), NULL, NULL, NULL));
	for (int k = 1; k <= 2; k++) {
		kids[k - 1] = fork();
		if (kids[k - 1] == 0) {
			loop(k, argv, argc, link, ca, &reads);
			_exit(failures == 0 && reads > 0 ? 0 : 1);
		}
	}
	loop(0, argv, argc, link, ca, &reads);
	for (int k = 0; k < 2; k++) {
		int st;

		if (kids[k] < 0 || waitpid(kids[k], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			ok = 0;
	}
	total = failures + (ok ? 0 : 1);
	printf("reads=%ld failures=%ld\n", reads, total);
	X509_free(ca);
	return total == 0 && reads > 0 ? 0 : 1;
}
