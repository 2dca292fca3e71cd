/*
 * bench_floor.c: the I/O floor of a change that touches many files: each
 * file read whole, written with a CA's worth of bytes more to a temp file
 * beside it, swapped in (renameat2 RENAME_EXCHANGE) and the old inode
 * unlinked, as cainit's transaction does, with no logic at all. make bench
 * runs it over the files the Reach roots' install rewrites, so that the
 * engine's own work on top of the bytes it must move can be read off.
 * (The JKS keystore's keyed SHA-1, which any writer of it must compute, is
 * not in this floor.)
 *
 *   bench_floor ITERATIONS FILE...
 * Prints "floor median_us=M p99_us=P n=N". The files end as they began
 * (each iteration takes back the bytes the one before added).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench_util.h"

#define EXTRA 1300 /* about one CA's PEM block */

static void die(const char *what, const char *path)
{
	fprintf(stderr, "bench_floor: %s: ", path);
	perror(what);
	exit(1);
}

/* One file: read, rewrite with (add) or without the EXTRA bytes at its end. */
static void rewrite(const char *path, char *extra, int add)
{
	char dir[4096], tmp[4352];
	const char *base;
	struct iovec iov[2];
	struct stat st;
	char *buf;
	ssize_t n;
	int dfd, fd;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	base = strrchr(path, '/') + 1;
	if ((dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die("open", dir);
	if ((fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		die("open", path);
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		die("malloc", path);
	if ((n = read(fd, buf, (size_t)st.st_size + 1)) != st.st_size)
		die("read", path);
	close(fd);
	snprintf(tmp, sizeof(tmp), ".%s.floor", base);
	if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		die("create", tmp);
	iov[0].iov_base = buf;
	iov[0].iov_len = add ? (size_t)n : (size_t)n - EXTRA;
	iov[1].iov_base = extra;
	iov[1].iov_len = add ? EXTRA : 0;
	if (writev(fd, iov, 2) < 0 || close(fd) < 0)
		die("write", tmp);
	if (renameat2(dfd, tmp, dfd, base, RENAME_EXCHANGE) < 0 || unlinkat(dfd, tmp, 0) < 0)
		die("rename", path);
	close(dfd);
	free(buf);
}

int main(int argc, char **argv)
{
	char extra[EXTRA];
	double *t;
	int n;

	if (argc < 3 || (n = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: bench_floor ITERATIONS FILE...\n");
		return 2;
	}
	memset(extra, 'A', sizeof(extra));
	if ((t = calloc((size_t)n, sizeof(*t))) == NULL)
		return 1;
	for (int i = 0; i < n; i++) {
		double t0 = now_us();

		for (int f = 2; f < argc; f++)
			rewrite(argv[f], extra, 1);
		t[i] = now_us() - t0;
		for (int f = 2; f < argc; f++) /* untimed: the files as they were */
			rewrite(argv[f], extra, 0);
	}
	report("floor", t, n);
	free(t);
	return 0;
}
