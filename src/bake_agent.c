/*
 * bake_agent.c: the agent binary bake puts into images: read once, checked
 * (ELF, static, size), hashed over the very bytes that get copied.
 */
#include "bake.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"

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

/* ELF, for a machine, with no PT_INTERP; both classes, either byte order
 * of the host's only (an agent must run here too, for `cainit version`). */
static int check_elf(const struct bake_agent *a, const char *show, unsigned *machine, struct cerr *e)
{
	const unsigned char *b = a->buf;
	uint64_t phoff;
	size_t phentsize, phnum, i;
	bool is64;

	if (a->len < EI_NIDENT || memcmp(b, ELFMAG, SELFMAG) != 0)
		return cerr_input(e, "bad_agent", "agent %s: not an ELF executable", show);
	is64 = b[EI_CLASS] == ELFCLASS64;
	if (!is64 && b[EI_CLASS] != ELFCLASS32)
		return cerr_input(e, "bad_agent", "agent %s: an ELF file of unknown class", show);
	if (b[EI_DATA] != ELFDATA2LSB)
		return cerr_input(e, "bad_agent", "agent %s: a big-endian ELF file (not supported)", show);
	if (is64) {
		Elf64_Ehdr h;

		if (a->len < sizeof(h))
			return cerr_input(e, "bad_agent", "agent %s: a truncated ELF header", show);
		memcpy(&h, b, sizeof(h));
		if (h.e_type != ET_EXEC && h.e_type != ET_DYN)
			return cerr_input(e, "bad_agent", "agent %s: an ELF file that is not an executable", show);
		phoff = h.e_phoff;
		phentsize = h.e_phentsize;
		phnum = h.e_phnum;
		*machine = h.e_machine;
		if (phentsize != sizeof(Elf64_Phdr))
			return cerr_input(e, "bad_agent", "agent %s: odd program headers", show);
	} else {
		Elf32_Ehdr h;

		if (a->len < sizeof(h))
			return cerr_input(e, "bad_agent", "agent %s: a truncated ELF header", show);
		memcpy(&h, b, sizeof(h));
		if (h.e_type != ET_EXEC && h.e_type != ET_DYN)
			return cerr_input(e, "bad_agent", "agent %s: an ELF file that is not an executable", show);
		phoff = h.e_phoff;
		phentsize = h.e_phentsize;
		phnum = h.e_phnum;
		*machine = h.e_machine;
		if (phentsize != sizeof(Elf32_Phdr))
			return cerr_input(e, "bad_agent", "agent %s: odd program headers", show);
	}
	if (phnum == 0 || phoff > a->len || phnum > (a->len - phoff) / phentsize)
		return cerr_input(e, "bad_agent", "agent %s: program headers outside the file", show);
	for (i = 0; i < phnum; i++) {
		const unsigned char *ph = b + phoff + i * phentsize;
		uint64_t off, filesz;
		uint32_t type;

		if (is64) {
			Elf64_Phdr p;

			memcpy(&p, ph, sizeof(p));
			type = p.p_type;
			off = p.p_offset;
			filesz = p.p_filesz;
		} else {
			Elf32_Phdr p;

			memcpy(&p, ph, sizeof(p));
			type = p.p_type;
			off = p.p_offset;
			filesz = p.p_filesz;
		}
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
	char show[PATH_MAX + 64], tmp[NAME_MAX + 1];
	const unsigned char *p = a->buf;
	size_t left = a->len;
	struct rpath rp;
	int fd, err = 0;

	if (rootfs_resolve(r, BAKE_AGENT_PATH, RP_MKDIRS, &rp, e) != 0)
		return e->code;
	rootfs_show(r, rp.canon, show, sizeof(show));
	if (rp.exists && !S_ISREG(rp.st.st_mode))
		return cerr_set(e, CAINIT_EOPS, "%s: exists and is not a regular file", show);
	snprintf(tmp, sizeof(tmp), ".%.200s.cainit-tmp", rp.base);
	(void)unlinkat(rp.dirfd, tmp, 0);
	fd = openat(rp.dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
	if (fd < 0)
		return cerr_sys(e, show, "create", errno);
	while (left > 0 && err == 0) {
		ssize_t k = write(fd, p, left);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			err = errno;
		else {
			p += k;
			left -= (size_t)k;
		}
	}
	if (err == 0 && fchmod(fd, 0755) != 0)
		err = errno;
	if (err == 0 && fsync(fd) != 0)
		err = errno;
	close(fd);
	if (err == 0 && renameat(rp.dirfd, tmp, rp.dirfd, rp.base) != 0)
		err = errno;
	if (err != 0) {
		(void)unlinkat(rp.dirfd, tmp, 0);
		return cerr_sys(e, show, "write", err);
	}
	return 0;
}
