/*
 * keystore_jks.c: Sun's JKS format, as Debian's /etc/ssl/certs/java/cacerts
 * uses it.
 *
 *   u32 magic FEEDFEED, u32 version (1 or 2), u32 count, count entries,
 *   then SHA-1(password as UTF-16BE || "Mighty Aphrodite" || all of the above).
 *   entry: u32 tag (1 private key, 2 trusted certificate), UTF alias,
 *          u64 date (ms); tag 2: cert; tag 1: u32 len, key, u32 n, n certs.
 *   cert:  (version 2) UTF type, u32 len, DER.   UTF: u16 len, modified UTF-8.
 *
 * Edits copy every kept entry's bytes as they are and append cainit's, so
 * only the count and the digest change.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_Init...: see jks_digest */
#include "keystore_internal.h"

#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha1_pair.h"

#define JKS_MAGIC 0xfeedfeedu
#define JKS_TAG_KEY 1
#define JKS_TAG_TRUSTED 2
#define JKS_DIGEST_LEN 20
#define JKS_WHITENER "Mighty Aphrodite"
#define JKS_CERT_TYPE "X.509"
#define JKS_NOT_INTACT "JKS: integrity digest does not check with the default password"

struct reader {
	const unsigned char *p;
	size_t len, off;
	bool bad;
};

static uint32_t get_u32(struct reader *r)
{
	uint32_t v;

	if (r->bad || r->len - r->off < 4) {
		r->bad = true;
		return 0;
	}
	v = (uint32_t)r->p[r->off] << 24 | (uint32_t)r->p[r->off + 1] << 16 | (uint32_t)r->p[r->off + 2] << 8 |
	    r->p[r->off + 3];
	r->off += 4;
	return v;
}

/* Skip len bytes; where they start (valid only when !r->bad). */
static size_t skip(struct reader *r, size_t len)
{
	size_t at = r->off;

	if (r->bad || r->len - r->off < len)
		r->bad = true;
	else
		r->off += len;
	return at;
}

static size_t get_utf(struct reader *r, size_t *len)
{
	uint32_t hi, lo;

	if (r->bad || r->len - r->off < 2) {
		r->bad = true;
		return 0;
	}
	hi = r->p[r->off];
	lo = r->p[r->off + 1];
	r->off += 2;
	*len = hi << 8 | lo;
	return skip(r, *len);
}

/* One certificate of an entry; *der, *der_len where its DER is. */
static void get_cert(struct reader *r, unsigned version, size_t *der, size_t *der_len)
{
	size_t tlen;

	if (version == 2)
		get_utf(r, &tlen);
	*der_len = get_u32(r);
	*der = skip(r, *der_len);
}

/* The SHA-256 of an entry's certificate (low-level: see jks_digest). */
static void cert_sha256(const char *der, size_t len, unsigned char md[32])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, der, len);
	SHA256_Final(md, &c);
}

int jks_parse(struct keystore *ks, char *why, size_t n)
{
	struct reader r = {(const unsigned char *)ks->buf, ks->len, 0, false};
	uint32_t count, i;

	get_u32(&r);
	ks->version = get_u32(&r);
	count = get_u32(&r);
	if (r.bad || (ks->version != 1 && ks->version != 2)) {
		snprintf(why, n, "JKS: unknown version %u", ks->version);
		return -1;
	}
	/* an entry takes at least 18 bytes: a count past that is a lie */
	if (count > ks->len / 18) {
		snprintf(why, n, "JKS: %u entries cannot fit in %zu bytes", count, ks->len);
		return -1;
	}
	ks->v = calloc((size_t)count + 1, sizeof(*ks->v));
	if (ks->v == NULL) {
		snprintf(why, n, "out of memory");
		return -1;
	}
	for (i = 0; i < count && !r.bad; i++) {
		struct keystore_entry *x = &ks->v[ks->n];
		size_t alen, aoff, der = 0, der_len = 0;
		uint32_t tag, chain, k;

		x->off = r.off;
		tag = get_u32(&r);
		aoff = get_utf(&r, &alen);
		skip(&r, 8);
		if (r.bad)
			break;
		if (tag == JKS_TAG_TRUSTED) {
			get_cert(&r, ks->version, &der, &der_len);
			x->trusted = true;
		} else if (tag == JKS_TAG_KEY) {
			skip(&r, get_u32(&r));
			chain = get_u32(&r);
			for (k = 0; k < chain && !r.bad; k++)
				get_cert(&r, ks->version, &der, &der_len);
		} else {
			snprintf(why, n, "JKS: entry %u has unknown tag %u", i, tag);
			return -1;
		}
		if (r.bad)
			break;
		x->end = r.off;
		if (alen < sizeof(x->alias)) {
			memcpy(x->alias, ks->buf + aoff, alen);
			keystore_classify(x);
		}
		if (!x->trusted)
			x->ours = x->derived = false; /* not one cainit wrote: keep it */
		if (x->ours || x->derived)
			cert_sha256(ks->buf + der, der_len, x->sha256);
		ks->n++;
	}
	if (r.bad || ks->len - r.off != JKS_DIGEST_LEN) {
		snprintf(why, n, "JKS: truncated or trailing bytes after %u of %u entries", i, count);
		return -1;
	}
	return 0;
}

/* The keyed SHA-1's state after the password and the whitener, ready for
 * the file's bytes. The low-level calls, not EVP or the one-shot SHA1():
 * in OpenSSL 3 those fetch from the provider, whose first use costs more
 * than the whole edit (see cert.c). */
static void jks_digest_start(SHA_CTX *c)
{
	static const char pass[] = KEYSTORE_PASSWORD;
	unsigned char pw[2 * (sizeof(pass) - 1)];
	size_t i;

	for (i = 0; i + 1 < sizeof(pass); i++) {
		pw[2 * i] = 0;
		pw[2 * i + 1] = (unsigned char)pass[i];
	}
	SHA1_Init(c);
	SHA1_Update(c, pw, sizeof(pw));
	SHA1_Update(c, JKS_WHITENER, strlen(JKS_WHITENER));
}

bool jks_integrity_ok(const struct keystore *ks, char *why, size_t n)
{
	unsigned char md[JKS_DIGEST_LEN];
	SHA_CTX c;

	jks_digest_start(&c);
	SHA1_Update(&c, ks->buf, ks->len - JKS_DIGEST_LEN);
	SHA1_Final(md, &c);
	if (memcmp(md, ks->buf + ks->len - JKS_DIGEST_LEN, JKS_DIGEST_LEN) == 0)
		return true;
	snprintf(why, n, "%s", JKS_NOT_INTACT);
	return false;
}

static int put_u32(struct rope *o, uint32_t v)
{
	char b[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};

	return rope_copy(o, b, 4);
}

static int put_utf(struct rope *o, const char *s)
{
	size_t len = strlen(s);
	char b[2] = {(char)(len >> 8), (char)len};

	return rope_copy(o, b, 2) < 0 || rope_copy(o, s, len) < 0 ? -1 : 0;
}

/* A trusted-certificate entry; its date is the CA's notBefore, so the same
 * CAs always give the same bytes. */
static int put_trusted(struct rope *o, unsigned version, const char *set, const struct cert *c)
{
	char alias[KEYSTORE_ALIAS_MAX], date[8];
	int64_t ms = (int64_t)c->not_before * 1000;
	int i;

	keystore_alias(alias, set, c->sha256);
	for (i = 0; i < 8; i++)
		date[i] = (char)((uint64_t)ms >> (56 - 8 * i));
	if (put_u32(o, JKS_TAG_TRUSTED) < 0 || put_utf(o, alias) < 0 || rope_copy(o, date, 8) < 0)
		return -1;
	if (version == 2 && put_utf(o, JKS_CERT_TYPE) < 0)
		return -1;
	return put_u32(o, (uint32_t)c->der_len) < 0 || rope_copy(o, (const char *)c->der, c->der_len) < 0 ? -1 : 0;
}

/*
 * The file's digest is checked and the new one made in one pass over what
 * the two have in common: both start with the magic and the version, and
 * when the count stays (a rotation: as many of cainit's entries go as
 * come) also with every kept entry up to the first one dropped. cainit
 * appends its entries, so on a rotation that is all but cainit's own few
 * hundred bytes: one SHA-1 of the keystore instead of two (each is about
 * 90 us for Debian's 165 KB cacerts on a 2 GB/s core). Where the count
 * changes (a set added or removed), the rest of the two is hashed as a
 * pair (sha1_pair.h): 103 us for both instead of 180.
 */
int jks_render(const struct keystore *ks, const bool *drop, const char *set, const struct cert_list *certs,
	       struct rope *out, char *why, size_t n)
{
	unsigned char md[JKS_DIGEST_LEN], old_md[JKS_DIGEST_LEN];
	const struct iovec *iov;
	size_t i, kept = 0, niov, common = 8, body = ks->len - JKS_DIGEST_LEN;
	struct reader r = {(const unsigned char *)ks->buf, ks->len, 8, false};
	uint32_t count = get_u32(&r), new_count;
	SHA_CTX shared, old;

	for (i = 0; i < ks->n; i++)
		kept += !drop[i];
	new_count = (uint32_t)(kept + (certs ? certs->n : 0));
	if (new_count == count) {
		common = ks->n > 0 ? ks->v[0].off : body;
		for (i = 0; i < ks->n && !drop[i] && ks->v[i].off == common; i++)
			common = ks->v[i].end;
	}
	if (rope_add(out, ks->buf, 8) < 0 || put_u32(out, new_count) < 0)
		goto oom;
	for (i = 0; i < ks->n; i++)
		if (!drop[i] && rope_add(out, ks->buf + ks->v[i].off, ks->v[i].end - ks->v[i].off) < 0)
			goto oom;
	for (i = 0; certs && i < certs->n; i++)
		if (put_trusted(out, ks->version, set, &certs->v[i]) < 0)
			goto oom;
	if ((iov = rope_iov(out, &niov)) == NULL)
		goto oom;
	jks_digest_start(&shared);
	SHA1_Update(&shared, ks->buf, common);
	old = shared;
	sha1_pair_update(&(struct sha1_feed){&old, &(struct iovec){(void *)(ks->buf + common), body - common}, 1, 0},
			 &(struct sha1_feed){&shared, iov, niov, common});
	SHA1_Final(old_md, &old);
	SHA1_Final(md, &shared);
	if (memcmp(old_md, ks->buf + body, JKS_DIGEST_LEN) != 0) {
		snprintf(why, n, "%s", JKS_NOT_INTACT);
		return -1;
	}
	if (rope_copy(out, (const char *)md, sizeof(md)) == 0)
		return 0;
oom:
	snprintf(why, n, "out of memory");
	return -1;
}

int jks_add_anchors(const struct keystore *ks, X509_STORE *store)
{
	size_t i;

	for (i = 0; i < ks->n; i++) {
		struct reader r = {(const unsigned char *)ks->buf, ks->v[i].end, ks->v[i].off, false};
		const unsigned char *p;
		size_t alen, der, der_len;
		X509 *x;

		if (!ks->v[i].trusted)
			continue;
		get_u32(&r);
		get_utf(&r, &alen);
		skip(&r, 8);
		get_cert(&r, ks->version, &der, &der_len);
		if (r.bad)
			return -1;
		p = (const unsigned char *)ks->buf + der;
		x = d2i_X509(NULL, &p, (long)der_len);
		if (x == NULL)
			continue; /* Java would skip it too: not an anchor */
		X509_STORE_add_cert(store, x);
		X509_free(x);
	}
	return 0;
}
