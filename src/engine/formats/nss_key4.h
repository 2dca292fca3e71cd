/*
 * nss_key4.h: the cryptography of an NSS key database (key4.db) that cainit
 * needs to write trust natively: proving that its password is the empty
 * one (Chromium's and most Firefox profiles' case), the HMAC NSS keeps
 * beside every trust attribute ("sig_cert_OBJID_ATTR" in its metaData
 * table), and the password entry of a new database.
 *
 * NSS derives a "password key" as SHA-1 (SHA-384 for a 48-byte salt) of
 * the database's global salt followed by the password. The password entry
 * is the string "password-check" encrypted by PBES2 (PBKDF2-HMAC-SHA256,
 * AES-256-CBC) under that key; each signed attribute is a PKCS #5 PBMAC1
 * (PBKDF2-HMAC-SHA256 then HMAC-SHA256) over the object's id, the
 * attribute's type (4 bytes each, big endian) and its value. These are
 * the formats NSS 3.x itself writes (lib/softoken/sftkpwd.c); the tests
 * check them against the real certutil, Chromium and Firefox's NSS.
 */
#ifndef CAINIT_NSS_KEY4_H
#define CAINIT_NSS_KEY4_H

#include <stdbool.h>
#include <stddef.h>

#define NSS_PASSKEY_MAX 48
#define NSS_SIG_LEN 131 /* the PBMAC1 DER cainit writes (and NSS does) */

struct nss_passkey {
	unsigned char key[NSS_PASSKEY_MAX];
	size_t len;
};

/* Does the empty password open this password entry (salt = item1, entry =
 * item2 of metaData's "password" row)? 0 and *pk on success; -1 with why. */
int nss_key4_open_empty(const unsigned char *salt, size_t salt_len, const unsigned char *entry, size_t entry_len,
			struct nss_passkey *pk, char *why, size_t n);

/* A new password entry for the empty password: a fresh 20-byte global
 * salt and the encrypted check string (entry: NSS_ENTRY_LEN bytes). */
#define NSS_SALT_LEN 20
#define NSS_ENTRY_LEN 132
int nss_key4_new_empty(unsigned char salt[NSS_SALT_LEN], unsigned char entry[NSS_ENTRY_LEN],
		       struct nss_passkey *pk);

/* The signature NSS keeps for attribute type (of object objid) = value. */
int nss_key4_sign(const struct nss_passkey *pk, unsigned long objid, unsigned long type, const void *value,
		  size_t len, unsigned char sig[NSS_SIG_LEN]);

/* Does sig (as stored) check for that attribute value? Only the PBMAC1
 * form above (any iteration count up to 2^24) is understood. */
bool nss_key4_verify(const struct nss_passkey *pk, unsigned long objid, unsigned long type, const void *value,
		     size_t len, const unsigned char *sig, size_t sig_len);

#endif
