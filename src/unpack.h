/*
 * unpack.h: apply an image layer to a directory the way a container runtime
 * does: whiteouts (".wh.NAME", ".wh..wh..opq") remove what lower layers
 * put there, later entries replace earlier ones, every path resolved inside
 * the directory (rootfs.h) so no entry and no symlink an image plants can
 * write outside it. Device nodes and FIFOs are skipped: bake only needs the
 * files, and the unpacked tree is thrown away.
 */
#ifndef CAINIT_UNPACK_H
#define CAINIT_UNPACK_H

#include "err.h"
#include "rootfs.h"

struct unpack_stats {
	size_t entries;
	size_t skipped;  /* devices and FIFOs */
};

/* Apply the layer in blob file fd (taken over; plain or gzip tar) to r,
 * checking that the blob's SHA-256 is want_hex. */
int unpack_layer(struct rootfs *r, int fd, const char *want_hex, const char *show,
		 struct unpack_stats *st, struct cerr *e);

#endif
