/*
 * plan.c: the helpers every room plans with: whether an owned file of a
 * set falls under a change, and "make this file hold exactly these bytes"
 * as a transaction write that is skipped when it already does.
 */
#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "report.h"
#include "text_block.h"

bool want_covers(const struct want *w, const char *set)
{
	return w->set == NULL || strcmp(w->set, set) == 0;
}

int plan_ensure_file(struct txn *t, int dirfd, const char *name, const char *show,
		     struct rope *content, struct cerr *e)
{
	struct stat st;
	char *old;
	size_t len;
	int rc;

	rc = rootfs_read_at(dirfd, name, show, OWNED_FILE_MAX, &old, &len, &st, e);
	if (rc != 0) {
		rope_free(content);
		return rc;
	}
	if (old != NULL && rope_equals(content, old, len)) {
		free(old);
		rope_free(content);
		return 0;
	}
	if (old != NULL && txn_keep(t, old) < 0)
		goto nomem;
	if (txn_write(t, dirfd, name, show, content, old ? &st : NULL, old, len, TXN_FAIL) < 0)
		goto nomem;
	return 0;
nomem:
	rope_free(content);
	return cerr_sys(e, show, "plan", ENOMEM);
}

int plan_ensure_read(struct txn *t, int dirfd, const char *name, const char *show,
		     struct rope *content, const struct owned_read *cur, struct cerr *e)
{
	int rc = 0;

	if (cur->exists && rope_equals(content, cur->buf, cur->len))
		rope_free(content);
	else if (txn_write(t, dirfd, name, show, content, cur->exists ? &cur->st : NULL, cur->buf,
			   cur->len, TXN_FAIL) < 0)
		rc = cerr_sys(e, show, "plan", ENOMEM);
	rope_free(content);
	return rc;
}

int plan_text_block(struct txn *t, struct want *w, int dirfd, const char *name, const char *show,
		    const struct owned_read *cur, const char *what, const char *lines, size_t at, struct cerr *e)
{
	return plan_text_block_owned(t, w, dirfd, name, show, cur, what, lines, at, (uid_t)-1, (gid_t)-1, e);
}

int plan_text_block_owned(struct txn *t, struct want *w, int dirfd, const char *name, const char *show,
			  const struct owned_read *cur, const char *what, const char *lines, size_t at, uid_t uid,
			  gid_t gid, struct cerr *e)
{
	struct rope out;
	bool del;
	int rc;

	rope_init(&out);
	rc = text_block_edit_at(cur->buf, cur->len, cur->exists, what, lines, at, &out, &del);
	if (rc == 1) {
		trust_warn(w->rep, "%s: cainit's block there is cut short or doubled; left as it is", show);
		rc = 0;
	} else if (rc == 0 && del) {
		rc = txn_unlink(t, dirfd, name, show) < 0 ? -1 : 0;
	} else if (rc == 0 && !cur->exists && out.len > 0 && uid != (uid_t)-1) {
		rc = txn_create(t, dirfd, name, show, &out, 0644, uid, gid) < 0 ? -1 : 0;
	} else if (rc == 0 && !(cur->exists ? rope_equals(&out, cur->buf, cur->len) : out.len == 0)) {
		rc = txn_write(t, dirfd, name, show, &out, cur->exists ? &cur->st : NULL, cur->buf, cur->len, TXN_SKIP) < 0
			     ? -1
			     : 0;
	}
	rope_free(&out);
	return rc < 0 ? cerr_sys(e, show, "plan", ENOMEM) : 0;
}
