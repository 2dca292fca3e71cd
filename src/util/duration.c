/*
 * duration.c: see duration.h.
 */
#include "duration.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

long long duration_parse(const char *s)
{
	static const struct {
		const char *unit;
		long long us;
	} units[] = {{"us", 1}, {"ms", 1000}, {"s", 1000000}, {"m", 60000000}};
	char *end;
	double v;
	size_t i;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(v) || v < 0) /* "nan", "inf" */
		return -1;
	if (*end == '\0')
		return v == 0 ? 0 : -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].unit) == 0) {
			double us = v * (double)units[i].us;

			return !(us <= 1e15) ? -1 : (long long)(us + 0.5);
		}
	return -1;
}
