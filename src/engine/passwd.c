/*
 * passwd.c: reading a root's /etc/passwd (passwd.h), confined to the root
 * and bounded, line by line.
 */
#include "passwd.h"

#include <stdlib.h>
#include <string.h>

#define PASSWD_MAX (4 * 1024 * 1024)

/* A uid or gid field: digits only, up to the next ':'. */
static bool is_id(const char *from, const char *next_field)
{
	const char *c;

	for (c = from; c < next_field - 1; c++)
		if (*c < '0' || *c > '9')
			return false;
	return c > from;
}

/* The next passwd line's name, uid, gid and home; false at the end. */
bool passwd_next(const char **p, const char *end, struct passwd_entry *pw)
{
	while (*p < end) {
		const char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));
		const char *f[7];
		size_t k = 0;

		*p = nl ? nl + 1 : end;
		if (nl == NULL)
			nl = end;
		f[k++] = line;
		for (const char *c = line; c < nl && k < 7; c++)
			if (*c == ':')
				f[k++] = c + 1;
		if (k < 7 || f[1] - f[0] - 1 >= (long)sizeof(pw->name) || f[6] - f[5] - 1 >= (long)sizeof(pw->home) ||
		    f[5][0] != '/' || !is_id(f[2], f[3]) || !is_id(f[3], f[4]))
			continue;
		memcpy(pw->name, f[0], (size_t)(f[1] - f[0] - 1));
		pw->name[f[1] - f[0] - 1] = '\0';
		pw->uid = (uid_t)strtoul(f[2], NULL, 10);
		pw->gid = (gid_t)strtoul(f[3], NULL, 10);
		memcpy(pw->home, f[5], (size_t)(f[6] - f[5] - 1));
		pw->home[f[6] - f[5] - 1] = '\0';
		return true;
	}
	return false;
}

char *passwd_read(struct rootfs *r, size_t *len)
{
	struct rpath p;
	struct cerr ignored;
	char *buf = NULL;

	if (rootfs_resolve(r, "/etc/passwd", 0, &p, &ignored) != 0 || !p.exists ||
	    rootfs_read(r, &p, PASSWD_MAX, &buf, len, &ignored) != 0)
		return NULL;
	return buf;
}
