/*
 * test_text_block.c: cainit's block in someone else's text file: added at
 * the end (owning a newline when the file had no final one), replaced
 * where it stands, removed to give the file back byte for byte, a file
 * cainit created deleted when nothing else is in it, and a block cut short
 * or doubled refused rather than guessed at.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "text_block.h"

/* edit buf; returns the new content (malloc'd, NUL-terminated) or NULL
 * when text_block_edit did not return 0 (*rc says what it returned) */
static char *edit(const char *buf, bool exists, const char *lines, bool *del, int *rc)
{
	struct rope out;
	const struct iovec *iov;
	size_t n, off = 0;
	char *s;

	rope_init(&out);
	*rc = text_block_edit(buf, buf ? strlen(buf) : 0, exists, "what", lines, &out, del);
	if (*rc != 0) {
		rope_free(&out);
		return NULL;
	}
	s = malloc(out.len + 1);
	iov = rope_iov(&out, &n);
	for (size_t i = 0; i < n; i++) {
		memcpy(s + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	s[off] = '\0';
	rope_free(&out);
	return s;
}

static void round_trip(const char *orig, const char *want_added)
{
	bool del;
	int rc;
	char *added = edit(orig, true, "A=1\n", &del, &rc), *again, *removed;

	assert_int_equal(rc, 0);
	assert_false(del);
	assert_string_equal(added, want_added);
	assert_true(text_block_present(added, strlen(added)));
	again = edit(added, true, "A=1\n", &del, &rc); /* the same again: no change */
	assert_string_equal(again, added);
	removed = edit(added, true, NULL, &del, &rc);
	assert_int_equal(rc, 0);
	assert_false(del);
	assert_string_equal(removed, orig); /* byte for byte */
	free(added);
	free(again);
	free(removed);
}

static void test_add_and_remove(void **state)
{
	(void)state;
	round_trip("", "# cainit begin: what\nA=1\n# cainit end\n");
	round_trip("LANG=C\n", "LANG=C\n# cainit begin: what\nA=1\n# cainit end\n");
	/* no final newline: the block owns the one it adds */
	round_trip("LANG=C", "LANG=C\n# cainit begin nl: what\nA=1\n# cainit end\n");
	/* a line that only looks like a marker is someone else's */
	round_trip("# cainit beginning\n", "# cainit beginning\n# cainit begin: what\nA=1\n# cainit end\n");
}

static void test_replaced_in_place(void **state)
{
	bool del;
	int rc;
	char *s = edit("X=1\n# cainit begin: old\nA=0\n# cainit end\nY=2\n", true, "A=1\nB=2\n", &del, &rc);

	(void)state;
	assert_string_equal(s, "X=1\n# cainit begin: what\nA=1\nB=2\n# cainit end\nY=2\n");
	free(s);
	s = edit("X=1\n# cainit begin: old\nA=0\n# cainit end\nY=2\n", true, NULL, &del, &rc);
	assert_string_equal(s, "X=1\nY=2\n");
	free(s);
	/* a block that owns a newline, with text added after it since: the
	 * newline stays, or two lines would become one */
	s = edit("X=1\n# cainit begin nl: old\nA=0\n# cainit end\nY=2\n", true, NULL, &del, &rc);
	assert_string_equal(s, "X=1\nY=2\n");
	free(s);
}

static void test_created_file(void **state)
{
	bool del;
	int rc;
	char *s = edit(NULL, false, "A=1\n", &del, &rc), *r;

	(void)state;
	assert_string_equal(s, "# cainit begin created: what\nA=1\n# cainit end\n");
	r = edit(s, true, NULL, &del, &rc);
	assert_true(del);
	free(r);
	/* someone wrote in it since: it stays, without the block */
	r = edit("Z=9\n# cainit begin created: what\nA=1\n# cainit end\n", true, NULL, &del, &rc);
	assert_false(del);
	assert_string_equal(r, "Z=9\n");
	free(r);
	free(s);
}

static void test_refused(void **state)
{
	bool del;
	int rc;

	(void)state;
	assert_null(edit("A=1\n# cainit begin: x\nB=2\n", true, "C=3\n", &del, &rc));
	assert_int_equal(rc, 1); /* no end line */
	assert_null(edit("# cainit end\n", true, "C=3\n", &del, &rc));
	assert_int_equal(rc, 1); /* an end without a begin */
	assert_null(edit("# cainit begin: a\n# cainit end\n# cainit begin: b\n# cainit end\n", true, NULL, &del, &rc));
	assert_int_equal(rc, 1); /* two blocks */
	assert_null(edit("# cainit begin nl: a\n# cainit end\n", true, NULL, &del, &rc));
	assert_int_equal(rc, 1); /* owns a newline that is not there */
}

/* the span is the block with its markers (and the newline it owns), no more */
static void test_span(void **state)
{
	const char *a = "A=1\n# cainit begin: x\nB=2\n# cainit end\nC=3\n";
	const char *b = "A=1# x\n# cainit begin nl: x\nB=2\n# cainit end\n";
	size_t s = 99, e = 99;

	(void)state;
	assert_true(text_block_span(a, strlen(a), &s, &e));
	assert_int_equal(s, 4);
	assert_int_equal(e, strlen(a) - 4);
	assert_true(text_block_span(b, strlen(b), &s, &e));
	assert_int_equal(s, 6); /* the newline before the begin line */
	assert_int_equal(e, strlen(b));
	assert_false(text_block_span("A=1\n", 4, &s, &e));
	assert_false(text_block_span("# cainit begin: x\nB=2\n", 22, &s, &e)); /* cut short */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_remove),
		cmocka_unit_test(test_replaced_in_place),
		cmocka_unit_test(test_created_file),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_span),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
