/*
 * fuzz_keystore.c: libFuzzer target for Java keystores (keystore.c, JKS and
 * PKCS#12), which cainit edits in images it did not build. The input is a
 * keystore (seeds: keytool's and openssl's). Properties:
 *  - parsing ends in a keystore or a one-line reason, never a crash;
 *  - one whose digest or MAC does not check with the default password is
 *    never rendered (cainit would sign over entries it cannot vouch for);
 *  - the editor's output after adding a set reparses, checks, holds the
 *    set exactly (one entry per CA), and keeps every entry that is not the
 *    set's: same aliases, same order, and for JKS the same bytes;
 *  - removing the set again leaves none of it, and for a JKS that held
 *    none before gives back the original file byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certgen.h"
#include "keystore.h"

#define SET "fuzzset"

static struct cert_list ca;

static void make_ca(void)
{
	struct certgen_opts o = {.cn = "fuzz keystore CA", .ca = true, .not_before = -3600, .not_after = 86400};
	struct testcert c;
	struct cerr e = {0};
	size_t n;
	char *pem;

	if (certgen_make(&c, &o) < 0 || (pem = certgen_pem(&c, &n)) == NULL ||
	    cert_list_parse((unsigned char *)pem, n, "fuzz", &ca, &e) != 0)
		abort();
	free(pem);
	certgen_free(&c);
}

static bool of_set(const struct keystore_entry *x)
{
	return (x->ours || x->derived) && strcmp(x->set, SET) == 0;
}

/* b keeps a's entries that are not the set's, in order (JKS: same bytes). */
static void keeps_foreign(const struct keystore *a, const struct keystore *b)
{
	size_t j = 0;

	for (size_t i = 0; i < a->n; i++) {
		const struct keystore_entry *x = &a->v[i];

		if (of_set(x))
			continue;
		while (j < b->n && of_set(&b->v[j]))
			j++;
		if (j == b->n || strcmp(x->alias, b->v[j].alias) != 0 || x->trusted != b->v[j].trusted)
			abort(); /* a foreign entry lost, renamed or moved */
		if (a->format == KEYSTORE_JKS &&
		    (x->end - x->off != b->v[j].end - b->v[j].off ||
		     memcmp(a->buf + x->off, b->buf + b->v[j].off, x->end - x->off) != 0))
			abort(); /* a foreign entry's bytes changed */
		j++;
	}
}

static char *joined(struct rope *r, size_t *len)
{
	char *p = rope_join(r);

	if (p == NULL)
		abort();
	*len = r->len;
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[KEYSTORE_WHY_MAX] = "", why2[KEYSTORE_WHY_MAX];
	struct keystore ks, added, back;
	struct rope r;
	char *buf1, *buf2;
	size_t len1, len2;

	if (ca.n == 0)
		make_ca();
	if (keystore_parse((const char *)data, size, &ks, why, sizeof(why)) != 0) {
		if (why[0] == '\0' || strchr(why, '\n') != NULL)
			abort();
		return 0;
	}
	rope_init(&r);
	if (!keystore_integrity_ok(&ks, why, sizeof(why))) {
		if (keystore_render(&ks, SET, &ca, &r, why2, sizeof(why2)) == 0)
			abort(); /* rendered over a digest or MAC that does not check */
		rope_free(&r);
		keystore_free(&ks);
		return 0;
	}
	if (keystore_render(&ks, SET, &ca, &r, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			abort();
		rope_free(&r);
		keystore_free(&ks);
		return 0;
	}
	buf1 = joined(&r, &len1);
	rope_free(&r);
	if (keystore_parse(buf1, len1, &added, why, sizeof(why)) != 0 || !keystore_integrity_ok(&added, why, sizeof(why)))
		abort(); /* the editor's output does not read back */
	if (added.format != ks.format || !keystore_holds(&added, SET, &ca) || keystore_count(&added, SET) != ca.n)
		abort();
	keeps_foreign(&ks, &added);

	rope_init(&r);
	if (keystore_render(&added, SET, NULL, &r, why, sizeof(why)) != 0)
		abort();
	buf2 = joined(&r, &len2);
	rope_free(&r);
	if (keystore_parse(buf2, len2, &back, why, sizeof(why)) != 0 || !keystore_integrity_ok(&back, why, sizeof(why)) ||
	    keystore_count(&back, SET) != 0)
		abort();
	keeps_foreign(&ks, &back);
	if (ks.format == KEYSTORE_JKS && keystore_count(&ks, SET) == 0 &&
	    (len2 != size || memcmp(buf2, data, size) != 0))
		abort(); /* add then remove is not the identity */
	keystore_free(&back);
	keystore_free(&added);
	keystore_free(&ks);
	free(buf2);
	free(buf1);
	return 0;
}
