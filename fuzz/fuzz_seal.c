/*
 * fuzz_seal.c: libFuzzer target for the seal's parser (seal.h): the seal
 * is a file in the root, so anyone who can write the root can write it.
 * Properties: an accepted seal has a key of 64 lowercase hex digits, a
 * valid set name, at most SEAL_ENTRIES_MAX entries, the directories before
 * the files, each path absolute with no newline, each directory's mode a
 * directory's; formatting it and parsing that gives the same seal, and
 * formatting again gives the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"

static void same(const struct seal *a, const struct seal *b)
{
	if (strcmp(a->key, b->key) != 0 || strcmp(a->set, b->set) != 0 || a->stores != b->stores ||
	    a->fallback != b->fallback || a->n != b->n)
		abort();
	for (size_t i = 0; i < a->n; i++) {
		const struct stat *x = &a->v[i].st, *y = &b->v[i].st;

		if (a->v[i].kind != b->v[i].kind || strcmp(a->v[i].path, b->v[i].path) != 0 || x->st_dev != y->st_dev ||
		    x->st_ino != y->st_ino || x->st_mode != y->st_mode || x->st_size != y->st_size ||
		    x->st_mtim.tv_sec != y->st_mtim.tv_sec || x->st_mtim.tv_nsec != y->st_mtim.tv_nsec ||
		    x->st_ctim.tv_sec != y->st_ctim.tv_sec || x->st_ctim.tv_nsec != y->st_ctim.tv_nsec)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seal s, t;
	char *text, *again;
	size_t len, len2;
	bool files = false;

	if (seal_parse((const char *)data, size, &s) != 0)
		return 0;
	if (strlen(s.key) != SEAL_KEY_LEN || strspn(s.key, "0123456789abcdef") != SEAL_KEY_LEN || !set_name_valid(s.set) ||
	    s.n > SEAL_ENTRIES_MAX)
		abort();
	for (size_t i = 0; i < s.n; i++) {
		const struct seal_entry *x = &s.v[i];

		if (x->path[0] != '/' || strchr(x->path, '\n') != NULL || (x->kind != 'd' && x->kind != 'f') ||
		    (x->kind == 'd' && (files || !S_ISDIR(x->st.st_mode))) || x->st.st_size < 0 ||
		    x->st.st_mtim.tv_nsec < 0 || x->st.st_mtim.tv_nsec > 999999999 || x->st.st_ctim.tv_nsec < 0 ||
		    x->st.st_ctim.tv_nsec > 999999999)
			abort();
		files |= x->kind == 'f';
	}
	if ((text = seal_format(&s, &len)) == NULL)
		abort();
	if (seal_parse(text, len, &t) != 0)
		abort();
	same(&s, &t);
	if ((again = seal_format(&t, &len2)) == NULL || len2 != len || memcmp(text, again, len) != 0)
		abort();
	free(text);
	free(again);
	seal_free(&s);
	seal_free(&t);
	return 0;
}
