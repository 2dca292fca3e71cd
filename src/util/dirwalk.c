/*
 * dirwalk.c: see dirwalk.h.
 */
#include "dirwalk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "rootfs.h"

/* The getdents64 buffer: most directories cainit lists fit in one call. */
#define LIST_BUF (32 * 1024)

/*
 * getdents64 straight on a fresh descriptor: open, one call per 32 KB of
 * entries, one more that returns 0, close. (fdopendir and readdir add an
 * fstat and two fcntl calls per directory, and the discovery of a root
 * lists dozens of them.)
 */
int dir_each(int dirfd, const char *show, dir_entry_fn fn, void *ctx, struct cerr *e)
{
	char *buf;
	ssize_t n = 0;
	int fd, rc = 0;

	rootfs_watch_listing(dirfd);
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cerr_sys(e, show, "open directory", errno);
	if ((buf = malloc(LIST_BUF)) == NULL) {
		close(fd);
		return cerr_sys(e, show, "list", ENOMEM);
	}
	while (rc == 0 && (n = getdents64(fd, buf, LIST_BUF)) > 0) {
		for (ssize_t at = 0; rc == 0 && at < n;) {
			struct dirent64 *d = (struct dirent64 *)(void *)(buf + at);

			at += d->d_reclen;
			if (d->d_reclen == 0)
				break; /* (never from the kernel) */
			if (d->d_name[0] == '.' && (d->d_name[1] == 0 || (d->d_name[1] == '.' && d->d_name[2] == 0)))
				continue;
			if ((rc = fn(ctx, dirfd, d->d_name, d->d_type)) < 0)
				rc = cerr_sys(e, show, "list", ENOMEM);
		}
	}
	if (rc == 0 && n < 0)
		rc = cerr_sys(e, show, "list", errno);
	free(buf);
	close(fd);
	return rc;
}
