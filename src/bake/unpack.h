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

#include <stdint.h>

#include "cerr.h"
#include "rootfs.h"

struct unpack_stats {
	size_t entries;
	size_t skipped;  /* devices and FIFOs */
	uint64_t bytes;  /* decompressed bytes of every layer so far */
};

/* Caps on what layers decompress to (0: none): one layer, and every layer
 * of the image together (counted in unpack_stats.bytes). */
struct unpack_limits {
	uint64_t layer_max;
	uint64_t image_max;
};

/* Apply the layer in blob file fd (taken over; plain or gzip tar) to r,
 * checking that the blob's SHA-256 is want_hex. Entries deeper than
 * TREE_DEPTH_MAX - 1 directories (after resolving symlinks) are refused,
 * so that the unpacked tree can always be walked and removed. */
int unpack_layer(struct rootfs *r, int fd, const char *want_hex, const char *show, const struct unpack_limits *lim,
		 struct unpack_stats *st, struct cerr *e);

#endif
