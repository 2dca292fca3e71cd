/*
 * bake_rootfs.c: `cainit bake --rootfs DIR`: the agent copied into a root
 * filesystem directory and, with CAs, the root made to trust them by the
 * engine. Every input is checked before the first write; every write is
 * confined to DIR (rootfs.h), whatever symlinks the image holds.
 */
#include "bake.h"

#include <string.h>
#include <time.h>

#include "trust.h"

int bake_rootfs(const char *dir, const struct bake_opts *o, struct bake_result *res, struct cerr *e)
{
	struct bake_agent a;
	struct trust_report rep;
	struct rootfs r;
	bool with_cas = o->cas != NULL && o->cas->n > 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if (bake_agent_load(o->agent, &a, e) != 0)
		return e->code;
	snprintf(res->agent_sha256, sizeof(res->agent_sha256), "%s", a.sha256);
	rc = with_cas ? cert_list_check(o->cas, o->cert_flags, time(NULL), o->origin, e) : 0;
	/* the base as it was before this bake (cainit's own files left out) */
	if (rc == 0)
		rc = trust_tree_hash(dir, BAKE_AGENT_PATH, res->base, e);
	if (rc == 0)
		rc = bake_fingerprint("rootfs-tree", res->base, a.sha256, o->cas, o->set, NULL, 0, false, res->fingerprint, e);
	if (rc == 0 && with_cas)
		rc = trust_install(dir, o->set, o->cas, &(struct trust_opts){.flags = o->cert_flags}, o->origin, &rep, e);
	else if (rc == 0) /* the variables' paths, for the CA a later /init brings */
		rc = trust_prepare(dir, &rep, e);
	if (rc == 0 && (rc = rootfs_open(&r, dir, e)) == 0) {
		rc = rootfs_lock(&r, TRUST_LOCK_TIMEOUT_MS, e);
		if (rc == 0)
			rc = bake_agent_place(&r, &a, e);
		rootfs_close(&r);
	}
	bake_agent_free(&a);
	return rc;
}
