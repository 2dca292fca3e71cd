/*
 * bench_touch.c: what a page costs the first time the kernel writes into
 * it. cainit populates its heap with madvise(MADV_POPULATE_WRITE) before a
 * change (src/util/prefault.c), so a fresh process takes no page fault for
 * the buffers it reads files into; this measures what is left: read(2) of
 * FILE into pages populated that way, the first time and again.
 *
 *   bench_touch FILE ITERATIONS
 * Each iteration maps fresh anonymous pages, populates them, reads FILE
 * into them twice, then reads one byte of each page from user space twice.
 * Prints "first", "again", "user_first", "user_again" (median_us=..) and
 * "pages=N". On a VM whose hypervisor shadows page tables (PVM) the first
 * read costs several microseconds a page more than the second, and so does
 * the first user access after it: costs the guest's fault counters do not
 * show.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"

static double read_into(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	double t0, t;

	if (fd < 0) {
		perror(path);
		exit(1);
	}
	t0 = now_us();
	if (read(fd, buf, len) != (ssize_t)len) {
		perror(path);
		exit(1);
	}
	t = now_us() - t0;
	close(fd);
	return t;
}

/* One byte of each page read from user space. */
static double touch(const char *buf, size_t map)
{
	volatile unsigned sum = 0;
	double t0 = now_us();

	for (size_t at = 0; at < map; at += 4096)
		sum += (unsigned char)buf[at];
	(void)sum;
	return now_us() - t0;
}

int main(int argc, char **argv)
{
	struct stat st;
	double *first, *again, *ufirst, *uagain;
	size_t len, map;
	int n, i;

	if (argc != 3 || stat(argv[1], &st) != 0 || (n = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: bench_touch FILE ITERATIONS\n");
		return 2;
	}
	len = (size_t)st.st_size;
	map = (len + 4095) & ~(size_t)4095;
	first = calloc((size_t)n, sizeof(*first));
	again = calloc((size_t)n, sizeof(*again));
	ufirst = calloc((size_t)n, sizeof(*ufirst));
	uagain = calloc((size_t)n, sizeof(*uagain));
	for (i = 0; i < n; i++) {
		char *buf = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (buf == MAP_FAILED || madvise(buf, map, MADV_POPULATE_WRITE) != 0) {
			perror("mmap/madvise");
			return 1;
		}
		first[i] = read_into(argv[1], buf, len);
		again[i] = read_into(argv[1], buf, len);
		ufirst[i] = touch(buf, map);
		uagain[i] = touch(buf, map);
		munmap(buf, map);
	}
	report("first", first, n);
	report("again", again, n);
	report("user_first", ufirst, n);
	report("user_again", uagain, n);
	printf("pages=%zu\n", map / 4096);
	free(first);
	free(again);
	free(ufirst);
	free(uagain);
	return 0;
}
