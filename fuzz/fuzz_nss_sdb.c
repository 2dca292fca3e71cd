/*
 * fuzz_nss_sdb.c: libFuzzer target for NSS databases found in a root
 * (nss_sdb.c: the tenant's cert9.db and key4.db, loaded into SQLite in
 * memory). Input: 4 bytes (big endian) giving cert9.db's length, its
 * bytes, then key4.db's (none: no key4.db). Properties, whenever a
 * database loads: installing a set succeeds or says why; after it, the set
 * is held (with working trust), and still is once the database is saved
 * and loaded again; removing it leaves none of its certificates, and the
 * database's other cainit sets as they were.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certgen.h"
#include "nss_sdb.h"

static struct cert_list cas;

static void init_ca(void)
{
	struct certgen_opts o = {.cn = "fuzz CA", .ca = true, .not_before = -60, .not_after = 86400};
	struct testcert c;
	struct cerr e = {0};
	unsigned char *der;
	size_t len;

	if (certgen_make(&c, &o) != 0 || (der = certgen_der(&c, &len)) == NULL ||
	    cert_list_parse(der, len, "fuzz", &cas, &e) != 0)
		abort();
	free(der);
	certgen_free(&c);
}

static void reload(struct nss_sdb *d)
{
	unsigned char *cb = NULL, *kb = NULL;
	size_t cl = 0, kl = 0;
	char why[NSS_WHY_MAX];
	bool key = d->key != NULL;

	if (nss_sdb_save(d, false, &cb, &cl) != 0 || (key && nss_sdb_save(d, true, &kb, &kl) != 0))
		abort();
	nss_sdb_close(d);
	if (nss_sdb_load(d, cb, cl, key ? kb : NULL, kl, why, sizeof(why)) != 0)
		abort(); /* what cainit wrote must load again */
	free(cb);
	free(kb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nss_sdb d;
	char why[NSS_WHY_MAX] = "";
	size_t clen, others;

	if (cas.n == 0)
		init_ca();
	if (size < 4)
		return 0;
	clen = (size_t)data[0] << 24 | (size_t)data[1] << 16 | (size_t)data[2] << 8 | data[3];
	if (clen > size - 4)
		clen = size - 4;
	if (nss_sdb_load(&d, data + 4, clen, size - 4 - clen ? data + 4 + clen : NULL, size - 4 - clen, why,
			 sizeof(why)) != 0) {
		if (why[0] == '\0')
			abort();
		return 0;
	}
	others = nss_sdb_count(&d, NULL) - nss_sdb_count(&d, "fz");
	if (nss_sdb_apply(&d, "fz", &cas, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			abort();
		nss_sdb_close(&d);
		return 0;
	}
	if (!nss_sdb_holds(&d, "fz", &cas))
		abort();
	reload(&d);
	if (!nss_sdb_holds(&d, "fz", &cas) || nss_sdb_count(&d, NULL) - nss_sdb_count(&d, "fz") != others)
		abort();
	if (nss_sdb_apply(&d, "fz", NULL, why, sizeof(why)) != 0 || nss_sdb_count(&d, "fz") != 0 ||
	    nss_sdb_count(&d, NULL) != others)
		abort();
	nss_sdb_close(&d);
	return 0;
}
