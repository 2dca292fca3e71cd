/*
 * push.h: one HTTP/1.1 request to an agent, within a deadline. The client
 * side of `cainit push`: a few dozen lines of sockets and poll(2) rather
 * than a client library, so each attempt's timeout is exact (connect, send
 * and the status line all within it) and unix sockets work too.
 */
#ifndef CAINIT_PUSH_H
#define CAINIT_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "addr.h"
#include "cerr.h"

struct push_target {
	struct addr addr;
	char host[300];       /* for the Host header */
	char text[512];       /* as given, for messages */
};

/* "http://HOST[:PORT]" (IPv4, [IPv6] or localhost; port 80 by default) or
 * "unix:/path". */
int push_parse_url(const char *url, struct push_target *t, struct cerr *e);

struct push_answer {
	int status;           /* HTTP status, 0 when none arrived */
	char error[512];      /* the agent's "error" field, or what went wrong */
	char *body;           /* the response's body (NUL-terminated; push_answer_free) */
	size_t body_len;
};

#define PUSH_RESPONSE_MAX (1024 * 1024) /* a longer response is cut here */

void push_answer_free(struct push_answer *ans);

/* Send one request and wait for the whole response, within timeout_us.
 * Returns 0 with ans->status and ans->body set, or -1 (connection failed,
 * timed out) with ans->error saying why. ans starts zeroed ({0}); a body
 * of an earlier call on it is freed. */
int push_request(const struct push_target *t, const char *method, const char *path, const char *token,
		 const char *content_type, const char *body, size_t len, long long timeout_us,
		 struct push_answer *ans);

#endif
