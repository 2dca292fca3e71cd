/*
 * layer_stream.h: the bytes of one image layer, read once from its blob
 * file: plain tar or gzip (detected from the first bytes, whatever the
 * media type says; zstd is refused by name), with the SHA-256 of the blob
 * as stored computed on the way, so the digest is checked without a second
 * read.
 */
#ifndef CAINIT_LAYER_STREAM_H
#define CAINIT_LAYER_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cerr.h"

struct layer_stream;

/* Take ownership of fd (the blob file); show names it in messages. */
int layer_stream_open(struct layer_stream **out, int fd, const char *show, struct cerr *e);
/* Refuse (bad input, reason "too_big") a layer that decompresses to more
 * than max bytes; the message names the cap: what ("layer", "image") and
 * its size. */
void layer_stream_limit(struct layer_stream *s, uint64_t max, const char *what, uint64_t cap);
/* The decompressed bytes read so far. */
uint64_t layer_stream_bytes(const struct layer_stream *s);
/* Up to n decompressed bytes; 0 at the end, -1 on error. */
ssize_t layer_stream_read(struct layer_stream *s, void *buf, size_t n, struct cerr *e);
/* gzip: inflate (and discard) what is left, to its end, so that every
 * member's trailer is checked; 0 or the error. */
int layer_stream_drain(struct layer_stream *s, struct cerr *e);
/* Drain, read (and discard) what is left of the blob, then compare its
 * SHA-256 with want_hex (64 lowercase hex digits). */
int layer_stream_finish(struct layer_stream *s, const char *want_hex, struct cerr *e);
void layer_stream_close(struct layer_stream *s);

#endif
