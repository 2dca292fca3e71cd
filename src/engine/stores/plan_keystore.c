/*
 * plan_keystore.c: Java keystores in a change. Each one is rewritten whole
 * (keystore.c renders it) and swapped in by the same transaction as the
 * other stores. A keystore cainit cannot edit (it does not parse, or its
 * digest or MAC does not check with the default password, or it is a
 * bind-mounted file that cannot be renamed over) is reported and left
 * exactly as it was; it never fails the rest of the change.
 */
#include "plan.h"

#include <errno.h>

#include "trust.h"

int plan_keystores(struct scan *s, const struct want *w, struct txn *t, struct cerr *e)
{
	size_t i;

	for (i = 0; i < s->nkeystores; i++) {
		struct keystore_store *k = &s->keystores[i];
		struct rope r;
		int rc;

		if (k->bad) {
			trust_warn(w->rep, "%s: %s; left as it is", k->show, k->why);
			continue;
		}
		if (w->certs != NULL && keystore_holds(&k->ks, w->set, w->certs))
			continue;
		if (w->certs == NULL && keystore_count(&k->ks, w->set) == 0)
			continue;
		rope_init(&r);
		if (keystore_render(&k->ks, w->set, w->certs, &r, k->why, sizeof(k->why)) != 0) {
			rope_free(&r);
			k->bad = true;
			trust_warn(w->rep, "%s: %s; left as it is", k->show, k->why);
			continue;
		}
		rc = txn_write(t, k->p.dirfd, k->p.base, k->show, &r, &k->p.st, k->buf, k->len, TXN_SKIP);
		rope_free(&r);
		if (rc < 0)
			return cerr_sys(e, k->show, "plan", ENOMEM);
	}
	return 0;
}
