/*
 * cerr.c: formatting of the engine's one-line error messages.
 */
#include "cerr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int record(struct cerr *e, int code, const char *reason, const char *fmt, va_list ap)
{
	if (e == NULL)
		return code;
	e->code = code;
	e->reason = reason;
	e->sys_errno = 0;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return code;
}

int cerr_set(struct cerr *e, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = record(e, code, code == CAINIT_EINPUT ? "bad_input" : "io", fmt, ap);
	va_end(ap);
	return rc;
}

int cerr_input(struct cerr *e, const char *reason, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = record(e, CAINIT_EINPUT, reason, fmt, ap);
	va_end(ap);
	return rc;
}

int cerr_sys(struct cerr *e, const char *path, const char *op, int errnum)
{
	cerr_set(e, CAINIT_EOPS, "%s: %s: %s", path, op, strerror(errnum));
	if (e != NULL)
		e->sys_errno = errnum;
	return CAINIT_EOPS;
}
