/*
 * tree.c: sorted walks, recursive removal and snapshot diffs of directory
 * trees, all relative to directory fds with O_NOFOLLOW.
 */
#include "tree.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dirwalk.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct names {
	char **v;
	size_t len, cap;
};

static int add_name(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct names *l = ctx;
	char **nv;

	(void)dirfd;
	(void)type;
	if (l->len == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		if ((nv = realloc(l->v, l->cap * sizeof(*nv))) == NULL)
			return -1;
		l->v = nv;
	}
	if ((l->v[l->len] = strdup(name)) == NULL)
		return -1;
	l->len++;
	return 0;
}

/* The names in dirfd, sorted; *out malloc'd (free each and the array). */
static int list_sorted(int dirfd, const char *show, char ***out, size_t *n, struct cerr *e)
{
	struct names l = {0};
	int rc = dir_each(dirfd, show, add_name, &l, e);

	if (rc != 0) {
		while (l.len > 0)
			free(l.v[--l.len]);
		free(l.v);
		*out = NULL;
		*n = 0;
		return rc;
	}
	if (l.len > 1)
		qsort(l.v, l.len, sizeof(*l.v), cmp_str);
	*out = l.v;
	*n = l.len;
	return 0;
}

static void free_names(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* One directory being walked: its fd, its sorted names, the next one. */
struct frame {
	int fd;
	char **names;
	size_t n, next;
	size_t plen;      /* length of the path prefix of its entries */
	char *name;       /* tree_remove_at: its name in the parent */
};

static void frame_free(struct frame *f, int keep_fd)
{
	if (f->fd >= 0 && f->fd != keep_fd)
		close(f->fd);
	free_names(f->names, f->n);
	free(f->name);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

/* Frame f becomes the directory parent/name, opened (never through a
 * symlink) and listed; 0 or the error code. */
static int descend(struct frame *f, int parent, const char *name, const char *show, struct cerr *e)
{
	f->next = 0;
	f->fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (f->fd < 0)
		return cerr_sys(e, show, "open", errno);
	return list_sorted(f->fd, show, &f->names, &f->n, e) != 0 ? e->code : 0;
}

int tree_walk(int dirfd, const char *show, tree_visit_fn fn, void *ctx, struct cerr *e)
{
	struct frame *st = calloc(TREE_DEPTH_MAX + 1, sizeof(*st));
	char *path = malloc(PATH_MAX), *where = malloc(PATH_MAX + 64);
	struct stat top;
	size_t depth = 0;
	int rc = 0;

	if (st == NULL || path == NULL || where == NULL) {
		rc = cerr_sys(e, show, "walk", ENOMEM);
		goto out;
	}
	if (fstat(dirfd, &top) != 0) {
		rc = cerr_sys(e, show, "stat", errno);
		goto out;
	}
	st[0].fd = dirfd;
	path[0] = '\0';
	if (list_sorted(dirfd, show, &st[0].names, &st[0].n, e) != 0) {
		rc = e->code;
		goto out;
	}
	for (;;) {
		struct frame *f = &st[depth];
		struct stat sb;
		const char *name;

		if (f->next == f->n) {
			frame_free(f, dirfd);
			if (depth == 0)
				break;
			depth--;
			path[st[depth].plen] = '\0';
			continue;
		}
		name = f->names[f->next++];
		path[f->plen] = '\0';
		if (f->plen + 1 + strlen(name) + 1 > PATH_MAX) {
			rc = cerr_set(e, CAINIT_EOPS, "%s/%s: path too long", show, path);
			break;
		}
		if (f->plen > 0)
			strcat(path, "/");
		strcat(path, name);
		snprintf(where, PATH_MAX + 64, "%s/%s", show, path);
		if (fstatat(f->fd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = cerr_sys(e, where, "lstat", errno);
			break;
		}
		rc = fn(f->fd, name, path, &sb, ctx, e);
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		if (!S_ISDIR(sb.st_mode) || sb.st_dev != top.st_dev)
			continue; /* a mount point: not ours to walk */
		if (depth + 1 >= TREE_DEPTH_MAX) {
			rc = cerr_set(e, CAINIT_EINPUT, "%s: deeper than %d directories (cainit's limit for a tree it walks)",
				      where, TREE_DEPTH_MAX);
			break;
		}
		depth++;
		st[depth].plen = strlen(path);
		if ((rc = descend(&st[depth], f->fd, name, where, e)) != 0)
			break;
	}
out:
	while (st != NULL && rc != 0 && depth > 0)
		frame_free(&st[depth--], dirfd);
	if (st != NULL && rc != 0)
		frame_free(&st[0], dirfd);
	free(st);
	free(path);
	free(where);
	return rc;
}

/* unlinkat, and once more after making the directory writable by its
 * owner (a tree unpacked without privilege can hold 0555 directories). */
static int unlink_entry(int dirfd, const char *name, int flags)
{
	if (unlinkat(dirfd, name, flags) == 0)
		return 0;
	if (errno == EACCES && fchmod(dirfd, 0700) == 0)
		return unlinkat(dirfd, name, flags);
	return -1;
}

int tree_remove_at(int dirfd, const char *name, const char *show, struct cerr *e)
{
	struct frame *st;
	size_t depth = 0;
	int rc = 0;

	if (unlink_entry(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return cerr_sys(e, show, "unlink", errno);
	if ((st = calloc(TREE_REMOVE_DEPTH_MAX + 1, sizeof(*st))) == NULL)
		return cerr_sys(e, show, "remove", ENOMEM);
	if ((st[0].name = strdup(name)) == NULL) {
		rc = cerr_sys(e, show, "remove", ENOMEM);
		goto out;
	}
	if ((rc = descend(&st[0], dirfd, name, show, e)) != 0)
		goto out;
	for (;;) {
		struct frame *f = &st[depth];
		const char *child;

		if (f->next == f->n) {
			int parent = depth == 0 ? dirfd : st[depth - 1].fd;
			char *own = f->name;

			f->name = NULL;
			frame_free(f, -1);
			if (unlink_entry(parent, own, AT_REMOVEDIR) != 0 && errno != ENOENT)
				rc = cerr_sys(e, show, "rmdir", errno);
			free(own);
			if (rc != 0 || depth == 0)
				break;
			depth--;
			continue;
		}
		child = f->names[f->next++];
		if (unlink_entry(f->fd, child, 0) == 0 || errno == ENOENT)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			rc = cerr_sys(e, show, "unlink", errno);
			break;
		}
		if (depth + 1 >= TREE_REMOVE_DEPTH_MAX) {
			rc = cerr_set(e, CAINIT_EOPS, "%s: deeper than %d directories: not removed", show,
				      TREE_REMOVE_DEPTH_MAX);
			break;
		}
		depth++;
		if ((st[depth].name = strdup(child)) == NULL) {
			rc = cerr_sys(e, show, "remove", ENOMEM);
			break;
		}
		if ((rc = descend(&st[depth], f->fd, child, show, e)) != 0)
			break;
	}
out:
	for (;;) {
		frame_free(&st[depth], -1);
		if (depth == 0)
			break;
		depth--;
	}
	free(st);
	return rc;
}

static int add_node(int dirfd, const char *name, const char *path, const struct stat *st, void *ctx,
		    struct cerr *e)
{
	struct tree_snapshot *s = ctx;
	struct tree_node *nv;

	(void)dirfd;
	(void)name;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;

		nv = realloc(s->v, cap * sizeof(*nv));
		if (nv == NULL)
			return cerr_sys(e, path, "malloc", ENOMEM);
		s->v = nv;
		s->cap = cap;
	}
	if ((s->v[s->n].path = strdup(path)) == NULL)
		return cerr_sys(e, path, "malloc", ENOMEM);
	s->v[s->n++].st = *st;
	return 0;
}

static int cmp_node(const void *a, const void *b)
{
	return strcmp(((const struct tree_node *)a)->path, ((const struct tree_node *)b)->path);
}

int tree_snapshot(int dirfd, const char *show, struct tree_snapshot *s, struct cerr *e)
{
	memset(s, 0, sizeof(*s));
	if (tree_walk(dirfd, show, add_node, s, e) != 0) {
		tree_snapshot_free(s);
		return e->code;
	}
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_node);
	return 0;
}

void tree_snapshot_free(struct tree_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].path);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static bool changed(const struct stat *a, const struct stat *b)
{
	if ((a->st_mode & S_IFMT) != (b->st_mode & S_IFMT) || a->st_mode != b->st_mode ||
	    a->st_uid != b->st_uid || a->st_gid != b->st_gid)
		return true;
	if (S_ISDIR(a->st_mode))
		return false;
	return a->st_ino != b->st_ino || a->st_size != b->st_size || !same_time(a->st_ctim, b->st_ctim) ||
	       !same_time(a->st_mtim, b->st_mtim);
}

/* Is path inside dir (dir a strict prefix ending at a '/')? */
static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static int push_change(struct tree_change **v, size_t *n, size_t *cap, const char *path, bool deleted,
		       const struct stat *st, struct cerr *e)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct tree_change *nv = realloc(*v, c * sizeof(*nv));

		if (nv == NULL)
			return cerr_sys(e, path, "malloc", ENOMEM);
		*v = nv;
		*cap = c;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	if (((*v)[*n].path = strdup(path)) == NULL)
		return cerr_sys(e, path, "malloc", ENOMEM);
	(*v)[*n].deleted = deleted;
	if (st)
		(*v)[*n].st = *st;
	(*n)++;
	return 0;
}

int tree_diff(int dirfd, const char *show, const struct tree_snapshot *before,
	      struct tree_change **out, size_t *nout, struct cerr *e)
{
	struct tree_snapshot now;
	struct tree_change *v = NULL;
	size_t i = 0, j = 0, n = 0, cap = 0;
	const char *gone = NULL; /* the last removed directory */
	int rc = 0;

	*out = NULL;
	*nout = 0;
	if (tree_snapshot(dirfd, show, &now, e) != 0)
		return e->code;
	while (rc == 0 && (i < before->n || j < now.n)) {
		int c = i == before->n ? 1 : j == now.n ? -1 : strcmp(before->v[i].path, now.v[j].path);

		if (c < 0) {
			if (gone == NULL || !under(before->v[i].path, gone)) {
				rc = push_change(&v, &n, &cap, before->v[i].path, true, NULL, e);
				gone = before->v[i].path;
			}
			i++;
		} else if (c > 0) {
			rc = push_change(&v, &n, &cap, now.v[j].path, false, &now.v[j].st, e);
			j++;
		} else {
			if (changed(&before->v[i].st, &now.v[j].st))
				rc = push_change(&v, &n, &cap, now.v[j].path, false, &now.v[j].st, e);
			if (S_ISDIR(before->v[i].st.st_mode) && !S_ISDIR(now.v[j].st.st_mode))
				gone = before->v[i].path; /* its old children went with it */
			i++;
			j++;
		}
	}
	tree_snapshot_free(&now);
	if (rc != 0) {
		tree_changes_free(v, n);
		return rc;
	}
	*out = v;
	*nout = n;
	return 0;
}

void tree_changes_free(struct tree_change *v, size_t n)
{
	while (n > 0)
		free(v[--n].path);
	free(v);
}
