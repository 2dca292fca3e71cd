/*
 * bench_run.c: what `cainit run` costs as an entrypoint, against baselines
 * measured in the same run, interleaved so machine noise hits all alike.
 *
 *   true         /bin/true spawned and waited for (the baseline)
 *   run          cainit run -- /bin/true                 target: +1 ms
 *   run_ca       cainit run --ca A -- /bin/true, A already trusted
 *                (a restart)                             target: +1.5 ms
 *   run_rotate   cainit run --ca B -- /bin/true with A trusted: a rotation
 *   static       this program spawned as `--stamp` and waited for: what any
 *                static wrapper's own exec costs here
 *   version      `cainit version`: cainit's exec, doing nothing
 *   stamp        this program spawned as `--stamp`: the time from spawn
 *                to its first instruction (the floor of the next line)
 *   wait         cainit run --wait F -- this program --stamp: F is renamed
 *                into place 20 ms after the start; the time from the rename
 *                to the command's first instruction       target: 5 ms
 *
 * usage: bench_run CAINIT ROOT A.pem B.pem ITERATIONS
 *        bench_run --stamp   (prints CLOCK_MONOTONIC in us and exits)
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

extern char **environ;

static const char *cainit, *root, *ca[2];
static char self[4096];

/* Spawn argv with stdout to out_fd (-1: /dev/null) and stderr discarded;
 * the microseconds until it has exited. */
static double spawn_wait(char **argv, int out_fd)
{
	posix_spawn_file_actions_t fa;
	double t0 = now_us();
	int status;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0 || waitpid(pid, &status, 0) < 0 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_run: %s failed\n", argv[0]);
		exit(1);
	}
	posix_spawn_file_actions_destroy(&fa);
	return now_us() - t0;
}

static double read_stamp(int fd)
{
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	if (n <= 0) {
		fprintf(stderr, "bench_run: no stamp\n");
		exit(1);
	}
	buf[n] = '\0';
	return strtod(buf, NULL);
}

/* spawn -> first instruction of a `--stamp` child */
static double stamp_once(void)
{
	char *argv[] = {self, "--stamp", NULL};
	posix_spawn_file_actions_t fa;
	int p[2], status;
	double t0, t;
	pid_t pid;

	if (pipe(p) < 0)
		exit(1);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	t0 = now_us();
	if (posix_spawn(&pid, self, &fa, NULL, argv, environ) != 0)
		exit(1);
	close(p[1]);
	t = read_stamp(p[0]);
	close(p[0]);
	waitpid(pid, &status, 0);
	posix_spawn_file_actions_destroy(&fa);
	return t - t0;
}

/* rename of the CA file -> first instruction of the command */
static double wait_once(const char *dir, int which)
{
	char file[4200], tmp[4200], *buf;
	char *argv[] = {(char *)cainit, "run", "--root", (char *)root, "--wait", file, "--timeout", "10s",
			"--", self, "--stamp", NULL};
	posix_spawn_file_actions_t fa;
	struct timespec gap = {0, 20 * 1000 * 1000};
	int p[2], status, fd;
	double t_created, t;
	FILE *f;
	long len;
	pid_t pid;

	snprintf(file, sizeof(file), "%s/ca.pem", dir);
	snprintf(tmp, sizeof(tmp), "%s/.ca.pem.tmp", dir);
	unlink(file);
	f = fopen(ca[which], "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0)
		exit(1);
	buf = malloc((size_t)len);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len)
		exit(1);
	fclose(f);
	if (pipe(p) < 0)
		exit(1);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, cainit, &fa, NULL, argv, environ) != 0)
		exit(1);
	close(p[1]);
	nanosleep(&gap, NULL);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, (size_t)len) != len || close(fd) < 0)
		exit(1);
	t_created = now_us();
	if (rename(tmp, file) < 0)
		exit(1);
	t = read_stamp(p[0]);
	close(p[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_run: cainit run --wait failed\n");
		exit(1);
	}
	posix_spawn_file_actions_destroy(&fa);
	free(buf);
	return t - t_created;
}

int main(int argc, char **argv)
{
	double *v[8];
	char dir[4096];
	int n, i, k;

	if (argc == 2 && strcmp(argv[1], "--stamp") == 0) {
		printf("%.3f\n", now_us());
		return 0;
	}
	if (argc != 6 || (n = atoi(argv[5])) < 1) {
		fprintf(stderr, "usage: bench_run CAINIT ROOT A.pem B.pem ITERATIONS\n");
		return 2;
	}
	cainit = argv[1];
	root = argv[2];
	ca[0] = argv[3];
	ca[1] = argv[4];
	if (readlink("/proc/self/exe", self, sizeof(self) - 1) < 0)
		return 1;
	snprintf(dir, sizeof(dir), "%s/../wait-dir", root);
	mkdir(dir, 0755);
	for (k = 0; k < 8; k++)
		v[k] = calloc((size_t)n, sizeof(double));
	{
		char *t[] = {"/bin/true", NULL};
		char *st[] = {self, "--stamp", NULL};
		char *ver[] = {(char *)cainit, "version", NULL};
		char *r[] = {(char *)cainit, "run", "--root", (char *)root, "--", "/bin/true", NULL};
		char *rc[] = {(char *)cainit, "run", "--root", (char *)root, "--ca", (char *)ca[0], "--", "/bin/true", NULL};
		char *rr[] = {(char *)cainit, "run", "--root", (char *)root, "--ca", NULL, "--", "/bin/true", NULL};

		spawn_wait(rc, -1); /* A trusted before the first timed run_ca */
		for (i = 0; i < n; i++) {
			v[0][i] = spawn_wait(t, -1);
			v[1][i] = spawn_wait(r, -1);
			v[2][i] = spawn_wait(rc, -1);
			rr[5] = (char *)ca[1];
			v[3][i] = spawn_wait(rr, -1); /* A -> B */
			v[4][i] = stamp_once();
			v[6][i] = spawn_wait(st, -1);
			v[7][i] = spawn_wait(ver, -1);
			spawn_wait(rc, -1); /* back to A, untimed */
		}
		/* --wait: fewer runs (each sleeps 20 ms), alternating CAs */
		for (i = 0; i < n / 10 + 1; i++)
			v[5][i] = wait_once(dir, i % 2);
	}
	report("true", v[0], n);
	report("run", v[1], n);
	report("run_ca", v[2], n);
	report("run_rotate", v[3], n);
	report("stamp", v[4], n);
	report("wait", v[5], n / 10 + 1);
	report("static", v[6], n);
	report("version", v[7], n);
	return 0;
}
