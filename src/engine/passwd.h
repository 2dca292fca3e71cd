/*
 * passwd.h: the users of a root, from its /etc/passwd, for the rooms that
 * keep per-user files (NSS databases in homes, Pythons under homes). The
 * file is the root's and untrusted: a line that is not seven fields with
 * numeric ids and an absolute home is skipped.
 */
#ifndef CAINIT_PASSWD_H
#define CAINIT_PASSWD_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "rootfs.h"

struct passwd_entry {
	char name[64];
	uid_t uid;
	gid_t gid;
	char home[PATH_MAX - 64];
};

/* The root's /etc/passwd (at most 4 MiB), malloc'd; NULL when it has none
 * that can be read. */
char *passwd_read(struct rootfs *r, size_t *len);

/* The next well-formed line of [*p, end); false at the end. */
bool passwd_next(const char **p, const char *end, struct passwd_entry *pw);

#endif
