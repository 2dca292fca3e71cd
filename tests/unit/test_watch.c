/*
 * test_watch.c: --wait and --watch see a file that appears under
 * directories made after they started, whatever the interleaving. The one
 * that lost CI a run: the walk fails to watch later/deeper (not there yet),
 * deeper is made at that instant, then later's watch goes in; deeper's
 * creation was before it and raised nothing, and the file written in deeper
 * was never seen. inotify_add_watch is wrapped (-Wl,--wrap) to make the
 * directory at exactly that point, so the interleaving is forced, not hoped
 * for. fsnotify queues an event inside the system call that causes it, so
 * a non-blocking turn of the loop after the write sees it: no waiting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "watch.h"

/* the directory to make right after a failed attempt to watch it */
static char race_dir[PATH_MAX];
static int race_made;

int __real_inotify_add_watch(int fd, const char *path, uint32_t mask);
int __wrap_inotify_add_watch(int fd, const char *path, uint32_t mask);

int __wrap_inotify_add_watch(int fd, const char *path, uint32_t mask)
{
	int wd = __real_inotify_add_watch(fd, path, mask);
	int err = errno;

	if (wd < 0 && err == ENOENT && race_dir[0] && strcmp(path, race_dir) == 0) {
		race_dir[0] = '\0';
		if (mkdir(path, 0755) == 0)
			race_made++;
	}
	errno = err;
	return wd;
}

struct seen {
	const char *path;
	int calls;
	bool file_there; /* at some call, the file had content */
};

static void on_change(void *arg)
{
	struct seen *s = arg;
	struct stat st;

	s->calls++;
	if (stat(s->path, &st) == 0 && st.st_size > 0)
		s->file_there = true;
}

static void write_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	assert_int_equal(close(fd), 0);
}

/* the events already queued, handled; nothing waited for */
static void drain(struct event_base *base)
{
	for (int i = 0; i < 4; i++)
		assert_true(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
}

/* one test's directory tree, loop and watch */
struct fx {
	char top[PATH_MAX - 64], later[PATH_MAX - 48], deeper[PATH_MAX - 32], file[PATH_MAX];
	struct event_base *base;
	struct watch *w;
	struct seen seen;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	assert_non_null(f);
	snprintf(f->top, sizeof(f->top), "%s/cainit-test-watch.XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->top));
	snprintf(f->later, sizeof(f->later), "%s/later", f->top);
	snprintf(f->deeper, sizeof(f->deeper), "%s/deeper", f->later);
	snprintf(f->file, sizeof(f->file), "%s/ca.pem", f->deeper);
	f->base = event_base_new();
	assert_non_null(f->base);
	f->seen.path = f->file;
	race_dir[0] = '\0';
	race_made = 0;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	watch_stop(f->w);
	watch_free(f->w);
	event_base_free(f->base);
	unlink(f->file);
	rmdir(f->deeper);
	rmdir(f->later);
	assert_int_equal(rmdir(f->top), 0);
	free(f);
	return 0;
}

static void fx_watch(struct fx *f)
{
	struct cerr e = {0};

	f->w = watch_new(f->base, f->file, on_change, &f->seen, &e);
	assert_non_null(f->w);
}

/* Directories made one by one, each seen before the next: the file is seen. */
static void test_directories_in_turn(void **state)
{
	struct fx *f = *state;

	fx_watch(f);
	assert_int_equal(mkdir(f->later, 0755), 0);
	drain(f->base);
	assert_int_equal(mkdir(f->deeper, 0755), 0);
	drain(f->base);
	assert_false(f->seen.file_there);
	write_file(f->file);
	drain(f->base);
	assert_true(f->seen.file_there);
}

/* deeper made between the failed watch on it and the watch on later. */
static void test_directory_made_during_the_walk(void **state)
{
	struct fx *f = *state;

	fx_watch(f);
	snprintf(race_dir, sizeof(race_dir), "%s", f->deeper);
	assert_int_equal(mkdir(f->later, 0755), 0);
	drain(f->base); /* later's event: the walk, and deeper made inside it */
	assert_int_equal(race_made, 1);
	write_file(f->file);
	drain(f->base);
	assert_true(f->seen.file_there);
	/* and it keeps following the file: removed, written again */
	assert_int_equal(unlink(f->file), 0);
	drain(f->base);
	f->seen.file_there = false;
	write_file(f->file);
	drain(f->base);
	assert_true(f->seen.file_there);
}

/* The same at the start: deeper made while watch_new walks. */
static void test_directory_made_at_start(void **state)
{
	struct fx *f = *state;

	assert_int_equal(mkdir(f->later, 0755), 0);
	snprintf(race_dir, sizeof(race_dir), "%s", f->deeper);
	fx_watch(f);
	assert_int_equal(race_made, 1);
	write_file(f->file);
	drain(f->base);
	assert_true(f->seen.file_there);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_directories_in_turn, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_directory_made_during_the_walk, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_directory_made_at_start, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
