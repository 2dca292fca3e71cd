/*
 * dirwalk.h: the one way cainit lists a directory. Every walker (the
 * engine's deep scan, the tmpfs copy, bake's tree copy and temp sweep)
 * goes through dir_each, so each gets the same handling of a listing that
 * fails halfway and of a descriptor opened with O_PATH.
 */
#ifndef CAINIT_DIRWALK_H
#define CAINIT_DIRWALK_H

#include "cerr.h"

/* fn's answer: 0 goes on; -1 (out of memory) or an error code fn put in e
 * stops the listing. type is the dirent's d_type (DT_UNKNOWN on some
 * filesystems: check with fstatat then). */
typedef int (*dir_entry_fn)(void *ctx, int dirfd, const char *name, unsigned char type);

/* Call fn for every entry of the directory behind dirfd (any descriptor of
 * it, O_PATH included: it is reopened, so its offset is not shared) except
 * "." and "..", in the order the filesystem lists them. show names the
 * directory in errors. Returns 0, fn's error code, or an error in e. */
int dir_each(int dirfd, const char *show, dir_entry_fn fn, void *ctx, struct cerr *e);

#endif
