/*
 * keystore.h: Java's trust stores (`cacerts`, JKS or PKCS#12) read and
 * edited in memory, without a JVM and without keytool.
 *
 * cainit's entries carry self-describing aliases, "cainit.SET.SHA256HEX",
 * so a later run (after a restart, with no state) finds and replaces them.
 * Every other entry is kept as it was: a JKS file keeps its bytes (only the
 * count and the keyed SHA-1 at the end change), so adding and then removing
 * a set gives back the original file byte for byte. A PKCS#12 file keeps
 * its other SafeContents (encrypted or not); cainit's certificates go in a
 * plain SafeContents of their own, with Java's trusted-key-usage attribute,
 * under the same MAC algorithm, salt and iteration count the file used.
 *
 * The store password is Java's default, "changeit": a file whose digest or
 * MAC does not check with it is never edited.
 */
#ifndef CAINIT_KEYSTORE_H
#define CAINIT_KEYSTORE_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "bundle.h"
#include "cert.h"
#include "rope.h"

#define KEYSTORE_PASSWORD "changeit"
#define KEYSTORE_MAX (16 * 1024 * 1024)
#define KEYSTORE_ALIAS_PREFIX "cainit."
#define KEYSTORE_ALIAS_MAX 256 /* longer aliases are kept, but never ours */
#define KEYSTORE_WHY_MAX 160

enum keystore_format { KEYSTORE_JKS, KEYSTORE_PKCS12 };

struct keystore_entry {
	char alias[KEYSTORE_ALIAS_MAX]; /* as stored (truncated past the max) */
	bool trusted;                   /* a trusted-certificate entry */
	bool ours;                      /* alias "cainit.SET.SHA256HEX" */
	bool derived;                   /* "debian:cainit.SET.pem", made by Debian's Java
					 * hook from cainit's anchor file */
	char set[SET_NAME_MAX + 1];     /* ours or derived: the set */
	unsigned char sha256[32];       /* ours or derived: the certificate's SHA-256 */
	size_t off, end;                /* JKS: the entry's bytes in the file */
};

struct keystore {
	enum keystore_format format;
	const char *buf;                /* the file, borrowed */
	size_t len;
	unsigned version;               /* JKS: 1 or 2 */
	struct keystore_entry *v;       /* JKS: every entry; PKCS#12: the plain
					 * certificate bags (cainit's live there) */
	size_t n;
	void *p12;                      /* PKCS#12: the decoded PKCS12 */
};

/* Parse buf (which must outlive ks). -1 with the reason in why when it is
 * not a keystore cainit can edit (nothing then to free); the file is then
 * left alone. */
int keystore_parse(const char *buf, size_t len, struct keystore *ks, char *why, size_t n);
void keystore_free(struct keystore *ks);
const char *keystore_format_name(enum keystore_format f);

/* Does the file's keyed digest (JKS) or MAC (PKCS#12) check with the
 * default password? A PKCS#12 file without a MAC checks. */
bool keystore_integrity_ok(const struct keystore *ks, char *why, size_t n);

/* Does set hold exactly certs as cainit's own entries? A derived entry
 * counts as long as it holds one of certs (Debian's hook copied the set's
 * CA); one holding anything else (an old CA) makes the answer no. */
bool keystore_holds(const struct keystore *ks, const char *set, const struct cert_list *certs);

/* How many of cainit's entries (and derived ones) belong to set (NULL: any). */
size_t keystore_count(const struct keystore *ks, const char *set);

/* The file with set's entries (every set's when set is NULL) dropped and,
 * when certs is not NULL, certs added as trusted entries of set. Checks
 * the integrity first: -1 with why when it does not check. out borrows
 * ks->buf. */
int keystore_render(const struct keystore *ks, const char *set, const struct cert_list *certs,
		    struct rope *out, char *why, size_t n);

/* Every trusted certificate of the store (decrypting PKCS#12 SafeContents
 * with the default password), for verification. NULL on failure. */
X509_STORE *keystore_trust_store(const struct keystore *ks, char *why, size_t n);

/* The alias of one of cainit's entries; out holds KEYSTORE_ALIAS_MAX. */
void keystore_alias(char *out, const char *set, const unsigned char sha256[32]);

/* Classify an alias (fills e->ours/derived/set/sha256). */
void keystore_classify(struct keystore_entry *e);

#endif
