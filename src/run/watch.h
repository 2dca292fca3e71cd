/*
 * watch.h: tell when a file may have appeared or changed, with inotify (no
 * polling). The file's directory is watched, or, while it does not exist,
 * its deepest existing ancestor; so is the file itself (through symlinks,
 * for writes in place). Events on the file's name, on directories, and on
 * Kubernetes' "..data" entries wake the watcher: a ConfigMap or Secret
 * volume update (a new timestamped directory, then an atomic swap of the
 * ..data symlink) is seen although the file's own symlink never changes.
 */
#ifndef CAINIT_WATCH_H
#define CAINIT_WATCH_H

#include "cerr.h"

struct event_base;
struct watch;

/* fn(arg) is called after each batch of events that may concern path; it
 * reads the file and decides. Nothing is called for the state at start. */
struct watch *watch_new(struct event_base *base, const char *path, void (*fn)(void *arg), void *arg,
			struct cerr *e);
/* Stop watching but keep the inotify descriptor: closing one waits for
 * an RCU grace period (about 20 ms here), which must not come between a
 * CA's arrival and the command's start. Free it later. */
void watch_stop(struct watch *w);
void watch_free(struct watch *w);

#endif
