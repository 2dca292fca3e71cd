/*
 * duration.h: "250us", "50ms", "5s", "2m" on command lines, as microseconds.
 */
#ifndef CAINIT_DURATION_H
#define CAINIT_DURATION_H

/* Parse s into microseconds; -1 when malformed (a unit is required, except
 * for "0"), not a finite number ("nan", "inf") or over 1e15 us. */
long long duration_parse(const char *s);

#endif
