/*
 * root_user.c: the user a root's programs run as (trust.h's
 * trust_root_user), from the root's /etc/passwd (passwd.h): doctor runs a
 * sandbox's clients as that user, not as root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passwd.h"
#include "trust.h"

/* The root's first user with a uid from 1000 to 60000 (login.defs' UID_MIN
 * and UID_MAX: the first account made for a person or an agent). */
int trust_root_user(const char *root, const char *want, struct passwd_entry *out, struct cerr *e)
{
	struct passwd_entry pw;
	struct rootfs r;
	const char *p, *end;
	char *buf = NULL, *num_end = NULL;
	unsigned long num = want != NULL ? strtoul(want, &num_end, 10) : 0;
	bool by_num = want != NULL && *want != '\0' && num_end != NULL && *num_end == '\0';
	bool found = false;
	size_t len = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "root");
	snprintf(out->home, sizeof(out->home), "/root");
	if (rootfs_open(&r, root, e) != 0)
		return e->code;
	buf = passwd_read(&r, &len);
	rootfs_close(&r);
	for (p = buf, end = buf + len; buf != NULL && !found && passwd_next(&p, end, &pw);)
		if (want != NULL ? (by_num ? pw.uid == num : strcmp(pw.name, want) == 0)
				 : pw.uid >= 1000 && pw.uid <= 60000)
			found = true;
	free(buf);
	if (found)
		*out = pw;
	else if (want != NULL && !(by_num ? num == 0 : strcmp(want, "root") == 0))
		return cerr_input(e, "no_user", "--user \"%.64s\": no such user in %s/etc/passwd", want,
				  strcmp(root, "/") != 0 ? root : "");
	return 0;
}
