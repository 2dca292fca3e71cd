/*
 * hashed_links.c: planning a change to one hashed directory (the hashed
 * room, hashed.c). Every managed CA gets its file and a HASH8.N link to
 * it; OpenSSL stops at the first missing index, so the indices of one hash
 * stay contiguous at every step of the change: a retired entry is
 * re-pointed atomically to a new CA when there is one, and otherwise the
 * highest entry of that hash is renamed over it.
 */
#include "hashed_links.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum slot_kind { SLOT_EMPTY, SLOT_KEEP, SLOT_REMOVE };

struct slot {
	enum slot_kind kind;
	const char *target;
};

struct group {
	unsigned long hash;
	const char **add;     /* our files of this hash that need a link */
	size_t nadd;
	const char **retire;  /* our files of this hash that are going away */
	size_t nretire;
	bool keep_derived;    /* links to cainit.SET.pem stay valid */
};

static bool in_list(const char *s, const char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, v[i]) == 0)
			return true;
	return false;
}

static bool is_derived_of(const char *target, struct want *w)
{
	size_t n = strlen(target);
	char set[SET_NAME_MAX + 1];

	if (strncmp(target, "cainit.", 7) != 0 || n < 12 || strcmp(target + n - 4, ".pem") != 0 ||
	    n - 11 > SET_NAME_MAX || memchr(target + 7, '.', n - 11) != NULL)
		return false;
	memcpy(set, target + 7, n - 11);
	set[n - 11] = '\0';
	return set_name_valid(set) && want_covers(w, set);
}

/* (Longer than most: the contiguity argument above is one sequence of
 * steps, kept in one place so that it can be checked step by step.) */
static int plan_group(struct hashed_store *h, struct want *w, const struct group *g,
		      struct txn *t, struct cerr *e)
{
	char name[24], to[24], show[ENTRY_SHOW_MAX];
	size_t nslots = g->nadd + 1, i, j;
	struct slot *slots;
	bool *linked;
	int rc = 0;

	for (i = 0; i < h->nlinks; i++)
		if (h->links[i].hash == g->hash && h->links[i].idx + g->nadd + 1 > nslots)
			nslots = h->links[i].idx + g->nadd + 1;
	if (nslots > 100000)
		return cerr_set(e, CAINIT_EOPS, "%s: too many entries for hash %08lx", h->show, g->hash);
	slots = calloc(nslots, sizeof(*slots));
	linked = calloc(g->nadd + 1, sizeof(*linked));
	if (slots == NULL || linked == NULL) {
		rc = cerr_sys(e, h->show, "plan", ENOMEM);
		goto out;
	}
	for (i = 0; i < h->nlinks; i++) {
		struct hash_link *l = &h->links[i];
		const char *target;

		if (l->hash != g->hash)
			continue;
		target = scan_link_target(h, l);
		slots[l->idx].kind = SLOT_KEEP;
		slots[l->idx].target = target;
		if (target == NULL || strchr(target, '/') != NULL)
			continue;
		for (j = 0; j < g->nadd; j++)
			if (strcmp(target, g->add[j]) == 0)
				linked[j] = true;
		if (in_list(target, g->retire, g->nretire) || (!g->keep_derived && is_derived_of(target, w)))
			slots[l->idx].kind = SLOT_REMOVE;
	}
	/* new links: take over a retired entry atomically, else the first gap */
	for (j = 0; j < g->nadd; j++) {
		if (linked[j])
			continue;
		for (i = 0; i < nslots && slots[i].kind != SLOT_REMOVE; i++)
			;
		if (i == nslots)
			for (i = 0; i < nslots && slots[i].kind != SLOT_EMPTY; i++)
				;
		name_hash_link(name, g->hash, (unsigned)i);
		snprintf(show, sizeof(show), "%s/%s", h->show, name);
		if (txn_link(t, h->p.dirfd, name, show, g->add[j],
			     slots[i].kind == SLOT_REMOVE ? slots[i].target : NULL) < 0)
			goto nomem;
		slots[i].kind = SLOT_KEEP;
		slots[i].target = g->add[j];
	}
	/* retire the rest without leaving a gap */
	for (;;) {
		size_t top, low;

		for (low = 0; low < nslots && slots[low].kind != SLOT_REMOVE; low++)
			;
		if (low == nslots)
			break;
		for (top = nslots; top-- > 0 && slots[top].kind == SLOT_EMPTY;)
			;
		name_hash_link(name, g->hash, (unsigned)low);
		if (top == low || slots[top].kind == SLOT_REMOVE) {
			name_hash_link(name, g->hash, (unsigned)top);
			snprintf(show, sizeof(show), "%s/%s", h->show, name);
			if (txn_unlink(t, h->p.dirfd, name, show) < 0)
				goto nomem;
			slots[top].kind = SLOT_EMPTY;
			continue;
		}
		name_hash_link(to, g->hash, (unsigned)low);
		name_hash_link(name, g->hash, (unsigned)top);
		snprintf(show, sizeof(show), "%s/%s", h->show, name);
		if (txn_rename(t, h->p.dirfd, name, to, show) < 0)
			goto nomem;
		slots[low] = slots[top];
		slots[top].kind = SLOT_EMPTY;
	}
	goto out;
nomem:
	rc = cerr_sys(e, h->show, "plan", ENOMEM);
out:
	free(slots);
	free(linked);
	return rc;
}

struct retiree {
	char name[NAME_MAX + 1];
	unsigned long hash;
};

static bool wanted_name(char (*names)[NAME_MAX + 1], size_t n, const char *name)
{
	size_t j;

	for (j = 0; j < n; j++)
		if (strcmp(names[j], name) == 0)
			return true;
	return false;
}

/* How many of the known CAs of set have this hash (the slots its last
 * change filled). */
static unsigned known_slots(const struct scan *s, const char *set, unsigned long hash)
{
	unsigned n = 0;

	for (size_t i = 0; i < s->nknown; i++)
		n += strcmp(s->known[i].set, set) == 0 && s->known[i].has_hash && s->known[i].hash == hash;
	return n;
}

static int push_retiree(struct retiree **v, size_t *n, size_t *cap, const char *name, unsigned long hash)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct retiree *nv = realloc(*v, c * sizeof(*nv));

		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = c;
	}
	snprintf((*v)[*n].name, sizeof((*v)[*n].name), "%s", name);
	(*v)[(*n)++].hash = hash;
	return 0;
}

/* The per-CA files of this store that go: the covered set's files that are
 * no longer wanted, plus (deep scans) files that no record names at all,
 * left by an interrupted run. A normal install finds them by name: the
 * slots its set's records say it filled, and the names used before slots. */
static int find_retirees(struct scan *s, struct hashed_store *h, struct want *w,
			 char (*names)[NAME_MAX + 1], size_t nwant,
			 struct retiree **out, size_t *nout, struct cerr *e)
{
	struct retiree *v = NULL;
	size_t n = 0, cap = 0, i;

	if (s->deep) {
		for (i = 0; i < h->ncas; i++) {
			const struct owned_file *f = &h->cas[i];
			bool unknown = f->legacy ? !scan_is_known(s, f->set, f->fp16)
						 : f->slot >= known_slots(s, f->set, f->hash);

			if (wanted_name(names, nwant, f->name))
				continue;
			if ((want_covers(w, f->set) || unknown) && push_retiree(&v, &n, &cap, f->name, f->hash) < 0)
				goto nomem;
		}
	} else {
		for (i = 0; i < s->nknown; i++) {
			const struct known_ca *k = &s->known[i];
			char name[NAME_MAX + 1];
			struct stat st;
			unsigned slot, slots;

			if (!want_covers(w, k->set))
				continue;
			name_ca_file_raw(name, k->set, k->sha256, k->hash);
			if (fstatat(h->p.dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
			    push_retiree(&v, &n, &cap, name, k->hash) < 0)
				goto nomem;
			/* the slots of this hash, once (for the first known CA with it) */
			slots = known_slots(s, k->set, k->hash);
			for (size_t j = 0; j < i; j++)
				if (strcmp(s->known[j].set, k->set) == 0 && s->known[j].hash == k->hash)
					slots = 0;
			for (slot = 0; slot < slots; slot++) {
				name_ca_slot(name, k->set, k->hash, slot);
				if (wanted_name(names, nwant, name) ||
				    fstatat(h->p.dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
					continue;
				if (push_retiree(&v, &n, &cap, name, k->hash) < 0)
					goto nomem;
			}
		}
	}
	*out = v;
	*nout = n;
	return 0;
nomem:
	free(v);
	return cerr_sys(e, h->show, "plan", ENOMEM);
}

/* (Longer than most: files, then links, then retirements, in the order
 * the transaction must commit them.) */
int hashed_plan_store(struct scan *s, struct hashed_store *h, struct want *w, struct txn *t, struct cerr *e)
{
	size_t nwant = w->certs ? w->certs->n : 0, nretire = 0, i, j, k, nh = 0;
	char (*names)[NAME_MAX + 1] = NULL, show[ENTRY_SHOW_MAX];
	const char **add = NULL, *rt[64];
	struct retiree *retire = NULL;
	unsigned long *hashes = NULL;
	int rc = 0;

	names = calloc(nwant + 1, sizeof(*names));
	add = calloc(nwant + 1, sizeof(*add));
	if (!names || !add) {
		rc = cerr_sys(e, h->show, "plan", ENOMEM);
		goto out;
	}
	/* one file per wanted CA, holding exactly it */
	for (j = 0; j < nwant; j++) {
		struct cert_list one = {&w->certs->v[j], 1};
		struct rope r;

		name_ca_slot(names[j], w->set, w->certs->v[j].subject_hash, ca_slot(w->certs, j));
		snprintf(show, sizeof(show), "%s/%s", h->show, names[j]);
		rope_init(&r);
		if (bundle_render(w->set, &one, &r) < 0) {
			rope_free(&r);
			rc = cerr_sys(e, show, "plan", ENOMEM);
			goto out;
		}
		if ((rc = plan_ensure_file(t, h->p.dirfd, names[j], show, &r, e)) != 0)
			goto out;
	}
	if ((rc = find_retirees(s, h, w, names, nwant, &retire, &nretire, e)) != 0)
		goto out;
	/* the links, hash by hash */
	hashes = calloc(nwant + nretire + 1, sizeof(*hashes));
	if (hashes == NULL) {
		rc = cerr_sys(e, h->show, "plan", ENOMEM);
		goto out;
	}
	for (j = 0; j < nwant; j++)
		hashes[nh++] = w->certs->v[j].subject_hash;
	for (i = 0; i < nretire; i++)
		hashes[nh++] = retire[i].hash;
	for (k = 0; k < nh; k++) {
		struct group g = {.hash = hashes[k], .add = add, .retire = rt};
		bool seen = false;

		for (i = 0; i < k; i++)
			seen = seen || hashes[i] == hashes[k];
		if (seen)
			continue;
		if (!s->deep && (rc = scan_probe_links(h, g.hash, e)) != 0)
			goto out;
		for (j = 0; j < nwant; j++)
			if (w->certs->v[j].subject_hash == g.hash) {
				add[g.nadd++] = names[j];
				g.keep_derived = true;
			}
		for (i = 0; i < nretire && g.nretire < 64; i++)
			if (retire[i].hash == g.hash)
				rt[g.nretire++] = retire[i].name;
		if ((rc = plan_group(h, w, &g, t, e)) != 0)
			goto out;
	}
	/* then the files the links pointed at */
	for (i = 0; i < nretire; i++) {
		snprintf(show, sizeof(show), "%s/%s", h->show, retire[i].name);
		if (txn_unlink(t, h->p.dirfd, retire[i].name, show) < 0) {
			rc = cerr_sys(e, show, "plan", ENOMEM);
			goto out;
		}
	}
	/* update-ca-certificates' link to a removed set's anchor file */
	for (i = 0; w->certs == NULL && i < h->nderived; i++) {
		char target[PATH_MAX], want_tail[NAME_MAX + 8];
		ssize_t n;

		if (!want_covers(w, h->derived[i].set))
			continue;
		n = readlinkat(h->p.dirfd, h->derived[i].name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		snprintf(want_tail, sizeof(want_tail), "/cainit.%s.crt", h->derived[i].set);
		if ((size_t)n < strlen(want_tail) || strcmp(target + n - strlen(want_tail), want_tail) != 0)
			continue;
		snprintf(show, sizeof(show), "%s/%s", h->show, h->derived[i].name);
		if (txn_unlink(t, h->p.dirfd, h->derived[i].name, show) < 0) {
			rc = cerr_sys(e, show, "plan", ENOMEM);
			goto out;
		}
	}
out:
	free(names);
	free(hashes);
	free(add);
	free(retire);
	return rc;
}

