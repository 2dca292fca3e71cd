/*
 * held.h: temporary sets, which live as long as the process that installed
 * them (doctor's canary). See held.c.
 */
#ifndef CAINIT_HELD_H
#define CAINIT_HELD_H

#include <stddef.h>

#include "cerr.h"
#include "paths.h"
#include "rootfs.h"

#define HELD_DIR_NAME "held"
#define HELD_DIR CAINIT_DIR "/" HELD_DIR_NAME
/* Only sets named so are ever held or swept: a file planted in the held
 * directory cannot make a run remove any other set (the CA a platform
 * installed, one bake put in an image). */
#define HELD_PREFIX "doctor-"
#define HELD_SWEEP_MAX 64 /* stale sets removed by one run (the rest by the next) */

/* Before a temporary set's install (its name begins with HELD_PREFIX):
 * make HELD_DIR/SET and lock it; *fd is the installer's to keep open until
 * it removes the set. */
int held_take(struct rootfs *r, const char *set, int *fd, struct cerr *e);

/* The temporary sets installed (SET.pem in the sets directory) whose held
 * file is gone or unlocked (their installer is gone); their held files and
 * the orphaned ones are removed: the caller removes the sets. With none
 * left, the empty held directory goes too. */
int held_stale(struct rootfs *r, char (*out)[SET_NAME_MAX + 1], size_t max, size_t *n, struct cerr *e);

/* A set's held file (every one with set NULL), before the set's removal:
 * the directory cainit made for them can then go with the last set. */
void held_drop(struct rootfs *r, const char *set);

#endif
