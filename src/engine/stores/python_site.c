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

#include "conf_files.h"
#include "env.h"

#define WHAT "Python's bundle variables as defaults, for every venv too (cainit); removed with the last one"
#define SITE_NAME "sitecustomize.py"

/* The variables Python's clients read (docs/env.md), all naming the bundle. */
static const char *const py_vars[] = {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "AWS_CA_BUNDLE",
				      "HTTPLIB2_CA_CERTS", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", NULL};

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

static void find_one(struct scan *s, const char *dir)
{
	char path[PATH_MAX];
	struct conf_file *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/" SITE_NAME, dir) >= sizeof(path) ||
	    (f = conf_files_add(s, &s->python_site, path, SIZE_MAX)) == NULL || f->why[0])
		return;
	if (f->p.dirfd < 0 || faccessat(f->p.dirfd, ".", W_OK, AT_EACCESS) != 0)
		snprintf(f->why, sizeof(f->why), "%s", strerror(f->p.dirfd < 0 ? ENOENT : errno));
	else if (!f->p.exists && own_sitecustomize(s, dir))
		snprintf(f->why, sizeof(f->why), "its interpreter has a sitecustomize.py of its own in a site directory");
}

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	(void)o;
	(void)e;
	if (s->paths_only)
		return 0;
	for (size_t i = 0; i < s->npystdlibs; i++)
		find_one(s, s->pystdlibs[i]);
	return 0;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	if (clean)
		conf_files_clean(&s->python_site);
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

static int plan_one(struct scan *s, struct conf_file *f, struct want *w, struct txn *t, struct cerr *e)
{
	struct rope lines;
	char *flat = NULL;
	int rc = 0;

	rope_init(&lines);
	if (w->sets_left && (rc = render(s, &lines)) == 0 && (flat = rope_join(&lines)) == NULL)
		rc = -1;
	if (rc < 0) {
		rope_free(&lines);
		return cerr_sys(e, f->show, "plan", ENOMEM);
	}
	rc = conf_file_block(t, w, f, WHAT, flat, SIZE_MAX, e);
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
	return conf_files_plan(s, &s->python_site, w, t, plan_one, e);
}

static void release(struct scan *s)
{
	conf_files_free(&s->python_site);
}

const struct store_ops store_python_site = {
	.name = "python-site",
	.find = find,
	.list = list,
	.plan = plan,
	.free = release,
};
