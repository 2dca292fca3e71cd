/*
 * bench_util.h: what both benchmark drivers need: a monotonic clock in
 * microseconds and a "NAME median_us=M p99_us=P n=N" report line.
 */
#ifndef CAINIT_BENCH_UTIL_H
#define CAINIT_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* sorts v */
static inline void report(const char *name, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%s median_us=%.1f p99_us=%.1f n=%d\n", name, v[n / 2], v[(n * 99) / 100], n);
	fflush(stdout);
}

#endif
