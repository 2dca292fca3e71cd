/*
 * prefault.h: the memory habits of cainit's processes.
 *
 * A page fault costs 5 to 20 us in a VM, and a fresh cainit process that
 * reads a root first touches about a hundred pages of stack and heap: the
 * scan's state, each room's file table, the resolver's path buffers. Two
 * calls fault them in instead (populating a page costs under 1 us), and
 * the heap is kept between changes rather than handed back to the kernel.
 */
#ifndef CAINIT_PREFAULT_H
#define CAINIT_PREFAULT_H

#include <stdbool.h>
#include <stddef.h>

/* What a command that reads a root touches (measured: the stack of an
 * install stays within the 128 KB the kernel maps at exec; its heap, the
 * bundle aside, is about 400 KB). */
#define PREFAULT_STACK (128 * 1024)
#define PREFAULT_HEAP (512 * 1024)

/* Keep freed heap mapped: big buffers come from the heap, not from mmap,
 * and up to 32 MiB of free heap stays between changes. A long-lived agent
 * would otherwise fault every keystore and bundle buffer in again; and in a
 * VM whose balloon reports free pages to the host (Firecracker, QEMU's
 * free page reporting), memory handed back and taken again is backed anew
 * by the host at its first touch: with a 4 MiB limit, a 6.5 MB bundle
 * (10,000 certificates) was read and scanned at under 1 GB/s, and each
 * rotation took 21 to 30 ms instead of 2.3 ms (bench/RESULTS.md, scaling).
 * A root with the usual bundle never has that much heap to keep. */
void heap_keep(void);

/* heap_keep, then populate PREFAULT_STACK of stack below the caller, and
 * make the top of the heap transparent huge pages (PREFAULT_HUGE bytes at
 * a 2 MiB boundary) where the kernel has them (MADV_COLLAPSE, Linux 6.1),
 * else populate PREFAULT_HEAP of heap. For a process about to run the
 * engine once. Why huge pages: on a VM whose hypervisor shadows page
 * tables, the first write and the first read of each 4 KB page cost about
 * 5 us each even when populated (bench/RESULTS.md, "A fresh process's
 * pages"); a 2 MiB page costs them once. A `cainit install` process on a
 * root with thirteen big files (2.8 MB: five Pythons, two JDKs) took 14.4
 * ms with 4 KB pages, 6.4 ms with huge ones (make bench, (pp)). */
#define PREFAULT_HUGE ((size_t)2 * 1024 * 1024)
void prefault_process(void);

/* Where prefault_process made the heap huge pages: extend them over
 * [b, b + len), a buffer about to be filled, and say whether all of it is
 * now populated (huge pages, or 4 KB ones where the kernel had no huge
 * page to give); false: populate it as usual. Thread-safe; false in a
 * process that did not call prefault_process (the agent). */
bool heap_huge_cover(const void *b, size_t len);

#endif
