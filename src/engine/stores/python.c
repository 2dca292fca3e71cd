/*
 * python.c: the Python room. Python's HTTP clients do not read the system
 * store: requests, pip, httpx and most others read certifi's cacert.pem
 * (certifi.where()), pip its vendored copy, and botocore, httplib2 and
 * grpc ship bundles of their own. A pip-installed client therefore fails
 * behind the proxy however complete the system store is, unless a variable
 * reaches it. This room keeps those bundles, block-wise like the distro's
 * (bundle_files.c), in every site directory of every Python the root has:
 *
 *   /usr/lib, /usr/local/lib, /usr/lib64, /usr/local/lib64: python*
 *   prefixes: each passwd home's ~/.local, ~/.pyenv/versions/NAME,
 *             ~/miniconda3, ~/anaconda3, ~/miniforge3 and their envs/NAME;
 *             /opt/NAME and /opt/NAME/envs/NAME (conda, vendor apps)
 *   a prefix's lib/python*, then site-packages and dist-packages
 *
 * A bundle that is a link to one the bundle room keeps (Debian's
 * python3-certifi points at the system bundle) is that bundle, edited once
 * by that room. The search is bounded: PY_DIRS_MAX directories listed,
 * PY_BUNDLES_MAX bundles kept; what lies beyond is reported (a warning),
 * not guessed. A prefix given by --python-env is recorded (python_plan_env_record).
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "bundle_files.h"
#include "passwd.h"
#include "trust.h"

#define PY_BUNDLES_MAX 256
#define PY_DIRS_MAX 512
#define NAMES_MAX_PER_DIR 256
#define PY_ENVS_MAX 256
#define PY_RECORD_MAX (1024 * 1024)

#define FILES(s) (&(struct bundle_files){&(s)->pybundles, &(s)->npybundles})

/* The bundles packages ship, relative to a site directory. */
static const char *const shipped[] = {
	"certifi/cacert.pem",            /* requests, httpx, aiohttp, urllib3 users */
	"pip/_vendor/certifi/cacert.pem", /* pip itself */
	"botocore/cacert.pem",           /* boto3, the AWS CLI */
	"httplib2/cacerts.txt",          /* google-api-python-client */
	"grpc/_cython/_credentials/roots.pem", /* grpcio */
	NULL,
};

/* Where Python prefixes are, absolute or relative to a home (trust.h:
 * doctor runs the Pythons it finds at the same places). */
const char *const trust_python_home_prefixes[] = {".local", ".pyenv/versions/*", "miniconda3", "miniconda3/envs/*",
						  "anaconda3", "anaconda3/envs/*", "miniforge3", "miniforge3/envs/*",
						  ".conda/envs/*", NULL};
const char *const trust_python_root_prefixes[] = {"/usr", "/usr/local", "/opt/*", "/opt/*/envs/*", NULL};

struct search {
	struct scan *s;
	size_t listed;
	unsigned full; /* a bound was hit (said once) */
	struct trust_report *rep; /* where a bundle left alone is reported (may be NULL) */
	struct cerr *e;
	bool java; /* the Java room runs in this scan (SCAN_KEYSTORES): java_lists */
};

struct names {
	char (*v)[NAME_MAX + 1];
	size_t n;
	const char *prefix; /* only names starting with it ("": every directory) */
};

static int collect(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct names *l = ctx;
	char (*nv)[NAME_MAX + 1];

	if (strncmp(name, l->prefix, strlen(l->prefix)) != 0 || l->n == NAMES_MAX_PER_DIR)
		return 0;
	type = scan_entry_type(dirfd, name, type);
	if (type != DT_DIR && type != DT_LNK)
		return 0;
	if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL)
		return -1;
	l->v = nv;
	snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", name);
	return 0;
}

/* The subdirectories of dir whose name starts with prefix (a missing dir:
 * none). A listing that fails is the root's: none, not an error. */
static int list_dirs(struct search *x, const char *dir, const char *prefix, struct names *out)
{
	struct cerr ignored = {0};
	char show[SHOW_MAX];
	struct rpath p;

	memset(out, 0, sizeof(*out));
	out->prefix = prefix;
	if (x->listed == PY_DIRS_MAX) {
		if (!x->full++)
			trust_warn(x->rep, "Python search: more than %d directories; the others not looked at", PY_DIRS_MAX);
		return 0;
	}
	if (scan_listed_without(x->s, dir) ||
	    rootfs_resolve(x->s->r, dir, RP_DIR, &p, &ignored) != 0 || !p.exists || p.dirfd < 0)
		return 0;
	x->listed++;
	rootfs_show(x->s->r, p.canon, show, sizeof(show));
	if (scan_list_dir_once(x->s, &p, show, collect, out, &ignored) != 0 && ignored.sys_errno == ENOMEM)
		return cerr_sys(x->e, show, "scan", ENOMEM);
	return 0;
}

static int add_file(struct search *x, const char *path)
{
	struct cerr ignored = {0};
	struct rpath p;

	if (x->s->npybundles >= PY_BUNDLES_MAX) {
		if (!x->full++)
			trust_warn(x->rep, "more than %d Python bundles: the others left as they are", PY_BUNDLES_MAX);
		return 0;
	}
	if (rootfs_resolve(x->s->r, path, 0, &p, &ignored) != 0 || !p.exists || !S_ISREG(p.st.st_mode))
		return 0;
	if (bundle_files_has(&(struct bundle_files){&x->s->bundles, &x->s->nbundles}, p.canon))
		return 0; /* a link to a bundle the bundle room keeps */
	if (faccessat(p.dirfd, p.base, W_OK, AT_EACCESS) != 0) {
		/* a Python on a read-only mount is its owner's: the variables
		 * still reach it, and the rest of the change goes on */
		char show[SHOW_MAX];

		rootfs_show(x->s->r, p.canon, show, sizeof(show));
		trust_warn(x->rep, "%s: %s; left as it is", show, strerror(errno));
		return 0;
	}
	return bundle_files_add(x->s, FILES(x->s), &p, x->e);
}

/* A standard library directory (its os.py is there): where every venv of
 * that interpreter finds sitecustomize (stores/python_site.c). */
static int note_stdlib(struct search *x, const char *dir)
{
	struct cerr ignored = {0};
	char path[PATH_MAX];
	char (*nv)[PATH_MAX];
	struct rpath p;

	if ((size_t)snprintf(path, sizeof(path), "%s/os.py", dir) >= sizeof(path) ||
	    rootfs_resolve(x->s->r, path, 0, &p, &ignored) != 0 || !p.exists || !S_ISREG(p.st.st_mode) ||
	    x->s->npystdlibs == PY_BUNDLES_MAX)
		return 0;
	*strrchr(p.canon, '/') = '\0';
	for (size_t i = 0; i < x->s->npystdlibs; i++)
		if (strcmp(x->s->pystdlibs[i], p.canon) == 0)
			return 0;
	if ((nv = realloc(x->s->pystdlibs, (x->s->npystdlibs + 1) * sizeof(*nv))) == NULL)
		return cerr_sys(x->e, dir, "scan", ENOMEM);
	x->s->pystdlibs = nv;
	snprintf(nv[x->s->npystdlibs++], PATH_MAX, "%s", p.canon);
	return 0;
}

/* A conda prefix (its conda-meta/ is there): where conda reads a .condarc
 * (stores/conda_rc.c). */
static int note_conda(struct search *x, const char *prefix)
{
	struct cerr ignored = {0};
	char path[PATH_MAX];
	char (*nv)[PATH_MAX];
	struct rpath p;

	if (x->s->ncondaprefixes == PY_BUNDLES_MAX ||
	    (size_t)snprintf(path, sizeof(path), "%s/conda-meta", prefix) >= sizeof(path) ||
	    scan_listed_without(x->s, path) ||
	    rootfs_resolve(x->s->r, path, RP_DIR, &p, &ignored) != 0 || !p.exists || p.dirfd < 0)
		return 0;
	*strrchr(p.canon, '/') = '\0';
	for (size_t i = 0; i < x->s->ncondaprefixes; i++)
		if (strcmp(x->s->condaprefixes[i], p.canon) == 0)
			return 0;
	if ((nv = realloc(x->s->condaprefixes, (x->s->ncondaprefixes + 1) * sizeof(*nv))) == NULL)
		return cerr_sys(x->e, prefix, "scan", ENOMEM);
	x->s->condaprefixes = nv;
	snprintf(nv[x->s->ncondaprefixes++], PATH_MAX, "%s", p.canon);
	return 0;
}

/* Every shipped bundle of one lib directory's python* site directories. */
static int search_lib(struct search *x, const char *lib)
{
	static const char *const sites[] = {"site-packages", "dist-packages"};
	char path[PATH_MAX];
	struct names py;
	int rc = list_dirs(x, lib, "python", &py);

	for (size_t i = 0; rc == 0 && i < py.n; i++)
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", lib, py.v[i]) < sizeof(path))
			rc = note_stdlib(x, path);
	for (size_t i = 0; rc == 0 && i < py.n; i++)
		for (size_t k = 0; rc == 0 && k < 2; k++)
			for (size_t f = 0; rc == 0 && shipped[f]; f++)
				if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s/%s", lib, py.v[i], sites[k], shipped[f]) <
				    sizeof(path))
					rc = add_file(x, path);
	free(py.v);
	return rc;
}

/* Does the Java room list dir anyway (a parent of layout.c's
 * java_home_parents, or a directory right under one it searches deeper)? */
static bool java_lists(const struct search *x, const char *dir)
{
	for (size_t i = 0; x->java && java_home_parents[i].dir; i++) {
		size_t n = strlen(java_home_parents[i].dir);

		if (strcmp(dir, java_home_parents[i].dir) == 0)
			return true;
		if (java_home_parents[i].depth > 1 && strncmp(dir, java_home_parents[i].dir, n) == 0 && dir[n] == '/' &&
		    dir[n + 1] != '\0' && strchr(dir + n + 1, '/') == NULL)
			return true;
	}
	return false;
}

/* One prefix: a conda one?, then its lib and lib64. A prefix the Java room
 * lists anyway in this scan (/usr/local, each /opt/NAME) is listed first,
 * so that its names answer the probes for conda-meta, lib, lib64 and envs
 * (here, and npm's and Bun's for bin). */
static int search_one(struct search *x, const char *prefix)
{
	char path[PATH_MAX];
	int rc;

	if (java_lists(x, prefix) && (rc = scan_list_once(x->s, prefix, x->e)) != 0)
		return rc;
	if ((rc = note_conda(x, prefix)) != 0)
		return rc;
	if ((size_t)snprintf(path, sizeof(path), "%s/lib", prefix) < sizeof(path))
		rc = search_lib(x, path);
	if (rc == 0 && (size_t)snprintf(path, sizeof(path), "%s/lib64", prefix) < sizeof(path))
		rc = search_lib(x, path);
	return rc;
}

/* A prefix pattern of the tables ("*" a whole component: any directory
 * there): each prefix it names. */
static int search_prefix(struct search *x, const char *pattern)
{
	const char *star = strstr(pattern, "/*");
	char path[PATH_MAX];
	struct names d;
	int rc = 0;

	if (star == NULL)
		return search_one(x, pattern);
	snprintf(path, sizeof(path), "%.*s", (int)(star - pattern), pattern);
	if ((rc = list_dirs(x, path, "", &d)) != 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < d.n; i++) {
		char next[PATH_MAX];

		if ((size_t)snprintf(next, sizeof(next), "%s/%s%s", path, d.v[i], star + 2) < sizeof(next))
			rc = search_prefix(x, next);
	}
	free(d.v);
	return rc;
}

/* One prefix given or recorded (a venv): searched like the others (its
 * path taken as it is, no pattern), and kept for the record while it is a
 * directory of the root. */
static int add_env(struct search *x, const char *path, bool given)
{
	struct cerr ignored = {0};
	char (*nv)[PATH_MAX];
	struct rpath p;

	if (rootfs_resolve(x->s->r, path, RP_DIR, &p, &ignored) != 0 || !p.exists || p.dirfd < 0) {
		if (given)
			trust_warn(x->rep, "--python-env %s: not a directory of the root; left out", path);
		return 0; /* gone: the record drops it */
	}
	for (size_t i = 0; i < x->s->npyenvs; i++)
		if (strcmp(x->s->pyenvs[i], p.canon) == 0)
			return 0;
	if (x->s->npyenvs == PY_ENVS_MAX || memchr(p.canon, '\n', strlen(p.canon)) != NULL)
		return 0;
	if ((nv = realloc(x->s->pyenvs, (x->s->npyenvs + 1) * sizeof(*nv))) == NULL)
		return cerr_sys(x->e, path, "scan", ENOMEM);
	x->s->pyenvs = nv;
	snprintf(nv[x->s->npyenvs++], PATH_MAX, "%s", p.canon);
	return search_one(x, p.canon);
}

/* /etc/cainit/python-envs: the prefixes given to earlier installs, so that
 * every later change (a rotation by /init, remove, a recovery) reaches
 * their bundles too. */
static int add_recorded_envs(struct search *x)
{
	struct scan *s = x->s;
	char show[ENTRY_SHOW_MAX], *line, *end;
	int rc = 0;

	if (!s->cainit_dir_exists)
		return 0;
	snprintf(show, sizeof(show), "%s%s/%s", s->r->prefix, CAINIT_DIR, PYENV_RECORD_NAME);
	if (rootfs_read_at(s->cainit_dir.dirfd, PYENV_RECORD_NAME, show, PY_RECORD_MAX, &s->pyenv_record.buf,
			   &s->pyenv_record.len, &s->pyenv_record.st, x->e) != 0)
		return CAINIT_EOPS;
	s->pyenv_record.exists = s->pyenv_record.buf != NULL;
	line = s->pyenv_record.buf;
	end = line + s->pyenv_record.len;
	while (rc == 0 && line != NULL && line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line)), path[PATH_MAX];
		size_t n = (size_t)((nl ? nl : end) - line);

		if (n > 0 && n < sizeof(path) && line[0] == '/' && memchr(line, '\0', n) == NULL) {
			memcpy(path, line, n);
			path[n] = '\0';
			rc = add_env(x, path, false);
		}
		line = nl ? nl + 1 : end;
	}
	return rc;
}

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	struct search x = {s, 0, 0, o->rep, e, (o->flags & SCAN_KEYSTORES) != 0};
	struct passwd_entry pw;
	const char *p, *pwbuf;
	size_t len;
	int rc = add_recorded_envs(&x);

	for (size_t i = 0; rc == 0 && o->python_envs != NULL && o->python_envs[i] != NULL; i++)
		rc = add_env(&x, o->python_envs[i], true);
	for (size_t i = 0; rc == 0 && trust_python_root_prefixes[i]; i++)
		rc = search_prefix(&x, trust_python_root_prefixes[i]);
	if (rc != 0 || (pwbuf = scan_passwd(s, &len)) == NULL)
		return rc;
	for (p = pwbuf; rc == 0 && passwd_next(&p, pwbuf + len, &pw);) {
		char path[PATH_MAX];

		if (strcmp(pw.home, "/") == 0 || strncmp(pw.home, "/nonexistent", 12) == 0)
			continue;
		for (size_t i = 0; rc == 0 && trust_python_home_prefixes[i]; i++)
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", pw.home, trust_python_home_prefixes[i]) < sizeof(path))
				rc = search_prefix(&x, path);
	}
	return rc;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	if (clean) {
		bundle_files_clean(FILES(s));
		if (s->cainit_dir_exists)
			scan_clean_temp(s->cainit_dir.dirfd, PYENV_RECORD_NAME);
	}
	return 0;
}

int python_plan_env_record(struct scan *s, bool keep, struct txn *t, struct cerr *e)
{
	char show[ENTRY_SHOW_MAX];
	struct rope r;

	if (!s->cainit_dir_exists)
		return 0;
	snprintf(show, sizeof(show), "%s%s/%s", s->r->prefix, CAINIT_DIR, PYENV_RECORD_NAME);
	if (!keep || s->npyenvs == 0) {
		if (s->pyenv_record.exists && txn_unlink(t, s->cainit_dir.dirfd, PYENV_RECORD_NAME, show) < 0)
			return cerr_sys(e, show, "plan", ENOMEM);
		return 0;
	}
	rope_init(&r);
	for (size_t i = 0; i < s->npyenvs; i++)
		if (rope_printf(&r, "%s\n", s->pyenvs[i]) < 0) {
			rope_free(&r);
			return cerr_sys(e, show, "plan", ENOMEM);
		}
	return plan_ensure_read(t, s->cainit_dir.dirfd, PYENV_RECORD_NAME, show, &r, &s->pyenv_record, e);
}

/* An install records its prefixes before any bundle changes (a change
 * killed in between is finished by a recovery that finds them); the
 * record goes with the last set (python_site.c, after the runtime row). */
static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	int rc = 0;

	if (w->certs != NULL)
		rc = python_plan_env_record(s, true, t, e);
	return rc != 0 ? rc : bundle_files_plan(FILES(s), w, t, e);
}

static int inventory(struct scan *s, struct store_sink *out)
{
	return bundle_files_inventory(FILES(s), store_python.name, out);
}

static int check(struct scan *s, struct status_set *ss, struct cerr *e)
{
	(void)e;
	return bundle_files_check(FILES(s), store_python.name, ss);
}

static void cas_of(struct scan *s, const char *set, struct cert_list *out)
{
	bundle_files_cas_of(FILES(s), set, out);
}

static int verify(struct scan *s, const struct store_chain *c, struct verify_sink *out)
{
	return bundle_files_verify(FILES(s), store_python.name, c, out);
}

static size_t count(const struct scan *s)
{
	return s->npybundles;
}

static void dirs(const struct scan *s, store_dir_fn fn, void *ctx)
{
	bundle_files_dirs(s->pybundles, s->npybundles, fn, ctx);
}

static void release(struct scan *s)
{
	bundle_files_free(FILES(s));
	free(s->pystdlibs);
	s->pystdlibs = NULL;
	s->npystdlibs = 0;
	free(s->pyenvs);
	s->pyenvs = NULL;
	s->npyenvs = 0;
	free(s->condaprefixes);
	s->condaprefixes = NULL;
	s->ncondaprefixes = 0;
	free(s->pyenv_record.buf);
	memset(&s->pyenv_record, 0, sizeof(s->pyenv_record));
}

const struct store_ops store_python = {
	.name = "python",
	.find = find,
	.list = list,
	.plan = plan,
	.inventory = inventory,
	.check = check,
	.cas_of = cas_of,
	.verify = verify,
	.count = count,
	.dirs = dirs,
	.free = release,
};
