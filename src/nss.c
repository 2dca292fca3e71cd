/*
 * nss.c: see nss.h. Databases are found through the root's confined
 * resolution (/etc/pki/nssdb, each passwd home's .pki/nssdb and Firefox
 * profiles); certutil then runs chrooted into the root, as the owner of the
 * database directory, so it sees the paths exactly as the sandbox does and
 * every file it creates belongs to the user whose database it is.
 */
#include "nss.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keystore.h"
#include "scan.h"

#define NSS_DB_MAX 64
#define NSS_OUT_MAX (1024 * 1024)
#define PASSWD_MAX (4 * 1024 * 1024)

static const char *const certutil_paths[] = {"/usr/bin/certutil", "/bin/certutil", "/usr/local/bin/certutil", NULL};

struct nss_db {
	char dir[PATH_MAX]; /* inside the root */
	uid_t uid;
	gid_t gid;
};

struct nss_ctx {
	struct rootfs *r;
	char certutil[PATH_MAX];
	struct nss_db dbs[NSS_DB_MAX];
	size_t n;
	struct trust_report *rep;
};

struct passwd_entry {
	char name[64];
	uid_t uid;
	gid_t gid;
	char home[PATH_MAX - 64];
};

/* A uid or gid field: digits only, up to the next ':'. */
static bool is_id(const char *from, const char *next_field)
{
	const char *c;

	for (c = from; c < next_field - 1; c++)
		if (*c < '0' || *c > '9')
			return false;
	return c > from;
}

/* The next passwd line's name, uid, gid and home; false at the end. */
static bool next_passwd(const char **p, const char *end, struct passwd_entry *pw)
{
	while (*p < end) {
		const char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));
		const char *f[7];
		size_t k = 0;

		*p = nl ? nl + 1 : end;
		if (nl == NULL)
			nl = end;
		f[k++] = line;
		for (const char *c = line; c < nl && k < 7; c++)
			if (*c == ':')
				f[k++] = c + 1;
		if (k < 7 || f[1] - f[0] - 1 >= (long)sizeof(pw->name) || f[6] - f[5] - 1 >= (long)sizeof(pw->home) ||
		    f[5][0] != '/' || !is_id(f[2], f[3]) || !is_id(f[3], f[4]))
			continue;
		memcpy(pw->name, f[0], (size_t)(f[1] - f[0] - 1));
		pw->name[f[1] - f[0] - 1] = '\0';
		pw->uid = (uid_t)strtoul(f[2], NULL, 10);
		pw->gid = (gid_t)strtoul(f[3], NULL, 10);
		memcpy(pw->home, f[5], (size_t)(f[6] - f[5] - 1));
		pw->home[f[6] - f[5] - 1] = '\0';
		return true;
	}
	return false;
}

static char *read_passwd(struct rootfs *r, size_t *len)
{
	struct rpath p;
	struct cerr ignored;
	char *buf = NULL;

	if (rootfs_resolve(r, "/etc/passwd", 0, &p, &ignored) != 0 || !p.exists ||
	    rootfs_read(r, &p, PASSWD_MAX, &buf, len, &ignored) != 0)
		return NULL;
	return buf;
}

/* dir holds a SQL database (cert9.db): remember it once. */
static void add_db(struct nss_ctx *c, const char *dir)
{
	char path[PATH_MAX];
	struct rpath db, d;
	struct cerr ignored;
	struct stat st;
	size_t i;

	if ((size_t)snprintf(path, sizeof(path), "%s/cert9.db", dir) >= sizeof(path) ||
	    rootfs_resolve(c->r, path, 0, &db, &ignored) != 0 || !db.exists || !S_ISREG(db.st.st_mode) ||
	    rootfs_resolve(c->r, dir, RP_DIR, &d, &ignored) != 0 || !d.exists || fstat(d.dirfd, &st) != 0)
		return;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->dbs[i].dir, d.canon) == 0)
			return;
	if (c->n == NSS_DB_MAX)
		return;
	snprintf(c->dbs[c->n].dir, sizeof(c->dbs[c->n].dir), "%s", d.canon);
	c->dbs[c->n].uid = st.st_uid;
	c->dbs[c->n].gid = st.st_gid;
	c->n++;
}

struct profiles_ctx {
	struct nss_ctx *c;
	const char *dir; /* canonical, inside the root */
};

static int profile_entry(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct profiles_ctx *p = ctx;
	char path[PATH_MAX];

	(void)dirfd;
	(void)type;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", p->dir, name) < sizeof(path))
		add_db(p->c, path);
	return 0;
}

/* Firefox keeps one database per profile directory. */
static void add_firefox(struct nss_ctx *c, const char *home)
{
	char path[PATH_MAX];
	struct rpath p;
	struct cerr ignored;
	struct profiles_ctx pc = {c, p.canon};

	if ((size_t)snprintf(path, sizeof(path), "%s/.mozilla/firefox", home) >= sizeof(path) ||
	    rootfs_resolve(c->r, path, RP_DIR, &p, &ignored) != 0 || !p.exists)
		return;
	scan_list_dir(p.dirfd, path, profile_entry, &pc, false, &ignored);
}

static void find_dbs(struct nss_ctx *c)
{
	struct passwd_entry pw;
	char path[PATH_MAX], *buf;
	const char *p;
	size_t len = 0;

	add_db(c, "/etc/pki/nssdb");
	if ((buf = read_passwd(c->r, &len)) == NULL)
		return;
	for (p = buf; next_passwd(&p, buf + len, &pw);) {
		if ((size_t)snprintf(path, sizeof(path), "%s/.pki/nssdb", pw.home) < sizeof(path))
			add_db(c, path);
		add_firefox(c, pw.home);
	}
	free(buf);
}

static bool find_certutil(struct nss_ctx *c)
{
	struct rpath p;
	struct cerr ignored;
	size_t i;

	for (i = 0; certutil_paths[i]; i++)
		if (rootfs_resolve(c->r, certutil_paths[i], 0, &p, &ignored) == 0 && p.exists &&
		    S_ISREG(p.st.st_mode) && (p.st.st_mode & 0111)) {
			snprintf(c->certutil, sizeof(c->certutil), "%s", p.canon);
			return true;
		}
	return false;
}

/* In the child: into the root, down to the owner, then certutil. */
static void child(const struct nss_ctx *c, const struct nss_db *db, char *const argv[])
{
	static char *const envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", "NSS_DEFAULT_DB_TYPE=sql", NULL};

	if (c->r->prefix[0] != '\0' && (fchdir(c->r->fd) != 0 || chroot(".") != 0 || chdir("/") != 0))
		_exit(125);
	if (db->uid != geteuid() && (setgroups(0, NULL) != 0 || setgid(db->gid) != 0 || setuid(db->uid) != 0))
		_exit(125);
	execve(c->certutil, argv, envp);
	_exit(127);
}

/* Run certutil with in on its stdin; its output (stdout and stderr) in
 * *out. Returns its exit status, or -1 when it could not be run. */
static int certutil(const struct nss_ctx *c, const struct nss_db *db, char *const argv[], const void *in,
		    size_t inlen, char **out)
{
	int pin[2], pout[2], status;
	size_t len = 0, cap = 4096;
	ssize_t k;
	pid_t pid;

	*out = malloc(cap);
	if (*out == NULL)
		return -1;
	if (pipe2(pin, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(pout, O_CLOEXEC) != 0) {
		close(pin[0]);
		close(pin[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(pout[1], 2);
		child(c, db, argv);
	}
	close(pin[0]);
	close(pout[1]);
	if (pid < 0) {
		close(pin[1]);
		close(pout[0]);
		return -1;
	}
	{
		/* (a certificate is far below a pipe's capacity) */
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);

		if (inlen > 0 && write(pin[1], in, inlen) < 0)
			(void)0; /* certutil's status tells */
		signal(SIGPIPE, old);
	}
	close(pin[1]);
	for (;;) {
		if (len + 1 == cap && cap < NSS_OUT_MAX) {
			char *n = realloc(*out, cap * 2);

			if (n != NULL) {
				*out = n;
				cap *= 2;
			}
		}
		k = read(pout[0], *out + len, cap - len - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
		if (len + 1 == cap && cap >= NSS_OUT_MAX)
			len = 0; /* only the tail matters past this */
	}
	(*out)[len] = '\0';
	close(pout[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The first line of certutil's output, for a warning. */
static const char *first_line(char *out)
{
	char *nl = strchr(out, '\n');

	if (nl != NULL)
		*nl = '\0';
	return out[0] ? out : "no output";
}

static int run(struct nss_ctx *c, const struct nss_db *db, const char *what, char *const argv[], const void *in,
	       size_t inlen)
{
	char *out = NULL;
	int rc = certutil(c, db, argv, in, inlen, &out);

	if (rc != 0)
		trust_warn(c->rep, "%s: certutil %s failed (%s): %s", db->dir, what,
			   rc == 125 ? "cannot enter the root as the owner" : rc == 127 ? "cannot run" : "exit status",
			   out ? first_line(out) : "out of memory");
	free(out);
	return rc;
}

/* Make db hold exactly certs as set. Returns how many changes it made. */
static size_t apply_db(struct nss_ctx *c, const struct nss_db *db, const char *set, const struct cert_list *certs)
{
	char dbarg[PATH_MAX + 8], *out = NULL, *line, *save = NULL;
	char *list[] = {"certutil", "-L", "-d", dbarg, NULL};
	char (*have)[KEYSTORE_ALIAS_MAX] = NULL;
	size_t nhave = 0, changes = 0, i, k;

	snprintf(dbarg, sizeof(dbarg), "sql:%s", db->dir);
	if (certutil(c, db, list, NULL, 0, &out) != 0) {
		trust_warn(c->rep, "%s: certutil cannot list the database: %s", db->dir, out ? first_line(out) : "");
		free(out);
		return 0;
	}
	have = calloc(strlen(out) / 8 + 1, sizeof(*have));
	for (line = strtok_r(out, "\n", &save); have && line; line = strtok_r(NULL, "\n", &save)) {
		struct keystore_entry x = {0};

		line[strcspn(line, " \t")] = '\0';
		snprintf(x.alias, sizeof(x.alias), "%s", line);
		keystore_classify(&x);
		if (x.ours && (set == NULL || strcmp(x.set, set) == 0))
			memcpy(have[nhave++], x.alias, sizeof(x.alias));
	}
	free(out);
	/* drop what is not wanted, then add what is missing */
	for (i = 0; i < nhave; i++) {
		char alias[KEYSTORE_ALIAS_MAX];
		bool keep = false;

		for (k = 0; certs && k < certs->n && !keep; k++) {
			keystore_alias(alias, set, certs->v[k].sha256);
			keep = strcmp(alias, have[i]) == 0;
		}
		if (!keep) {
			char *del[] = {"certutil", "-D", "-d", dbarg, "-n", have[i], NULL};

			changes += run(c, db, "delete", del, NULL, 0) == 0;
		}
	}
	for (k = 0; certs && k < certs->n; k++) {
		char alias[KEYSTORE_ALIAS_MAX], trust[] = NSS_TRUST;
		char *add[] = {"certutil", "-A", "-d", dbarg, "-n", alias, "-t", trust, NULL};
		bool present = false;

		keystore_alias(alias, set, certs->v[k].sha256);
		for (i = 0; i < nhave && !present; i++)
			present = strcmp(alias, have[i]) == 0;
		if (!present)
			changes += run(c, db, "add", add, certs->v[k].der, certs->v[k].der_len) == 0;
	}
	free(have);
	return changes;
}

/* user's ~/.pki/nssdb, made (mode 0700, theirs) when missing. */
static void create_db(struct nss_ctx *c, const char *user)
{
	char path[PATH_MAX], dbarg[PATH_MAX + 8], *buf, *out = NULL;
	struct passwd_entry pw;
	struct nss_db db;
	bool found = false;
	const char *p;
	size_t len = 0;

	if ((buf = read_passwd(c->r, &len)) != NULL)
		for (p = buf; !found && next_passwd(&p, buf + len, &pw);)
			found = strcmp(pw.name, user) == 0;
	free(buf);
	if (!found) {
		trust_warn(c->rep, "--nss-user %s: no such user in /etc/passwd", user);
		return;
	}
	for (int i = 0; i < 2; i++) {
		struct rpath d;
		struct cerr e;

		snprintf(path, sizeof(path), "%s/%s", pw.home, i == 0 ? ".pki" : ".pki/nssdb");
		if (rootfs_resolve(c->r, path, 0, &d, &e) != 0) {
			trust_warn(c->rep, "--nss-user %s: %s", user, e.msg);
			return;
		}
		if (d.dirfd < 0) {
			trust_warn(c->rep, "--nss-user %s: %s: no such directory", user, pw.home);
			return;
		}
		if (d.exists)
			continue;
		if (mkdirat(d.dirfd, d.base, 0700) != 0 || fchownat(d.dirfd, d.base, pw.uid, pw.gid, AT_SYMLINK_NOFOLLOW) != 0) {
			trust_warn(c->rep, "%s: cannot create: %s", path, strerror(errno));
			return;
		}
	}
	snprintf(path, sizeof(path), "%s/.pki/nssdb/cert9.db", pw.home);
	{
		struct rpath f;
		struct cerr e;

		if (rootfs_resolve(c->r, path, 0, &f, &e) == 0 && f.exists)
			return; /* already there: found like any other */
	}
	snprintf(db.dir, sizeof(db.dir), "%s/.pki/nssdb", pw.home);
	db.uid = pw.uid;
	db.gid = pw.gid;
	snprintf(dbarg, sizeof(dbarg), "sql:%s", db.dir);
	{
		char *mk[] = {"certutil", "-N", "-d", dbarg, "--empty-password", NULL};

		if (certutil(c, &db, mk, NULL, 0, &out) != 0)
			trust_warn(c->rep, "%s: certutil cannot create the database: %s", db.dir, out ? first_line(out) : "");
	}
	free(out);
}

void nss_apply(struct rootfs *r, const char *set, const struct cert_list *certs, const char *create_user,
	       struct trust_report *rep)
{
	struct nss_ctx *c = calloc(1, sizeof(*c));
	bool have_certutil;
	size_t i;

	if (c == NULL) {
		trust_warn(rep, "NSS databases: out of memory");
		return;
	}
	c->r = r;
	c->rep = rep;
	have_certutil = find_certutil(c);
	if (have_certutil && create_user != NULL)
		create_db(c, create_user);
	find_dbs(c);
	if (certs != NULL && !have_certutil)
		trust_warn(rep, "no certutil in the root (Debian: libnss3-tools): %zu NSS database(s) left alone", c->n);
	else if (certs != NULL && c->n == 0)
		trust_warn(rep, "no NSS database found%s", create_user ? "" : " (--nss-user USER creates one)");
	for (i = 0; have_certutil && i < c->n; i++)
		rep->nss += apply_db(c, &c->dbs[i], set, certs) > 0;
	free(c);
}
