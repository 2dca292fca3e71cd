/*
 * token.h: the shared secret between an orchestrator and the agent. It is
 * read from a file (first line, surrounding white space dropped) or from
 * CAINIT_TOKEN, kept only as its SHA-256, and compared in constant time.
 */
#ifndef CAINIT_TOKEN_H
#define CAINIT_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "cerr.h"

#define TOKEN_MAX 4096 /* buffer size: a token is at most 4095 bytes */

/* Read the token text from file (or, with file NULL, from CAINIT_TOKEN) into
 * out; *found false when neither gives one. */
int token_load(const char *file, char *out, size_t n, bool *found, struct cerr *e);

/* SHA-256 of a token. */
void token_hash(const char *token, size_t len, unsigned char out[32]);

/* Does presented (any length) match the token whose hash is want? Takes the
 * same time whatever the bytes. */
bool token_matches(const unsigned char want[32], const char *presented, size_t len);

#endif
