/*
 * cerr.h: the one error slot threaded through the engine.
 *
 * Every failure ends as a single line that names the path and the errno
 * (or the problem with the input), plus the exit code the CLI returns:
 * 1 for operational failures (I/O, permissions), 2 for bad usage or input.
 */
#ifndef CAINIT_CERR_H
#define CAINIT_CERR_H

enum {
	CAINIT_OK = 0,
	CAINIT_EOPS = 1,   /* I/O, permissions, locking */
	CAINIT_EINPUT = 2, /* bad usage or bad input */
};

struct cerr {
	int code;
	const char *reason; /* a short machine-readable name ("private_key", "io", ...) */
	int sys_errno;      /* the errno of a cerr_sys failure, else 0 */
	char msg[1024];
};

/* Record a formatted message and an exit code; returns the code. */
int cerr_set(struct cerr *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same, for bad input, with its reason; returns 2. */
int cerr_input(struct cerr *e, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record "PATH: OP: strerror(errnum)" as an operational failure; returns 1. */
int cerr_sys(struct cerr *e, const char *path, const char *op, int errnum);

#endif
