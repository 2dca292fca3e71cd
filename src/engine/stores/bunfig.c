/*
 * bunfig.c: Bun's configuration room. `bun install` does not read the
 * system store: it fetches from the registry over the CA list compiled
 * into Bun, plus NODE_EXTRA_CA_CERTS when a start path set it, unless
 * `[install] cafile` in a bunfig names a file. Bun reads a global one,
 * $HOME/.bunfig.toml, with no variable: the one file that reaches a
 * `bun install` started without variables. So where the root has Bun
 * (PREFIX/bin/bun for /usr, /usr/local and /opt/NAME: then root's and each
 * login user's home, uid 1000 and up; or a home's own ~/.bun/bin/bun, where
 * Bun's installer puts it), each of those homes that exists gets
 * `cafile = "<the full bundle>"` (it replaces Bun's list) in cainit's
 * marked block of ~/.bunfig.toml: inside its [install] table, before the next table's
 * header, or as a new [install] table at the end. A file cainit creates
 * belongs to the home's owner, as any dotfile there.
 *
 * A `cafile` the owner's [install] already sets is theirs: one naming the
 * bundle needs nothing, another is left with a warning (a second key would
 * be a duplicate, which TOML refuses); so is a file that defines `install`
 * as an inline table or with dotted keys, which a new [install] table
 * would collide with. Every byte outside the block stays; a file cainit
 * created goes with the last set.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_files.h"
#include "env.h"
#include "ini_text.h"
#include "passwd.h"

#define BUNFIG_MAX 64
#define BUNFIG_NAME ".bunfig.toml"
#define WHAT "bun install's CA list: the full bundle (cainit); removed with the last set"

static int opt_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	void **a = ctx;
	char path[PATH_MAX];

	type = scan_entry_type(dirfd, name, type);
	if ((type == DT_DIR || type == DT_LNK) && (size_t)snprintf(path, sizeof(path), "/opt/%s/bin/bun", name) <
							  sizeof(path) && conf_is_file(a[0], path, NULL))
		*(bool *)a[1] = true;
	return 0;
}

/* Bun outside the homes: PREFIX/bin/bun. */
static bool system_bun(struct scan *s)
{
	static const char *const where[] = {"/usr/local/bin/bun", "/usr/bin/bun", "/bin/bun", NULL};
	struct cerr ignored = {0};
	struct rpath p;
	bool found = false;
	void *a[2] = {s, &found};

	for (size_t i = 0; where[i]; i++)
		if (conf_is_file(s, where[i], NULL))
			return true;
	if (rootfs_resolve(s->r, "/opt", RP_DIR, &p, &ignored) == 0 && p.exists && p.dirfd >= 0)
		scan_list_dir_once(s, &p, "/opt", opt_entry, a, &ignored);
	return found;
}

/* root, or a login user (not a system account, whose "home" may be /bin
 * or /usr/sbin): uid 0, or 1000 up to nobody's */
static bool person(const struct passwd_entry *pw)
{
	return pw->uid == 0 || (pw->uid >= 1000 && pw->uid < 65534);
}

static void add(struct scan *s, const struct passwd_entry *pw)
{
	struct cerr ignored = {0};
	struct conf_file *f;
	char path[PATH_MAX];
	struct rpath home;

	if ((size_t)snprintf(path, sizeof(path), "%s/" BUNFIG_NAME, pw->home) >= sizeof(path) ||
	    rootfs_resolve(s->r, pw->home, RP_DIR, &home, &ignored) != 0 || !home.exists || home.dirfd < 0)
		return; /* no home there: no one to configure */
	/* (cainit not run by root, as an unprivileged bake: the caller's) */
	if ((f = conf_files_add(s, &s->bunfig, path, BUNFIG_MAX)) != NULL && geteuid() == 0) {
		f->uid = pw->uid;
		f->gid = pw->gid;
	}
}

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	struct passwd_entry pw;
	const char *p;
	const char *pwbuf;
	char path[PATH_MAX];
	size_t len;
	bool everyone;

	(void)o;
	(void)e;
	if (s->paths_only || (pwbuf = scan_passwd(s, &len)) == NULL)
		return 0;
	everyone = system_bun(s);
	for (p = pwbuf; passwd_next(&p, pwbuf + len, &pw);) {
		if (strcmp(pw.home, "/") == 0 || strncmp(pw.home, "/nonexistent", 12) == 0)
			continue;
		if ((everyone && person(&pw)) ||
		    ((size_t)snprintf(path, sizeof(path), "%s/.bun/bin/bun", pw.home) < sizeof(path) && conf_is_file(s, path, NULL)))
			add(s, &pw);
	}
	return 0;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	(void)e;
	if (clean)
		conf_files_clean(&s->bunfig);
	return 0;
}

/* Does the owner's top level (before any table header) define install
 * itself, as an inline table or with dotted keys? */
static bool install_defined_inline(const char *buf, size_t len)
{
	size_t at = 0;

	while (at < len) {
		const char *l = buf + at, *nl = memchr(l, '\n', len - at);
		size_t ll = nl ? (size_t)(nl - l) : len - at;

		at += ll + 1;
		while (ll > 0 && (*l == ' ' || *l == '\t'))
			l++, ll--;
		if (ll > 0 && l[0] == '[')
			return false;
		if (ll > 7 && strncmp(l, "install", 7) == 0) {
			const char *r = l + 7;

			while (r < l + ll && (*r == ' ' || *r == '\t'))
				r++;
			if (r < l + ll && (*r == '=' || *r == '.'))
				return true;
		}
	}
	return false;
}

static int plan_one(struct scan *s, struct conf_file *f, struct want *w, struct txn *t, struct cerr *e)
{
	char bundle[ENV_VALUE_MAX], lines[ENV_VALUE_MAX + 32], val[PATH_MAX];
	const char *block = NULL, *buf = f->cur.exists ? f->cur.buf : "";
	size_t len = f->cur.exists ? f->cur.len : 0, vl;
	struct ini_view v;

	ini_scan(buf, len, "install", "cafile", &v);
	/* (a TOML basic string: no quote or backslash to escape) */
	if (w->sets_left && conf_var_path(s, "SSL_CERT_FILE", "\"\\", bundle, sizeof(bundle))) {
		if (!v.key_set && install_defined_inline(buf, len)) {
			if (w->certs != NULL)
				trust_warn(w->rep, "%s: defines install inline; left as it is", f->show);
			return 0;
		}
		snprintf(val, sizeof(val), "%s", v.value);
		vl = strlen(val);
		if (vl >= 2 && (val[0] == '"' || val[0] == '\'') && val[vl - 1] == val[0]) {
			memmove(val, val + 1, vl - 2);
			val[vl - 2] = '\0';
		}
		if (!v.key_set) {
			snprintf(lines, sizeof(lines), "%scafile = \"%s\"\n", v.has_section ? "" : "[install]\n", bundle);
			block = lines;
		} else if (strcmp(val, bundle) != 0 && w->certs != NULL) {
			trust_warn(w->rep, "%s: [install] cafile is %s, not the bundle; left as it is", f->show, val);
		}
	}
	return conf_file_block(t, w, f, WHAT, block, v.insert_at, e);
}

static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	return conf_files_plan(s, &s->bunfig, w, t, plan_one, e);
}

static void release(struct scan *s)
{
	conf_files_free(&s->bunfig);
}

const struct store_ops store_bunfig = {
	.name = "bunfig",
	.find = find,
	.list = list,
	.plan = plan,
	.free = release,
};
