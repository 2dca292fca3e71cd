/*
 * tar.h: the tar streams that OCI image layers are. Reading understands
 * ustar (with its prefix field), GNU long names and links ('L', 'K', and
 * base-256 sizes) and pax headers ('x'; 'g' is ignored), over a layer
 * stream that may be gzip-compressed. Writing produces ustar, with a pax
 * header only for a path or link target that does not fit, into memory.
 */
#ifndef CAINIT_TAR_H
#define CAINIT_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cerr.h"
#include "layer_stream.h"

enum tar_type {
	TAR_FILE,
	TAR_HARDLINK,
	TAR_SYMLINK,
	TAR_DIR,
	TAR_OTHER, /* devices and FIFOs: carried, never created by cainit */
};

struct tar_entry {
	char *path;      /* as in the archive (malloc'd) */
	char *link;      /* symlink target or hard-link source (malloc'd), or NULL */
	enum tar_type type;
	mode_t mode;     /* permission bits only */
	uid_t uid;
	gid_t gid;
	uint64_t size;   /* bytes of data that follow (TAR_FILE) */
	int64_t mtime;
};

struct tar_reader {
	struct layer_stream *in;
	const char *show;  /* the layer, for messages */
	uint64_t left;     /* data bytes of the current entry not read yet */
	uint64_t pad;      /* padding after them */
	struct tar_entry cur;
};

void tar_reader_init(struct tar_reader *t, struct layer_stream *in, const char *show);
/* The next entry in t->cur (valid until the next call): 1, 0 at the end of
 * the archive, or the cerr code. Unread data of the previous entry is
 * skipped. */
int tar_next(struct tar_reader *t, struct cerr *e);
/* Read up to n bytes of the current entry's data; how many, or -1. */
ssize_t tar_read_data(struct tar_reader *t, void *buf, size_t n, struct cerr *e);
void tar_reader_free(struct tar_reader *t);

/* An archive assembled in memory. */
struct tar_writer {
	unsigned char *buf;
	size_t len, cap;
	bool failed;  /* out of memory: every later call is a no-op */
};

void tar_writer_init(struct tar_writer *w);
/* Add an entry (data: ent->size bytes for TAR_FILE, else ignored); a
 * TAR_OTHER entry (a device, a FIFO) fails the writer. */
void tar_write_entry(struct tar_writer *w, const struct tar_entry *ent, const void *data);
/* The two zero blocks that end an archive; 0, or -1 when memory ran out
 * (or an entry could not be written). */
int tar_finish(struct tar_writer *w);
void tar_writer_free(struct tar_writer *w);

#endif
