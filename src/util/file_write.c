/*
 * file_write.c: whole-file replacement through a temp file and a rename.
 */
#include "file_write.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int file_write_atomic(int dirfd, const char *name, const char *show, const void *buf, size_t len,
		      mode_t mode, struct cerr *e)
{
	char tmp[NAME_MAX + 1];
	const char *p = buf;
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), ".%.200s.cainit-tmp.%ld", name, (long)getpid());
	(void)unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cerr_sys(e, show, "create", errno);
	while (len > 0 && err == 0) {
		ssize_t k = write(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			err = errno;
		} else {
			p += k;
			len -= (size_t)k;
		}
	}
	if (err == 0 && fchmod(fd, mode) != 0)
		err = errno;
	if (err == 0 && fsync(fd) != 0)
		err = errno;
	close(fd);
	if (err == 0 && renameat(dirfd, tmp, dirfd, name) != 0)
		err = errno;
	if (err != 0) {
		(void)unlinkat(dirfd, tmp, 0);
		return cerr_sys(e, show, "write", err);
	}
	(void)fsync(dirfd);
	return 0;
}
