/*
 * tar_entries.h: cainit's tar reader run over a whole archive held in
 * memory, collecting every entry and its data: what fuzz_tar checks and
 * what tar_list prints for the differential against Python's tarfile.
 * Shared by those two programs only (test code, not shipped).
 */
#ifndef CAINIT_TAR_ENTRIES_H
#define CAINIT_TAR_ENTRIES_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "layer_stream.h"
#include "tar.h"

#define TAR_FUZZ_DATA_MAX (1u << 20) /* (the fuzzer's inputs are far smaller) */

struct tar_item {
	struct tar_entry ent;   /* path and link owned */
	unsigned char *data;
	size_t len;
};

struct tar_items {
	struct tar_item *v;
	size_t n;
};

static inline void tar_items_free(struct tar_items *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].ent.path);
		free(l->v[i].ent.link);
		free(l->v[i].data);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Read the archive in buf: 0 with every entry in out, or the cerr code
 * (out then holds the entries read before the failure). */
static inline int tar_items_read(const void *buf, size_t len, struct tar_items *out, struct cerr *e)
{
	struct layer_stream *in;
	struct tar_reader t;
	int fd = memfd_create("layer", MFD_CLOEXEC), rc;

	memset(out, 0, sizeof(*out));
	if (fd < 0 || (len > 0 && write(fd, buf, len) != (ssize_t)len) || lseek(fd, 0, SEEK_SET) != 0) {
		if (fd >= 0)
			close(fd);
		return cerr_set(e, CAINIT_EOPS, "memfd");
	}
	if ((rc = layer_stream_open(&in, fd, "fuzz", e)) != 0)
		return rc;
	layer_stream_limit(in, 8u << 20, "layer", 8u << 20);
	tar_reader_init(&t, in, "fuzz");
	while ((rc = tar_next(&t, e)) == 1) {
		struct tar_item *v = realloc(out->v, (out->n + 1) * sizeof(*v)), *it;

		if (v == NULL)
			abort();
		out->v = v;
		it = &v[out->n++];
		memset(it, 0, sizeof(*it));
		it->ent = t.cur;
		it->ent.path = strdup(t.cur.path);
		it->ent.link = t.cur.link ? strdup(t.cur.link) : NULL;
		if (t.cur.type == TAR_FILE && t.cur.size > 0) {
			ssize_t k;

			if (t.cur.size > TAR_FUZZ_DATA_MAX) {
				rc = cerr_set(e, CAINIT_EINPUT, "entry too large for the fuzzer");
				break;
			}
			it->data = malloc((size_t)t.cur.size);
			while (it->data && it->len < t.cur.size &&
			       (k = tar_read_data(&t, it->data + it->len, (size_t)t.cur.size - it->len, e)) > 0)
				it->len += (size_t)k;
			if (it->len != t.cur.size) {
				rc = e->code ? e->code : cerr_set(e, CAINIT_EINPUT, "short data");
				break;
			}
		}
	}
	tar_reader_free(&t);
	if (rc == 0)
		rc = layer_stream_drain(in, e); /* as bake does before it checks the digest */
	layer_stream_close(in);
	return rc < 0 ? CAINIT_EINPUT : rc;
}

#endif
