/*
 * merged.c: the merged-files room. A caller may start `cainit run` (or ask
 * `cainit env --merge`) with a managed variable already set to a file that
 * lacks the managed CAs: NODE_EXTRA_CA_CERTS naming a corporate CA, or
 * SSL_CERT_FILE naming the public roots. Left alone, the command would not
 * trust the proxy; replaced, it would lose what the caller trusted. So
 * trust_env_merge writes /etc/cainit/merged-NAME.pem: the caller's
 * certificates (each of them, re-encoded: nothing else of that file, never
 * a key) followed by the managed CAs as blocks, like a bundle's. This room
 * keeps those files current: every change edits their blocks as it edits
 * ca.pem's, so a rotation reaches a command that runs on, and the last set
 * takes them away. They are not stores: status does not list them.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "trust.h"

#define MERGED_PREFIX "merged-"
#define MERGED_MAX ENV_VARS_MAX

struct merged_file {
	char name[NAME_MAX + 1];
	char show[ENTRY_SHOW_MAX];
	struct owned_read cur;
};

/* (an array that grows: most roots have none of these files, and a fixed
 * one of MERGED_MAX was 116 KB to zero, 29 pages a fresh process first
 * touches at several microseconds each on a VM that shadows page tables,
 * bench/RESULTS.md's "A fresh process's pages") */
struct merged {
	struct merged_file *f;
	size_t n;
};

static void file_name(const char *var, char *out, size_t n)
{
	snprintf(out, n, MERGED_PREFIX "%s.pem", var);
}

/* Which merged-VAR.pem names /etc/cainit holds: one listing, not a
 * lookup per variable (most roots have none). */
struct present {
	const char **names;
	size_t n;
	bool has[ENV_VARS_MAX];
};

static int note_present(void *ctx, int dirfd, const char *name, unsigned char type)
{
	struct present *p = ctx;
	char want[NAME_MAX + 1];

	(void)dirfd;
	(void)type;
	if (strncmp(name, MERGED_PREFIX, sizeof(MERGED_PREFIX) - 1) != 0)
		return 0;
	for (size_t i = 0; i < p->n; i++) {
		file_name(p->names[i], want, sizeof(want));
		if (strcmp(name, want) == 0)
			p->has[i] = true;
	}
	return 0;
}

static int find(struct scan *s, const struct scan_opts *o, struct cerr *e)
{
	const char *names[ENV_VARS_MAX];
	struct present present = {names, env_file_names(names, ENV_VARS_MAX), {false}};
	char dir_show[ENTRY_SHOW_MAX];
	size_t i;

	(void)o;
	if (s->paths_only || !s->cainit_dir_exists)
		return 0;
	if ((s->merged = calloc(1, sizeof(*s->merged))) == NULL)
		return cerr_sys(e, "merged files", "scan", ENOMEM);
	rootfs_show(s->r, CAINIT_DIR, dir_show, sizeof(dir_show));
	if (scan_list_dir_once(s, &s->cainit_dir, dir_show, note_present, &present, e) != 0)
		return CAINIT_EOPS;
	for (i = 0; i < present.n && s->merged->n < MERGED_MAX; i++) {
		struct merged_file *f, *nf;
		char path[PATH_MAX];

		if (!present.has[i])
			continue;
		if ((nf = realloc(s->merged->f, (s->merged->n + 1) * sizeof(*nf))) == NULL)
			return cerr_sys(e, "merged files", "scan", ENOMEM);
		s->merged->f = nf;
		f = &nf[s->merged->n];
		memset(f, 0, sizeof(*f));
		file_name(names[i], f->name, sizeof(f->name));
		snprintf(path, sizeof(path), CAINIT_DIR "/%s", f->name);
		rootfs_show(s->r, path, f->show, sizeof(f->show));
		if (scan_read_owned(s->cainit_dir.dirfd, f->name, f->show, &f->cur, e) != 0)
			return CAINIT_EOPS;
		if (f->cur.exists)
			s->merged->n++;
	}
	return 0;
}

static int list(struct scan *s, bool clean, struct cerr *e)
{
	const char *names[ENV_VARS_MAX];
	size_t n = env_file_names(names, ENV_VARS_MAX), i;
	char name[NAME_MAX + 1];

	(void)e;
	for (i = 0; clean && s->cainit_dir_exists && i < n; i++) {
		file_name(names[i], name, sizeof(name));
		scan_clean_temp(s->cainit_dir.dirfd, name);
	}
	return 0;
}

/* Each merged file holds exactly w's CAs for w->set, as ca.pem does; none
 * is left when no set is. */
static int plan(struct scan *s, struct want *w, struct txn *t, struct cerr *e)
{
	size_t i;

	for (i = 0; s->merged != NULL && i < s->merged->n; i++) {
		struct merged_file *f = &s->merged->f[i];
		struct bundle_view v;
		struct rope r;
		bool del;
		int rc = 0;

		if (!w->sets_left) {
			if (txn_unlink(t, s->cainit_dir.dirfd, f->name, f->show) < 0)
				return cerr_sys(e, f->show, "plan", ENOMEM);
			continue;
		}
		if (bundle_scan(f->cur.buf, f->cur.len, &v) < 0)
			return cerr_sys(e, f->show, "plan", ENOMEM);
		rope_init(&r);
		if (w->certs != NULL ? bundle_set_matches(&v, w->set, w->certs) : bundle_count(&v, w->set) == 0)
			; /* already as wanted */
		else if (bundle_edit(&v, w->set, w->set, w->certs, &r, &del) < 0 ||
			 txn_write(t, s->cainit_dir.dirfd, f->name, f->show, &r, &f->cur.st, f->cur.buf, f->cur.len,
				   TXN_FAIL) < 0)
			rc = cerr_sys(e, f->show, "plan", ENOMEM);
		rope_free(&r);
		bundle_view_free(&v);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void release(struct scan *s)
{
	size_t i;

	if (s->merged == NULL)
		return;
	for (i = 0; i < s->merged->n; i++)
		free(s->merged->f[i].cur.buf);
	free(s->merged->f);
	free(s->merged);
	s->merged = NULL;
}

const struct store_ops store_merged = {
	.name = "merged",
	.find = find,
	.list = list,
	.plan = plan,
	.free = release,
};

/* ---- trust_env_merge ---- */

/* The caller's file, read whole; NULL when it is not one (missing, not a
 * regular file, over the input limit). */
static char *read_callers(struct rootfs *r, const char *value, char *show, size_t *len)
{
	struct cerr e = {0};
	struct rpath p;
	struct stat st;
	char *buf;

	rootfs_show(r, value, show, SHOW_MAX);
	if (rootfs_resolve(r, value, 0, &p, &e) != 0 || !p.exists || p.dirfd < 0 ||
	    rootfs_read_at(p.dirfd, p.base, show, CERT_INPUT_MAX, &buf, len, &st, &e) != 0)
		return NULL;
	return buf;
}

/* The caller's file as certificates; false when it is not certificates.
 * (Its bytes only, when it is plain certificates: the caller's bundle is
 * passed along, not managed, and decoding it costs ten times as much.) */
static bool callers_certs(const char *buf, size_t len, const char *show, struct cert_list *out)
{
	struct cerr e = {0};

	return cert_list_parse_flat(buf, len, out) == 0 ||
	       (cert_list_parse((const unsigned char *)buf, len, show, out, &e) == 0 && out->n > 0);
}

/* *text becomes a copy of r's bytes (r may point into the old *text:
 * it is freed only once copied). */
static int join(struct rope *r, char **text)
{
	char *joined = rope_join(r);

	if (joined == NULL)
		return -1;
	free(*text);
	*text = joined;
	return 0;
}

/* out: the caller's certificates, then every set's blocks of ca.pem. */
static int render(const struct cert_list *callers, const char *ca, size_t ca_len, struct rope *out)
{
	struct bundle_view v, cur;
	struct rope r;
	char *text = NULL;
	size_t i, k;
	int rc = 0;

	if (bundle_scan(ca, ca_len, &v) < 0)
		return -1;
	rope_init(&r);
	for (i = 0; i < callers->n && rc == 0; i++)
		rc = rope_copy(&r, callers->v[i].pem, callers->v[i].pem_len);
	/* each set of ca.pem in turn, as blocks (bundle_edit gives them their form) */
	for (i = 0; i < v.n && rc == 0; i++) {
		struct cert_list set = {0};
		bool seen = false, del;

		for (k = 0; k < i && !seen; k++)
			seen = strcmp(v.blocks[k].set, v.blocks[i].set) == 0;
		if (seen || v.blocks[i].header)
			continue;
		for (k = i; k < v.n; k++)
			if (strcmp(v.blocks[k].set, v.blocks[i].set) == 0)
				store_parse_into(&set, ca + v.blocks[k].pem, v.blocks[k].end - v.blocks[k].pem);
		rc = join(&r, &text) < 0 || bundle_scan(text, r.len, &cur) < 0 ? -1 : 0;
		if (rc == 0) {
			/* the edit borrows from text and from set's PEM: copied
			 * (joined) before either goes */
			struct rope next;

			rope_init(&next);
			rc = bundle_edit(&cur, v.blocks[i].set, v.blocks[i].set, &set, &next, &del) < 0 ||
					     join(&next, &text) < 0
				     ? -1
				     : 0;
			rope_free(&r);
			rope_init(&r);
			if (rc == 0)
				rc = rope_copy(&r, text, next.len);
			rope_free(&next);
			bundle_view_free(&cur);
		}
		cert_list_free(&set);
	}
	if (rc == 0)
		rc = join(&r, &text) < 0 || rope_copy(out, text, r.len) < 0 ? -1 : 0;
	free(text);
	rope_free(&r);
	bundle_view_free(&v);
	return rc;
}

int trust_env_merge(const char *root, const struct env_var *var, const char *value, enum env_merge *res,
		    char out[ENV_VALUE_MAX], struct cerr *e)
{
	struct cert_list callers = {0}, managed = {0};
	char name[NAME_MAX + 1], show[SHOW_MAX], path[PATH_MAX], cshow[SHOW_MAX], *cbuf = NULL;
	size_t clen = 0;
	struct owned_read ca = {0}, old = {0};
	struct rootfs r;
	struct rpath dir;
	struct rope content;
	struct txn t;
	size_t i;
	bool recovered;
	int rc;

	*res = ENV_MERGE_KEEP;
	if ((var->target != ENV_CA_FILE && var->target != ENV_BUNDLE) || value[0] != '/')
		return 0; /* a directory, a switch, a relative path: the caller's */
	/* a change a killed cainit left half done is finished first, so that
	 * ca.pem is what the stores hold */
	if ((rc = trust_recover(root, &recovered, e)) != 0 || (rc = rootfs_open(&r, root, e)) != 0)
		return rc;
	if ((rc = rootfs_lock(&r, TRUST_LOCK_TIMEOUT_MS, e)) != 0 ||
	    (rc = rootfs_resolve(&r, CAINIT_DIR, RP_DIR, &dir, e)) != 0 || !dir.exists)
		goto out; /* (no set: nothing to merge) */
	rootfs_show(&r, CA_FILE, show, sizeof(show));
	if ((rc = scan_read_owned(dir.dirfd, CA_FILE_NAME, show, &ca, e)) != 0 || !ca.exists)
		goto out;
	store_parse_into(&managed, ca.buf, ca.len);
	if ((cbuf = read_callers(&r, value, cshow, &clen)) != NULL && cert_bundle_holds(cbuf, clen, &managed) == 1)
		goto out; /* the caller's file holds every managed CA (the check at each start) */
	if (cbuf == NULL || !callers_certs(cbuf, clen, cshow, &callers)) {
		*res = ENV_MERGE_UNREADABLE;
		goto out;
	}
	for (i = 0; i < managed.n && cert_list_find(&callers, managed.v[i].sha256) >= 0; i++)
		;
	if (i == managed.n)
		goto out; /* the caller's file holds every managed CA */
	file_name(var->name, name, sizeof(name));
	snprintf(path, sizeof(path), CAINIT_DIR "/%s", name);
	rootfs_show(&r, path, show, sizeof(show));
	if ((rc = scan_read_owned(dir.dirfd, name, show, &old, e)) != 0)
		goto out;
	rope_init(&content);
	txn_init(&t);
	if (render(&callers, ca.buf, ca.len, &content) < 0 ||
	    txn_write(&t, dir.dirfd, name, show, &content, old.exists ? &old.st : NULL, old.buf, old.len, TXN_FAIL) < 0)
		rc = cerr_sys(e, show, "merge", ENOMEM);
	else
		rc = txn_run(&t, e);
	txn_free(&t);
	rope_free(&content);
	if (rc == 0) {
		*res = ENV_MERGE_NEW;
		snprintf(out, ENV_VALUE_MAX, "%.*s", ENV_VALUE_MAX - 1, path);
	}
out:
	cert_list_free(&callers);
	cert_list_free(&managed);
	free(cbuf);
	free(ca.buf);
	free(old.buf);
	rootfs_close(&r);
	return rc;
}
