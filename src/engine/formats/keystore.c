/*
 * keystore.c: what is common to both keystore formats: cainit's aliases,
 * which entries an operation drops, and dispatch to the format back ends
 * (keystore_jks.c, keystore_p12.c).
 */
#include "keystore_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "digest.h"

#define DERIVED_PREFIX "debian:cainit."
#define DERIVED_SUFFIX ".pem"

const char *keystore_format_name(enum keystore_format f)
{
	return f == KEYSTORE_JKS ? "jks" : "pkcs12";
}

void keystore_alias(char *out, const char *set, const unsigned char sha256[32])
{
	char hex[65];

	digest_hex(sha256, hex);
	snprintf(out, KEYSTORE_ALIAS_MAX, KEYSTORE_ALIAS_PREFIX "%s.%s", set, hex);
}

static bool copy_set(char *dst, const char *src, size_t len)
{
	if (len == 0 || len > SET_NAME_MAX)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return set_name_valid(dst);
}

void keystore_classify(struct keystore_entry *e)
{
	size_t len = strlen(e->alias), pl = strlen(KEYSTORE_ALIAS_PREFIX);
	const char *dot;

	e->ours = e->derived = false;
	if (len > pl + 65 && strncmp(e->alias, KEYSTORE_ALIAS_PREFIX, pl) == 0) {
		dot = e->alias + len - 65;
		e->ours = *dot == '.' && strspn(dot + 1, "0123456789abcdef") == 64 &&
			  copy_set(e->set, e->alias + pl, (size_t)(dot - e->alias) - pl);
		return;
	}
	/* Debian's hook names an entry after its /etc/ssl/certs file (lower case) */
	pl = strlen(DERIVED_PREFIX);
	if (len > pl + strlen(DERIVED_SUFFIX) && strncasecmp(e->alias, DERIVED_PREFIX, pl) == 0 &&
	    strcasecmp(e->alias + len - strlen(DERIVED_SUFFIX), DERIVED_SUFFIX) == 0)
		e->derived = copy_set(e->set, e->alias + pl, len - pl - strlen(DERIVED_SUFFIX));
}

/* Does entry x fall under an operation on set (NULL: every set)? Derived
 * names are lower case: they match the set without regard to case. */
static bool covered(const struct keystore_entry *x, const char *set)
{
	if (x->ours)
		return set == NULL || strcmp(x->set, set) == 0;
	if (x->derived)
		return set == NULL || strcasecmp(x->set, set) == 0;
	return false;
}

int keystore_parse(const char *buf, size_t len, struct keystore *ks, char *why, size_t n)
{
	int rc;

	memset(ks, 0, sizeof(*ks));
	ks->buf = buf;
	ks->len = len;
	if (len >= 4 && memcmp(buf, "\xfe\xed\xfe\xed", 4) == 0) {
		ks->format = KEYSTORE_JKS;
		if ((rc = jks_parse(ks, why, n)) != 0)
			keystore_free(ks); /* a failure leaves nothing to free */
		return rc;
	}
	if (len >= 4 && memcmp(buf, "\xce\xce\xce\xce", 4) == 0) {
		snprintf(why, n, "a JCEKS keystore (not supported)");
		return -1;
	}
	if (len >= 2 && (unsigned char)buf[0] == 0x30) {
		ks->format = KEYSTORE_PKCS12;
		if ((rc = p12_parse(ks, why, n)) != 0)
			keystore_free(ks);
		return rc;
	}
	snprintf(why, n, "neither JKS nor PKCS#12");
	return -1;
}

void keystore_free(struct keystore *ks)
{
	if (ks->format == KEYSTORE_PKCS12)
		p12_free(ks);
	free(ks->v);
	memset(ks, 0, sizeof(*ks));
}

bool keystore_integrity_ok(const struct keystore *ks, char *why, size_t n)
{
	return ks->format == KEYSTORE_JKS ? jks_integrity_ok(ks, why, n) : p12_integrity_ok(ks, why, n);
}

bool keystore_holds(const struct keystore *ks, const char *set, const struct cert_list *certs)
{
	char alias[KEYSTORE_ALIAS_MAX];
	size_t i, k, found = 0;

	for (i = 0; i < ks->n; i++) {
		const struct keystore_entry *x = &ks->v[i];

		if (!covered(x, set))
			continue;
		for (k = 0; k < certs->n; k++)
			if (memcmp(certs->v[k].sha256, x->sha256, 32) == 0)
				break;
		if (k == certs->n)
			return false;
		if (x->derived)
			continue; /* Debian's hook's copy of one of the set's CAs: harmless */
		keystore_alias(alias, set, x->sha256);
		if (strcmp(alias, x->alias) != 0)
			return false;
		found++;
	}
	return found == certs->n;
}

size_t keystore_count(const struct keystore *ks, const char *set)
{
	size_t i, c = 0;

	for (i = 0; i < ks->n; i++)
		c += covered(&ks->v[i], set);
	return c;
}

int keystore_render(const struct keystore *ks, const char *set, const struct cert_list *certs,
		    struct rope *out, char *why, size_t n)
{
	bool *drop;
	size_t i;
	int rc;

	/* (JKS checks its digest as it renders: the two share one pass) */
	if (ks->format != KEYSTORE_JKS && !keystore_integrity_ok(ks, why, n))
		return -1;
	drop = calloc(ks->n + 1, sizeof(*drop));
	if (drop == NULL) {
		snprintf(why, n, "out of memory");
		return -1;
	}
	for (i = 0; i < ks->n; i++)
		drop[i] = covered(&ks->v[i], set);
	if (ks->format == KEYSTORE_JKS)
		rc = jks_render(ks, drop, set, certs, out, why, n);
	else
		rc = p12_render(ks, drop, set, certs, out, why, n);
	free(drop);
	return rc;
}

X509_STORE *keystore_trust_store(const struct keystore *ks, char *why, size_t n)
{
	X509_STORE *store = X509_STORE_new();
	int rc;

	if (store == NULL) {
		snprintf(why, n, "out of memory");
		return NULL;
	}
	if (ks->format == KEYSTORE_JKS) {
		rc = jks_add_anchors(ks, store);
		if (rc != 0)
			snprintf(why, n, "a trusted entry does not decode");
	} else {
		rc = p12_add_anchors(ks, store, why, n);
	}
	if (rc != 0) {
		X509_STORE_free(store);
		return NULL;
	}
	return store;
}
