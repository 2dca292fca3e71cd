/*
 * report.c: see report.h.
 */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>

void trust_warn(struct trust_report *rep, const char *fmt, ...)
{
	va_list ap;

	if (rep == NULL || rep->nwarnings == TRUST_WARN_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(rep->warnings[rep->nwarnings++], TRUST_WARN_LEN, fmt, ap);
	va_end(ap);
}
