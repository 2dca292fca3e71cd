/*
 * ini_text.h: reading an INI-style configuration file (pip.conf, npmrc) as
 * its program's parser does, for the rooms that put cainit's block into
 * one: which section a key is in, whether the owner already sets it, and
 * where a new block belongs. cainit's own block (text_block.h) is skipped.
 */
#ifndef CAINIT_INI_TEXT_H
#define CAINIT_INI_TEXT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct ini_view {
	bool has_section;    /* the section's header is there (always, for the top level) */
	size_t insert_at;    /* where a new block goes: the section's end, or the file's end */
	bool key_set;        /* the owner sets key in the section */
	char value[PATH_MAX]; /* its value, blanks trimmed */
};

/* section: a name ("global" for [global]), or NULL for the top level
 * (before any header: npmrc's keys). Keys compare without case, and take
 * '=' or ':'. */
void ini_scan(const char *buf, size_t len, const char *section, const char *key, struct ini_view *v);

#endif
