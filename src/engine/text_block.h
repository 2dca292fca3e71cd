/*
 * text_block.h: cainit's one block inside someone else's text
 * configuration file (/etc/environment, a system bashrc): files whose
 * comments start with '#'. The block says what it is, so any later run
 * (or one after a crash) knows which bytes are cainit's:
 *
 *   # cainit begin[ nl][ created]: WHAT
 *   ...lines...
 *   # cainit end
 *
 * "nl": the block also owns the newline before it (the file did not end
 * with one); "created": cainit created the file, which goes when the block
 * goes and nothing else is left. Every byte outside the block stays as it
 * was; a block is replaced where it stands, and a new one goes at the end.
 */
#ifndef CAINIT_TEXT_BLOCK_H
#define CAINIT_TEXT_BLOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "rope.h"

/*
 * The new content of a file holding buf (exists: the file is there) with
 * cainit's block replaced by one holding `lines` (each ending in '\n'),
 * or removed when lines is NULL. *delete_file is set when the file should
 * go (cainit created it and nothing else is in it). Returns 0, -1 on
 * ENOMEM, 1 when buf holds a begin line without its end line or more than
 * one block (the caller refuses: a block cut short is not cainit's to guess).
 */
int text_block_edit(const char *buf, size_t len, bool exists, const char *what, const char *lines,
		    struct rope *out, bool *delete_file);

/* The same, a new block going at offset at (a line's start, or the end:
 * an INI file's block inside its section) instead of the end. */
int text_block_edit_at(const char *buf, size_t len, bool exists, const char *what, const char *lines, size_t at,
		       struct rope *out, bool *delete_file);

/* Does buf hold a cainit block (complete or not)? */
bool text_block_present(const char *buf, size_t len);

/* The bytes [*start, *end) of buf that are cainit's one well-formed block
 * (its markers included); false when there is none or it is malformed. */
bool text_block_span(const char *buf, size_t len, size_t *start, size_t *end);

#endif
