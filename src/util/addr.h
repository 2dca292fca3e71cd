/*
 * addr.h: the agent's addresses, where `serve` listens and `push` connects:
 * "HOST:PORT" (IPv4, or "localhost"), "[IPV6]:PORT", or "unix:/path" (a
 * socket file of mode 0600 when listening). Names other than "localhost"
 * are not resolved: a static binary has no NSS, and an agent's address is
 * known.
 */
#ifndef CAINIT_ADDR_H
#define CAINIT_ADDR_H

#include <stdbool.h>
#include <sys/socket.h>

#include "cerr.h"

struct addr {
	char text[256];
	struct sockaddr_storage sa;
	socklen_t salen;
	bool is_unix;
	bool loopback;       /* 127.0.0.0/8, ::1, or a unix socket */
	char path[108];      /* unix socket path */
};

/* Parse text; CAINIT_EINPUT (reason "bad_address") when it is not an address. */
int addr_parse(const char *text, struct addr *out, struct cerr *e);

/* A non-blocking listening socket for addr (unix: created mode 0600,
 * replacing a stale socket file but never another kind of file). */
int addr_listen(const struct addr *addr, int backlog, struct cerr *e);

#endif
