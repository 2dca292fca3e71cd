/*
 * listen.h: where the agent listens. "HOST:PORT" (IPv4, or "localhost"),
 * "[IPV6]:PORT", or "unix:/path" (a socket file of mode 0600). Names other
 * than "localhost" are not resolved: a static binary has no NSS, and an
 * agent's address is known.
 */
#ifndef CAINIT_LISTEN_H
#define CAINIT_LISTEN_H

#include <stdbool.h>
#include <sys/socket.h>

#include "err.h"

struct listen_addr {
	char text[256];
	struct sockaddr_storage sa;
	socklen_t salen;
	bool is_unix;
	bool loopback;       /* 127.0.0.0/8, ::1, or a unix socket */
	char path[108];      /* unix socket path */
};

/* Parse text; CAINIT_EINPUT with a message when it is not an address. */
int listen_parse(const char *text, struct listen_addr *out, struct cerr *e);

/* A non-blocking listening socket for addr (unix: created mode 0600,
 * replacing a stale socket file but never another kind of file). */
int listen_open(const struct listen_addr *addr, int backlog, struct cerr *e);

#endif
