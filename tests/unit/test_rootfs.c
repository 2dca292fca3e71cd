/*
 * test_rootfs.c: nothing under a root can steer cainit outside it:
 * absolute symlinks, "../" chains, symlinked parent directories, loops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "prefault.h"
#include "rootfs.h"

static char base[] = "/tmp/cainit-rootfs-XXXXXX";
static char root[PATH_MAX], outside[PATH_MAX];

static void mk(const char *rel)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void put(const char *rel, const char *content)
{
	char p[PATH_MAX * 2];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void link_(const char *target, const char *rel)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
	char abs_outside[PATH_MAX * 2];

	(void)state;
	if (mkdtemp(base) == NULL)
		return -1;
	snprintf(root, sizeof(root), "%s/root", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	mk("root");
	mk("outside");
	put("outside/secret", "host secret\n");
	mk("root/etc");
	mk("root/etc/real");
	put("root/etc/real/file", "inside\n");
	put("root/secret", "root's own secret\n");
	/* absolute link: means /secret inside the root, never the host's path */
	snprintf(abs_outside, sizeof(abs_outside), "%s/secret", outside);
	link_(abs_outside, "root/etc/abs");
	link_("/secret", "root/etc/abs2");
	link_("../../../../../../../../secret", "root/etc/dotdot");
	link_("/etc/real", "root/etc/dirlink");
	link_("loop2", "root/etc/loop1");
	link_("loop1", "root/etc/loop2");
	link_("real/file", "root/etc/filelink");
	link_("../../outside", "root/etc/up");
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd);
}

static void resolve_ok(struct rootfs *r, const char *path, unsigned flags, const char *canon, bool exists)
{
	struct rpath p;
	struct cerr e = {0};

	if (rootfs_resolve(r, path, flags, &p, &e) != 0)
		fail_msg("%s: %s", path, e.msg);
	assert_string_equal(p.canon, canon);
	assert_int_equal(p.exists, exists);
}

static void test_symlinks_stay_inside(void **state)
{
	struct rootfs r;
	struct cerr e = {0};
	struct rpath p;
	char *buf;
	size_t len;

	(void)state;
	assert_int_equal(rootfs_open(&r, root, &e), 0);
	resolve_ok(&r, "/etc/real/file", 0, "/etc/real/file", true);
	/* the host path of "outside" means nothing inside the root */
	resolve_ok(&r, "/etc/abs", 0, strcat(strcpy((char[PATH_MAX * 2]){0}, outside), "/secret"), false);
	resolve_ok(&r, "/etc/abs2", 0, "/secret", true);
	resolve_ok(&r, "/etc/dotdot", 0, "/secret", true);
	resolve_ok(&r, "/etc/dirlink/file", 0, "/etc/real/file", true);
	resolve_ok(&r, "/etc/filelink", 0, "/etc/real/file", true);
	resolve_ok(&r, "/etc/up/secret", 0, "/outside/secret", false);
	resolve_ok(&r, "/../../../etc/./real//file", 0, "/etc/real/file", true);
	resolve_ok(&r, "/missing/dir/file", 0, "/missing/dir/file", false);
	resolve_ok(&r, "/etc/dirlink", RP_DIR, "/etc/real", true);
	/* reading through them reads the root's file */
	assert_int_equal(rootfs_resolve(&r, "/etc/dotdot", 0, &p, &e), 0);
	assert_int_equal(rootfs_read(&r, &p, 1024, &buf, &len, &e), 0);
	assert_string_equal(buf, "root's own secret\n");
	free(buf);
	rootfs_close(&r);
}

static void test_errors(void **state)
{
	struct rootfs r;
	struct cerr e = {0};
	struct rpath p;

	(void)state;
	assert_int_equal(rootfs_open(&r, root, &e), 0);
	assert_int_equal(rootfs_resolve(&r, "/etc/loop1", 0, &p, &e), CAINIT_EOPS);
	assert_non_null(strstr(e.msg, strerror(ELOOP)));
	assert_int_equal(rootfs_resolve(&r, "/etc/real/file/x", 0, &p, &e), CAINIT_EOPS);
	assert_non_null(strstr(e.msg, strerror(ENOTDIR)));
	assert_non_null(strstr(e.msg, "/etc/real/file"));
	rootfs_close(&r);
}

static void test_mkdirs_inside(void **state)
{
	struct rootfs r;
	struct cerr e = {0};
	struct rpath p;
	struct stat st;
	char check[PATH_MAX * 2];

	(void)state;
	assert_int_equal(rootfs_open(&r, root, &e), 0);
	/* "up" points at ../../outside: created inside the root instead */
	assert_int_equal(rootfs_resolve(&r, "/etc/up/new/dir", RP_DIR | RP_MKDIRS, &p, &e), 0);
	assert_string_equal(p.canon, "/outside/new/dir");
	snprintf(check, sizeof(check), "%s/outside/new/dir", root);
	assert_int_equal(stat(check, &st), 0);
	snprintf(check, sizeof(check), "%s/new", outside);
	assert_int_equal(stat(check, &st), -1);
	rootfs_close(&r);
}

static void test_read_refuses_fifo(void **state)
{
	struct rootfs r;
	struct cerr e = {0};
	struct rpath p;
	char fifo[PATH_MAX * 2], *buf;
	size_t len;

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/etc/fifo", root);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(rootfs_open(&r, root, &e), 0);
	assert_int_equal(rootfs_resolve(&r, "/etc/fifo", 0, &p, &e), 0);
	assert_int_equal(rootfs_read(&r, &p, 1024, &buf, &len, &e), CAINIT_EOPS);
	assert_non_null(strstr(e.msg, "not a regular file"));
	rootfs_close(&r);
}

static void test_lock_excludes_and_frees(void **state)
{
	struct rootfs a, b;
	struct cerr e = {0};

	(void)state;
	assert_int_equal(rootfs_open(&a, root, &e), 0);
	assert_int_equal(rootfs_open(&b, root, &e), 0);
	assert_int_equal(rootfs_lock(&a, 1000, &e), 0);
	assert_int_equal(rootfs_lock(&b, 50, &e), CAINIT_EOPS);
	assert_non_null(strstr(e.msg, "another cainit holds it"));
	rootfs_unlock(&a);
	assert_int_equal(rootfs_lock(&b, 50, &e), 0);
	rootfs_close(&a);
	rootfs_close(&b);
}

/* A bundle-sized read is faulted in with one call, not a fault per 4 KB
 * page (each costs 5 to 20 us in a VM): four reads of a 6 MB file under
 * the engine's heap settings (heap_keep), each buffer freed before the
 * next. Counted with the kernel's page-fault counter (populating is not a
 * fault there). With heap_keep's old 4 MiB, the freed buffer was trimmed
 * and the heap grew back under rootfs.c's mark of what was populated: the
 * second read took 1,500 faults. */
static void test_read_big_populated(void **state)
{
	struct perf_event_attr pa = {.type = PERF_TYPE_SOFTWARE, .size = sizeof(pa),
				     .config = PERF_COUNT_SW_PAGE_FAULTS, .disabled = 1};
	char path[PATH_MAX * 2], *buf, *junk;
	struct cerr e = {0};
	struct stat st;
	long long faults;
	size_t len, size = 6 << 20;
	int pfd, dirfd, i;
	FILE *f;

	(void)state;
#ifdef __SANITIZE_ADDRESS__
	skip(); /* (ASan's allocator and shadow memory fault on their own) */
#endif
	pfd = (int)syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0);
	if (pfd < 0)
		skip(); /* (no page-fault counter here: perf_event_paranoid, seccomp) */
	snprintf(path, sizeof(path), "%s/big", base);
	assert_non_null(f = fopen(path, "w"));
	assert_non_null(junk = calloc(1, size));
	assert_int_equal(fwrite(junk, 1, size, f), size);
	fclose(f);
	free(junk);
	heap_keep();
	assert_true((dirfd = open(base, O_RDONLY | O_DIRECTORY)) >= 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(ioctl(pfd, PERF_EVENT_IOC_RESET, 0), 0);
		assert_int_equal(ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0), 0);
		assert_int_equal(rootfs_read_at(dirfd, "big", "big", 16 << 20, &buf, &len, &st, &e), 0);
		assert_int_equal(ioctl(pfd, PERF_EVENT_IOC_DISABLE, 0), 0);
		assert_int_equal(read(pfd, &faults, sizeof(faults)), sizeof(faults));
		assert_int_equal(len, size);
		free(buf);
		if (faults > 100)
			fail_msg("read %d of a 6 MB file: %lld page faults", i, faults);
	}
	close(dirfd);
	close(pfd);
	unlink(path);
}

/* The engine's heap keeps a freed 6.5 MB bundle buffer (heap_keep): handed
 * back to the kernel, it came back at the next change as memory that a VM
 * balloon's free page reporting had given to the host, and a rotation of a
 * 10,000-certificate bundle took 10x as long (prefault.h). */
static void test_heap_kept(void **state)
{
	uintptr_t top;
	char *p;

	(void)state;
#ifdef __SANITIZE_ADDRESS__
	skip(); /* (ASan's allocator does not use the brk heap) */
#endif
	heap_keep();
	assert_non_null(p = malloc(13 << 20));
	memset(p, 1, 13 << 20);
	top = (uintptr_t)sbrk(0);
	assert_true((uintptr_t)p < top); /* (from the brk heap, not mmap) */
	free(p);
	assert_true((uintptr_t)sbrk(0) == top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symlinks_stay_inside),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_mkdirs_inside),
		cmocka_unit_test(test_read_refuses_fifo),
		cmocka_unit_test(test_lock_excludes_and_frees),
		cmocka_unit_test(test_read_big_populated),
		cmocka_unit_test(test_heap_kept),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
