/*
 * http_req.h: the agent's HTTP/1.1 request heads and chunked bodies,
 * parsed strictly (RFC 9112) from bytes an untrusted peer sent, apart from
 * any socket so that a fuzzer and the unit tests drive them directly.
 *
 * Strict means: CRLF line ends, one space between the parts of the request
 * line, "HTTP/1.x" exactly (another major version is 505, anything else
 * 400), header names that are tokens with no space before the colon, no
 * control character (NUL included) in a value, no folded line; a
 * Content-Length of digits only, repeated only with the same value, never
 * beside Transfer-Encoding; "chunked" the only transfer coding; a single
 * X-Access-Token. Anything a proxy in front could read differently is
 * refused rather than guessed.
 */
#ifndef CAINIT_HTTP_REQ_H
#define CAINIT_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX (16 * 1024) /* request line and headers */
#define HTTP_HEADERS_MAX 100
#define HTTP_PATH_MAX 2048
#define HTTP_TOKEN_MAX 4095 /* TOKEN_MAX - 1: what a token file may hold */

enum http_method {
	HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_OPTIONS, HTTP_TRACE, HTTP_CONNECT, HTTP_PATCH,
	HTTP_OTHER,
};

struct http_req {
	enum http_method method;
	char path[HTTP_PATH_MAX + 1];   /* the target's path, its query cut off */
	int minor;                      /* HTTP/1.minor */
	bool has_length;
	uint64_t length;                /* Content-Length */
	bool chunked;                   /* Transfer-Encoding: chunked */
	bool expect_continue;           /* Expect: 100-continue */
	bool close;                     /* no other request follows on this connection */
	bool has_token;
	char token[HTTP_TOKEN_MAX + 1]; /* X-Access-Token, exactly as sent */
	size_t token_len;
	size_t nheaders;
};

/* Where "\r\n\r\n" ends the head in buf[0..len): the head's length with
 * it, or 0 when it has not arrived yet. */
size_t http_head_end(const char *buf, size_t len);

/* Parse the head buf[0..len) (its blank line included). 0, or the HTTP
 * status to answer (400, 417, 431, 501, 505) with a reason in *why. */
int http_req_parse(const char *buf, size_t len, struct http_req *r, const char **why);

const char *http_method_name(enum http_method m);

/* A chunked body decoded as its bytes arrive. */
struct http_chunked {
	int phase;          /* internal */
	uint64_t left;      /* bytes of the current chunk still to come */
	size_t line;        /* length of the size or trailer line so far */
	bool done;
};

enum { HTTP_CHUNK_MORE = 0, HTTP_CHUNK_DONE = 1, HTTP_CHUNK_BAD = -1, HTTP_CHUNK_TOO_BIG = -2, HTTP_CHUNK_NOMEM = -3 };

/* A body being collected (malloc'd, grown as needed). */
struct http_body {
	char *p;
	size_t len, cap;
};

void http_body_free(struct http_body *b);

/* Feed in[0..n): the body's bytes go to out (at most max in all: past it,
 * HTTP_CHUNK_TOO_BIG); *used says how many of in were consumed (never past
 * the body's end, so a pipelined request stays where it is). */
int http_chunked_feed(struct http_chunked *c, const char *in, size_t n, size_t *used, struct http_body *out,
		      size_t max);

#endif
