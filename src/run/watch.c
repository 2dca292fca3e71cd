/*
 * watch.c: see watch.h. After every batch of events the watches are armed
 * again (the directory may have been created, the file replaced); a watch
 * that no longer names the current directory or file is removed.
 */
#include "watch.h"

#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_EVENTS                                                                                   \
	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | \
	 IN_MOVE_SELF | IN_ONLYDIR)
#define FILE_EVENTS (IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

struct watch {
	int fd;
	struct event *ev;
	char path[PATH_MAX];
	char dir[PATH_MAX];    /* the file's own directory */
	const char *base;      /* the file's name in dir */
	int wd_dir;            /* on dir, or on its deepest existing ancestor */
	bool dir_is_own;       /* wd_dir is on dir itself */
	int wd_file;           /* on the file (followed), -1 while missing */
	void (*fn)(void *arg);
	void *arg;
};

static int add(struct watch *w, const char *path, uint32_t mask)
{
	return inotify_add_watch(w->fd, path, mask);
}

/* Watch dir, or its deepest existing ancestor; anc gets the one watched. */
static int walk(struct watch *w, char *anc, size_t size)
{
	int wd;

	snprintf(anc, size, "%s", w->dir);
	for (;;) {
		char *slash;

		wd = add(w, anc, DIR_EVENTS);
		if (wd >= 0 || (errno != ENOENT && errno != ENOTDIR) || strcmp(anc, "/") == 0 ||
		    strcmp(anc, ".") == 0)
			return wd;
		slash = strrchr(anc, '/');
		if (slash == NULL)
			snprintf(anc, size, ".");
		else if (slash == anc)
			anc[1] = '\0';
		else
			*slash = '\0';
	}
}

/* Is the next directory of dir below the ancestor anc there now? */
static bool child_is_dir(const char *dir, const char *anc)
{
	char child[PATH_MAX];
	const char *rest = dir + strlen(anc), *end;
	struct stat st;

	if (strcmp(anc, ".") == 0 && strncmp(dir, "./", 2) != 0)
		rest = dir; /* dir is relative: its first name is the child */
	else if (*rest == '/')
		rest++;
	end = strchr(rest, '/');
	snprintf(child, sizeof(child), "%.*s", (int)(end ? end - dir : (ptrdiff_t)strlen(dir)), dir);
	return stat(child, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Point the watches at what the path names now. A directory made below
 * the ancestor after the walk failed to watch it, and before the ancestor's
 * watch was in place, raised no event anyone saw: while the next one down
 * is there, walk again (bounded: something making and removing it in a
 * loop raises events on the ancestor anyway). */
static void arm(struct watch *w)
{
	char anc[PATH_MAX];
	int wd, fwd, prev = -1;

	for (int tries = 0;; tries++) {
		wd = walk(w, anc, sizeof(anc));
		if (prev >= 0 && prev != wd && prev != w->wd_dir)
			inotify_rm_watch(w->fd, prev);
		if (wd < 0 || strcmp(anc, w->dir) == 0 || tries == 16 || !child_is_dir(w->dir, anc))
			break;
		prev = wd;
	}
	if (w->wd_dir >= 0 && w->wd_dir != wd)
		inotify_rm_watch(w->fd, w->wd_dir);
	w->wd_dir = wd;
	w->dir_is_own = wd >= 0 && strcmp(anc, w->dir) == 0;
	fwd = w->dir_is_own ? add(w, w->path, FILE_EVENTS) : -1;
	if (w->wd_file >= 0 && w->wd_file != fwd && w->wd_file != w->wd_dir)
		inotify_rm_watch(w->fd, w->wd_file);
	w->wd_file = fwd;
}

/* Could this event change what the path reads? */
static bool concerns(const struct watch *w, const struct inotify_event *ev)
{
	if (ev->mask & IN_IGNORED)
		return false; /* a watch went away: arm() handles it */
	if (ev->wd != w->wd_dir || !w->dir_is_own || ev->len == 0)
		return true; /* the file itself, an ancestor, or the directory itself */
	return strcmp(ev->name, w->base) == 0 || (ev->mask & IN_ISDIR) || strncmp(ev->name, "..", 2) == 0;
}

static void on_events(evutil_socket_t fd, short what, void *arg)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct watch *w = arg;
	bool relevant = false;
	ssize_t n;

	(void)what;
	while ((n = read((int)fd, buf, sizeof(buf))) > 0) {
		char *p = buf;

		while (p < buf + n) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			relevant = relevant || concerns(w, ev) || (ev->mask & IN_Q_OVERFLOW);
			p += sizeof(*ev) + ev->len;
		}
	}
	if (!relevant)
		return;
	arm(w);
	w->fn(w->arg);
}

struct watch *watch_new(struct event_base *base, const char *path, void (*fn)(void *arg), void *arg,
			struct cerr *e)
{
	struct watch *w = calloc(1, sizeof(*w));
	char *slash;

	if (w == NULL) {
		cerr_set(e, CAINIT_EOPS, "%s: watch: out of memory", path);
		return NULL;
	}
	w->wd_dir = w->wd_file = -1;
	w->fn = fn;
	w->arg = arg;
	if (snprintf(w->path, sizeof(w->path), "%s", path) >= (int)sizeof(w->path) || path[0] == '\0') {
		cerr_input(e, "bad_path", "%.80s: not a usable file name", path);
		free(w);
		return NULL;
	}
	snprintf(w->dir, sizeof(w->dir), "%s", path);
	slash = strrchr(w->dir, '/');
	if (slash == NULL) {
		snprintf(w->dir, sizeof(w->dir), ".");
		w->base = w->path;
	} else {
		w->base = w->path + (slash - w->dir) + 1;
		if (slash == w->dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		cerr_sys(e, path, "inotify", errno);
		free(w);
		return NULL;
	}
	arm(w);
	if (w->wd_dir < 0) {
		cerr_sys(e, w->dir, "watch", errno);
		watch_free(w);
		return NULL;
	}
	w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, on_events, w);
	if (w->ev == NULL || event_add(w->ev, NULL) < 0) {
		cerr_set(e, CAINIT_EOPS, "%s: watch: out of memory", path);
		watch_free(w);
		return NULL;
	}
	return w;
}

void watch_stop(struct watch *w)
{
	if (w == NULL || w->ev == NULL)
		return;
	event_del(w->ev);
	/* removed now, the marks are reaped long before the descriptor closes */
	if (w->wd_file >= 0)
		inotify_rm_watch(w->fd, w->wd_file);
	if (w->wd_dir >= 0)
		inotify_rm_watch(w->fd, w->wd_dir);
	w->wd_file = w->wd_dir = -1;
}

void watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	if (w->ev)
		event_free(w->ev);
	close(w->fd);
	free(w);
}
