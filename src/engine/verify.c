/*
 * verify.c: see verify.h.
 */
#include "verify.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASHDIR_MAX_INDEX 1000
#define CHAIN_MAX 32

X509_STORE *verify_store_from_pem(const char *buf, size_t len)
{
	STACK_OF(X509_INFO) *infos;
	X509_STORE *store;
	BIO *bio;
	int i;

	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio == NULL)
		return NULL;
	infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (infos == NULL)
		return NULL;
	store = X509_STORE_new();
	for (i = 0; store != NULL && i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *info = sk_X509_INFO_value(infos, i);

		if (info->x509 != NULL)
			X509_STORE_add_cert(store, info->x509);
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	return store;
}

/* Load the certificates of one hashed entry whose subject is `issuer`. */
static void load_entry(struct rootfs *r, const char *path, const X509_NAME *issuer,
		       X509_STORE *store, STACK_OF(X509) *queue)
{
	STACK_OF(X509_INFO) *infos;
	struct cerr e;
	struct rpath p;
	char *buf;
	size_t len;
	BIO *bio;
	int i;

	if (rootfs_resolve(r, path, 0, &p, &e) != 0 || !p.exists)
		return;
	if (rootfs_read(r, &p, 1024 * 1024, &buf, &len, &e) != 0)
		return;
	bio = BIO_new_mem_buf(buf, (int)len);
	infos = bio ? PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	free(buf);
	for (i = 0; infos != NULL && i < sk_X509_INFO_num(infos); i++) {
		X509 *x = sk_X509_INFO_value(infos, i)->x509;

		if (x == NULL || X509_NAME_cmp(X509_get_subject_name(x), issuer) != 0)
			continue;
		X509_STORE_add_cert(store, x);
		if (sk_X509_num(queue) < CHAIN_MAX && X509_up_ref(x))
			sk_X509_push(queue, x);
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
}

X509_STORE *verify_store_from_hashdir(struct rootfs *r, const char *dir_canon, STACK_OF(X509) *chain)
{
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *queue = sk_X509_new_null();
	unsigned long seen[CHAIN_MAX];
	size_t nseen = 0;
	int i;

	if (store == NULL || queue == NULL)
		goto fail;
	for (i = 0; i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);

		if (X509_up_ref(x))
			sk_X509_push(queue, x);
	}
	for (i = 0; i < sk_X509_num(queue) && nseen < CHAIN_MAX; i++) {
		X509 *x = sk_X509_value(queue, i);
		unsigned long h = X509_issuer_name_hash(x);
		size_t k;
		unsigned idx;
		bool dup = false;

		for (k = 0; k < nseen; k++)
			dup = dup || seen[k] == h;
		if (dup)
			continue;
		seen[nseen++] = h;
		for (idx = 0; idx < HASHDIR_MAX_INDEX; idx++) {
			char path[PATH_MAX];
			struct rpath p;
			struct cerr e;

			snprintf(path, sizeof(path), "%s/%08lx.%u", dir_canon, h, idx);
			if (rootfs_resolve(r, path, 0, &p, &e) != 0 || !p.exists)
				break; /* OpenSSL stops at the first missing index */
			load_entry(r, path, X509_get_issuer_name(x), store, queue);
		}
	}
	sk_X509_pop_free(queue, X509_free);
	return store;
fail:
	X509_STORE_free(store);
	sk_X509_pop_free(queue, X509_free);
	return NULL;
}

bool verify_chain(X509_STORE *store, X509 *target, STACK_OF(X509) *untrusted, char *why, size_t n)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok = false;

	if (target == NULL) {
		snprintf(why, n, "certificate cannot be decoded");
		X509_STORE_CTX_free(ctx);
		return false;
	}
	if (store == NULL) {
		snprintf(why, n, "store does not parse");
		X509_STORE_CTX_free(ctx);
		return false;
	}
	if (ctx == NULL || !X509_STORE_CTX_init(ctx, store, target, untrusted)) {
		snprintf(why, n, "out of memory");
		X509_STORE_CTX_free(ctx);
		return false;
	}
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
	ok = X509_verify_cert(ctx) == 1;
	if (!ok)
		snprintf(why, n, "%s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	return ok;
}
