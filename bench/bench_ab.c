/*
 * bench_ab.c: two cainit builds compared as whole `cainit install`
 * processes, in turns (A, B, A, B...), so that both see the same drift of
 * this VM's speed; for a change whose effect is smaller than the drift
 * between two `make bench` runs. Pin it to one CPU (taskset -c N): the
 * two vCPUs of this project's VM differ by up to 1.7x.
 *
 *   bench_ab N CAINIT_A CAINIT_B ROOT CA1 [CA2 [4k]]
 *
 * Each build runs N installs into ROOT. With CA1 alone, every install is
 * the same CA again (the seal answers, once one has written it); with CA2,
 * the runs alternate CA1 and CA2 across both builds, so that every install
 * is a rotation. With "4k", the installs run with transparent huge pages
 * turned off (PR_SET_THP_DISABLE, which children inherit: the bench's
 * (b4)). Prints each build's median and p99 and how many installs failed.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "bench_util.h"

extern char **environ;

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	double *t[2];
	int n, fails = 0, turn = 0;

	if (argc < 6 || argc > 8 || (n = atoi(argv[1])) < 1 || (argc == 8 && strcmp(argv[7], "4k") != 0)) {
		fprintf(stderr, "usage: bench_ab N CAINIT_A CAINIT_B ROOT CA1 [CA2 [4k]]\n");
		return 2;
	}
	if (argc == 8 && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) {
		perror("PR_SET_THP_DISABLE");
		return 1;
	}
	t[0] = calloc((size_t)n, sizeof(double));
	t[1] = calloc((size_t)n, sizeof(double));
	if (t[0] == NULL || t[1] == NULL)
		return 1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 2; k++) {
			char *ca = argc >= 7 && (turn++ & 1) ? argv[6] : argv[5];
			char *av[] = {argv[2 + k], "install", "--root", argv[4], ca, NULL};
			double t0 = now_us();
			pid_t pid;
			int st;

			if (posix_spawn(&pid, av[0], &fa, NULL, av, environ) != 0 || waitpid(pid, &st, 0) != pid) {
				perror(av[0]);
				return 1;
			}
			t[k][i] = now_us() - t0;
			fails += st != 0;
		}
	report("A", t[0], n);
	report("B", t[1], n);
	printf("failed=%d\n", fails);
	return fails != 0;
}
