/*
 * oci.h: an OCI image layout directory (what `skopeo copy ... oci:DIR:TAG`
 * and `podman push IMAGE oci:DIR:TAG` write): index.json naming manifests
 * by tag, content-addressed blobs under blobs/sha256/. Every blob read is
 * checked against its digest; every write is a temp file renamed into
 * place, index.json last, so a killed bake leaves the layout as it was
 * (plus, at most, unreferenced blobs). blobs and blobs/sha256 must be real
 * directories: a layout whose blobs are a symlink is refused, never read or
 * written through.
 */
#ifndef CAINIT_OCI_H
#define CAINIT_OCI_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "cerr.h"

#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"
#define DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_LAYER_TAR "application/vnd.docker.image.rootfs.diff.tar"
#define OCI_REF_NAME "org.opencontainers.image.ref.name"

#define OCI_JSON_MAX (4 * 1024 * 1024) /* manifests, configs, indexes */

struct oci_layout {
	int fd;
	int blobs_fd;       /* blobs/sha256, opened without following a symlink; -1: none yet */
	char show[PATH_MAX];
	json_t *index;
};

int oci_open(struct oci_layout *l, const char *dir, struct cerr *e);
void oci_close(struct oci_layout *l);

/* The descriptor tagged `tag` (NULL: the layout's only one), borrowed from
 * the layout: an image manifest or an image index. */
int oci_tagged(struct oci_layout *l, const char *tag, json_t **desc, struct cerr *e);

/* The image manifest descriptor tagged `tag` (NULL: the layout's only
 * manifest). An image index found there is resolved to its linux/arch
 * entry. *desc is borrowed from the layout (or from *owner, which the
 * caller frees). */
int oci_find(struct oci_layout *l, const char *tag, const char *arch, json_t **desc, json_t **owner,
	     struct cerr *e);

/* A JSON blob, checked against its digest. *raw_len: its size. */
int oci_read_json(struct oci_layout *l, const char *digest, json_t **out, size_t *raw_len, struct cerr *e);

/* An fd on a blob (the caller checks the digest while reading it). */
int oci_open_blob(struct oci_layout *l, const char *digest, int *fd, struct cerr *e);

/* Store buf as a blob; digest gets "sha256:<hex>". *created (may be NULL):
 * whether this call wrote it (false: the layout already had it). */
int oci_write_blob(struct oci_layout *l, const void *buf, size_t len, char digest[72], bool *created,
		   struct cerr *e);

/* Take away a blob this process wrote (oci_write_blob said created) that
 * nothing names, after the change that needed it was refused. */
void oci_remove_blob(struct oci_layout *l, const char *digest);

/* Point `tag` at desc (a manifest descriptor) in index.json, dropping
 * whatever the tag named before. */
int oci_set_tag(struct oci_layout *l, const char *tag, json_t *desc, struct cerr *e);

/* The canonical bytes cainit writes for a JSON document (sorted keys, no
 * spaces); malloc'd. */
char *oci_dump(const json_t *j);

#endif
