/*
 * made_dirs.c: the directories cainit made, a row of store_table (after
 * the runtime row, which says whether any set is left). A store directory a root
 * lacked (/etc/ssl/certs and /usr/local/share/ca-certificates in a
 * distroless image, /etc/cainit itself) is created on the way by the
 * confined resolver, which remembers it; the change records it in
 * /etc/cainit/dirs, one path per line, in the same transaction. When a
 * change leaves no set at all, every recorded directory that is empty again
 * is removed, deepest first (/etc/cainit too, when cainit made it): the
 * root is given back as it was. A recorded directory that holds someone
 * else's files now stays (it is theirs too); one cainit did not make is
 * never removed.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIRS_RECORD_MAX (256 * 1024)

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The recorded paths: pointers into buf (lines, '\n' replaced by NUL). */
static size_t record_lines(char *buf, size_t len, char **out, size_t max)
{
	size_t n = 0;
	char *p = buf, *end = buf + len;

	while (p < end && n < max) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			break;
		*nl = '\0';
		if (p[0] == '/' && strstr(p, "/..") == NULL)
			out[n++] = p;
		p = nl + 1;
	}
	return n;
}

static int plan_record(struct scan *s, struct txn *t, struct cerr *e)
{
	char show[ENTRY_SHOW_MAX], **v, *copy = NULL;
	size_t n = 0, i, cap;
	struct rope r;
	int rc = 0;

	if (s->r->ncreated == 0 || !s->cainit_dir_exists)
		return 0;
	cap = s->r->ncreated + 4096;
	if ((v = calloc(cap, sizeof(*v))) == NULL)
		return cerr_sys(e, CAINIT_DIR "/" DIRS_RECORD_NAME, "plan", ENOMEM);
	if (s->dirs_record.exists && (copy = malloc(s->dirs_record.len + 1)) != NULL) {
		memcpy(copy, s->dirs_record.buf, s->dirs_record.len);
		n = record_lines(copy, s->dirs_record.len, v, 4096);
	}
	for (i = 0; i < s->r->ncreated; i++)
		v[n++] = s->r->created[i];
	qsort(v, n, sizeof(*v), cmp_str);
	rope_init(&r);
	for (i = 0; i < n; i++)
		if ((i == 0 || strcmp(v[i], v[i - 1]) != 0) && rope_printf(&r, "%s\n", v[i]) < 0)
			rc = -1;
	snprintf(show, sizeof(show), "%s%s/%s", s->r->prefix, CAINIT_DIR, DIRS_RECORD_NAME);
	if (rc == 0)
		rc = plan_ensure_read(t, s->cainit_dir.dirfd, DIRS_RECORD_NAME, show, &r, &s->dirs_record, e);
	else
		rc = cerr_sys(e, show, "plan", ENOMEM);
	rope_free(&r);
	free(copy);
	free(v);
	return rc;
}

/* rmdir path (inside the root) when it is an empty real directory. */
static void remove_dir(struct rootfs *r, const char *path)
{
	struct rpath p;
	struct cerr ignored;

	if (rootfs_resolve(r, path, RP_NOFOLLOW, &p, &ignored) == 0 && p.exists && S_ISDIR(p.st.st_mode))
		(void)unlinkat(p.dirfd, p.base, AT_REMOVEDIR); /* (ENOTEMPTY: someone else's now) */
}

void dirs_remove_made(struct scan *s)
{
	char *copy = NULL, *v[4096];
	size_t n = 0;

	if (!s->cainit_dir_exists || !s->dirs_record.exists)
		return;
	if ((copy = malloc(s->dirs_record.len + 1)) == NULL)
		return;
	memcpy(copy, s->dirs_record.buf, s->dirs_record.len);
	n = record_lines(copy, s->dirs_record.len, v, 4096);
	/* the record first (it may live in one of them); then deepest first:
	 * a child sorts after its parent. Killed in between, the directories
	 * left are empty ones. */
	unlinkat(s->cainit_dir.dirfd, DIRS_RECORD_NAME, 0);
	qsort(v, n, sizeof(*v), cmp_str);
	while (n > 0)
		remove_dir(s->r, v[--n]);
	free(copy);
	rootfs_forget(s->r); /* (pinned directories may be gone) */
}

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	char show[ENTRY_SHOW_MAX];

	(void)o;
	if (!s->cainit_dir_exists)
		return 0;
	rootfs_show(s->r, CAINIT_DIR "/" DIRS_RECORD_NAME, show, sizeof(show));
	return scan_read_owned(s->cainit_dir.dirfd, DIRS_RECORD_NAME, show, &s->dirs_record, e);
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	if (clean && s->cainit_dir_exists)
		scan_clean_temp(s->cainit_dir.dirfd, DIRS_RECORD_NAME);
	return 0;
}

/* While sets are left, the record gains the directories this change made;
 * after the last set, trust.c calls dirs_remove_made once the change is in. */
static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	return w->sets_left ? plan_record(s, t, e) : 0;
}

static void release(struct scan *s)
{
	free(s->dirs_record.buf);
}

const struct store_ops store_made_dirs = {
	.name = "made-dirs",
	.find = find,
	.list = list,
	.plan = plan,
	.free = release,
};
