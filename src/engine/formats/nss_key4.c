/*
 * nss_key4.c: see nss_key4.h. The DER is written from fixed templates
 * (every length in them is fixed), and read back with libcrypto's PBES2
 * structures, so nothing here parses lengths by hand.
 */
#include "nss_key4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_STRING "password-check"
#define KEY_LEN 32

/* PBMAC1 { PBKDF2 { salt[32], iterations, 32, hmacWithSHA256 }, hmacWithSHA256 }, MAC[32] */
static const unsigned char sig_head[] = {
	0x30, 0x81, 0x80, 0x30, 0x5c, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0e,
	0x30, 0x4f, 0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c,
	0x30, 0x34, 0x04, 0x20,
};
#define SIG_SALT 35 /* then: 02 01 ITER 02 01 20 30 0a hmacWithSHA256 30 0a hmacWithSHA256 04 20 MAC */
static const unsigned char hmac_sha256_alg[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09};
#define SIG_ITER (SIG_SALT + 32 + 2)
#define SIG_MAC (NSS_SIG_LEN - 32)

/* PBES2 { PBKDF2 { salt[32], 1, 32, hmacWithSHA256 }, aes-256-cbc IV[14] }, ciphertext[16] */
static const unsigned char entry_head[] = {
	0x30, 0x81, 0x81, 0x30, 0x6d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d,
	0x30, 0x60, 0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c,
	0x30, 0x34, 0x04, 0x20,
};
static const unsigned char aes256_head[] = {0x30, 0x1b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
					    0x03, 0x04, 0x01, 0x2a, 0x04, 0x0e};
/* after a PBKDF2 salt: iterations 1, key length 32, PRF hmacWithSHA256 */
static const unsigned char kdf_tail[] = {0x02, 0x01, 0x01, 0x02, 0x01, 0x20, 0x30, 0x0a, 0x06, 0x08,
					 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09};

static unsigned char *put(unsigned char *p, const void *bytes, size_t n)
{
	memcpy(p, bytes, n);
	return p + n;
}

static void passkey_of(const unsigned char *salt, size_t salt_len, struct nss_passkey *pk)
{
	/* the password is empty: the key is the hash of the salt alone */
	if (salt_len == SHA384_DIGEST_LENGTH) {
		SHA384(salt, salt_len, pk->key);
		pk->len = SHA384_DIGEST_LENGTH;
	} else {
		SHA1(salt, salt_len, pk->key);
		pk->len = SHA_DIGEST_LENGTH;
	}
}

static int pbkdf2(const struct nss_passkey *pk, const unsigned char *salt, size_t salt_len, int iter,
		  const EVP_MD *md, unsigned char *out, size_t out_len)
{
	return PKCS5_PBKDF2_HMAC((const char *)pk->key, (int)pk->len, salt, (int)salt_len, iter, md, (int)out_len,
				 out) == 1
		       ? 0
		       : -1;
}

/* AES-256-CBC with NSS's IV: a 14-byte IV in the DER is used with the two
 * bytes of its own DER header in front (NSS writes the octet string's
 * encoding as the IV); a 16-byte one as it is. */
static int aes_cbc(int enc, const unsigned char key[32], const unsigned char *iv, size_t iv_len,
		   const unsigned char *in, size_t in_len, unsigned char *out, int *out_len)
{
	unsigned char real_iv[16];
	EVP_CIPHER_CTX *c;
	int k = 0, f = 0, ok;

	if (iv_len == 14) {
		real_iv[0] = 0x04;
		real_iv[1] = 0x0e;
		memcpy(real_iv + 2, iv, 14);
	} else if (iv_len == 16) {
		memcpy(real_iv, iv, 16);
	} else {
		return -1;
	}
	c = EVP_CIPHER_CTX_new();
	if (c == NULL)
		return -1;
	ok = EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL, key, real_iv, enc) == 1 &&
	     EVP_CipherUpdate(c, out, &k, in, (int)in_len) == 1 && EVP_CipherFinal_ex(c, out + k, &f) == 1;
	EVP_CIPHER_CTX_free(c);
	*out_len = k + f;
	return ok ? 0 : -1;
}

int nss_key4_open_empty(const unsigned char *salt, size_t salt_len, const unsigned char *entry, size_t entry_len,
			struct nss_passkey *pk, char *why, size_t n)
{
	const unsigned char *p = entry;
	const X509_ALGOR *alg;
	const ASN1_OCTET_STRING *ct;
	const ASN1_OCTET_STRING *salt_os, *iv_os;
	X509_SIG *sig = NULL;
	PBE2PARAM *pbe2 = NULL;
	PBKDF2PARAM *kdf = NULL;
	unsigned char key[KEY_LEN], plain[64];
	const EVP_MD *md = EVP_sha1();
	long iter;
	int plen = 0, rc = -1;

	if (salt == NULL || salt_len == 0 || salt_len > 64 || entry == NULL || entry_len > 4096) {
		snprintf(why, n, "the key database's password entry is malformed");
		return -1;
	}
	sig = d2i_X509_SIG(NULL, &p, (long)entry_len);
	if (sig == NULL || p != entry + entry_len) {
		snprintf(why, n, "the key database's password entry does not parse");
		goto out;
	}
	X509_SIG_get0(sig, &alg, &ct);
	if (OBJ_obj2nid(alg->algorithm) != NID_pbes2) {
		snprintf(why, n, "the key database uses a legacy password scheme (not PBES2)");
		goto out;
	}
	pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
	if (pbe2 == NULL || OBJ_obj2nid(pbe2->keyfunc->algorithm) != NID_id_pbkdf2 ||
	    OBJ_obj2nid(pbe2->encryption->algorithm) != NID_aes_256_cbc ||
	    (kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter)) == NULL ||
	    kdf->salt->type != V_ASN1_OCTET_STRING || pbe2->encryption->parameter == NULL ||
	    pbe2->encryption->parameter->type != V_ASN1_OCTET_STRING) {
		snprintf(why, n, "the key database's password entry is not PBKDF2 with AES-256-CBC");
		goto out;
	}
	if (kdf->prf != NULL) {
		int nid = OBJ_obj2nid(kdf->prf->algorithm);

		md = nid == NID_hmacWithSHA256 ? EVP_sha256()
		     : nid == NID_hmacWithSHA384 ? EVP_sha384()
		     : nid == NID_hmacWithSHA512 ? EVP_sha512()
		     : nid == NID_hmacWithSHA1 ? EVP_sha1()
						: NULL;
	}
	iter = ASN1_INTEGER_get(kdf->iter);
	salt_os = kdf->salt->value.octet_string;
	iv_os = pbe2->encryption->parameter->value.octet_string;
	if (md == NULL || iter < 1 || iter > 10000000 || ASN1_STRING_length(ct) > (int)sizeof(plain) - 16) {
		snprintf(why, n, "the key database's password entry has parameters NSS does not write");
		goto out;
	}
	passkey_of(salt, salt_len, pk);
	if (pbkdf2(pk, ASN1_STRING_get0_data(salt_os), (size_t)ASN1_STRING_length(salt_os), (int)iter, md, key,
		   KEY_LEN) != 0 ||
	    aes_cbc(0, key, ASN1_STRING_get0_data(iv_os), (size_t)ASN1_STRING_length(iv_os), ASN1_STRING_get0_data(ct),
		    (size_t)ASN1_STRING_length(ct), plain, &plen) != 0 ||
	    plen != (int)strlen(CHECK_STRING) || memcmp(plain, CHECK_STRING, (size_t)plen) != 0) {
		snprintf(why, n, "the key database has a password (cainit only writes where it is empty)");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	PBKDF2PARAM_free(kdf);
	PBE2PARAM_free(pbe2);
	X509_SIG_free(sig);
	return rc;
}

int nss_key4_new_empty(unsigned char salt[NSS_SALT_LEN], unsigned char entry[NSS_ENTRY_LEN],
		       struct nss_passkey *pk)
{
	unsigned char kdf_salt[32], iv[14], key[KEY_LEN], *p = entry;
	int clen = 0;

	if (RAND_bytes(salt, NSS_SALT_LEN) != 1 || RAND_bytes(kdf_salt, sizeof(kdf_salt)) != 1 ||
	    RAND_bytes(iv, sizeof(iv)) != 1)
		return -1;
	passkey_of(salt, NSS_SALT_LEN, pk);
	if (pbkdf2(pk, kdf_salt, sizeof(kdf_salt), 1, EVP_sha256(), key, KEY_LEN) != 0)
		return -1;
	p = put(p, entry_head, sizeof(entry_head));
	p = put(p, kdf_salt, sizeof(kdf_salt));
	p = put(p, kdf_tail, sizeof(kdf_tail));
	p = put(p, aes256_head, sizeof(aes256_head));
	p = put(p, iv, sizeof(iv));
	p = put(p, "\x04\x10", 2);
	if (aes_cbc(1, key, iv, sizeof(iv), (const unsigned char *)CHECK_STRING, strlen(CHECK_STRING), p, &clen) != 0 ||
	    clen != 16) {
		OPENSSL_cleanse(key, sizeof(key));
		return -1;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return p + 16 == entry + NSS_ENTRY_LEN ? 0 : -1;
}

static int mac(const struct nss_passkey *pk, const unsigned char salt[32], int iter, unsigned long objid,
	       unsigned long type, const void *value, size_t len, unsigned char out[32])
{
	unsigned char key[KEY_LEN], *msg;
	unsigned int outlen = 32;
	bool ok;

	if (len > 16 * 1024 * 1024 || (msg = malloc(8 + len)) == NULL)
		return -1;
	for (int i = 0; i < 4; i++) {
		msg[i] = (unsigned char)(objid >> (24 - 8 * i));
		msg[4 + i] = (unsigned char)(type >> (24 - 8 * i));
	}
	if (len > 0)
		memcpy(msg + 8, value, len);
	ok = pbkdf2(pk, salt, 32, iter, EVP_sha256(), key, KEY_LEN) == 0 &&
	     HMAC(EVP_sha256(), key, KEY_LEN, msg, 8 + len, out, &outlen) != NULL && outlen == 32;
	OPENSSL_cleanse(key, sizeof(key));
	free(msg);
	return ok ? 0 : -1;
}

int nss_key4_sign(const struct nss_passkey *pk, unsigned long objid, unsigned long type, const void *value,
		  size_t len, unsigned char sig[NSS_SIG_LEN])
{
	unsigned char *p = sig;

	p = put(p, sig_head, sizeof(sig_head));
	if (RAND_bytes(p, 32) != 1)
		return -1;
	p += 32;
	/* (iterations 1: what NSS uses while the password is empty) */
	p = put(p, kdf_tail, sizeof(kdf_tail));
	p = put(p, hmac_sha256_alg, sizeof(hmac_sha256_alg));
	p = put(p, "\x04\x20", 2);
	return mac(pk, sig + SIG_SALT, 1, objid, type, value, len, p);
}

bool nss_key4_verify(const struct nss_passkey *pk, unsigned long objid, unsigned long type, const void *value,
		     size_t len, const unsigned char *sig, size_t sig_len)
{
	unsigned char want[32];
	const unsigned char *p;

	if (sig_len != NSS_SIG_LEN || memcmp(sig, sig_head, sizeof(sig_head)) != 0)
		return false;
	p = sig + SIG_ITER; /* any iteration count of one byte; the rest as written */
	if (p[-2] != 0x02 || p[-1] != 0x01 || p[0] == 0 || p[0] > 0x7f ||
	    memcmp(p + 1, kdf_tail + 3, sizeof(kdf_tail) - 3) != 0 ||
	    memcmp(p + sizeof(kdf_tail) - 2, hmac_sha256_alg, sizeof(hmac_sha256_alg)) != 0 ||
	    sig[SIG_MAC - 2] != 0x04 || sig[SIG_MAC - 1] != 0x20)
		return false;
	if (mac(pk, sig + SIG_SALT, p[0], objid, type, value, len, want) != 0)
		return false;
	return CRYPTO_memcmp(want, sig + SIG_MAC, 32) == 0;
}
