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

struct tree {
	char top[PATH_MAX - 64], later[PATH_MAX - 48], deeper[PATH_MAX - 32], file[PATH_MAX];
};

static void tree_new(struct tree *t)
{
	snprintf(t->top, sizeof(t->top), "%s/cainit-test-watch.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(t->top));
	snprintf(t->later, sizeof(t->later), "%s/later", t->top);
	snprintf(t->deeper, sizeof(t->deeper), "%s/deeper", t->later);
	snprintf(t->file, sizeof(t->file), "%s/ca.pem", t->deeper);
}

static void tree_free(struct tree *t)
{
	unlink(t->file);
	rmdir(t->deeper);
	rmdir(t->later);
	assert_int_equal(rmdir(t->top), 0);
}

/* Directories made one by one, each seen before the next: the file is seen. */
static void test_directories_in_turn(void **state)
{
	struct event_base *base = event_base_new();
	struct tree t;
	struct cerr e = {0};
	struct seen s = {0};
	struct watch *w;

	(void)state;
	tree_new(&t);
	s.path = t.file;
	w = watch_new(base, t.file, on_change, &s, &e);
	assert_non_null(w);
	assert_int_equal(mkdir(t.later, 0755), 0);
	drain(base);
	assert_int_equal(mkdir(t.deeper, 0755), 0);
	drain(base);
	assert_false(s.file_there);
	write_file(t.file);
	drain(base);
	assert_true(s.file_there);
	watch_stop(w);
	watch_free(w);
	event_base_free(base);
	tree_free(&t);
}

/* deeper made between the failed watch on it and the watch on later. */
static void test_directory_made_during_the_walk(void **state)
{
	struct event_base *base = event_base_new();
	struct tree t;
	struct cerr e = {0};
	struct seen s = {0};
	struct watch *w;

	(void)state;
	tree_new(&t);
	s.path = t.file;
	w = watch_new(base, t.file, on_change, &s, &e);
	assert_non_null(w);
	snprintf(race_dir, sizeof(race_dir), "%s", t.deeper);
	race_made = 0;
	assert_int_equal(mkdir(t.later, 0755), 0);
	drain(base); /* later's event: the walk, and deeper made inside it */
	assert_int_equal(race_made, 1);
	write_file(t.file);
	drain(base);
	assert_true(s.file_there);
	/* and it keeps following the file: removed, written again */
	assert_int_equal(unlink(t.file), 0);
	drain(base);
	s.file_there = false;
	write_file(t.file);
	drain(base);
	assert_true(s.file_there);
	watch_stop(w);
	watch_free(w);
	event_base_free(base);
	tree_free(&t);
}

/* The same at the start: deeper made while watch_new walks. */
static void test_directory_made_at_start(void **state)
{
	struct event_base *base = event_base_new();
	struct tree t;
	struct cerr e = {0};
	struct seen s = {0};
	struct watch *w;

	(void)state;
	tree_new(&t);
	s.path = t.file;
	assert_int_equal(mkdir(t.later, 0755), 0);
	snprintf(race_dir, sizeof(race_dir), "%s", t.deeper);
	race_made = 0;
	w = watch_new(base, t.file, on_change, &s, &e);
	assert_non_null(w);
	assert_int_equal(race_made, 1);
	write_file(t.file);
	drain(base);
	assert_true(s.file_there);
	watch_stop(w);
	watch_free(w);
	event_base_free(base);
	tree_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directories_in_turn),
		cmocka_unit_test(test_directory_made_during_the_walk),
		cmocka_unit_test(test_directory_made_at_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
