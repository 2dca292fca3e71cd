/*
 * bench_install.c: the timings behind `make bench`, each beside a baseline
 * measured in the same run on the same root (a Debian layout on tmpfs):
 *
 *   floor        write the bundle plus one CA to a temp file and rename it
 *                (the least any never-torn bundle update costs)
 *   floor4       the same plus the three small stores cainit also keeps
 *                (anchor file, hashed-dir file + link, CA-only file), all
 *                written blind: the I/O floor of a four-store install
 *   engine       trust_install() in-process, one new CA into a fresh copy
 *                (restored, untimed, by trust_remove between iterations)
 *   rotation     trust_install() in-process, alternating two CAs
 *   spawn        `cainit --help` spawned: what starting the binary costs here
 *   process      `cainit install` spawned, one new CA into a fresh copy
 *   process_4k   the same with transparent huge pages disabled for it
 *                (prctl PR_SET_THP_DISABLE): its heap in 4 KB pages
 *   faults       the median page faults spawn's and process's runs took
 *                (a perf software counter: -1 where perf events are denied)
 *
 *   bench_install ROOT CA_A CA_B ITERATIONS CAINIT_BINARY
 * With "-" for CAINIT_BINARY, only floor, engine and rotation (for other
 * roots: one with a Java keystore, larger bundles). Prints "NAME median_us=M p99_us=P n=N" lines.
 */
#include <fcntl.h>
#include <linux/perf_event.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#include "cert.h"
#include "trust.h"

extern char **environ;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		die(path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die(path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void load(const char *path, struct cert_list *l)
{
	struct cerr e = {0};
	size_t len;
	char *buf = slurp(path, &len);

	if (cert_list_parse((unsigned char *)buf, len, path, l, &e) != 0) {
		fprintf(stderr, "%s\n", e.msg);
		exit(1);
	}
	free(buf);
}

/* write p[0..n) (and q[0..m)) to dir/.tmp, rename to dir/name */
static void blind_write(const char *dir, const char *name, const char *p, size_t n, const char *q, size_t m)
{
	char tmp[4096], dst[4096];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/.%s.floor", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, p, n) != (ssize_t)n || (m && write(fd, q, m) != (ssize_t)m) || close(fd) < 0 ||
	    rename(tmp, dst) < 0)
		die(dst);
}

/* A page-fault counter of this process and the children it starts after
 * (inherited): the faults taken, not the pages populated in one call, which
 * getrusage counts alike. -1 where perf events are not allowed. */
static int fault_counter(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_PAGE_FAULTS,
		.disabled = 1,
		.inherit = 1,
		.exclude_kernel = 0,
	};

	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/* Run argv to completion with its output discarded; microseconds taken,
 * and the page faults it took (*faults: -1 without a counter). */
static double spawn(const char *path, char **argv, double *faults)
{
	static int counter = -2;
	uint64_t before = 0, after = 0;
	posix_spawn_file_actions_t fa;
	int status;
	double t0;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (counter == -2 && (counter = fault_counter()) >= 0)
		ioctl(counter, PERF_EVENT_IOC_ENABLE, 0);
	if (counter >= 0 && read(counter, &before, sizeof(before)) != sizeof(before))
		die("read perf counter");
	t0 = now_us();
	if (posix_spawn(&pid, path, &fa, NULL, argv, environ) != 0 || waitpid(pid, &status, 0) < 0 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: %s %s failed\n", path, argv[1]);
		exit(1);
	}
	t0 = now_us() - t0;
	if (counter >= 0 && read(counter, &after, sizeof(after)) != sizeof(after))
		die("read perf counter");
	posix_spawn_file_actions_destroy(&fa);
	*faults = counter >= 0 ? (double)(after - before) : -1;
	return t0;
}

static void check(int rc, const struct cerr *e)
{
	if (rc != 0) {
		fprintf(stderr, "bench: %s\n", e->msg);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	char certs[4096], anchors[4096], sets[4096], link[4200];
	struct cert_list ca[2];
	struct trust_report rep;
	struct cerr e = {0};
	const char *root, *cainit;
	size_t blen, clen;
	char *bbuf, *cbuf;
	double *t, t0;
	int n, i;

	if (argc != 6) {
		fprintf(stderr, "usage: bench_install ROOT CA_A CA_B ITERATIONS CAINIT_BINARY\n");
		return 2;
	}
	root = argv[1];
	n = atoi(argv[4]);
	cainit = strcmp(argv[5], "-") == 0 ? NULL : argv[5];
	t = calloc((size_t)n, sizeof(*t));
	load(argv[2], &ca[0]);
	load(argv[3], &ca[1]);
	snprintf(certs, sizeof(certs), "%s/etc/ssl/certs", root);
	snprintf(anchors, sizeof(anchors), "%s/usr/local/share/ca-certificates", root);
	snprintf(sets, sizeof(sets), "%s/etc/cainit/sets", root);
	snprintf(link, sizeof(link), "%s/abcdef01.0", certs);
	{
		char bundle[4200];

		snprintf(bundle, sizeof(bundle), "%s/ca-certificates.crt", certs);
		bbuf = slurp(bundle, &blen);
	}
	cbuf = ca[0].v[0].pem;
	clen = ca[0].v[0].pem_len;
	printf("bundle_bytes=%zu\n", blen);
	/* cainit's own directories exist, as they do after a first install
	 * (made here, they are not cainit's to take away with the last set) */
	{
		char dir[4200];

		snprintf(dir, sizeof(dir), "%s/etc/cainit", root);
		mkdir(dir, 0755);
		mkdir(sets, 0755);
	}
	check(trust_install(root, "bench", &ca[0], NULL, "bench", &rep, &e), &e);
	check(trust_remove(root, "bench", NULL, &rep, &e), &e);

	for (i = 0; i < n; i++) {
		t0 = now_us();
		blind_write(certs, "floor.crt", bbuf, blen, cbuf, clen);
		t[i] = now_us() - t0;
	}
	report("floor", t, n);

	for (i = 0; cainit && i < n; i++) {
		t0 = now_us();
		blind_write(certs, "floor.crt", bbuf, blen, cbuf, clen);
		blind_write(anchors, "floor.crt", cbuf, clen, NULL, 0);
		blind_write(certs, "floor.pem", cbuf, clen, NULL, 0);
		blind_write(sets, "floor.pem", cbuf, clen, NULL, 0);
		unlink(link);
		if (symlink("floor.pem", link) < 0)
			die(link);
		t[i] = now_us() - t0;
	}
	if (cainit)
		report("floor4", t, n);
	{
		char p[4200];

		snprintf(p, sizeof(p), "%s/floor.crt", certs);
		unlink(p);
		snprintf(p, sizeof(p), "%s/floor.pem", certs);
		unlink(p);
		snprintf(p, sizeof(p), "%s/floor.crt", anchors);
		unlink(p);
		snprintf(p, sizeof(p), "%s/floor.pem", sets);
		unlink(p);
		unlink(link);
	}

	for (i = 0; i < n; i++) {
		t0 = now_us();
		check(trust_install(root, "bench", &ca[i % 2], NULL, "bench", &rep, &e), &e);
		t[i] = now_us() - t0;
		check(trust_remove(root, "bench", NULL, &rep, &e), &e);
	}
	report("engine", t, n);

	check(trust_install(root, "bench", &ca[1], NULL, "bench", &rep, &e), &e);
	for (i = 0; i < n; i++) {
		t0 = now_us();
		check(trust_install(root, "bench", &ca[i % 2], NULL, "bench", &rep, &e), &e);
		t[i] = now_us() - t0;
		if (rep.changes == 0) {
			fprintf(stderr, "bench: rotation %d changed nothing\n", i);
			return 1;
		}
	}
	report("rotation", t, n);

	/* the same CA again: scanned every time (TRUST_FULL, as bake does),
	 * then answered by the seal (seal.h), once the unchanged installs
	 * have written it (its stamps must first be older than a clock tick) */
	if (cainit) {
		const struct trust_opts full = {.flags = TRUST_FULL};
		char seal[4200];
		struct stat st;

		snprintf(seal, sizeof(seal), "%s/etc/cainit/seal/last", root);
		check(trust_install(root, "bench", &ca[0], NULL, "bench", &rep, &e), &e);
		for (i = 0; i < n; i++) {
			t0 = now_us();
			check(trust_install(root, "bench", &ca[0], &full, "bench", &rep, &e), &e);
			t[i] = now_us() - t0;
		}
		report("unchanged_scan", t, n);
		for (i = 0; stat(seal, &st) != 0; i++) {
			if (i == 20000)
				die("no seal after 20000 unchanged installs");
			check(trust_install(root, "bench", &ca[0], NULL, "bench", &rep, &e), &e);
		}
		for (i = 0; i < n; i++) {
			t0 = now_us();
			check(trust_install(root, "bench", &ca[0], NULL, "bench", &rep, &e), &e);
			t[i] = now_us() - t0;
			if (rep.changes != 0 || stat(seal, &st) != 0) {
				fprintf(stderr, "bench: a sealed install changed something, or dropped the seal\n");
				return 1;
			}
		}
		report("unchanged_sealed", t, n);
		{
			double *s = calloc((size_t)n, sizeof(*s));
			char *help[] = {(char *)cainit, "--help", NULL};
			char *args[] = {(char *)cainit, "install", "--root", (char *)root, "--name", "bench", argv[2], NULL};

			double f;

			for (i = 0; i < n; i++) {
				s[i] = spawn(cainit, help, &f);
				t[i] = spawn(cainit, args, &f);
			}
			if (stat(seal, &st) != 0)
				die("the sealed processes dropped the seal");
			report("spawn_sealed", s, n);
			report("process_sealed", t, n);
			free(s);
		}
	}
	check(trust_remove(root, "bench", NULL, &rep, &e), &e);

	/* the two process measurements interleave, so noise hits both alike */
	if (cainit) {
		double *s = calloc((size_t)n, sizeof(*s)), *sf = calloc((size_t)n, sizeof(*sf)),
		       *tf = calloc((size_t)n, sizeof(*tf));

		double *t4 = calloc((size_t)n, sizeof(*t4)), f4;

		for (i = 0; i < n; i++) {
			char *help[] = {(char *)cainit, "--help", NULL};
			char *args[] = {(char *)cainit, "install", "--root", (char *)root, "--name", "bench",
					argv[2 + i % 2], NULL};

			s[i] = spawn(cainit, help, &sf[i]);
			t[i] = spawn(cainit, args, &tf[i]);
			check(trust_remove(root, "bench", NULL, &rep, &e), &e);
			/* the same with transparent huge pages disabled for the
			 * child (the flag survives exec): its heap in 4 KB pages,
			 * as before src/util/prefault.c made it huge pages */
			if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0)
				die("prctl(PR_SET_THP_DISABLE)");
			t4[i] = spawn(cainit, args, &f4);
			if (prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0) != 0)
				die("prctl(PR_SET_THP_DISABLE)");
			check(trust_remove(root, "bench", NULL, &rep, &e), &e);
		}
		report("spawn", s, n);
		report("process", t, n);
		report("process_4k", t4, n);
		free(t4);
		qsort(sf, (size_t)n, sizeof(*sf), cmp_double);
		qsort(tf, (size_t)n, sizeof(*tf), cmp_double);
		printf("faults spawn=%.0f process=%.0f\n", sf[n / 2], tf[n / 2]);
		free(s);
		free(sf);
		free(tf);
	}

	cert_list_free(&ca[0]);
	cert_list_free(&ca[1]);
	free(bbuf);
	free(t);
	return 0;
}
