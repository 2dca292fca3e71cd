/*
 * tar_list.c: cainit's tar reader as a listing tool, for the differential
 * against Python's tarfile (fuzz/tar_diff.py):
 *
 *   tar_list ARCHIVE
 *
 * prints one line per entry, "TYPE MODE UID GID SIZE SHA256 PATH -> LINK"
 * (TYPE: f, h, l, d or o), then "ok", or "refused: WHY" when the reader
 * refuses the archive (exit 0 either way; 1 when ARCHIVE cannot be read).
 */
#include <openssl/sha.h>
#include <stdio.h>

#include "../../fuzz/tar_entries.h"

int main(int argc, char **argv)
{
	static const char types[] = "fhldo";
	struct tar_items l;
	struct cerr e = {0};
	unsigned char *buf = malloc(16u << 20), md[32];
	size_t len;
	FILE *f;
	int rc;

	if (argc != 2 || buf == NULL || (f = fopen(argv[1], "rb")) == NULL)
		return 1;
	len = fread(buf, 1, 16u << 20, f);
	fclose(f);
	rc = tar_items_read(buf, len, &l, &e);
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		const struct tar_entry *x = &l.v[i].ent;

		SHA256(l.v[i].data ? l.v[i].data : (const unsigned char *)"", l.v[i].len, md);
		printf("%c %o %u %u %zu ", types[x->type], (unsigned)x->mode, (unsigned)x->uid, (unsigned)x->gid,
		       l.v[i].len);
		for (int k = 0; k < 32; k++)
			printf("%02x", md[k]);
		printf(" %s -> %s\n", x->path, x->link ? x->link : "");
	}
	if (rc == 0)
		printf("ok\n");
	else
		printf("refused: %s\n", e.msg);
	tar_items_free(&l);
	free(buf);
	return 0;
}
