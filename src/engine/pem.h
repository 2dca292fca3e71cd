/*
 * pem.h: strict PEM framing and base64, written here rather than taken from
 * libcrypto's PEM reader so that every refusal can say exactly what is wrong
 * (which block, which line) and so that nothing lenient slips through.
 */
#ifndef CAINIT_PEM_H
#define CAINIT_PEM_H

#include <stdbool.h>
#include <stddef.h>

struct pem_block {
	const char *label; /* between "-----BEGIN " and "-----" */
	size_t label_len;
	const char *body;  /* base64 lines between the BEGIN and END lines */
	size_t body_len;
	size_t start;      /* offset of the BEGIN line */
	size_t end;        /* offset just past the END line and its newline */
};

enum {
	PEM_NONE = 0,       /* no further BEGIN line */
	PEM_FOUND = 1,      /* *b holds the next block */
	PEM_TRUNCATED = -1, /* BEGIN line without its END line; b->start, label set */
};

/* Find the next block at or after *pos; on PEM_FOUND, *pos moves past it. */
int pem_next(const char *buf, size_t len, size_t *pos, struct pem_block *b);

/* True when buf holds a BEGIN line whose label contains "PRIVATE KEY";
 * *at gets its offset. Looks at every BEGIN line, framed or not. */
bool pem_has_private_key(const char *buf, size_t len, size_t *at);

/* True when buf holds any "-----BEGIN " at the start of a line. */
bool pem_looks_like_pem(const char *buf, size_t len);

/* 1-based line number of offset off. */
unsigned pem_line_of(const char *buf, size_t off);

/* How many newlines the n bytes at p hold (pem_line_of counted from a
 * known line on, so a parse of many blocks stays linear). */
unsigned pem_newlines(const char *p, size_t n);

/* Strict base64: whitespace between characters is allowed, padding only at
 * the end. Returns 0 and a malloc'd *out, or -1 on any bad character. */
int b64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen);

/* Size of the PEM text pem_encode_cert writes for der_len bytes. */
size_t pem_cert_size(size_t der_len);

/* Write "-----BEGIN CERTIFICATE-----\n", 64-column base64 lines and
 * "-----END CERTIFICATE-----\n" into out; returns the bytes written. */
size_t pem_encode_cert(const unsigned char *der, size_t der_len, char *out);

#endif
