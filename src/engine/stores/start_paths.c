/*
 * start_paths.c: the start-paths room. The runtime variables reach a
 * process only through the way it was started; /etc/profile.d (the runtime
 * room) reaches login shells. This room writes them where every other way
 * that a file in the root can reach looks (docs/env.md, "Start paths"):
 *
 *   /etc/environment                  PAM sessions (pam_env: su, ssh, login,
 *                                     cron), a marked block of NAME=value
 *                                     lines, where the root has PAM or the file
 *   /etc/systemd/system.conf.d/cainit.conf   DefaultEnvironment= of the system
 *   /etc/systemd/user.conf.d/cainit.conf     and user managers, where the root
 *                                     has systemd (cainit's own files)
 *   /etc/bash.bashrc, /etc/bash/bashrc or /etc/bashrc
 *                                     interactive non-login bash: a marked
 *                                     block that sources /etc/profile.d/cainit.sh
 *
 * Someone else's file keeps every byte outside cainit's block and is given
 * back byte for byte when the last set goes (text_block.h). A variable the
 * foreign part of /etc/environment already sets is left to it. A file
 * that cannot be read as a regular file, or whose block is cut short, is
 * left as it is, with a warning; the rest of the change goes on.
 */
#include "store.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "text_block.h"

#define WHAT "TLS variables for the CAs cainit manages (cainit env); removed with the last one"
#define SOURCE_PROFILE "if [ -r " PROFILE_DIR "/" PROFILE_NAME " ]; then . " PROFILE_DIR "/" PROFILE_NAME "; fi\n"
#define SYSTEMD_HEADER \
	"# cainit: " WHAT ".\n" \
	"# Read by the manager at boot (or systemctl daemon-reexec); a service's own Environment= wins.\n"

enum sp_kind { SP_BLOCK, SP_OWNED };

struct sp_def {
	const char *paths[3]; /* the first that exists (or the first, to create) */
	enum sp_kind kind;
	const char *section;  /* SP_OWNED: the systemd section */
};

static const struct sp_def defs[] = {
	{{"/etc/environment"}, SP_BLOCK, NULL},
	{{SYSTEMD_SYSTEM_DROPIN}, SP_OWNED, "Manager"},
	{{SYSTEMD_USER_DROPIN}, SP_OWNED, "Manager"},
	{{"/etc/bash.bashrc", "/etc/bash/bashrc", "/etc/bashrc"}, SP_BLOCK, NULL},
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))
enum { SP_ENVIRONMENT, SP_SYSTEMD_SYSTEM, SP_SYSTEMD_USER, SP_BASHRC };

struct sp_file {
	bool wanted;          /* this root has the start path */
	struct rpath p;       /* the file (p.exists: it is there) */
	char show[SHOW_MAX];
	struct owned_read cur;
	char why[200];        /* left alone: why */
};

struct start_paths {
	struct sp_file f[NDEFS];
};

static bool exists_as(struct scan *s, const char *path, unsigned flags)
{
	struct cerr ignored = {0};
	struct rpath p;

	return rootfs_resolve(s->r, path, flags, &p, &ignored) == 0 && p.exists;
}

/* Does the root have what reads defs[i]? */
static bool has_reader(struct scan *s, size_t i)
{
	switch (i) {
	case SP_ENVIRONMENT:
		return exists_as(s, "/etc/pam.d", RP_DIR);
	case SP_SYSTEMD_SYSTEM:
	case SP_SYSTEMD_USER:
		return exists_as(s, "/usr/lib/systemd/systemd", 0) || exists_as(s, "/lib/systemd/systemd", 0);
	default:
		return false; /* a bashrc counts only where it is */
	}
}

static void find_one(struct scan *s, const struct scan_opts *o, size_t i, struct sp_file *f)
{
	struct cerr err = {0};
	size_t k;

	for (k = 0; k < 3 && defs[i].paths[k]; k++) {
		if (rootfs_resolve(s->r, defs[i].paths[k], 0, &f->p, &err) != 0)
			break;
		rootfs_show(s->r, defs[i].paths[k], f->show, sizeof(f->show));
		if (f->p.exists)
			break;
	}
	if (err.code == 0 && f->p.exists && rootfs_read_at(f->p.dirfd, f->p.base, f->show, OWNED_FILE_MAX,
							  &f->cur.buf, &f->cur.len, &f->cur.st, &err) == 0)
		f->cur.exists = f->cur.buf != NULL;
	if (err.code != 0) {
		snprintf(f->why, sizeof(f->why), "%.199s", err.msg);
		return;
	}
	f->wanted = f->cur.exists || has_reader(s, i);
	if (i == SP_BASHRC)
		f->wanted = f->cur.exists && s->profiled.exists;
	if (f->wanted && !f->p.exists && (o->flags & SCAN_CREATE)) {
		/* its directory (system.conf.d), made on the way and recorded */
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", defs[i].paths[0]);
		*strrchr(dir, '/') = '\0';
		if (rootfs_resolve(s->r, dir, RP_DIR | RP_MKDIRS, &(struct rpath){0}, &err) != 0 ||
		    rootfs_resolve(s->r, defs[i].paths[0], 0, &f->p, &err) != 0) {
			snprintf(f->why, sizeof(f->why), "%.199s", err.msg);
			f->wanted = false;
		}
	}
}

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	size_t i;

	if (s->paths_only)
		return 0;
	if ((s->start_paths = calloc(1, sizeof(*s->start_paths))) == NULL)
		return cerr_sys(e, "start paths", "scan", ENOMEM);
	for (i = 0; i < NDEFS; i++) {
		s->start_paths->f[i].p.dirfd = -1;
		find_one(s, o, i, &s->start_paths->f[i]);
	}
	return 0;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	size_t i;

	(void)e;
	for (i = 0; clean && s->start_paths != NULL && i < NDEFS; i++)
		scan_clean_temp(s->start_paths->f[i].p.dirfd, s->start_paths->f[i].p.base);
	return 0;
}

/* A value every reader takes as it is: no quoting, escaping or expansion
 * in pam_env's /etc/environment nor in systemd's quoted assignments. */
static bool plain_value(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v <= ' ' || strchr("\"'\\$%`@{}", *v) != NULL || (unsigned char)*v == 0x7f)
			return false;
	return true;
}

/* Does the foreign text of buf (cainit's block aside) set name? */
static bool foreign_sets(const char *buf, size_t len, const char *name)
{
	size_t p = 0, n = strlen(name), bs = len, be = len;

	text_block_span(buf, len, &bs, &be); /* (none: no bytes are cainit's) */
	while (p < len) {
		const char *nl = memchr(buf + p, '\n', len - p), *l = buf + p;
		size_t ll = nl ? (size_t)(nl - l) : len - p;

		if (p >= bs && p < be) {
			p = be;
			continue;
		}
		while (ll > 0 && (*l == ' ' || *l == '\t'))
			l++, ll--;
		if (ll > 7 && memcmp(l, "export ", 7) == 0)
			l += 7, ll -= 7;
		if (ll > n && memcmp(l, name, n) == 0 && l[n] == '=')
			return true;
		p += ll + (size_t)(l - (buf + p)) + (nl ? 1 : 0);
	}
	return false;
}

static int render(struct scan *s, size_t i, const struct sp_file *f, struct rope *out)
{
	struct env_var vars[ENV_VARS_MAX];
	size_t n = env_from_scan(s, ENV_PLANNED, vars), k;
	bool first = true;

	if (i == SP_BASHRC)
		return rope_copy(out, SOURCE_PROFILE, strlen(SOURCE_PROFILE));
	if (defs[i].kind == SP_OWNED &&
	    (rope_copy(out, SYSTEMD_HEADER, strlen(SYSTEMD_HEADER)) < 0 ||
	     rope_printf(out, "[%s]\nDefaultEnvironment=", defs[i].section) < 0))
		return -1;
	for (k = 0; k < n; k++) {
		if (!plain_value(vars[k].value))
			continue;
		if (defs[i].kind == SP_BLOCK && f->cur.exists && foreign_sets(f->cur.buf, f->cur.len, vars[k].name))
			continue;
		if (defs[i].kind == SP_BLOCK ? rope_printf(out, "%s=%s\n", vars[k].name, vars[k].value) < 0
					     : rope_printf(out, "%s\"%s=%s\"", first ? "" : " ", vars[k].name, vars[k].value) < 0)
			return -1;
		first = false;
	}
	return defs[i].kind == SP_OWNED ? rope_copy(out, "\n", 1) : 0;
}

static int plan_block(struct scan *s, size_t i, struct sp_file *f, bool sets_left, struct want *w,
		      struct txn *t, struct cerr *e)
{
	struct rope lines;
	char *flat = NULL;
	int rc;

	rope_init(&lines);
	if (sets_left && (render(s, i, f, &lines) < 0 || (flat = rope_join(&lines)) == NULL)) {
		rope_free(&lines);
		return cerr_sys(e, f->show, "plan", ENOMEM);
	}
	rc = plan_text_block(t, w, f->p.dirfd, f->p.base, f->show, &f->cur, WHAT, flat, SIZE_MAX, e);
	free(flat);
	rope_free(&lines);
	return rc;
}

static int plan_owned(struct scan *s, size_t i, struct sp_file *f, bool sets_left, struct txn *t, struct cerr *e)
{
	struct rope r;

	if (!sets_left) {
		if (f->cur.exists && txn_unlink(t, f->p.dirfd, f->p.base, f->show) < 0)
			return cerr_sys(e, f->show, "plan", ENOMEM);
		return 0;
	}
	rope_init(&r);
	if (render(s, i, f, &r) < 0) {
		rope_free(&r);
		return cerr_sys(e, f->show, "plan", ENOMEM);
	}
	return plan_ensure_read(t, f->p.dirfd, f->p.base, f->show, &r, &f->cur, e);
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	size_t i;

	if (s->start_paths == NULL)
		return 0;
	for (i = 0; i < NDEFS; i++) {
		struct sp_file *f = &s->start_paths->f[i];
		bool sets_left = w->sets_left && f->wanted;
		int rc;

		if (f->why[0]) {
			if (w->certs != NULL)
				trust_warn(w->rep, "%s: %s; left as it is", f->show, f->why);
			continue;
		}
		if (!sets_left && !f->cur.exists)
			continue;
		if (!f->p.exists && !f->cur.exists && f->p.dirfd < 0)
			continue; /* (its directory is not there) */
		rc = defs[i].kind == SP_BLOCK ? plan_block(s, i, f, sets_left, w, t, e)
					      : plan_owned(s, i, f, sets_left, t, e);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void release(struct scan *s)
{
	size_t i;

	if (s->start_paths == NULL)
		return;
	for (i = 0; i < NDEFS; i++)
		free(s->start_paths->f[i].cur.buf);
	free(s->start_paths);
	s->start_paths = NULL;
}

const struct store_ops store_start_paths = {
	.name = "start-paths",
	.find = find,
	.list = list,
	.plan = plan,
	.free = release,
};
