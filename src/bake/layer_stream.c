/*
 * layer_stream.c: a layer blob read once, inflated when it is gzip, its
 * SHA-256 computed over the bytes as stored (what the manifest's digest
 * names). Concatenated gzip members are read as one stream, as gzip does.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "layer_stream.h"

#include <errno.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "digest.h"

#define RAW_CHUNK (256 * 1024)

struct layer_stream {
	int fd;
	const char *show;
	SHA256_CTX sha;
	bool gzip;
	bool raw_eof;
	z_stream z;
	bool z_live;
	bool in_member;       /* a gzip member begun and not ended yet */
	unsigned char *raw;   /* compressed (or plain) bytes read ahead */
	size_t raw_off, raw_len;
	uint64_t out;         /* decompressed bytes handed out */
	uint64_t max;         /* 0: no cap */
	const char *what;
	uint64_t cap;
};

void layer_stream_limit(struct layer_stream *s, uint64_t max, const char *what, uint64_t cap)
{
	s->max = max;
	s->what = what;
	s->cap = cap;
}

uint64_t layer_stream_bytes(const struct layer_stream *s)
{
	return s->out;
}

static int fill_raw(struct layer_stream *s, struct cerr *e)
{
	ssize_t n;

	if (s->raw_off < s->raw_len || s->raw_eof)
		return 0;
	do
		n = read(s->fd, s->raw, RAW_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return cerr_sys(e, s->show, "read", errno);
	if (n == 0)
		s->raw_eof = true;
	SHA256_Update(&s->sha, s->raw, (size_t)n);
	s->raw_off = 0;
	s->raw_len = (size_t)n;
	return 0;
}

int layer_stream_open(struct layer_stream **out, int fd, const char *show, struct cerr *e)
{
	struct layer_stream *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL || (s->raw = malloc(RAW_CHUNK)) == NULL) {
		free(s);
		close(fd);
		return cerr_sys(e, show, "malloc", ENOMEM);
	}
	s->fd = fd;
	s->show = show;
	SHA256_Init(&s->sha);
	if (fill_raw(s, e) != 0)
		goto fail;
	if (s->raw_len >= 4 && memcmp(s->raw, "\x28\xb5\x2f\xfd", 4) == 0) {
		cerr_input(e, "zstd_layer", "%s: a zstd-compressed layer: cainit reads plain and gzip layers "
			   "(convert with: skopeo copy --dest-compress-format gzip)", show);
		goto fail;
	}
	if (s->raw_len >= 2 && s->raw[0] == 0x1f && s->raw[1] == 0x8b) {
		s->gzip = true;
		if (inflateInit2(&s->z, 15 + 16) != Z_OK) {
			cerr_sys(e, show, "inflateInit2", ENOMEM);
			goto fail;
		}
		s->z_live = true;
	}
	*out = s;
	return 0;
fail:
	layer_stream_close(s);
	return e->code;
}

static ssize_t read_gzip(struct layer_stream *s, unsigned char *buf, size_t n, struct cerr *e)
{
	int zr;

	if (n > (1u << 30))
		n = 1u << 30;
	s->z.next_out = buf;
	s->z.avail_out = (uInt)n;
	while (s->z.avail_out == n) {
		if (fill_raw(s, e) != 0)
			return -1;
		if (s->raw_off == s->raw_len) {
			if (s->in_member) {
				/* as Go's gzip reader (the runtimes') says: unexpected EOF */
				cerr_input(e, "bad_layer", "%s: not valid gzip data (it ends in the middle of a member)",
					   s->show);
				return -1;
			}
			break; /* end of the blob */
		}
		s->z.next_in = s->raw + s->raw_off;
		s->z.avail_in = (uInt)(s->raw_len - s->raw_off);
		zr = inflate(&s->z, Z_NO_FLUSH);
		s->raw_off = s->raw_len - s->z.avail_in;
		s->in_member = true;
		if (zr == Z_STREAM_END) {
			s->in_member = false;
			inflateReset(&s->z); /* another member may follow */
			continue;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			cerr_input(e, "bad_layer", "%s: not valid gzip data (%s)", s->show,
				   s->z.msg ? s->z.msg : "inflate failed");
			return -1;
		}
	}
	return (ssize_t)(n - s->z.avail_out);
}

static ssize_t read_any(struct layer_stream *s, void *buf, size_t n, struct cerr *e)
{
	size_t k;

	if (s->gzip)
		return read_gzip(s, buf, n, e);
	if (fill_raw(s, e) != 0)
		return -1;
	k = s->raw_len - s->raw_off;
	if (k > n)
		k = n;
	memcpy(buf, s->raw + s->raw_off, k);
	s->raw_off += k;
	return (ssize_t)k;
}

ssize_t layer_stream_read(struct layer_stream *s, void *buf, size_t n, struct cerr *e)
{
	ssize_t k;

	if (n == 0)
		return 0;
	k = read_any(s, buf, n, e);
	if (k > 0) {
		s->out += (uint64_t)k;
		if (s->max > 0 && s->out > s->max) {
			cerr_input(e, "too_big", "%s: the %s is larger than %llu MiB unpacked (raise it with --max-%s-size)",
				   s->show, s->what, (unsigned long long)(s->cap >> 20), s->what);
			return -1;
		}
	}
	return k;
}

int layer_stream_drain(struct layer_stream *s, struct cerr *e)
{
	unsigned char buf[16384];
	ssize_t k;

	/* gzip: inflated to its end, so that every member's CRC and length are
	 * checked, as the runtimes check them when they read the rest of a
	 * layer after its tar ends (a trailer that does not check is refused) */
	while (s->gzip && (k = layer_stream_read(s, buf, sizeof(buf), e)) != 0)
		if (k < 0)
			return e->code;
	return 0;
}

int layer_stream_finish(struct layer_stream *s, const char *want_hex, struct cerr *e)
{
	unsigned char md[32];
	char hex[65];

	if (layer_stream_drain(s, e) != 0)
		return e->code;
	while (!s->raw_eof) {
		s->raw_off = s->raw_len;
		if (fill_raw(s, e) != 0)
			return e->code;
	}
	SHA256_Final(md, &s->sha);
	digest_hex(md, hex);
	if (strcmp(hex, want_hex) != 0)
		return cerr_input(e, "digest_mismatch", "%s: content has sha256:%s, not the sha256:%s its manifest names",
				  s->show, hex, want_hex);
	return 0;
}

void layer_stream_close(struct layer_stream *s)
{
	if (s == NULL)
		return;
	if (s->z_live)
		inflateEnd(&s->z);
	close(s->fd);
	free(s->raw);
	free(s);
}
