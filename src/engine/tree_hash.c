/*
 * tree_hash.c: the hash of a root filesystem's content as cainit found it
 * (bake's fingerprint of a root, see docs/bake.md): every non-directory
 * entry's path, type, mode, owner and content, leaving out what cainit
 * itself writes (the agent, /etc/cainit, files named cainit.*, links to
 * them, the profile script, the systemd drop-ins, cainit's blocks inside
 * bundles and inside text files such as /etc/environment), so that
 * baking the same directory again gives the same hash. It lives in the
 * engine because only the engine knows what cainit writes.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "digest.h"
#include "rootfs.h"
#include "rope.h"
#include "scan.h"
#include "text_block.h"
#include "tree.h"

#define CAINIT_NAME_PREFIX "cainit."
#define NSKIP 5

struct tree_hash {
	SHA256_CTX sha;
	char skip[NSKIP][PATH_MAX]; /* the agent, /etc/cainit, the profile script, the
				     * systemd drop-ins (relative) */
	const char *show;
};

static void feed(struct tree_hash *t, const void *p, size_t n)
{
	SHA256_Update(&t->sha, p, n);
}

/* Content of a regular file as hashed: cainit's blocks dropped. */
static int hash_file(struct tree_hash *t, int dirfd, const char *name, const char *path, const struct stat *st,
		     unsigned char md[32], bool *skip, struct cerr *e)
{
	char where[PATH_MAX + 64], *buf = NULL;
	size_t len;
	struct stat st2;

	snprintf(where, sizeof(where), "%s/%s", t->show, path);
	if (st->st_size > BUNDLE_MAX) {
		/* too big to be a bundle: hashed as it is, streamed */
		SHA256_CTX c;
		char chunk[65536];
		ssize_t k;
		int fd;

		if (rootfs_open_regular(dirfd, name, where, &fd, &st2, e) != 0)
			return e->code;
		if (fd < 0)
			return cerr_sys(e, where, "open", ENOENT);
		SHA256_Init(&c);
		while ((k = read(fd, chunk, sizeof(chunk))) > 0)
			SHA256_Update(&c, chunk, (size_t)k);
		close(fd);
		if (k < 0)
			return cerr_sys(e, where, "read", errno);
		SHA256_Final(md, &c);
		return 0;
	}
	if (rootfs_read_at(dirfd, name, where, BUNDLE_MAX, &buf, &len, &st2, e) != 0)
		return e->code;
	if (buf != NULL && text_block_present(buf, len)) {
		/* a text file with cainit's block: as it was before it */
		struct rope out;
		bool del = false;
		char *joined = NULL;

		rope_init(&out);
		if (text_block_edit(buf, len, true, "", NULL, &out, &del) == 0 && (joined = rope_join(&out)) != NULL) {
			*skip = del; /* a file cainit created */
			SHA256((unsigned char *)joined, out.len, md);
		} else {
			SHA256((unsigned char *)buf, len, md); /* a block cut short: as it is */
		}
		free(joined);
		rope_free(&out);
	} else if (buf != NULL && memmem(buf, len, "# cainit", 8) != NULL) {
		struct bundle_view v;
		struct rope out;
		bool del = false;
		char *joined;

		rope_init(&out);
		if (bundle_scan(buf, len, &v) != 0 || bundle_edit(&v, NULL, NULL, NULL, &out, &del) != 0 ||
		    (joined = rope_join(&out)) == NULL) {
			rope_free(&out);
			free(buf);
			return cerr_sys(e, where, "malloc", ENOMEM);
		}
		*skip = del; /* a bundle cainit created: not part of the tree */
		SHA256((unsigned char *)joined, out.len, md);
		free(joined);
		rope_free(&out);
		bundle_view_free(&v);
	} else {
		SHA256((unsigned char *)(buf ? buf : ""), buf ? len : 0, md);
	}
	free(buf);
	return 0;
}

static int visit(int dirfd, const char *name, const char *path, const struct stat *st, void *ctx,
		 struct cerr *e)
{
	struct tree_hash *t = ctx;
	unsigned char md[32];
	char head[128], target[PATH_MAX];
	ssize_t n;
	size_t i;

	for (i = 0; i < NSKIP; i++)
		if (strcmp(path, t->skip[i]) == 0)
			return 1;
	if (strncmp(name, CAINIT_NAME_PREFIX, strlen(CAINIT_NAME_PREFIX)) == 0)
		return 1;
	if (S_ISDIR(st->st_mode))
		return 0; /* directories count through what they hold */
	memset(md, 0, sizeof(md));
	if (S_ISLNK(st->st_mode)) {
		n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return cerr_sys(e, path, "readlink", errno);
		target[n] = '\0';
		if (strncmp(target, CAINIT_NAME_PREFIX, strlen(CAINIT_NAME_PREFIX)) == 0)
			return 0; /* a hash link to one of cainit's files */
		SHA256((unsigned char *)target, (size_t)n, md);
	} else if (S_ISREG(st->st_mode)) {
		bool skip = false;

		if (hash_file(t, dirfd, name, path, st, md, &skip, e) != 0)
			return e->code;
		if (skip)
			return 0;
	} else {
		memcpy(md, &st->st_rdev, sizeof(st->st_rdev));
	}
	feed(t, path, strlen(path) + 1);
	snprintf(head, sizeof(head), "%o %u %u", (unsigned)st->st_mode, (unsigned)st->st_uid, (unsigned)st->st_gid);
	feed(t, head, strlen(head) + 1);
	feed(t, md, sizeof(md));
	return 0;
}

/* The relative path p resolves to inside r (for the skip list). */
static int resolved(struct rootfs *r, const char *p, char *out, struct cerr *e)
{
	struct rpath rp;

	if (rootfs_resolve(r, p, 0, &rp, e) != 0)
		return e->code;
	snprintf(out, PATH_MAX, "%s", rp.canon + (rp.canon[0] == '/'));
	return 0;
}

int trust_tree_hash(const char *dir, const char *agent_path, char out[80], struct cerr *e)
{
	struct tree_hash t;
	struct rootfs r;
	unsigned char md[32];
	char hex[65];
	int fd, rc;

	memset(&t, 0, sizeof(t));
	t.show = dir;
	if (rootfs_open(&r, dir, e) != 0)
		return e->code;
	rc = resolved(&r, agent_path, t.skip[0], e);
	if (rc == 0)
		rc = resolved(&r, CAINIT_DIR "/x", t.skip[1], e);
	if (rc == 0)
		rc = resolved(&r, PROFILE_DIR "/" PROFILE_NAME, t.skip[2], e);
	if (rc == 0)
		rc = resolved(&r, SYSTEMD_SYSTEM_DROPIN, t.skip[3], e);
	if (rc == 0)
		rc = resolved(&r, SYSTEMD_USER_DROPIN, t.skip[4], e);
	rootfs_close(&r);
	if (rc != 0)
		return rc;
	*strrchr(t.skip[1], '/') = '\0'; /* /etc/cainit itself, wherever it resolves */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cerr_sys(e, dir, "open", errno);
	SHA256_Init(&t.sha);
	rc = tree_walk(fd, dir, visit, &t, e);
	close(fd);
	if (rc != 0)
		return rc;
	SHA256_Final(md, &t.sha);
	digest_hex(md, hex);
	snprintf(out, 80, "sha256:%s", hex);
	return 0;
}

