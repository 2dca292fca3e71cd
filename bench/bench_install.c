/*
 * bench_install.c: time one CA rotation into a Debian-layout root, three
 * ways in one run, so each figure sits beside its baseline:
 *   floor   write the bundle plus the CA to a temp file and rename it over
 *           a copy of the bundle (the least any never-torn update costs)
 *   engine  trust_install() called in-process
 *   process `cainit install` spawned as a process (posix_spawn + wait)
 * Each iteration installs the other of two CAs, so every install is a real
 * rotation (new CA in, previous one out of every store).
 *
 *   bench_install ROOT CA_A CA_B ITERATIONS CAINIT_BINARY
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "trust.h"

extern char **environ;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *name, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%s median_us=%.1f p99_us=%.1f n=%d\n", name, v[n / 2], v[(n * 99) / 100], n);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
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

int main(int argc, char **argv)
{
	const char *root, *cainit;
	char bundle[4096], floor_path[4096], floor_tmp[4096];
	struct cert_list ca[2];
	struct trust_report rep;
	struct cerr e = {0};
	double *t;
	int n, i;
	size_t blen, clen[2];
	char *bbuf, *cbuf[2];

	if (argc != 6) {
		fprintf(stderr, "usage: bench_install ROOT CA_A CA_B ITERATIONS CAINIT_BINARY\n");
		return 2;
	}
	root = argv[1];
	n = atoi(argv[4]);
	cainit = argv[5];
	t = calloc((size_t)n, sizeof(*t));
	load(argv[2], &ca[0]);
	load(argv[3], &ca[1]);
	cbuf[0] = slurp(argv[2], &clen[0]);
	cbuf[1] = slurp(argv[3], &clen[1]);
	snprintf(bundle, sizeof(bundle), "%s/etc/ssl/certs/ca-certificates.crt", root);
	snprintf(floor_path, sizeof(floor_path), "%s/etc/ssl/certs/floor.crt", root);
	snprintf(floor_tmp, sizeof(floor_tmp), "%s/etc/ssl/certs/.floor.crt.tmp", root);
	bbuf = slurp(bundle, &blen);
	printf("bundle_bytes=%zu\n", blen);

	/* (c) the floor: bundle + CA into a temp file, renamed over a copy */
	for (i = 0; i < n; i++) {
		double t0 = now_us();
		int fd = open(floor_tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

		if (fd < 0 || write(fd, bbuf, blen) != (ssize_t)blen ||
		    write(fd, cbuf[i % 2], clen[i % 2]) != (ssize_t)clen[i % 2] || close(fd) < 0 ||
		    rename(floor_tmp, floor_path) < 0) {
			perror("floor");
			return 1;
		}
		t[i] = now_us() - t0;
	}
	unlink(floor_path);
	report("floor", t, n);

	/* (a) the engine, in-process */
	if (trust_install(root, "bench", &ca[1], 0, "bench", &rep, &e) != 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	for (i = 0; i < n; i++) {
		double t0 = now_us();

		if (trust_install(root, "bench", &ca[i % 2], 0, "bench", &rep, &e) != 0) {
			fprintf(stderr, "%s\n", e.msg);
			return 1;
		}
		t[i] = now_us() - t0;
		if (rep.changes == 0) {
			fprintf(stderr, "bench: install %d changed nothing\n", i);
			return 1;
		}
	}
	report("engine", t, n);

	/* (b) the cainit install process */
	for (i = 0; i < n; i++) {
		char *args[] = {(char *)cainit, "install", "--root", (char *)root, "--name", "bench",
				argv[2 + i % 2], NULL};
		int status, devnull = open("/dev/null", O_WRONLY);
		posix_spawn_file_actions_t fa;
		double t0;
		pid_t pid;

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, devnull, 2);
		t0 = now_us();
		if (posix_spawn(&pid, cainit, &fa, NULL, args, environ) != 0 || waitpid(pid, &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "bench: cainit install failed\n");
			return 1;
		}
		t[i] = now_us() - t0;
		posix_spawn_file_actions_destroy(&fa);
		close(devnull);
	}
	report("process", t, n);
	trust_remove(root, NULL, &rep, &e);
	cert_list_free(&ca[0]);
	cert_list_free(&ca[1]);
	free(bbuf);
	free(cbuf[0]);
	free(cbuf[1]);
	free(t);
	return 0;
}
