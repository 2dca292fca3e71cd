/*
 * fuzz_tar.c: libFuzzer target for the tar reader bake uses on every layer
 * of an image it did not build (tar.c, through layer_stream.c: plain or
 * gzip). Properties:
 *  - any bytes end in entries or a one-line refusal, never a crash, a hang
 *    or a read past the data;
 *  - every entry has a non-empty path, a link exactly when it is a link, a
 *    permission mode, and exactly `size` bytes of data when it is a file;
 *  - what cainit's writer makes of the entries read (as bake writes its
 *    own layer: files, links, directories; a device or FIFO fails the
 *    writer) reads back as the same entries and the same data, through
 *    plain tar and through gzip alike.
 * The differential half, against Python's tarfile and GNU tar on the same
 * inputs, is fuzz/tar_diff.py (run by fuzz/run.sh over the corpus).
 */
#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

#include "tar_entries.h"

/* Paths are equal, a directory's with or without its trailing '/' (the
 * writer adds one, as tar does). */
static bool same_path(const char *x, const char *y, bool dir)
{
	size_t nx = strlen(x), ny = strlen(y);

	while (dir && nx > 1 && x[nx - 1] == '/')
		nx--;
	while (dir && ny > 1 && y[ny - 1] == '/')
		ny--;
	return nx == ny && memcmp(x, y, nx) == 0;
}

static void same_items(const struct tar_items *a, const struct tar_items *b)
{
	if (a->n != b->n) {
		fprintf(stderr, "%zu entries read, %zu re-read\n", a->n, b->n);
		abort();
	}
	for (size_t i = 0; i < a->n; i++) {
		const struct tar_entry *x = &a->v[i].ent, *y = &b->v[i].ent;

		if (!same_path(x->path, y->path, x->type == TAR_DIR) || x->type != y->type || x->mode != y->mode ||
		    x->uid != y->uid || x->gid != y->gid || (x->link == NULL) != (y->link == NULL) ||
		    (x->link && strcmp(x->link, y->link) != 0) || a->v[i].len != b->v[i].len ||
		    (a->v[i].len && memcmp(a->v[i].data, b->v[i].data, a->v[i].len) != 0)) {
			fprintf(stderr, "entry %zu: read %s (type %d mode %o uid %u gid %u link %s), re-read %s (type %d mode %o uid %u gid %u link %s)\n",
				i, x->path, x->type, (unsigned)x->mode, (unsigned)x->uid, (unsigned)x->gid, x->link ? x->link : "-",
				y->path, y->type, (unsigned)y->mode, (unsigned)y->uid, (unsigned)y->gid, y->link ? y->link : "-");
			abort(); /* the writer and the reader disagree */
		}
	}
}

static unsigned char *gzip(const unsigned char *in, size_t len, size_t *out_len)
{
	uLongf cap = compressBound((uLong)len) + 64;
	unsigned char *out = malloc(cap);
	z_stream z = {0};

	if (out == NULL || deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tar_items got, back;
	struct tar_writer w;
	struct cerr e = {0};
	int rc = tar_items_read(data, size, &got, &e);

	if (rc != 0) {
		if (e.msg[0] == '\0' || strchr(e.msg, '\n') != NULL)
			abort(); /* a refusal says why, on one line */
		tar_items_free(&got);
		return 0;
	}
	for (size_t i = 0; i < got.n; i++) {
		const struct tar_entry *x = &got.v[i].ent;
		bool is_link = x->type == TAR_SYMLINK || x->type == TAR_HARDLINK;

		if (x->path[0] == '\0' || is_link != (x->link != NULL) || (x->mode & ~07777u) != 0 ||
		    (x->type == TAR_FILE && got.v[i].len != x->size))
			abort();
	}
	{
		/* a writer given a device or FIFO fails; the rest is written */
		struct tar_writer other;
		struct tar_entry fifo = {.path = "fifo", .type = TAR_OTHER, .mode = 0644};

		tar_writer_init(&other);
		tar_write_entry(&other, &fifo, NULL);
		if (tar_finish(&other) == 0)
			abort();
		tar_writer_free(&other);
	}
	{
		/* the rest is written; devices and FIFOs are dropped first */
		size_t k = 0;

		for (size_t i = 0; i < got.n; i++) {
			if (got.v[i].ent.type != TAR_OTHER) {
				got.v[k++] = got.v[i];
				continue;
			}
			free(got.v[i].ent.path);
			free(got.v[i].ent.link);
			free(got.v[i].data);
		}
		got.n = k;
	}
	tar_writer_init(&w);
	for (size_t i = 0; i < got.n; i++)
		tar_write_entry(&w, &got.v[i].ent, got.v[i].data);
	if (tar_finish(&w) != 0)
		abort();
	for (int z = 0; z < 2; z++) {
		size_t zl = w.len;
		unsigned char *blob = z ? gzip(w.buf, w.len, &zl) : w.buf;
		struct cerr e2 = {0};

		if (tar_items_read(blob, zl, &back, &e2) != 0) {
			fprintf(stderr, "re-read: %s\n", e2.msg);
			abort(); /* cainit cannot read what it wrote */
		}
		same_items(&got, &back);
		tar_items_free(&back);
		if (z)
			free(blob);
	}
	tar_writer_free(&w);
	tar_items_free(&got);
	return 0;
}
