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
 * The held directory is cainit's own, inside /etc/cainit: it goes when its
 * last held file does (held_drop, or the sweep of a killed run's), and so
 * it is not one of the directories made_dirs.c records (a doctor run in a
 * root that keeps a set would leave its line there).
 */
#include "held.h"

#include <errno.h>
#include <stdbool.h>
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
	rootfs_made_forget(r, HELD_DIR);
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
#define STOP 100           /* an entry callback: enough for this run (not an error) */

struct stale {
	int held_dirfd;
	char (*out)[SET_NAME_MAX + 1];
	size_t max, n, seen;
};

/* Nobody holds name's lock: no file (a sweep that removed it was killed
 * before the set went, or a recovery brought the set back), or a file
 * whose lock is free (its installer is gone). */
static bool unheld(int held_dirfd, const char *name)
{
	struct stat st;
	bool free_ = false;
	int fd = openat(held_dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0)
		free_ = true;
	close(fd);
	return free_;
}

/* A set's record, SET.pem of the sets directory: a temporary set that
 * nobody holds is stale. The set itself, not its held file, is what is
 * looked for, so a held file removed before its set (a sweep killed in
 * between) cannot leave the set behind for good. */
static int stale_set(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct stale *x = ctx;
	char set[SET_NAME_MAX + 1];
	size_t len = strlen(name);

	(void)dirfd;
	(void)type;
	if (x->n == x->max || ++x->seen > HELD_LIST_MAX)
		return STOP;
	if (len < 5 || len - 4 > SET_NAME_MAX || strcmp(name + len - 4, ".pem") != 0)
		return 0;
	snprintf(set, sizeof(set), "%.*s", (int)(len - 4), name);
	if (!set_name_valid(set) || strncmp(set, HELD_PREFIX, strlen(HELD_PREFIX)) != 0)
		return 0;
	if (unheld(x->held_dirfd, set))
		snprintf(x->out[x->n++], SET_NAME_MAX + 1, "%s", set);
	return 0;
}

/* A held file: the held files of stale sets and those whose installer
 * died before its set was installed go (the set, if any, is removed by the
 * caller right after). */
static int stale_file(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct stale *x = ctx;

	(void)type;
	if (++x->seen > HELD_LIST_MAX)
		return STOP;
	if (set_name_valid(name) && strncmp(name, HELD_PREFIX, strlen(HELD_PREFIX)) == 0 && unheld(dirfd, name))
		unlinkat(dirfd, name, 0);
	return 0;
}

int held_stale(struct rootfs *r, char (*out)[SET_NAME_MAX + 1], size_t max, size_t *n, struct cerr *e)
{
	struct cerr ignored = {0};
	struct stale x = {-1, out, max, 0, 0};
	char show[PATH_MAX + 64];
	struct rpath dir, sets;
	int rc = 0;

	*n = 0;
	if (rootfs_resolve(r, HELD_DIR, RP_DIR, &dir, &ignored) != 0 || !dir.exists || dir.dirfd < 0)
		return 0; /* (the common case: one lookup; every temporary set made it) */
	x.held_dirfd = dir.dirfd;
	if (rootfs_resolve(r, CAINIT_SET_DIR, RP_DIR, &sets, &ignored) == 0 && sets.exists && sets.dirfd >= 0) {
		snprintf(show, sizeof(show), "%s%s", r->prefix, CAINIT_SET_DIR);
		rc = dir_each(sets.dirfd, show, stale_set, &x, e);
		if (rc != 0 && rc != STOP)
			return rc;
	}
	x.seen = 0;
	snprintf(show, sizeof(show), "%s%s", r->prefix, HELD_DIR);
	rc = dir_each(dir.dirfd, show, stale_file, &x, e);
	if (rc != 0 && rc != STOP)
		return rc;
	if (x.n == 0 && rootfs_resolve(r, CAINIT_DIR, RP_DIR, &sets, &ignored) == 0 && sets.dirfd >= 0 &&
	    unlinkat(sets.dirfd, HELD_DIR_NAME, AT_REMOVEDIR) == 0)
		/* no temporary set left: the directory goes when empty (ENOTEMPTY:
		 * a live one's), so later runs look no further */
		rootfs_forget(r);
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
	struct rpath dir, cainit;

	if (rootfs_resolve(r, HELD_DIR, RP_DIR, &dir, &ignored) != 0 || !dir.exists || dir.dirfd < 0)
		return;
	if (set != NULL)
		unlinkat(dir.dirfd, set, 0);
	else
		dir_each(dir.dirfd, HELD_DIR, drop_entry, NULL, &ignored);
	/* the directory with its last file (ENOTEMPTY: another's still held) */
	if (rootfs_resolve(r, CAINIT_DIR, RP_DIR, &cainit, &ignored) == 0 && cainit.dirfd >= 0 &&
	    unlinkat(cainit.dirfd, HELD_DIR_NAME, AT_REMOVEDIR) == 0)
		rootfs_forget(r);
}
