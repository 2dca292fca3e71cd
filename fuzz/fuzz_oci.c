/*
 * fuzz_oci.c: libFuzzer target for the OCI image layout reader bake uses on
 * images it did not build (oci.c): index.json, nested image indexes,
 * manifests and configs, each blob checked against its digest.
 *
 * The input is index.json, then blobs, separated by lines "--"; in every
 * part, "@N" (N = 1..9) stands for "sha256:<hex>" of blob N (blobs are
 * digested last to first, so a blob names only later ones). The parts are
 * written as a layout in a private directory under /dev/shm. Properties:
 *  - opening, finding an image (untagged, by tag "t", for amd64) and
 *    reading its manifest and config end in a result or a one-line
 *    refusal, never a crash or a leak;
 *  - what oci_find returns is an image manifest's descriptor (an object
 *    with a manifest media type), never an index;
 *  - oci_read_json returns only objects whose bytes hash to their name;
 *  - oci_set_tag then a fresh oci_open finds, by the new tag, a descriptor
 *    with the same digest and media type (bake's write-back).
 * The directory goes when the fuzzer exits.
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "oci.h"
#include "tree.h"

#define PARTS_MAX 10

static char dir[64];

static void put(int dirfd, const char *name, const void *buf, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || (len > 0 && write(fd, buf, len) != (ssize_t)len))
		abort();
	close(fd);
}

/* part with every "@N" replaced by blob N's digest (N > self) */
static char *expand(const char *p, size_t len, char digests[PARTS_MAX][72], int self, size_t *out_len)
{
	char *out = malloc(len * 36 + 1);
	size_t n = 0;

	if (out == NULL)
		abort();
	for (size_t i = 0; i < len; i++) {
		int k = i + 1 < len && p[i] == '@' ? p[i + 1] - '0' : -1;

		if (k > self && k < PARTS_MAX && digests[k][0]) {
			memcpy(out + n, digests[k], 71);
			n += 71;
			i++;
		} else {
			out[n++] = p[i];
		}
	}
	*out_len = n;
	return out;
}

/* json_equal, where two missing values are the same too */
static bool same(const json_t *a, const json_t *b)
{
	return (a == NULL && b == NULL) || json_equal(a, b);
}

static void one_line(const struct cerr *e)
{
	if (e->msg[0] == '\0' || strchr(e->msg, '\n') != NULL)
		abort();
}

static void remove_dir(void)
{
	struct cerr e = {0};
	int shm = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (shm >= 0) {
		(void)tree_remove_at(shm, strrchr(dir, '/') + 1, dir, &e);
		close(shm);
	}
}

/* the layout as new: oci-layout, an empty blobs/sha256 (what the last
 * input wrote goes) */
static void reset_layout(void)
{
	struct cerr e = {0};
	int top;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/dev/shm/cainit-fuzz-oci.%ld", (long)getpid());
		if (mkdir(dir, 0700) != 0)
			abort();
		atexit(remove_dir);
	}
	top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0 || tree_remove_at(top, "blobs", "blobs", &e) != 0 || mkdirat(top, "blobs", 0755) != 0 ||
	    mkdirat(top, "blobs/sha256", 0755) != 0)
		abort();
	put(top, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	close(top);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[PARTS_MAX];
	size_t lens[PARTS_MAX], nparts = 0;
	char digests[PARTS_MAX][72] = {{0}};
	const char *p = (const char *)data, *end = p + size;
	struct oci_layout l;
	struct cerr e = {0};
	int top, blobs;

	while (nparts < PARTS_MAX) {
		const char *sep = memmem(p, (size_t)(end - p), "\n--\n", 4);

		parts[nparts] = p;
		lens[nparts++] = (size_t)((sep ? sep : end) - p);
		if (sep == NULL)
			break;
		p = sep + 4;
	}
	reset_layout();
	top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	blobs = openat(top, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = (int)nparts - 1; i >= 0; i--) {
		size_t n;
		char *text = expand(parts[i], lens[i], digests, i, &n), hex[65];

		if (i == 0) {
			put(top, "index.json", text, n);
		} else {
			digest_sha256_hex(text, n, hex);
			snprintf(digests[i], sizeof(digests[i]), "sha256:%s", hex);
			put(blobs, hex, text, n);
		}
		free(text);
	}
	close(blobs);
	close(top);

	if (oci_open(&l, dir, &e) != 0) {
		one_line(&e);
		return 0;
	}
	for (int t = 0; t < 2; t++) {
		json_t *desc, *owner, *manifest = NULL, *config = NULL;
		const char *mt, *digest;
		struct cerr e2 = {0};

		if (oci_find(&l, t ? "t" : NULL, "amd64", &desc, &owner, &e2) != 0) {
			one_line(&e2);
			continue;
		}
		mt = json_string_value(json_object_get(desc, "mediaType"));
		digest = json_string_value(json_object_get(desc, "digest"));
		if (!json_is_object(desc) || mt == NULL ||
		    (strcmp(mt, OCI_MANIFEST) != 0 && strcmp(mt, DOCKER_MANIFEST) != 0))
			abort(); /* an index or a non-manifest passed for an image */
		if (oci_read_json(&l, digest, &manifest, NULL, &e2) == 0) {
			if (!json_is_object(manifest))
				abort();
			if (oci_read_json(&l, json_string_value(json_object_get(json_object_get(manifest, "config"), "digest")),
					  &config, NULL, &e2) == 0 && !json_is_object(config))
				abort();
		}
		if (e2.code != 0)
			one_line(&e2);
		{
			/* bake's write-back: tag it, open afresh, find it again */
			struct oci_layout again;
			json_t *d2, *o2;
			struct cerr e3 = {0};

			if (oci_set_tag(&l, "fuzzed", desc, &e3) == 0) {
				if (oci_open(&again, dir, &e3) != 0 ||
				    oci_find(&again, "fuzzed", "amd64", &d2, &o2, &e3) != 0 ||
				    !same(json_object_get(d2, "digest"), json_object_get(desc, "digest")) ||
				    !same(json_object_get(d2, "mediaType"), json_object_get(desc, "mediaType")))
					abort(); /* a tag written is not found again as written */
				json_decref(o2);
				oci_close(&again);
			} else {
				one_line(&e3);
			}
		}
		json_decref(config);
		json_decref(manifest);
		json_decref(owner);
	}
	oci_close(&l);
	return 0;
}
