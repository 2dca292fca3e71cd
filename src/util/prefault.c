/*
 * prefault.c: see prefault.h.
 */
#include "prefault.h"

#include <malloc.h>
#include <stdatomic.h>
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

/* The heap from huge_start to huge_end is huge pages (0, 0: none). */
static uintptr_t huge_start;
static _Atomic uintptr_t huge_end;

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

/* [lo, hi), whole 2 MiB pages of the heap, made huge pages one by one: a
 * page that holds something already (a chunk header malloc wrote) is
 * copied into one (MADV_COLLAPSE); a page never touched has nothing to
 * collapse (EINVAL) and takes one when populated. */
static bool make_huge(uintptr_t lo, uintptr_t hi)
{
	if (madvise((void *)lo, hi - lo, MADV_HUGEPAGE) != 0)
		return false;
	for (uintptr_t at = lo; at < hi; at += HUGE)
		if (madvise((void *)at, HUGE, MADV_COLLAPSE) != 0 && madvise((void *)at, HUGE, MADV_POPULATE_WRITE) != 0)
			return false;
	return true;
}

/* Move the top of the heap to the next 2 MiB boundary and make the
 * PREFAULT_HUGE bytes above it huge pages. The gap skipped is never
 * touched (address space, not memory); the top before it becomes a free
 * chunk, used first for small allocations, so it is populated as 4 KB
 * pages. False where the kernel makes no huge page, or where malloc is not
 * glibc's (a sanitizer's, valgrind's: the block lands elsewhere); the heap
 * is then as it was but for the gap and the populated old top. */
static bool huge_heap(void)
{
	uintptr_t cur = (uintptr_t)sbrk(0), a = (cur + HUGE - 1) & ~(HUGE - 1), top;
	size_t keep = mallinfo2().keepcost;
	char *block;

	/* (a top of more than 256 KB: not the fresh process this is for; a
	 * process that huge pages were disabled for, by prctl or by its
	 * parent, keeps its heap exactly as before) */
	if (cur == (uintptr_t)-1 || keep > 256 * 1024 || keep > cur || prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) != 0 ||
	    sbrk((intptr_t)(a - cur)) == (void *)-1)
		return false;
	top = cur - keep;
	populate(top, cur);
	/* each growth of the heap from now on leaves a whole huge page
	 * beyond the request mapped, for heap_huge_cover */
	(void)mallopt(M_TOP_PAD, (int)HUGE);
	block = malloc(PREFAULT_HUGE);
	/* (its first page holds the block's header: collapsed, or no huge
	 * pages here) */
	if (block == NULL || (uintptr_t)block < a || (uintptr_t)block - a > 64 || madvise((void *)a, PREFAULT_HUGE, MADV_HUGEPAGE) != 0 ||
	    madvise((void *)a, PREFAULT_HUGE, MADV_COLLAPSE) != 0) {
		free(block);
		(void)mallopt(M_TOP_PAD, 128 * 1024); /* (glibc's default) */
		return false;
	}
	free(block); /* the top of the heap again, from a on */
	huge_start = a;
	atomic_store_explicit(&huge_end, a + PREFAULT_HUGE, memory_order_relaxed);
	return true;
}

bool heap_huge_cover(const void *b, size_t len)
{
	uintptr_t end = (uintptr_t)b + len, have = atomic_load_explicit(&huge_end, memory_order_relaxed), to;
	uintptr_t mapped = (uintptr_t)sbrk(0) & ~(HUGE - 1);

	if (have == 0 || (uintptr_t)b < huge_start)
		return false;
	if (end <= have)
		return true;
	/* up to the last whole huge page below the heap's end: a buffer that
	 * the top held without growing may end above it, its tail then 4 KB
	 * pages (and copied into a huge page when the heap grows past it) */
	to = (end + HUGE - 1) & ~(HUGE - 1);
	if (to > mapped)
		to = mapped;
	if (to > have) {
		if (!make_huge(have, to)) {
			atomic_store_explicit(&huge_end, 0, memory_order_relaxed); /* 4 KB pages from now on */
			return false;
		}
		atomic_store_explicit(&huge_end, to, memory_order_relaxed);
	}
	return end <= to;
}

void prefault_process(void)
{
	void *heap;

	heap_keep();
	prefault_stack();
	if (huge_heap())
		return;
	/* freed at once, it stays the top of the heap (heap_keep) for the
	 * command's own allocations */
	if ((heap = malloc(PREFAULT_HEAP)) != NULL) {
		populate((uintptr_t)heap, (uintptr_t)heap + PREFAULT_HEAP);
		free(heap);
	}
}
