/*
 * prefault.h: the memory habits of cainit's processes.
 *
 * A page fault costs 5 to 20 us in a VM, and a fresh cainit process that
 * reads a root first touches about a hundred pages of stack and heap: the
 * scan's state, each room's file table, the resolver's path buffers. Two
 * calls fault them in instead (populating a page costs under 1 us), the
 * heap's only once the command scans a root, and the heap is kept between
 * changes rather than handed back to the kernel.
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

/* heap_keep, then populate PREFAULT_STACK of stack below the caller, set
 * PREFAULT_HEAP of heap aside for prefault_heap, and move the heap's
 * growth to a 2 MiB boundary with huge pages turned on for
 * heap_huge_cover. For a process about to run the engine once (not the
 * agent: its idle memory counts more). */
void prefault_process(void);

/* The engine is about to scan a root: populate the heap prefault_process
 * set aside, unless huge pages are on (a no-op in any other process, and
 * after the first call). Then, if huge pages turn out not to be had (the
 * first collapse fails: a kernel before 6.1, no huge page free; THP
 * "never" does not stop MADV_COLLAPSE), heap_huge_cover populates it.
 *
 * Why not at once: an unchanged install answered by the seal never uses
 * that heap, and populating it cost such a process about 100 us; with huge
 * pages on, a change paid about as much for it as well (the 4 KB pages it
 * populated are then copied into a huge page); with 4 KB pages, a change
 * gains about 140 us from it. (2026-12-05, this project's VM, spawn
 * harness, the two variants in turns on one CPU: README, Performance.) */
void prefault_heap(void);

/* A big buffer about to be filled (a file read whole): where
 * prefault_process turned huge pages on, make the 2 MiB pages of the heap
 * that hold it transparent huge pages (MADV_COLLAPSE, Linux 6.1: what is
 * there already is copied in), and say whether all of it is now populated;
 * false (the kernel has no huge page to give, its tail lies above the
 * heap's last whole 2 MiB, another process): populate it as usual.
 * Thread-safe.
 *
 * Why: on a VM whose hypervisor shadows page tables (this project's PVM),
 * the first write and the first read of each 4 KB page cost about 4 us
 * each even when populated (bench/RESULTS.md, "A fresh process's pages");
 * a 2 MiB page costs them once. A `cainit install` process on a root with
 * thirteen big files (2.8 MB: five Pythons, two JDKs) took 15.2-15.6 ms in
 * 4 KB pages and 7.1-7.4 ms in huge ones, on a 10,000-certificate root 25.4
 * against 8.6 ms; on the plain root and for an unchanged install, no
 * change beyond the noise (bench_install and a spawn harness, pinned, the
 * two builds in turns). Making the heap's first 2 MiB huge at the start
 * instead cost an unchanged install, which reads no big file, 0.3 ms. */
bool heap_huge_cover(const void *b, size_t len);

#endif
