/*
 * oci.c: reading and writing an OCI image layout directory (see oci.h).
 */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "file_write.h"
#include "rootfs.h"

/* A small JSON file of the layout (never a symlink, never over max). */
static int read_at(int dirfd, const char *name, const char *show, size_t max, char **buf, size_t *len,
		   struct cerr *e)
{
	struct stat st;

	if (rootfs_read_at(dirfd, name, show, max, buf, len, &st, e) != 0)
		return e->code;
	if (*buf == NULL)
		return cerr_sys(e, show, "open", ENOENT);
	return 0;
}

static int parse_json(const char *buf, size_t len, const char *show, json_t **out, struct cerr *e)
{
	json_error_t je;

	*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (*out == NULL)
		return cerr_input(e, "bad_layout", "%s: not valid JSON (line %d: %s)", show, je.line, je.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return cerr_input(e, "bad_layout", "%s: not a JSON object", show);
	}
	return 0;
}

/* blobs/sha256, each component a real directory (create: made when
 * missing). 0 with l->blobs_fd -1 when it does not exist. */
static int open_blobs(struct oci_layout *l, bool create, struct cerr *e)
{
	static const char *const parts[] = {"blobs", "sha256"};
	char show[PATH_MAX + 32];
	int dir = l->fd, fd = -1, rc = 0;

	for (int i = 0; i < 2 && rc == 0; i++) {
		struct stat st;
		int err = 0;

		snprintf(show, sizeof(show), "%s/%s%s", l->show, i ? "blobs/" : "", parts[i]);
		if (create && mkdirat(dir, parts[i], 0755) != 0 && errno != EEXIST)
			err = errno;
		if (err == 0 && (fd = openat(dir, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			err = errno;
		if (err == ENOENT && !create)
			rc = 1; /* no blobs at all yet */
		else if ((err == ELOOP || err == ENOTDIR) && fstatat(dir, parts[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			 S_ISLNK(st.st_mode))
			rc = cerr_input(e, "bad_layout", "%s: a symbolic link: blobs are never read or written through one",
					show);
		else if (err == ELOOP || err == ENOTDIR)
			rc = cerr_input(e, "bad_layout", "%s: not a directory", show);
		else if (err != 0)
			rc = cerr_sys(e, show, create ? "create" : "open", err);
		if (dir != l->fd)
			close(dir);
		dir = fd;
	}
	if (rc == 0)
		l->blobs_fd = fd;
	return rc == 1 ? 0 : rc;
}

int oci_open(struct oci_layout *l, const char *dir, struct cerr *e)
{
	char show[PATH_MAX + 32], *buf;
	size_t len;
	json_t *layout, *ver;
	int rc;

	memset(l, 0, sizeof(*l));
	l->blobs_fd = -1;
	snprintf(l->show, sizeof(l->show), "%s", dir);
	l->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->fd < 0)
		return errno == ENOENT || errno == ENOTDIR
			       ? cerr_input(e, "bad_layout", "%s: no such directory (an OCI image layout)", dir)
			       : cerr_sys(e, dir, "open", errno);
	snprintf(show, sizeof(show), "%s/oci-layout", dir);
	if (faccessat(l->fd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) {
		cerr_input(e, "bad_layout", "%s: not an OCI image layout (no oci-layout file)", dir);
		goto fail;
	}
	if (read_at(l->fd, "oci-layout", show, 4096, &buf, &len, e) != 0)
		goto fail;
	rc = parse_json(buf, len, show, &layout, e);
	free(buf);
	if (rc != 0)
		goto fail;
	ver = json_object_get(layout, "imageLayoutVersion");
	if (!json_is_string(ver) || strncmp(json_string_value(ver), "1.", 2) != 0) {
		json_decref(layout);
		cerr_input(e, "bad_layout", "%s: not an OCI image layout version 1.x", show);
		goto fail;
	}
	json_decref(layout);
	snprintf(show, sizeof(show), "%s/index.json", dir);
	if (read_at(l->fd, "index.json", show, OCI_JSON_MAX, &buf, &len, e) != 0)
		goto fail;
	rc = parse_json(buf, len, show, &l->index, e);
	free(buf);
	if (rc != 0)
		goto fail;
	if (!json_is_array(json_object_get(l->index, "manifests"))) {
		cerr_input(e, "bad_layout", "%s: no \"manifests\" array", show);
		goto fail;
	}
	if (open_blobs(l, false, e) != 0)
		goto fail;
	return 0;
fail:
	oci_close(l);
	return e->code;
}

void oci_close(struct oci_layout *l)
{
	if (l->fd >= 0)
		close(l->fd);
	if (l->blobs_fd >= 0)
		close(l->blobs_fd);
	l->blobs_fd = -1;
	json_decref(l->index);
	l->index = NULL;
	l->fd = -1;
}

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *ref_name(const json_t *desc)
{
	return str_of(json_object_get(desc, "annotations"), OCI_REF_NAME);
}

int oci_open_blob(struct oci_layout *l, const char *digest, int *fd, struct cerr *e)
{
	char show[PATH_MAX + 128];
	struct stat st;

	if (digest == NULL || !digest_valid(digest))
		return cerr_input(e, "bad_layout", "%s: a descriptor with a digest that is not sha256:<64 hex> (%.80s)",
				  l->show, digest ? digest : "none");
	snprintf(show, sizeof(show), "%s/blobs/sha256/%s", l->show, digest + 7);
	if (l->blobs_fd < 0)
		return cerr_sys(e, show, "open", ENOENT);
	/* blobs are files, as JSON ones: never a FIFO, a device or a link */
	if (rootfs_open_regular(l->blobs_fd, digest + 7, show, fd, &st, e) != 0)
		return e->code;
	if (*fd < 0)
		return cerr_sys(e, show, "open", ENOENT);
	return 0;
}

int oci_read_json(struct oci_layout *l, const char *digest, json_t **out, size_t *raw_len, struct cerr *e)
{
	char path[128], show[PATH_MAX + 128], hex[65], *buf;
	size_t len;
	int rc;

	if (digest == NULL || !digest_valid(digest))
		return cerr_input(e, "bad_layout", "%s: a descriptor with a digest that is not sha256:<64 hex> (%.80s)",
				  l->show, digest ? digest : "none");
	snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
	snprintf(show, sizeof(show), "%s/%s", l->show, path);
	if (l->blobs_fd < 0)
		return cerr_sys(e, show, "open", ENOENT);
	if (read_at(l->blobs_fd, digest + 7, show, OCI_JSON_MAX, &buf, &len, e) != 0)
		return e->code;
	digest_sha256_hex(buf, len, hex);
	if (strcmp(hex, digest + 7) != 0) {
		free(buf);
		return cerr_input(e, "digest_mismatch", "%s: content has sha256:%s, not its name", show, hex);
	}
	rc = parse_json(buf, len, show, out, e);
	free(buf);
	if (raw_len)
		*raw_len = len;
	return rc;
}

/* In an image index, the manifest for linux/arch. */
static int pick_platform(struct oci_layout *l, json_t *index, const char *arch, json_t **desc,
			 struct cerr *e)
{
	json_t *m, *d;
	size_t i;

	m = json_object_get(index, "manifests");
	json_array_foreach(m, i, d) {
		json_t *p = json_object_get(d, "platform");
		const char *os = str_of(p, "os"), *a = str_of(p, "architecture");

		if (os && a && strcmp(os, "linux") == 0 && strcmp(a, arch) == 0) {
			*desc = d;
			return 0;
		}
	}
	return cerr_input(e, "no_platform", "%s: the image index has no linux/%s image", l->show, arch);
}

int oci_tagged(struct oci_layout *l, const char *tag, json_t **desc, struct cerr *e)
{
	json_t *m = json_object_get(l->index, "manifests"), *d, *found = NULL;
	size_t i, count = 0;

	json_array_foreach(m, i, d) {
		const char *name = ref_name(d);

		count++;
		if (tag == NULL || (name && strcmp(name, tag) == 0))
			found = d;
	}
	if (tag == NULL && count != 1)
		return cerr_input(e, "no_tag", "%s: %zu images in the layout: name one as DIR:TAG", l->show, count);
	if (found == NULL)
		return cerr_input(e, "no_tag", "%s: no image tagged \"%s\" in index.json", l->show, tag);
	*desc = found;
	return 0;
}

int oci_find(struct oci_layout *l, const char *tag, const char *arch, json_t **desc, json_t **owner,
	     struct cerr *e)
{
	json_t *found;
	const char *mt;

	*owner = NULL;
	if (oci_tagged(l, tag, &found, e) != 0)
		return e->code;
	mt = str_of(found, "mediaType");
	if (mt && (strcmp(mt, OCI_INDEX) == 0 || strcmp(mt, DOCKER_LIST) == 0)) {
		if (oci_read_json(l, str_of(found, "digest"), owner, NULL, e) != 0)
			return e->code;
		if (pick_platform(l, *owner, arch, &found, e) != 0) {
			json_decref(*owner);
			*owner = NULL;
			return e->code;
		}
		mt = str_of(found, "mediaType");
	}
	if (mt == NULL || (strcmp(mt, OCI_MANIFEST) != 0 && strcmp(mt, DOCKER_MANIFEST) != 0)) {
		/* (the message first: mt may live in *owner) */
		cerr_input(e, "bad_layout", "%s: \"%s\" is a %s, not an image manifest", l->show, tag ? tag : "the image",
			   mt ? mt : "descriptor without a mediaType");
		json_decref(*owner);
		*owner = NULL;
		return e->code;
	}
	*desc = found;
	return 0;
}

int oci_write_blob(struct oci_layout *l, const void *buf, size_t len, char digest[72], bool *created,
		   struct cerr *e)
{
	char hex[65], show[PATH_MAX + 128];
	struct stat st;
	int dirfd;
	int rc = 0;

	digest_sha256_hex(buf, len, hex);
	snprintf(digest, 72, "sha256:%s", hex);
	snprintf(show, sizeof(show), "%s/blobs/sha256/%s", l->show, hex);
	if (l->blobs_fd < 0 && open_blobs(l, true, e) != 0)
		return e->code;
	dirfd = l->blobs_fd;
	/* content-addressed: a blob already there with the right size is this one */
	if (fstatat(dirfd, hex, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size != len) {
		rc = file_write_atomic(dirfd, hex, show, buf, len, 0644, e);
		if (rc == 0 && created != NULL)
			*created = true;
	}
	return rc;
}

void oci_remove_blob(struct oci_layout *l, const char *digest)
{
	const char *hex = digest + 7;

	if (l->blobs_fd < 0 || strncmp(digest, "sha256:", 7) != 0 || strlen(hex) != 64 ||
	    strspn(hex, "0123456789abcdef") != 64)
		return;
	unlinkat(l->blobs_fd, hex, 0);
}

int oci_set_tag(struct oci_layout *l, const char *tag, json_t *desc, struct cerr *e)
{
	json_t *m = json_object_get(l->index, "manifests"), *d, *ann;
	char show[PATH_MAX + 32], *text;
	size_t i;
	int rc;

	for (i = json_array_size(m); i-- > 0;) {
		const char *name = ref_name(json_array_get(m, i));

		if (name && strcmp(name, tag) == 0)
			json_array_remove(m, i);
	}
	d = json_deep_copy(desc);
	ann = json_object();
	if (d == NULL || ann == NULL || json_object_set_new(ann, OCI_REF_NAME, json_string(tag)) != 0 ||
	    json_object_set_new(d, "annotations", ann) != 0 || json_array_append_new(m, d) != 0)
		return cerr_sys(e, l->show, "json", ENOMEM);
	text = oci_dump(l->index);
	if (text == NULL)
		return cerr_sys(e, l->show, "json", ENOMEM);
	snprintf(show, sizeof(show), "%s/index.json", l->show);
	rc = file_write_atomic(l->fd, "index.json", show, text, strlen(text), 0644, e);
	free(text);
	return rc;
}

char *oci_dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}
