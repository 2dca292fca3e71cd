/*
 * file_write.h: one whole file written where no reader may see it half
 * done: a temp file beside it, written, given its mode, fsync'd, renamed
 * over the name. For the files bake writes (the agent, image blobs,
 * index.json, the fingerprint); trust stores have the engine's own
 * transactions (txn.h), atomic but not fsync'd: the durability policy is
 * in docs/architecture.md.
 */
#ifndef CAINIT_FILE_WRITE_H
#define CAINIT_FILE_WRITE_H

#include <stddef.h>
#include <sys/types.h>

#include "cerr.h"

/* Write buf as dirfd/name (mode), show naming it in messages. On failure
 * the temp file is gone and name is as it was. */
int file_write_atomic(int dirfd, const char *name, const char *show, const void *buf, size_t len,
		      mode_t mode, struct cerr *e);

#endif
