/*
 * endpoint.h: the loopback TLS endpoints doctor's clients connect to, one
 * whose leaf the canary CA signed and one signed by the stray CA nobody
 * trusts. Served by a child process (so that it lives in the network
 * namespace of the process that starts it: the sandbox's), each connection
 * in a child of its own: the handshake, its request read, and a 200 "ok".
 */
#ifndef CAINIT_ENDPOINT_H
#define CAINIT_ENDPOINT_H

#include <sys/types.h>

#include "canary.h"
#include "cerr.h"

struct endpoint {
	pid_t pid;
	int life;                  /* the child serves while this stays open */
	unsigned short good_port;  /* 127.0.0.1: the canary's leaf */
	unsigned short stray_port; /* 127.0.0.1: the stray CA's leaf */
};

/* Listen on two ephemeral loopback ports and serve them until
 * endpoint_stop, or until every process holding ep->life is gone (this
 * one and its forks: it is close-on-exec). 0 or CAINIT_EOPS. */
int endpoint_start(struct endpoint *ep, const struct canary *good, const struct canary *stray, struct cerr *e);
void endpoint_stop(struct endpoint *ep);

#endif
