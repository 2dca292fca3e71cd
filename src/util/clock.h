/*
 * clock.h: the one monotonic clock every part of cainit measures with
 * (timeouts, deadlines, the durations it logs).
 */
#ifndef CAINIT_CLOCK_H
#define CAINIT_CLOCK_H

/* Microseconds on CLOCK_MONOTONIC: only differences mean anything. */
long long clock_now_us(void);

#endif
