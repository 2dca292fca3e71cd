/*
 * bake_agent.c: the agent binary bake puts into images: read once, checked
 * (ELF, static, size), hashed over the very bytes that get copied.
 */
#include "bake.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "file_write.h"

static int read_agent(const char *path, const char *show, struct bake_agent *a, struct cerr *e)
{
	struct stat st;
	size_t cap;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return errno == ENOENT ? cerr_input(e, "bad_agent", "agent %s: no such file", show)
				       : cerr_sys(e, show, "open", errno);
	if (fstat(fd, &st) != 0) {
		close(fd);
		return cerr_sys(e, show, "stat", errno);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return cerr_input(e, "bad_agent", "agent %s: not a regular file", show);
	}
	if (st.st_size > BAKE_AGENT_MAX) {
		close(fd);
		return cerr_input(e, "bad_agent", "agent %s: %lld bytes, more than the %d MiB an agent may have", show,
				  (long long)st.st_size, BAKE_AGENT_MAX >> 20);
	}
	cap = (size_t)st.st_size + 1; /* one more byte: to see it grow while read */
	a->buf = malloc(cap);
	if (a->buf == NULL) {
		close(fd);
		return cerr_sys(e, show, "malloc", ENOMEM);
	}
	while (a->len < cap) {
		ssize_t k = read(fd, a->buf + a->len, cap - a->len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int err = errno;

			close(fd);
			return cerr_sys(e, show, "read", err);
		}
		if (k == 0)
			break;
		a->len += (size_t)k;
	}
	close(fd);
	if (a->len != (size_t)st.st_size)
		return cerr_set(e, CAINIT_EOPS, "agent %s: changed while it was read", show);
	return 0;
}

/* Where the fields bake reads sit in each ELF class (elf.h's layouts). */
struct elf_offsets {
	size_t ehdr, e_phoff, phoff_len, e_phentsize, e_phnum, phdr, p_offset, p_filesz, word;
};
static const struct elf_offsets ELF64 = {
	sizeof(Elf64_Ehdr), offsetof(Elf64_Ehdr, e_phoff), 8, offsetof(Elf64_Ehdr, e_phentsize),
	offsetof(Elf64_Ehdr, e_phnum), sizeof(Elf64_Phdr), offsetof(Elf64_Phdr, p_offset),
	offsetof(Elf64_Phdr, p_filesz), 8,
};
static const struct elf_offsets ELF32 = {
	sizeof(Elf32_Ehdr), offsetof(Elf32_Ehdr, e_phoff), 4, offsetof(Elf32_Ehdr, e_phentsize),
	offsetof(Elf32_Ehdr, e_phnum), sizeof(Elf32_Phdr), offsetof(Elf32_Phdr, p_offset),
	offsetof(Elf32_Phdr, p_filesz), 4,
};

/* A little-endian unsigned field of n bytes. */
static uint64_t le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/* An executable ELF file (little-endian, either class), no segment past
 * its end, and no PT_INTERP: static. */
static int check_elf(const struct bake_agent *a, const char *show, unsigned *machine, struct cerr *e)
{
	const unsigned char *b = a->buf;
	const struct elf_offsets *o;
	uint64_t phoff, type;
	size_t phnum, i;

	if (a->len < EI_NIDENT || memcmp(b, ELFMAG, SELFMAG) != 0)
		return cerr_input(e, "bad_agent", "agent %s: not an ELF executable", show);
	if (b[EI_CLASS] != ELFCLASS64 && b[EI_CLASS] != ELFCLASS32)
		return cerr_input(e, "bad_agent", "agent %s: an ELF file of unknown class", show);
	if (b[EI_DATA] != ELFDATA2LSB)
		return cerr_input(e, "bad_agent", "agent %s: a big-endian ELF file (not supported)", show);
	o = b[EI_CLASS] == ELFCLASS64 ? &ELF64 : &ELF32;
	if (a->len < o->ehdr)
		return cerr_input(e, "bad_agent", "agent %s: a truncated ELF header", show);
	type = le(b + offsetof(Elf64_Ehdr, e_type), 2); /* e_type and e_machine: same place in both */
	if (type != ET_EXEC && type != ET_DYN)
		return cerr_input(e, "bad_agent", "agent %s: an ELF file that is not an executable", show);
	*machine = (unsigned)le(b + offsetof(Elf64_Ehdr, e_machine), 2);
	phoff = le(b + o->e_phoff, o->phoff_len);
	phnum = (size_t)le(b + o->e_phnum, 2);
	if (le(b + o->e_phentsize, 2) != o->phdr)
		return cerr_input(e, "bad_agent", "agent %s: odd program headers", show);
	if (phnum == 0 || phoff > a->len || phnum > (a->len - phoff) / o->phdr)
		return cerr_input(e, "bad_agent", "agent %s: program headers outside the file", show);
	for (i = 0; i < phnum; i++) {
		const unsigned char *ph = b + phoff + i * o->phdr;
		uint64_t off = le(ph + o->p_offset, o->word), filesz = le(ph + o->p_filesz, o->word);

		type = le(ph, 4); /* p_type comes first in both */
		if (type == PT_INTERP)
			return cerr_input(e, "bad_agent",
					  "agent %s: dynamically linked (it has an interpreter), so it would not run in "
					  "images without that libc: give a static build", show);
		if (type == PT_LOAD && (off > a->len || filesz > a->len - off))
			return cerr_input(e, "bad_agent", "agent %s: truncated (a segment ends past the end of the file)",
					  show);
	}
	return 0;
}

int bake_agent_load(const char *path, struct bake_agent *a, struct cerr *e)
{
	const char *show = path ? path : "/proc/self/exe (this cainit)";

	memset(a, 0, sizeof(*a));
	if (read_agent(path ? path : "/proc/self/exe", show, a, e) != 0 ||
	    check_elf(a, show, &a->machine, e) != 0) {
		bake_agent_free(a);
		return e->code;
	}
	digest_sha256_hex(a->buf, a->len, a->sha256);
	return 0;
}

void bake_agent_free(struct bake_agent *a)
{
	free(a->buf);
	a->buf = NULL;
	a->len = 0;
}

const char *bake_machine_arch(unsigned machine)
{
	switch (machine) {
	case EM_X86_64:
		return "amd64";
	case EM_AARCH64:
		return "arm64";
	case EM_386:
		return "386";
	case EM_ARM:
		return "arm";
	case EM_PPC64:
		return "ppc64le";
	case EM_S390:
		return "s390x";
	case EM_RISCV:
		return "riscv64";
	default:
		return NULL;
	}
}

int bake_agent_place(struct rootfs *r, const struct bake_agent *a, struct cerr *e)
{
	char show[PATH_MAX + 64];
	struct rpath rp;

	if (rootfs_resolve(r, BAKE_AGENT_PATH, RP_MKDIRS, &rp, e) != 0)
		return e->code;
	rootfs_show(r, rp.canon, show, sizeof(show));
	if (rp.exists && !S_ISREG(rp.st.st_mode))
		return cerr_set(e, CAINIT_EOPS, "%s: exists and is not a regular file", show);
	return file_write_atomic(rp.dirfd, rp.base, show, a->buf, a->len, 0755, e);
}
