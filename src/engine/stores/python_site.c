/*
 * python_site.c: the Python site room. A virtual environment made after
 * the install gets a fresh certifi from PyPI, which no install has seen,
 * and its processes often start with no variables (an agent's `python -m
 * venv .venv && .venv/bin/pip install ...`). Every venv of an interpreter
 * imports that interpreter's sitecustomize from its standard library
 * directory, so a marked block there (text_block.h) gives each Python
 * process the bundle variables as defaults, before any client reads them:
 *
 *   os.environ.setdefault("REQUESTS_CA_BUNDLE", "<the root's bundle>")
 *
 * (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, PIP_CERT, AWS_CA_BUNDLE,
 * HTTPLIB2_CA_CERTS, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH). setdefault never
 * overrides a value the process was given. A standard library directory is
 * one where stores/python.c found os.py. When the interpreter has a
 * sitecustomize.py of its own in a site directory, a new one in the
 * standard library would hide it: that interpreter is left alone, with a
 * warning, as is one on a read-only mount. Someone else's sitecustomize.py keeps every byte outside the
 * block; one cainit created goes with the last set.
 */
#include "store.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "env.h"

#define WHAT "Python's bundle variables as defaults, for every venv too (cainit); removed with the last one"
#define SITE_NAME "sitecustomize.py"

/* The variables Python's clients read (docs/env.md), all naming the bundle. */
static const char *const py_vars[] = {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "AWS_CA_BUNDLE",
				      "HTTPLIB2_CA_CERTS", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", NULL};

struct site_file {
	struct rpath p;
	char show[SHOW_MAX];
	struct owned_read cur;
	char why[200]; /* left alone: why */
};

struct python_site {
	struct site_file *f;
	size_t n;
};

/* Does dir's interpreter keep a sitecustomize.py in a site directory? */
static bool own_sitecustomize(struct scan *s, const char *dir)
{
	static const char *const sites[] = {"site-packages", "dist-packages"};
	struct cerr ignored = {0};
	char path[PATH_MAX];
	struct rpath p;

	for (size_t k = 0; k < 2; k++)
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/" SITE_NAME, dir, sites[k]) < sizeof(path) &&
		    rootfs_resolve(s->r, path, 0, &p, &ignored) == 0 && p.exists)
			return true;
	return false;
}

static void find_one(struct scan *s, const char *dir, struct site_file *f)
{
	struct cerr err = {0};
	char path[PATH_MAX];

	f->p.dirfd = -1;
	snprintf(path, sizeof(path), "%s/" SITE_NAME, dir);
	rootfs_show(s->r, path, f->show, sizeof(f->show));
	if (rootfs_resolve(s->r, path, 0, &f->p, &err) == 0 && f->p.exists &&
	    rootfs_read_at(f->p.dirfd, f->p.base, f->show, OWNED_FILE_MAX, &f->cur.buf, &f->cur.len, &f->cur.st,
			   &err) == 0)
		f->cur.exists = f->cur.buf != NULL;
	if (err.code != 0)
		snprintf(f->why, sizeof(f->why), "%.199s", err.msg);
	else if (f->p.dirfd < 0 || faccessat(f->p.dirfd, ".", W_OK, AT_EACCESS) != 0)
		snprintf(f->why, sizeof(f->why), "%s", strerror(f->p.dirfd < 0 ? ENOENT : errno));
	else if (!f->p.exists && own_sitecustomize(s, dir))
		snprintf(f->why, sizeof(f->why), "its interpreter has a sitecustomize.py of its own in a site directory");
}

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	(void)o;
	if (s->paths_only || s->npystdlibs == 0)
		return 0;
	if ((s->python_site = calloc(1, sizeof(*s->python_site))) == NULL ||
	    (s->python_site->f = calloc(s->npystdlibs, sizeof(*s->python_site->f))) == NULL)
		return cerr_sys(e, "python site", "scan", ENOMEM);
	for (size_t i = 0; i < s->npystdlibs; i++)
		find_one(s, s->pystdlibs[i], &s->python_site->f[s->python_site->n++]);
	return 0;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	for (size_t i = 0; clean && s->python_site != NULL && i < s->python_site->n; i++)
		scan_clean_temp(s->python_site->f[i].p.dirfd, s->python_site->f[i].p.base);
	return 0;
}

/* A value Python takes as it is inside "...": no quote, backslash or
 * control character. */
static bool plain_value(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < ' ' || *v == '"' || *v == '\\' || (unsigned char)*v == 0x7f)
			return false;
	return true;
}

/* The block's lines: the bundle variables this root has, as defaults. */
static int render(struct scan *s, struct rope *out)
{
	struct env_var vars[ENV_VARS_MAX];
	size_t n = env_from_scan(s, ENV_PLANNED, vars), k, any = 0;

	if (rope_printf(out, "import os as _cainit_os\nfor _cainit_kv in (\n") < 0)
		return -1;
	for (k = 0; k < n; k++) {
		bool py = false;

		for (size_t i = 0; py_vars[i] && !py; i++)
			py = strcmp(vars[k].name, py_vars[i]) == 0;
		if (!py || !plain_value(vars[k].value))
			continue;
		if (rope_printf(out, "    (\"%s\", \"%s\"),\n", vars[k].name, vars[k].value) < 0)
			return -1;
		any++;
	}
	if (rope_printf(out, "):\n    _cainit_os.environ.setdefault(*_cainit_kv)\ndel _cainit_os, _cainit_kv\n") < 0)
		return -1;
	return any > 0 ? 0 : 1;
}

static int plan_one(struct scan *s, struct site_file *f, bool sets_left, struct want *w, struct txn *t,
		    struct cerr *e)
{
	struct rope lines;
	char *flat = NULL;
	int rc = 0;

	rope_init(&lines);
	if (sets_left && (rc = render(s, &lines)) == 0 && (flat = rope_join(&lines)) == NULL)
		rc = -1;
	if (rc < 0) {
		rope_free(&lines);
		return cerr_sys(e, f->show, "plan", ENOMEM);
	}
	rc = plan_text_block(t, w, f->p.dirfd, f->p.base, f->show, &f->cur, WHAT, flat, SIZE_MAX, e);
	free(flat);
	rope_free(&lines);
	return rc;
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	int rc;

	/* the venvs' record (python.c) goes with the last set */
	if (!w->sets_left && (rc = python_plan_env_record(s, false, t, e)) != 0)
		return rc;
	if (s->python_site == NULL)
		return 0;
	for (size_t i = 0; i < s->python_site->n; i++) {
		struct site_file *f = &s->python_site->f[i];

		if (f->why[0]) {
			if (w->certs != NULL)
				trust_warn(w->rep, "%s: %s; left as it is", f->show, f->why);
			continue;
		}
		if (!w->sets_left && !f->cur.exists)
			continue;
		if (f->p.dirfd < 0)
			continue;
		if ((rc = plan_one(s, f, w->sets_left, w, t, e)) != 0)
			return rc;
	}
	return 0;
}

static void release(struct scan *s)
{
	if (s->python_site == NULL)
		return;
	for (size_t i = 0; i < s->python_site->n; i++)
		free(s->python_site->f[i].cur.buf);
	free(s->python_site->f);
	free(s->python_site);
	s->python_site = NULL;
}

const struct store_ops store_python_site = {
	.name = "python-site",
	.find = find,
	.list = list,
	.plan = plan,
	.free = release,
};
