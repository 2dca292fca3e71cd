/*
 * bench_agent.c: the agent over loopback with keep-alive, each figure beside
 * the GET /health round trip measured in the same run:
 *   ready      exec of `cainit serve` to its first successful /health; the
 *              bench blocks on a pipe for the agent's "listening on" line,
 *              then sends /health. With "spin" as a seventh argument, it
 *              dials in a loop from the exec on instead, as a client that
 *              polls without pause: on this 2-vCPU VM such a client takes a
 *              CPU the starting agent needs, at times for a whole time
 *              slice (15 starts by hand, in turns: medians 7.9 against 4.1
 *              ms; in make bench runs, 0.1 to 0.6 ms), so the loop measures
 *              itself as much as the agent
 *   trusted    exec of `cainit serve` to its answer to the first POST /init
 *              (ready, then CA A installed: what a sandbox start waits for)
 *   health     GET /health round trip (the floor)
 *   resume     POST /init with the bundle already installed
 *   rotation   POST /init alternating two CAs
 *   rss        the agent's VmRSS when idle, after the runs
 *
 *   bench_agent CAINIT ROOT PORT CA_A CA_B ITERATIONS [spin]
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

extern char **environ;

static int dial(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send req, read one response; returns its status (or -1). */
static int roundtrip(int fd, const char *req, size_t len)
{
	static char buf[65536];
	size_t got = 0, need = 0;
	char *eoh, *cl;
	int status;

	if (write(fd, req, len) != (ssize_t)len)
		return -1;
	for (;;) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
		buf[got] = '\0';
		eoh = strstr(buf, "\r\n\r\n");
		if (eoh == NULL)
			continue;
		cl = strcasestr(buf, "Content-Length:");
		need = (size_t)(eoh + 4 - buf) + (cl && cl < eoh ? strtoul(cl + 15, NULL, 10) : 0);
		if (got >= need)
			break;
	}
	if (sscanf(buf, "HTTP/1.1 %d", &status) != 1)
		return -1;
	return status;
}

static char *init_request(const char *pem_path, size_t *len)
{
	FILE *f = fopen(pem_path, "r");
	char pem[8192], body[16384], *req;
	size_t n, i, k = 0;

	if (f == NULL)
		exit(1);
	n = fread(pem, 1, sizeof(pem) - 1, f);
	fclose(f);
	k += (size_t)snprintf(body, sizeof(body), "{\"caBundle\":\"");
	for (i = 0; i < n; i++) {
		if (pem[i] == '\n') {
			body[k++] = '\\';
			body[k++] = 'n';
		} else {
			body[k++] = pem[i];
		}
	}
	k += (size_t)snprintf(body + k, sizeof(body) - k, "\"}");
	req = malloc(k + 256);
	*len = (size_t)sprintf(req, "POST /init HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n%s", k, body);
	return req;
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* The agent's stderr, copied to ours once it has said it listens, so that
 * its later lines can never fill the pipe and block it. */
static void *drain(void *arg)
{
	int fd = *(int *)arg;
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(2, buf, (size_t)n) < 0)
			break;
	return NULL;
}

/* Block until the agent's stderr (the pipe's read end, fd) has said
 * "listening on"; 0 then, -1 if it ended first. */
static int await_listening(int fd)
{
	static char seen[8192];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(seen) - 1 && (n = read(fd, seen + got, sizeof(seen) - 1 - got)) > 0) {
		got += (size_t)n;
		seen[got] = '\0';
		if (strstr(seen, "listening on") != NULL) {
			if (write(2, seen, got) < 0)
				return -1;
			return 0;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	static const char health[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
	char listen[64], *args[10];
	size_t alen, blen;
	char *ra, *rb;
	double *t, t0;
	int port, n, i, fd = -1, status;
	pid_t pid;

	posix_spawn_file_actions_t fa;
	pthread_t drainer;
	int errp[2] = {-1, -1};
	bool spin = argc == 8 && strcmp(argv[7], "spin") == 0;

	if (argc != 7 && !spin) {
		fprintf(stderr, "usage: bench_agent CAINIT ROOT PORT CA_A CA_B ITERATIONS [spin]\n");
		return 2;
	}
	port = atoi(argv[3]);
	n = atoi(argv[6]);
	t = calloc((size_t)n, sizeof(*t));
	ra = init_request(argv[4], &alen);
	rb = init_request(argv[5], &blen);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	args[0] = argv[1];
	args[1] = "serve";
	args[2] = "--root";
	args[3] = argv[2];
	args[4] = "--listen";
	args[5] = listen;
	args[6] = "--quiet";
	args[7] = NULL;

	posix_spawn_file_actions_init(&fa);
	if (!spin && (pipe2(errp, O_CLOEXEC) != 0 || posix_spawn_file_actions_adddup2(&fa, errp[1], 2) != 0))
		return 1;
	t0 = now_us();
	if (posix_spawn(&pid, argv[1], &fa, NULL, args, environ) != 0)
		return 1;
	if (!spin) {
		close(errp[1]);
		if (await_listening(errp[0]) != 0) {
			fprintf(stderr, "bench_agent: the agent never said it listens\n");
			return 1;
		}
		if (pthread_create(&drainer, NULL, drain, &errp[0]) != 0)
			return 1;
		if ((fd = dial(port)) < 0 || roundtrip(fd, health, sizeof(health) - 1) != 204) {
			fprintf(stderr, "bench_agent: no /health after the agent said it listens\n");
			return 1;
		}
	}
	while (spin) {
		fd = dial(port);
		if (fd >= 0 && roundtrip(fd, health, sizeof(health) - 1) == 204)
			break;
		if (fd >= 0)
			close(fd);
		if (now_us() - t0 > 5e6)
			return 1;
	}
	printf("ready_us=%.0f\n", now_us() - t0);
	printf("rss_start_kb=%ld\n", rss_kb(pid));

	if (roundtrip(fd, ra, alen) != 204) /* A installed */
		return 1;
	printf("trusted_us=%.0f\n", now_us() - t0);
	/* interleaved, so that the machine's noise hits both alike */
	{
		double *h = calloc((size_t)n, sizeof(*h));

		for (i = 0; i < n; i++) {
			t0 = now_us();
			status = roundtrip(fd, health, sizeof(health) - 1);
			h[i] = now_us() - t0;
			if (status != 204)
				return 1;
			t0 = now_us();
			status = roundtrip(fd, ra, alen);
			t[i] = now_us() - t0;
			if (status != 204)
				return 1;
		}
		report("health", h, n);
		free(h);
	}
	report("resume", t, n);
	for (i = 0; i < n; i++) {
		t0 = now_us();
		status = i % 2 ? roundtrip(fd, ra, alen) : roundtrip(fd, rb, blen);
		t[i] = now_us() - t0;
		if (status != 204)
			return 1;
	}
	report("rotation", t, n);
	close(fd);
	usleep(200000);
	printf("rss_idle_kb=%ld\n", rss_kb(pid));
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	if (!spin)
		pthread_join(drainer, NULL); /* (the pipe ends with the agent) */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
