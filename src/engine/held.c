/*
 * held.c: temporary sets. `cainit doctor` installs a canary CA as a set of
 * its own and removes it when it is done; killed in between, it cannot. A
 * set installed with TRUST_HOLD is therefore held: /etc/cainit/held/SET,
 * an empty file the installer keeps locked (flock) while it lives. Every
 * change of the root (trust.c's begin, under the root's lock) first
 * removes each held set whose file nobody locks any more (only names that
 * begin with HELD_PREFIX: a planted file removes no other set). A lock, not a
 * PID: it means the same thing whichever PID namespace the installer and
 * the sweeping run are in (an agent inside the sandbox, a doctor on the
 * host with --root), and it cannot be taken over by a recycled PID.
 *
 * The held directory is made through the confined resolver, so it is one
 * of the directories cainit made (made_dirs.c) and goes with the last set.
 */
#include "held.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirwalk.h"

int held_take(struct rootfs *r, const char *set, int *fd, struct cerr *e)
{
	char show[PATH_MAX + 64];
	struct rpath dir;

	*fd = -1;
	if (strncmp(set, HELD_PREFIX, strlen(HELD_PREFIX)) != 0)
		return cerr_input(e, "invalid_set", "a temporary set's name begins with \"" HELD_PREFIX "\" (not \"%.80s\")",
				  set);
	if (rootfs_resolve(r, HELD_DIR, RP_DIR | RP_MKDIRS, &dir, e) != 0)
		return CAINIT_EOPS;
	snprintf(show, sizeof(show), "%s%s/%s", r->prefix, HELD_DIR, set);
	*fd = openat(dir.dirfd, set, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (*fd < 0)
		return cerr_sys(e, show, "open", errno);
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;

		close(*fd);
		*fd = -1;
		return cerr_sys(e, show, "lock", err);
	}
	return 0;
}

#define HELD_LIST_MAX 4096 /* entries looked at per run: a root cannot make every run list millions */
#define STOP 100           /* stale_entry: enough for this run (not an error) */

struct stale {
	char (*out)[SET_NAME_MAX + 1];
	size_t max, n, seen;
};

static int stale_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct stale *x = ctx;
	struct stat st;
	int fd;

	(void)type;
	if (x->n == x->max || ++x->seen > HELD_LIST_MAX)
		return STOP;
	if (!set_name_valid(name) || strncmp(name, HELD_PREFIX, strlen(HELD_PREFIX)) != 0)
		return 0;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0) {
		/* nobody holds it: its installer is gone */
		snprintf(x->out[x->n++], SET_NAME_MAX + 1, "%s", name);
		unlinkat(dirfd, name, 0);
	}
	close(fd);
	return 0;
}

int held_stale(struct rootfs *r, char (*out)[SET_NAME_MAX + 1], size_t max, size_t *n, struct cerr *e)
{
	struct cerr ignored = {0};
	struct stale x = {out, max, 0, 0};
	char show[PATH_MAX + 64];
	struct rpath dir;
	int rc;

	*n = 0;
	if (rootfs_resolve(r, HELD_DIR, RP_DIR, &dir, &ignored) != 0 || !dir.exists || dir.dirfd < 0)
		return 0; /* (the common case: one lookup) */
	snprintf(show, sizeof(show), "%s%s", r->prefix, HELD_DIR);
	rc = dir_each(dir.dirfd, show, stale_entry, &x, e);
	if (rc != 0 && rc != STOP)
		return rc;
	*n = x.n;
	return 0;
}

static int drop_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	(void)ctx;
	(void)type;
	if (set_name_valid(name))
		unlinkat(dirfd, name, 0);
	return 0;
}

void held_drop(struct rootfs *r, const char *set)
{
	struct cerr ignored = {0};
	struct rpath dir;

	if (rootfs_resolve(r, HELD_DIR, RP_DIR, &dir, &ignored) != 0 || !dir.exists || dir.dirfd < 0)
		return;
	if (set != NULL)
		unlinkat(dir.dirfd, set, 0);
	else
		dir_each(dir.dirfd, HELD_DIR, drop_entry, NULL, &ignored);
}
