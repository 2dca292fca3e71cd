/*
 * err.c: formatting of the engine's one-line error messages.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cerr_set(struct cerr *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int cerr_sys(struct cerr *e, const char *path, const char *op, int errnum)
{
	return cerr_set(e, CAINIT_EOPS, "%s: %s: %s", path, op, strerror(errnum));
}
