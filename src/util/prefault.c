/*
 * prefault.c: see prefault.h.
 */
#include "prefault.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* Linux 6.1 */
#endif

#define PAGE ((uintptr_t)4096)
#define HUGE ((uintptr_t)2 * 1024 * 1024)

/* Huge pages on (prefault_process), proven to be had (a collapse
 * succeeded); the heap's first byte, on a 2 MiB boundary; the end of the
 * huge pages made from there on, without a gap. */
static _Atomic bool huge_on, huge_proven;
static uintptr_t heap_base;
static _Atomic uintptr_t huge_done;

/* The heap prefault_process set aside for the command's own allocations,
 * not populated yet: [pending_lo, pending_hi), or pending_hi 0. */
static uintptr_t pending_lo;
static _Atomic uintptr_t pending_hi;

/* Populate the whole pages of [lo, hi) with one call (a no-op before Linux
 * 5.14, where the pages fault in as before). */
static void populate(uintptr_t lo, uintptr_t hi)
{
	lo = (lo + PAGE - 1) & ~(PAGE - 1);
	hi &= ~(PAGE - 1);
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
}

/* Populate the pending heap, once; only what is still the heap (below the
 * break: never another mapping, had the heap been trimmed since). */
static void populate_pending(void)
{
	uintptr_t hi, top;

	if (atomic_load_explicit(&pending_hi, memory_order_relaxed) == 0)
		return; /* (nothing set aside, as in the agent and run; or populated already) */
	hi = atomic_exchange_explicit(&pending_hi, 0, memory_order_relaxed);
	top = (uintptr_t)sbrk(0);
	if (hi != 0 && top != (uintptr_t)-1)
		populate(pending_lo, hi < top ? hi : top);
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

/* Move the heap's growth to the next 2 MiB boundary (heap_base), so that
 * what is allocated from now on fills whole huge pages from their start:
 * malloc takes the break moved under it as another program's and starts
 * its next region there. The gap is address space, never touched; the top
 * of the heap before it becomes a free chunk, used first for small
 * allocations, so it is populated now. False where the top is more than
 * 256 KB (not the fresh process this is for). */
static bool align_heap(void)
{
	uintptr_t cur = (uintptr_t)sbrk(0), a = (cur + HUGE - 1) & ~(HUGE - 1);
	size_t keep = mallinfo2().keepcost;

	if (cur == (uintptr_t)-1 || keep > 256 * 1024 || keep > cur || sbrk((intptr_t)(a - cur)) == (void *)-1)
		return false;
	populate(cur - keep, cur);
	heap_base = a;
	atomic_store_explicit(&huge_done, a, memory_order_relaxed);
	return true;
}

bool heap_huge_cover(const void *b, size_t len)
{
	uintptr_t lo = (uintptr_t)b & ~(HUGE - 1), hi = ((uintptr_t)b + len + HUGE - 1) & ~(HUGE - 1);
	uintptr_t mapped = (uintptr_t)sbrk(0) & ~(HUGE - 1), done;

	/* (only a buffer of the brk heap: one malloc mapped apart, a
	 * sanitizer's, is not touched) */
	if (!atomic_load_explicit(&huge_on, memory_order_relaxed) || (uintptr_t)b < heap_base ||
	    (uintptr_t)b + len > (uintptr_t)sbrk(0))
		return false;
	if (hi > mapped)
		hi = mapped; /* (a buffer the top held without growing may end above
			      * the last whole 2 MiB of the heap: its tail 4 KB pages) */
	done = atomic_load_explicit(&huge_done, memory_order_relaxed);
	if (lo < done)
		lo = done; /* (made already) */
	if (lo >= hi)
		return (uintptr_t)b + len <= hi;
	if (madvise((void *)lo, hi - lo, MADV_HUGEPAGE) != 0)
		return false;
	/* one 2 MiB page at a time: one that holds something (the buffer's
	 * chunk header, small allocations beside it) is copied into a huge
	 * page (MADV_COLLAPSE), and a first collapse that fails says there is
	 * none to be had; one never touched has nothing to collapse (EINVAL)
	 * and takes a huge page when populated */
	for (uintptr_t at = lo; at < hi; at += HUGE) {
		if (madvise((void *)at, HUGE, MADV_COLLAPSE) == 0) {
			atomic_store_explicit(&huge_proven, true, memory_order_relaxed);
			continue;
		}
		if (!atomic_load_explicit(&huge_proven, memory_order_relaxed) &&
		    (uintptr_t)b - 16 >= at && (uintptr_t)b - 16 < at + HUGE) {
			atomic_store_explicit(&huge_on, false, memory_order_relaxed); /* 4 KB pages from now on */
			populate_pending();
			return false;
		}
		if (madvise((void *)at, HUGE, MADV_POPULATE_WRITE) != 0)
			return false;
	}
	if (lo == done)
		atomic_store_explicit(&huge_done, hi, memory_order_relaxed);
	return (uintptr_t)b + len <= hi;
}

void prefault_process(void)
{
	size_t grow = PREFAULT_HEAP;
	void *heap;

	heap_keep();
	prefault_stack();
	/* huge pages for the big files the command reads (heap_huge_cover),
	 * unless they were disabled for this process (prctl, or its parent's) */
	if (prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 0 && align_heap()) {
		/* each growth of the heap leaves a whole 2 MiB beyond the
		 * request mapped, for heap_huge_cover; the first maps 4 MiB
		 * (address space only), which holds the usual root's files */
		(void)mallopt(M_TOP_PAD, (int)HUGE);
		grow = HUGE;
		atomic_store_explicit(&huge_on, true, memory_order_relaxed);
	}
	/* freed at once, it stays the top of the heap (heap_keep) for the
	 * command's own allocations; its first PREFAULT_HEAP populated by
	 * prefault_heap, if the command scans */
	if ((heap = malloc(grow)) != NULL) {
		pending_lo = (uintptr_t)heap;
		atomic_store_explicit(&pending_hi, (uintptr_t)heap + PREFAULT_HEAP, memory_order_relaxed);
		free(heap);
	}
}

void prefault_heap(void)
{
	if (!atomic_load_explicit(&huge_on, memory_order_relaxed))
		populate_pending();
}
