/*
 * bake_rootfs.c: `cainit bake --rootfs DIR`: the agent copied into a root
 * filesystem directory and, with CAs, the root made to trust them by the
 * engine. Every input is checked before the first write; every write is
 * confined to DIR (rootfs.h), whatever symlinks the image holds. Given
 * agents for several architectures, the root's own programs choose.
 */
#include "bake.h"

#include <string.h>
#include <time.h>

#include "trust.h"

/* The agent for the root: the one of its architecture. One agent is
 * taken as it is only where the root does not tell (no ELF program among
 * the usual ones, or a machine cainit has no name for): an agent the root
 * cannot run is refused, not baked. */
static int pick_agent(const char *dir, const struct bake_agent *v, size_t n, const struct bake_agent **a,
		      struct cerr *e)
{
	const char *arch, *mine;

	*a = &v[0];
	if (bake_root_arch(dir, &arch, e) != 0)
		return e->code;
	if (n == 1) {
		mine = bake_machine_arch(v[0].machine);
		if (arch != NULL && mine != NULL && strcmp(arch, mine) != 0)
			return cerr_input(e, "bad_agent", "%s: a linux/%s root, and the agent is built for %s", dir, arch,
					  mine);
		return 0;
	}
	if (arch == NULL)
		return cerr_input(e, "bad_agent", "%s: no ELF program (/bin/sh, busybox...) tells its architecture: "
				  "give the one --agent for it", dir);
	if ((*a = bake_agent_for(v, n, arch)) == NULL)
		return cerr_input(e, "bad_agent", "%s: a linux/%s root, and no agent is built for it", dir, arch);
	return 0;
}

int bake_rootfs(const char *dir, const struct bake_opts *o, struct bake_result *res, struct cerr *e)
{
	struct bake_agent v[BAKE_AGENTS_MAX];
	const struct bake_agent *a;
	struct trust_report rep;
	struct rootfs r;
	bool with_cas = o->cas != NULL && o->cas->n > 0;
	size_t n;
	int rc;

	memset(res, 0, sizeof(*res));
	if (bake_agents_load(o, v, &n, e) != 0)
		return e->code;
	rc = pick_agent(dir, v, n, &a, e);
	if (rc == 0) {
		snprintf(res->agent_sha256, sizeof(res->agent_sha256), "%s", a->sha256);
		snprintf(res->arch, sizeof(res->arch), "%s", bake_machine_arch(a->machine) ? bake_machine_arch(a->machine) : "");
	}
	if (rc == 0 && with_cas)
		rc = cert_list_check(o->cas, o->cert_flags, time(NULL), o->origin, e);
	/* the base as it was before this bake (cainit's own files left out) */
	if (rc == 0)
		rc = trust_tree_hash(dir, BAKE_AGENT_PATH, res->base, e);
	if (rc == 0)
		rc = bake_fingerprint("rootfs-tree", res->base, a->sha256, o->cas, o->set, NULL, 0, false, res->fingerprint, e);
	if (rc == 0 && with_cas)
		rc = trust_install(dir, o->set, o->cas, &(struct trust_opts){.flags = o->cert_flags | TRUST_FULL}, o->origin,
				   &rep, e);
	else if (rc == 0) /* the variables' paths, for the CA a later /init brings */
		rc = trust_prepare(dir, &rep, e);
	if (rc == 0 && (rc = rootfs_open(&r, dir, e)) == 0) {
		rc = rootfs_lock(&r, TRUST_LOCK_TIMEOUT_MS, e);
		if (rc == 0)
			rc = bake_agent_place(&r, a, e);
		rootfs_close(&r);
	}
	bake_agents_free(v, n);
	return rc;
}
