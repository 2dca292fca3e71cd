/*
 * bake_agents.c: several agents for one bake, one per architecture (the
 * release files cainit-linux-amd64, cainit-linux-arm64...), and the
 * architecture of a root filesystem, so that each platform of an image, or
 * a root, gets the agent that runs there.
 */
#include "bake.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirwalk.h"

#define AGENT_PREFIX "cainit-linux-"

struct dir_agents {
	char paths[BAKE_AGENTS_MAX][PATH_MAX];
	size_t n;
	const char *dir;
	bool too_many;
};

static int note_agent(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct dir_agents *d = ctx;

	(void)dirfd;
	(void)type; /* bake_agent_load checks that it is a regular file */
	if (strncmp(name, AGENT_PREFIX, strlen(AGENT_PREFIX)) != 0 || name[strlen(AGENT_PREFIX)] == '\0')
		return 0;
	if (d->n == BAKE_AGENTS_MAX) {
		d->too_many = true;
		return 0;
	}
	snprintf(d->paths[d->n++], PATH_MAX, "%s/%s", d->dir, name);
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The cainit-linux-* files of dir, sorted. */
static int list_dir(const char *dir, struct dir_agents *d, struct cerr *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	memset(d, 0, sizeof(*d));
	d->dir = dir;
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR
			       ? cerr_input(e, "bad_agent", "--agent-dir %s: no such directory", dir)
			       : cerr_sys(e, dir, "open", errno);
	rc = dir_each(fd, dir, note_agent, d, e);
	close(fd);
	if (rc != 0)
		return rc;
	if (d->too_many)
		return cerr_input(e, "bad_agent", "--agent-dir %s: more than %d " AGENT_PREFIX "* files", dir,
				  BAKE_AGENTS_MAX);
	if (d->n == 0)
		return cerr_input(e, "bad_agent", "--agent-dir %s: no " AGENT_PREFIX "ARCH file in it", dir);
	qsort(d->paths, d->n, PATH_MAX, by_path);
	return 0;
}

int bake_agents_load(const struct bake_opts *o, struct bake_agent v[BAKE_AGENTS_MAX], size_t *n, struct cerr *e)
{
	struct dir_agents *d = NULL;
	size_t want = o->nagents, i, k;
	int rc = 0;

	*n = 0;
	if (o->agent_dir != NULL) {
		if ((d = malloc(sizeof(*d))) == NULL)
			return cerr_sys(e, o->agent_dir, "malloc", ENOMEM);
		if ((rc = list_dir(o->agent_dir, d, e)) != 0) {
			free(d);
			return rc;
		}
		want = d->n;
	}
	if (want > BAKE_AGENTS_MAX)
		return cerr_input(e, "bad_agent", "more than %d agents", BAKE_AGENTS_MAX);
	for (i = 0; rc == 0 && i < (want ? want : 1); i++) {
		const char *path = d ? d->paths[i] : want ? o->agents[i] : NULL;

		if ((rc = bake_agent_load(path, &v[i], e)) != 0)
			break;
		*n = i + 1;
		if (want < 2 && d == NULL)
			continue;
		if (bake_machine_arch(v[i].machine) == NULL)
			rc = cerr_input(e, "bad_agent", "agent %s: built for an architecture images do not name (ELF machine %u)",
					path, v[i].machine);
		for (k = 0; rc == 0 && k < i; k++)
			if (v[k].machine == v[i].machine)
				rc = cerr_input(e, "bad_agent", "two agents for linux/%s: give one per architecture",
						bake_machine_arch(v[i].machine));
	}
	free(d);
	if (rc != 0) {
		bake_agents_free(v, *n);
		*n = 0;
	}
	return rc;
}

void bake_agents_free(struct bake_agent *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bake_agent_free(&v[i]);
}

const struct bake_agent *bake_agent_for(const struct bake_agent *v, size_t n, const char *arch)
{
	for (size_t i = 0; i < n; i++) {
		const char *a = bake_machine_arch(v[i].machine);

		if (a != NULL && arch != NULL && strcmp(a, arch) == 0)
			return &v[i];
	}
	return NULL;
}

/* The programs nearly every root has; the first ELF file among them tells
 * the root's architecture (a busybox image's are all one binary). */
static const char *const probes[] = {
	"/bin/sh", "/usr/bin/env", "/bin/busybox", "/usr/bin/busybox", "/bin/ls", "/usr/bin/ls", "/sbin/init",
	"/usr/local/bin/python3", "/usr/bin/python3",
};

/* The e_machine of the ELF file at p in r, or 0. */
static unsigned machine_of(struct rootfs *r, const char *p)
{
	unsigned char h[EI_NIDENT + 4];
	struct stat st;
	struct rpath rp;
	struct cerr ignored = {0};
	int fd = -1;
	ssize_t k;

	if (rootfs_resolve(r, p, 0, &rp, &ignored) != 0 || !rp.exists || rp.dirfd < 0 ||
	    rootfs_open_regular(rp.dirfd, rp.base, p, &fd, &st, &ignored) != 0 || fd < 0)
		return 0;
	k = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (k != (ssize_t)sizeof(h) || memcmp(h, ELFMAG, SELFMAG) != 0 || h[EI_DATA] != ELFDATA2LSB)
		return 0;
	return (unsigned)h[EI_NIDENT + 2] | (unsigned)h[EI_NIDENT + 3] << 8; /* e_machine, after e_type */
}

int bake_root_arch(const char *dir, const char **arch, struct cerr *e)
{
	struct rootfs r;
	unsigned m = 0;

	*arch = NULL;
	if (rootfs_open(&r, dir, e) != 0)
		return e->code;
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]) && m == 0; i++)
		m = machine_of(&r, probes[i]);
	rootfs_close(&r);
	*arch = m ? bake_machine_arch(m) : NULL;
	return 0;
}
