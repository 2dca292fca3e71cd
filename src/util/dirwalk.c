/*
 * dirwalk.c: see dirwalk.h.
 */
#include "dirwalk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int dir_each(int dirfd, const char *show, dir_entry_fn fn, void *ctx, struct cerr *e)
{
	struct dirent *d;
	DIR *dir;
	int fd, rc = 0;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cerr_sys(e, show, "open directory", errno);
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return cerr_sys(e, show, "open directory", errno);
	}
	errno = 0;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.' && (d->d_name[1] == 0 || (d->d_name[1] == '.' && d->d_name[2] == 0)))
			continue;
		if ((rc = fn(ctx, dirfd, d->d_name, d->d_type)) != 0) {
			if (rc < 0)
				rc = cerr_sys(e, show, "list", ENOMEM);
			break;
		}
		errno = 0;
	}
	if (d == NULL && errno != 0)
		rc = cerr_sys(e, show, "list", errno);
	closedir(dir);
	return rc;
}
