/*
 * test_prefault.c: the memory habits of a one-shot cainit process
 * (src/util/prefault.h), seen from the files it reads: where the kernel
 * has transparent huge pages, the buffers of big files read after
 * prefault_process lie in them; and from its heap: populated for a scan,
 * not before, and not at all where huge pages take it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cerr.h"
#include "prefault.h"
#include "rootfs.h"

static char base[PATH_MAX];

/* kB of transparent huge pages this process maps (smaps_rollup). */
static long anon_huge_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

/* Write size bytes of a pattern (seeded by seed) to base/name, from a
 * small buffer: a big allocation here would leave the heap a top that the
 * fresh process prefault_process is for never has. */
static void write_pattern(const char *name, size_t size, unsigned seed)
{
	char path[PATH_MAX * 2], b[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", base, name);
	assert_non_null(f = fopen(path, "w"));
	for (size_t at = 0; at < size; at += sizeof(b)) {
		size_t n = size - at < sizeof(b) ? size - at : sizeof(b);

		for (size_t i = 0; i < n; i++)
			b[i] = (char)((at + i) * 31 + seed);
		assert_int_equal(fwrite(b, 1, n, f), n);
	}
	fclose(f);
}

/* Does this kernel make a huge page of 2 MiB of anonymous memory with
 * something in it (MADV_COLLAPSE, Linux 6.1), and one where such memory
 * never touched is populated (THP "always" or "madvise": under "never"
 * only the collapse works)? Asked of a mapping of the test's own, so that
 * cainit not using huge pages fails the test rather than skipping it. */
static bool thp_works(void)
{
	size_t huge = 2 << 20;
	char *m = mmap(NULL, 3 * huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;
	long before;
	bool ok;

	if (m == MAP_FAILED)
		return false;
	a = (char *)(((uintptr_t)m + huge - 1) & ~(uintptr_t)(huge - 1));
	a[0] = 1;
	before = anon_huge_kb();
	/* (and seen in smaps: qemu-user takes any advice and ignores it) */
	ok = madvise(a, 2 * huge, MADV_HUGEPAGE) == 0 && madvise(a, huge, 25 /* MADV_COLLAPSE */) == 0 &&
	     madvise(a + huge, huge, 23 /* MADV_POPULATE_WRITE */) == 0 && anon_huge_kb() >= before + 4096;
	munmap(m, 3 * huge);
	return ok;
}

/* The child of test_read_into_huge_pages: 0, 77 (no huge pages here), or
 * 1 with the reason on stderr. */
static int huge_child(int dirfd)
{
	static const size_t sizes[] = {3 << 20, 3 << 20, (5 << 20) + 12345};
	struct cerr e = {0};
	struct stat st;
	char *bufs[3];
	size_t len;
	long kb;

	if (!thp_works())
		return 77;
	prefault_process();
	for (int i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "huge%d", i);
		if (rootfs_read_at(dirfd, name, name, 16 << 20, &bufs[i], &len, &st, &e) != 0 || len != sizes[i]) {
			fprintf(stderr, "read %s: %s\n", name, e.msg);
			return 1;
		}
		for (size_t k = 0; k < len; k++)
			if (bufs[i][k] != (char)(k * 31 + (unsigned)i)) {
				fprintf(stderr, "%s: byte %zu differs\n", name, k);
				return 1;
			}
	}
	/* the three buffers (11 MB) lie in huge pages but for the tails that
	 * ended above the heap's last whole huge page when read */
	if ((kb = anon_huge_kb()) < 10 * 1024) {
		fprintf(stderr, "after reading 11 MB: %ld kB of huge pages\n", kb);
		return 1;
	}
	for (int i = 0; i < 3; i++)
		free(bufs[i]);
	return 0;
}

/* A one-shot command reads its big files into transparent huge pages
 * where the kernel has them (prefault.h): on this VM the first write and
 * the first read of each 4 KB page cost about 8 us together, and a
 * `cainit install` on a root with 2.8 MB of big files took twice as long
 * without them. Three big files read after prefault_process land in huge
 * pages, byte for byte. In a child: the heap's settings stay with it. */
static void test_read_into_huge_pages(void **state)
{
	int dirfd, status;
	pid_t pid;

	(void)state;
#ifdef __SANITIZE_ADDRESS__
	skip(); /* (ASan's allocator does not use the brk heap) */
#endif
	write_pattern("huge0", 3 << 20, 0);
	write_pattern("huge1", 3 << 20, 1);
	write_pattern("huge2", (5 << 20) + 12345, 2);
	assert_true((dirfd = open(base, O_RDONLY | O_DIRECTORY)) >= 0);
	assert_true((pid = fork()) >= 0);
	if (pid == 0)
		_exit(huge_child(dirfd));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(dirfd);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip(); /* (no huge pages to be had here: THP "never", or a kernel before 6.1) */
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* kB of [p, p + len) in memory (mincore: the whole pages inside it). */
static size_t resident_kb(const void *p, size_t len)
{
	uintptr_t lo = ((uintptr_t)p + 4095) & ~(uintptr_t)4095, hi = ((uintptr_t)p + len) & ~(uintptr_t)4095;
	unsigned char v[1024];
	size_t n = (hi - lo) / 4096, in = 0;

	if (n > sizeof(v) || mincore((void *)lo, hi - lo, v) != 0)
		return (size_t)-1;
	for (size_t i = 0; i < n; i++)
		in += v[i] & 1;
	return in * 4;
}

/* Are pages populated when asked (MADV_POPULATE_WRITE, Linux 5.14)?
 * Asked of a mapping of the test's own: qemu-user takes the advice and
 * ignores it. */
static bool populate_works(void)
{
	size_t len = 16 * 4096;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok;

	if (m == MAP_FAILED)
		return false;
	ok = madvise(m, len, 23 /* MADV_POPULATE_WRITE */) == 0 && resident_kb(m, len) == len / 1024;
	munmap(m, len);
	return ok;
}

/* The child of test_heap_populated_for_a_scan: 0, 77 (cannot be seen
 * here), or 1 with the reason on stderr. */
static int heap_child(bool small_pages)
{
	const size_t len = 384 * 1024;
	size_t before, after;
	char *p;

	if (!populate_works())
		return 77;
	if (small_pages)
		(void)prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0); /* as the bench's (b4) */
	else if (!thp_works())
		return 77;
	prefault_process();
	/* from the top of the heap, which prefault_process set aside */
	if ((p = malloc(len)) == NULL)
		return 1;
	before = resident_kb(p, len);
	prefault_heap(); /* what a scan does first */
	after = resident_kb(p, len);
	free(p);
	if (small_pages && (before > 16 || after < len / 1024 - 16)) {
		fprintf(stderr, "4 KB pages: %zu kB of %zu populated before the scan, %zu after\n", before,
			len / 1024, after);
		return 1;
	}
	if (!small_pages && after > 16) {
		fprintf(stderr, "huge pages: %zu kB of %zu populated in 4 KB pages for the scan\n", after, len / 1024);
		return 1;
	}
	return 0;
}

static void heap_case(bool small_pages)
{
	int status;
	pid_t pid;

#ifdef __SANITIZE_ADDRESS__
	skip(); /* (ASan's allocator does not use the brk heap) */
#endif
	assert_true((pid = fork()) >= 0);
	if (pid == 0)
		_exit(heap_child(small_pages));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip(); /* (populating not honoured here: qemu-user, Linux before 5.14; or no huge pages) */
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A command populates the heap it set aside when it scans a root, not at
 * its start: an unchanged install answered by the seal never scans, and
 * populating cost it about 100 us (prefault.h). With 4 KB pages the scan
 * finds that heap populated. */
static void test_heap_populated_for_a_scan(void **state)
{
	(void)state;
	heap_case(true);
}

/* With huge pages, the scan leaves that heap to them: populating it in 4 KB
 * pages first cost a change about 100 us on this project's VM. */
static void test_heap_left_to_huge_pages(void **state)
{
	(void)state;
	heap_case(false);
}

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "%s/cainit-prefault-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(base) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char path[PATH_MAX * 2];

	(void)state;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/huge%d", base, i);
		unlink(path);
	}
	return rmdir(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_into_huge_pages),
		cmocka_unit_test(test_heap_populated_for_a_scan),
		cmocka_unit_test(test_heap_left_to_huge_pages),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
