/*
 * conf_files.c: the configuration files the rooms put cainit's block into
 * (conf_files.h): read once, planned in one loop.
 */
#include "conf_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "store.h"

struct conf_file *conf_files_add(struct scan *s, struct conf_files *l, const char *path, size_t max)
{
	struct cerr err = {0};
	struct conf_file *f;

	if (l->n >= max || (f = realloc(l->v, (l->n + 1) * sizeof(*f))) == NULL)
		return NULL;
	l->v = f;
	f = &l->v[l->n];
	memset(f, 0, sizeof(*f));
	f->p.dirfd = -1;
	f->uid = (uid_t)-1;
	f->gid = (gid_t)-1;
	rootfs_show(s->r, path, f->show, sizeof(f->show));
	if (rootfs_resolve(s->r, path, 0, &f->p, &err) == 0 && f->p.exists &&
	    rootfs_read_at(f->p.dirfd, f->p.base, f->show, OWNED_FILE_MAX, &f->cur.buf, &f->cur.len, &f->cur.st,
			   &err) == 0)
		f->cur.exists = f->cur.buf != NULL;
	if (err.code != 0)
		snprintf(f->why, sizeof(f->why), "%.199s", err.msg);
	for (size_t i = 0; i < l->n; i++)
		if (f->p.dirfd >= 0 && strcmp(l->v[i].p.canon, f->p.canon) == 0) {
			free(f->cur.buf);
			return NULL; /* (a link to one already kept) */
		}
	return &l->v[l->n++];
}

int conf_files_plan(struct scan *s, struct conf_files *l, struct want *w, struct txn *t, conf_plan_fn fn,
		    struct cerr *e)
{
	for (size_t i = 0; i < l->n; i++) {
		struct conf_file *f = &l->v[i];
		int rc;

		if (f->why[0]) {
			if (w->certs != NULL)
				trust_warn(w->rep, "%s: %s; left as it is", f->show, f->why);
			continue;
		}
		if ((!w->sets_left && !f->cur.exists) || f->p.dirfd < 0)
			continue;
		if ((rc = fn(s, f, w, t, e)) != 0)
			return rc;
	}
	return 0;
}

int conf_file_block(struct txn *t, struct want *w, struct conf_file *f, const char *what, const char *lines,
		    size_t at, struct cerr *e)
{
	return plan_text_block_owned(t, w, f->p.dirfd, f->p.base, f->show, &f->cur, what, lines, at, f->uid, f->gid,
				     e);
}

bool conf_var_path(struct scan *s, const char *var, const char *forbid, char *out, size_t n)
{
	struct env_var vars[ENV_VARS_MAX];
	size_t k, nv = env_from_scan(s, ENV_PLANNED, vars);

	for (k = 0; k < nv; k++)
		if (strcmp(vars[k].name, var) == 0) {
			snprintf(out, n, "%s", vars[k].value);
			return out[0] == '/' && strpbrk(out, "\n\r") == NULL && strpbrk(out, forbid) == NULL;
		}
	return false;
}

void conf_files_clean(struct conf_files *l)
{
	for (size_t i = 0; i < l->n; i++)
		scan_clean_temp(l->v[i].p.dirfd, l->v[i].p.base);
}

void conf_files_free(struct conf_files *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].cur.buf);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool conf_is_file(struct scan *s, const char *path, char *canon)
{
	struct cerr ignored = {0};
	char part[PATH_MAX];
	struct rpath p;

	/* a directory on the way that a listing of this scan says is not
	 * there (PREFIX/bin of a prefix the Java room listed): no lookup */
	for (const char *c = strchr(path + (path[0] == '/'), '/'); c != NULL; c = strchr(c + 1, '/'))
		if ((size_t)(c - path) < sizeof(part)) {
			memcpy(part, path, (size_t)(c - path));
			part[c - path] = '\0';
			if (scan_listed_without(s, part))
				return false;
		}
	if (rootfs_resolve(s->r, path, 0, &p, &ignored) != 0 || !p.exists || !S_ISREG(p.st.st_mode))
		return false;
	if (canon != NULL)
		memcpy(canon, p.canon, PATH_MAX);
	return true;
}
