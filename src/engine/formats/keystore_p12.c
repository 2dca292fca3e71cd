/*
 * keystore_p12.c: PKCS#12 `cacerts`, as vendor JDKs and `keytool
 * -storetype PKCS12` write them, through libcrypto's PKCS#12 API.
 *
 * Java takes a certificate bag as a trust anchor only when it carries
 * Oracle's trusted-key-usage attribute (2.16.840.1.113894.746875.1.1, a SET
 * of key purposes; anyExtendedKeyUsage for a CA). cainit's bags go in one
 * plain SafeContents of their own, so neither adding nor removing them
 * needs to decrypt the file's other SafeContents; the file's own MAC
 * algorithm, salt and iteration count are kept.
 */
#include "keystore_internal.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRUSTED_KEY_USAGE_OID "2.16.840.1.113894.746875.1.1"
#define ANY_EKU_OID "2.5.29.37.0"

struct p12_state {
	PKCS12 *p12;
	STACK_OF(PKCS7) *safes;
	size_t *safe_of, *bag_of; /* where ks->v[i] is */
};

static bool has_trusted_usage(const PKCS12_SAFEBAG *bag)
{
	const STACK_OF(X509_ATTRIBUTE) *attrs = PKCS12_SAFEBAG_get0_attrs(bag);
	ASN1_OBJECT *want = OBJ_txt2obj(TRUSTED_KEY_USAGE_OID, 1);
	bool found = false;
	int i;

	for (i = 0; want && i < sk_X509_ATTRIBUTE_num(attrs); i++)
		found = found || OBJ_cmp(X509_ATTRIBUTE_get0_object(sk_X509_ATTRIBUTE_value(attrs, i)), want) == 0;
	ASN1_OBJECT_free(want);
	return found;
}

static bool is_cert_bag(const PKCS12_SAFEBAG *bag)
{
	return PKCS12_SAFEBAG_get_nid(bag) == NID_certBag && PKCS12_SAFEBAG_get_bag_nid(bag) == NID_x509Certificate;
}

/* Record the certificate bags of one plain SafeContents. */
static int note_bags(struct keystore *ks, struct p12_state *st, size_t s, STACK_OF(PKCS12_SAFEBAG) *bags)
{
	int j;

	for (j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
		PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, j);
		struct keystore_entry *nv, *x;
		size_t *ns, *nb;
		unsigned char *der = NULL;
		char *name;
		X509 *cert;
		int len;

		if (!is_cert_bag(bag))
			continue;
		nv = realloc(ks->v, (ks->n + 1) * sizeof(*nv));
		if (nv != NULL)
			ks->v = nv;
		ns = realloc(st->safe_of, (ks->n + 1) * sizeof(*ns));
		if (ns != NULL)
			st->safe_of = ns;
		nb = realloc(st->bag_of, (ks->n + 1) * sizeof(*nb));
		if (nb != NULL)
			st->bag_of = nb;
		if (nv == NULL || ns == NULL || nb == NULL)
			return -1;
		x = &ks->v[ks->n];
		memset(x, 0, sizeof(*x));
		st->safe_of[ks->n] = s;
		st->bag_of[ks->n] = (size_t)j;
		ks->n++;
		x->trusted = has_trusted_usage(bag);
		if ((name = PKCS12_get_friendlyname(bag)) != NULL) {
			if (strlen(name) < sizeof(x->alias)) { /* (a longer one is never cainit's) */
				memcpy(x->alias, name, strlen(name) + 1);
				keystore_classify(x);
			}
			OPENSSL_free(name);
		}
		if (!x->trusted)
			x->ours = x->derived = false;
		if (!x->ours && !x->derived)
			continue;
		cert = PKCS12_SAFEBAG_get1_cert(bag);
		len = cert ? i2d_X509(cert, &der) : -1;
		if (len > 0)
			SHA256(der, (size_t)len, x->sha256);
		OPENSSL_free(der);
		X509_free(cert);
	}
	return 0;
}

int p12_parse(struct keystore *ks, char *why, size_t n)
{
	const unsigned char *p = (const unsigned char *)ks->buf;
	struct p12_state *st = calloc(1, sizeof(*st));
	int s;

	if (st == NULL) {
		snprintf(why, n, "out of memory");
		return -1;
	}
	ks->p12 = st;
	st->p12 = d2i_PKCS12(NULL, &p, (long)ks->len);
	if (st->p12 == NULL || p != (const unsigned char *)ks->buf + ks->len) {
		snprintf(why, n, "PKCS#12: does not decode");
		return -1;
	}
	if ((st->safes = PKCS12_unpack_authsafes(st->p12)) == NULL) {
		snprintf(why, n, "PKCS#12: the authenticated safe does not decode");
		return -1;
	}
	for (s = 0; s < sk_PKCS7_num(st->safes); s++) {
		PKCS7 *p7 = sk_PKCS7_value(st->safes, s);
		STACK_OF(PKCS12_SAFEBAG) *bags;
		int rc;

		if (OBJ_obj2nid(p7->type) != NID_pkcs7_data)
			continue; /* encrypted: not cainit's */
		if ((bags = PKCS12_unpack_p7data(p7)) == NULL) {
			snprintf(why, n, "PKCS#12: SafeContents %d does not decode", s);
			return -1;
		}
		rc = note_bags(ks, st, (size_t)s, bags);
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
		if (rc != 0) {
			snprintf(why, n, "out of memory");
			return -1;
		}
	}
	return 0;
}

void p12_free(struct keystore *ks)
{
	struct p12_state *st = ks->p12;

	if (st == NULL)
		return;
	sk_PKCS7_pop_free(st->safes, PKCS7_free);
	PKCS12_free(st->p12);
	free(st->safe_of);
	free(st->bag_of);
	free(st);
	ks->p12 = NULL;
}

bool p12_integrity_ok(const struct keystore *ks, char *why, size_t n)
{
	struct p12_state *st = ks->p12;

	if (!PKCS12_mac_present(st->p12) || PKCS12_verify_mac(st->p12, KEYSTORE_PASSWORD, -1))
		return true;
	snprintf(why, n, "PKCS#12: MAC does not check with the default password");
	return false;
}

/* A trusted-certificate bag for c, named after set. */
static PKCS12_SAFEBAG *trusted_bag(const char *set, struct cert *c)
{
	char alias[KEYSTORE_ALIAS_MAX];
	ASN1_OBJECT *any = OBJ_txt2obj(ANY_EKU_OID, 1);
	PKCS12_SAFEBAG *bag = NULL;
	X509 *x = cert_x509(c);

	keystore_alias(alias, set, c->sha256);
	if (any != NULL && x != NULL && (bag = PKCS12_SAFEBAG_create_cert(x)) != NULL &&
	    (!PKCS12_add_friendlyname_utf8(bag, alias, -1) ||
	     !PKCS12_add1_attr_by_txt(bag, TRUSTED_KEY_USAGE_OID, V_ASN1_OBJECT, (const unsigned char *)any, -1))) {
		PKCS12_SAFEBAG_free(bag);
		bag = NULL;
	}
	ASN1_OBJECT_free(any);
	return bag;
}

/* Safe s without the bags drop names; NULL in *out when none is left. */
static int filter_safe(const struct keystore *ks, const bool *drop, size_t s, PKCS7 *p7, PKCS7 **out)
{
	struct p12_state *st = ks->p12;
	STACK_OF(PKCS12_SAFEBAG) *bags = PKCS12_unpack_p7data(p7), *keep = sk_PKCS12_SAFEBAG_new_null();
	int j, rc = -1;
	size_t i;

	*out = NULL;
	if (bags == NULL || keep == NULL)
		goto out;
	for (j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
		bool dropped = false;

		for (i = 0; i < ks->n && !dropped; i++)
			dropped = drop[i] && st->safe_of[i] == s && st->bag_of[i] == (size_t)j;
		if (!dropped && !sk_PKCS12_SAFEBAG_push(keep, sk_PKCS12_SAFEBAG_value(bags, j)))
			goto out;
	}
	rc = 0;
	if (sk_PKCS12_SAFEBAG_num(keep) > 0 && (*out = PKCS12_pack_p7data(keep)) == NULL)
		rc = -1;
out:
	sk_PKCS12_SAFEBAG_free(keep); /* (the bags belong to bags) */
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	return rc;
}

/* The new SafeContents: kept ones as they were, filtered ones, cainit's. */
static STACK_OF(PKCS7) *new_safes(const struct keystore *ks, const bool *drop, const char *set,
				  const struct cert_list *certs, STACK_OF(PKCS7) *made)
{
	struct p12_state *st = ks->p12;
	STACK_OF(PKCS7) *safes = sk_PKCS7_new_null();
	STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
	PKCS7 *p7;
	size_t i;
	int s;

	if (safes == NULL)
		return NULL;
	for (s = 0; s < sk_PKCS7_num(st->safes); s++) {
		bool touched = false;

		for (i = 0; i < ks->n && !touched; i++)
			touched = drop[i] && st->safe_of[i] == (size_t)s;
		p7 = sk_PKCS7_value(st->safes, s);
		if (touched) {
			if (filter_safe(ks, drop, (size_t)s, p7, &p7) != 0)
				goto fail;
			if (p7 == NULL)
				continue;
			if (!sk_PKCS7_push(made, p7)) {
				PKCS7_free(p7);
				goto fail;
			}
		}
		if (!sk_PKCS7_push(safes, p7))
			goto fail;
	}
	if (certs == NULL || certs->n == 0)
		return safes;
	if ((bags = sk_PKCS12_SAFEBAG_new_null()) == NULL)
		goto fail;
	for (i = 0; i < certs->n; i++) {
		PKCS12_SAFEBAG *bag = trusted_bag(set, &certs->v[i]);

		if (bag == NULL || !sk_PKCS12_SAFEBAG_push(bags, bag)) {
			PKCS12_SAFEBAG_free(bag);
			goto fail;
		}
	}
	p7 = PKCS12_pack_p7data(bags);
	if (p7 == NULL || !sk_PKCS7_push(made, p7)) {
		PKCS7_free(p7);
		goto fail;
	}
	if (!sk_PKCS7_push(safes, p7))
		goto fail;
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	return safes;
fail:
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	sk_PKCS7_free(safes);
	return NULL;
}

/* The original MAC's parameters on p12. */
static int copy_mac(const PKCS12 *from, PKCS12 *to)
{
	const ASN1_OCTET_STRING *salt;
	const ASN1_INTEGER *iter;
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	const EVP_MD *md;

	if (!PKCS12_mac_present(from))
		return 0;
	PKCS12_get0_mac(NULL, &alg, &salt, &iter, from);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if ((md = EVP_get_digestbyobj(obj)) == NULL)
		return -1;
	return PKCS12_set_mac(to, KEYSTORE_PASSWORD, -1, salt->data, salt->length,
			      iter ? (int)ASN1_INTEGER_get(iter) : 1, md) ? 0 : -1;
}

int p12_render(const struct keystore *ks, const bool *drop, const char *set, const struct cert_list *certs,
	       struct rope *out, char *why, size_t n)
{
	struct p12_state *st = ks->p12;
	STACK_OF(PKCS7) *made = sk_PKCS7_new_null(), *safes = NULL;
	unsigned char *der = NULL;
	PKCS12 *p12 = NULL;
	int len = -1;

	if (made != NULL)
		safes = new_safes(ks, drop, set, certs, made);
	if (safes != NULL && (p12 = PKCS12_init(NID_pkcs7_data)) != NULL && PKCS12_pack_authsafes(p12, safes) &&
	    copy_mac(st->p12, p12) == 0)
		len = i2d_PKCS12(p12, &der);
	if (len <= 0 || rope_copy(out, (const char *)der, (size_t)len) < 0) {
		snprintf(why, n, "PKCS#12: cannot encode the new file");
		len = -1;
	}
	OPENSSL_free(der);
	PKCS12_free(p12);
	sk_PKCS7_free(safes);
	sk_PKCS7_pop_free(made, PKCS7_free);
	return len > 0 ? 0 : -1;
}

int p12_add_anchors(const struct keystore *ks, X509_STORE *store, char *why, size_t n)
{
	struct p12_state *st = ks->p12;
	int s, j;

	for (s = 0; s < sk_PKCS7_num(st->safes); s++) {
		PKCS7 *p7 = sk_PKCS7_value(st->safes, s);
		STACK_OF(PKCS12_SAFEBAG) *bags;
		int nid = OBJ_obj2nid(p7->type);

		if (nid == NID_pkcs7_data)
			bags = PKCS12_unpack_p7data(p7);
		else if (nid == NID_pkcs7_encrypted)
			bags = PKCS12_unpack_p7encdata(p7, KEYSTORE_PASSWORD, -1);
		else
			continue;
		if (bags == NULL) {
			snprintf(why, n, "PKCS#12: SafeContents %d does not decrypt with the default password", s);
			return -1;
		}
		for (j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
			PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, j);
			X509 *x;

			if (!is_cert_bag(bag) || !has_trusted_usage(bag) || (x = PKCS12_SAFEBAG_get1_cert(bag)) == NULL)
				continue;
			X509_STORE_add_cert(store, x);
			X509_free(x);
		}
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	}
	return 0;
}
