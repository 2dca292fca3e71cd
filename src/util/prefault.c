/*
 * prefault.c: see prefault.h.
 */
#include "prefault.h"

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PAGE ((uintptr_t)4096)

/* Populate the whole pages of [lo, hi) with one call (a no-op before Linux
 * 5.14, where the pages fault in as before). */
static void populate(uintptr_t lo, uintptr_t hi)
{
	lo = (lo + PAGE - 1) & ~(PAGE - 1);
	hi &= ~(PAGE - 1);
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
}

void heap_keep(void)
{
	(void)mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
	(void)mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
}

/* A frame of PREFAULT_STACK bytes below the caller's: its lowest byte is
 * written (one fault, which also grows the stack mapping down to it where
 * it was shorter), then everything above it is populated at once. noinline:
 * the frame must be below the caller's, not merged into it. */
__attribute__((noinline)) static void prefault_stack(void)
{
	volatile char frame[PREFAULT_STACK];

	frame[0] = 0;
	populate((uintptr_t)&frame[0], (uintptr_t)&frame[PREFAULT_STACK - 1]);
}

void prefault_process(void)
{
	void *heap;

	heap_keep();
	prefault_stack();
	/* freed at once, it stays the top of the heap (heap_keep) for the
	 * command's own allocations */
	if ((heap = malloc(PREFAULT_HEAP)) != NULL) {
		populate((uintptr_t)heap, (uintptr_t)heap + PREFAULT_HEAP);
		free(heap);
	}
}
