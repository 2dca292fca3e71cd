/*
 * run_source.c: see run_source.h. Each install is logged the way
 * `cainit install` reports it, prefixed "cainit run:".
 */
#include "run_source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "clock.h"
#include "trust.h"

static bool same(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	return a != NULL && alen == blen && memcmp(a, b, alen) == 0;
}

static void keep(unsigned char **dst, size_t *dlen, unsigned char *buf, size_t len)
{
	free(*dst);
	*dst = buf;
	*dlen = len;
}

enum source_result source_apply(struct ca_source *s, bool *repeat, struct cerr *e)
{
	struct trust_report rep;
	struct cert_list certs;
	unsigned char *buf;
	struct stat st;
	long long t0;
	size_t len, i;

	*repeat = false;
	if (stat(s->path, &st) < 0 && (errno == ENOENT || errno == ENOTDIR))
		return SOURCE_MISSING;
	if (cli_read_input(s->path, &buf, &len, e) != 0)
		return SOURCE_REFUSED;
	if (len == 0) {
		free(buf);
		return SOURCE_MISSING;
	}
	if (same(s->last, s->last_len, buf, len)) {
		free(buf);
		return SOURCE_UNCHANGED;
	}
	*repeat = same(s->last_bad, s->last_bad_len, buf, len);
	if (cert_list_parse(buf, len, s->path, &certs, e) != 0) {
		keep(&s->last_bad, &s->last_bad_len, buf, len);
		return SOURCE_REFUSED;
	}
	t0 = clock_now_us();
	if (trust_install(s->root, s->set, &certs, &s->opts, s->path, &rep, e) != 0) {
		cert_list_free(&certs);
		if (e->code == CAINIT_EINPUT) {
			keep(&s->last_bad, &s->last_bad_len, buf, len);
			return SOURCE_REFUSED;
		}
		free(buf);
		return SOURCE_FAILED;
	}
	for (i = 0; i < certs.n; i++)
		fprintf(stderr, "cainit run: trusted \"%s\" sha256=%s set=%s stores=%zu in %lldus%s\n",
			certs.v[i].subject, certs.v[i].fp, s->set, rep.stores, clock_now_us() - t0,
			rep.changes == 0 ? " (unchanged)" : "");
	cert_list_free(&certs);
	keep(&s->last, &s->last_len, buf, len);
	return SOURCE_INSTALLED;
}

void source_free(struct ca_source *s)
{
	free(s->last);
	free(s->last_bad);
	s->last = s->last_bad = NULL;
}
