/*
 * endpoint.c: see endpoint.h.
 */
#include "endpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define IO_TIMEOUT_S 5
#define REQUEST_MAX 8192

static int listen_loopback(unsigned short *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static SSL_CTX *server_ctx(const struct canary *c)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL || SSL_CTX_use_certificate(ctx, c->leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, c->leaf_key) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* One connection, in its own child: handshake, the request (to its blank
 * line), "ok". A client that refuses the certificate ends it at the
 * handshake. */
static void serve_one(SSL_CTX *ctx, int fd)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
				    "Connection: close\r\n\r\nok\n";
	struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
	char req[REQUEST_MAX + 1];
	size_t got = 0;
	SSL *ssl = NULL;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1)
		goto out;
	while (got < REQUEST_MAX) {
		int k = SSL_read(ssl, req + got, (int)(REQUEST_MAX - got));

		if (k <= 0)
			break;
		got += (size_t)k;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
			break;
	}
	if (got > 0)
		SSL_write(ssl, reply, (int)sizeof(reply) - 1);
	SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	ERR_clear_error();
	close(fd);
}

/* Each connection in a child of its own: the clients run side by side, and
 * one that stalls holds up nobody. */
static void serve_forked(SSL_CTX *ctx, int lfd)
{
	pid_t parent = getpid();
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (fork() == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		serve_one(ctx, fd);
		_exit(0);
	}
	close(fd);
}

/* Until life's other end is closed (endpoint_stop, or its holder's end). */
static void serve(int good_fd, int stray_fd, int life, SSL_CTX *good, SSL_CTX *stray)
{
	struct sigaction reap = {.sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT};
	struct pollfd p[3] = {{.fd = good_fd, .events = POLLIN},
			      {.fd = stray_fd, .events = POLLIN},
			      {.fd = life, .events = POLLIN}};

	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGCHLD, &reap, NULL); /* (the connections' children reap themselves) */
	for (;;) {
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (p[2].revents)
			_exit(0);
		if (p[0].revents & POLLIN)
			serve_forked(good, good_fd);
		if (p[1].revents & POLLIN)
			serve_forked(stray, stray_fd);
	}
}

int endpoint_start(struct endpoint *ep, const struct canary *good, const struct canary *stray, struct cerr *e)
{
	SSL_CTX *gctx = server_ctx(good), *sctx = server_ctx(stray);
	int gfd = listen_loopback(&ep->good_port), sfd = -1;
	pid_t parent = getpid();
	int life[2] = {-1, -1};

	ep->pid = -1;
	ep->life = -1;
	if (gfd >= 0)
		sfd = listen_loopback(&ep->stray_port);
	if (gctx == NULL || sctx == NULL || gfd < 0 || sfd < 0 || pipe2(life, O_CLOEXEC) != 0) {
		int err = errno;

		SSL_CTX_free(gctx);
		SSL_CTX_free(sctx);
		if (gfd >= 0)
			close(gfd);
		if (sfd >= 0)
			close(sfd);
		return cerr_sys(e, "doctor: loopback endpoint", "listen", gctx && sctx ? err : ENOMEM);
	}
	ep->pid = fork();
	if (ep->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		close(life[1]);
		serve(gfd, sfd, life[0], gctx, sctx);
	}
	SSL_CTX_free(gctx);
	SSL_CTX_free(sctx);
	close(gfd);
	close(sfd);
	close(life[0]);
	if (ep->pid < 0) {
		close(life[1]);
		return cerr_sys(e, "doctor: loopback endpoint", "fork", errno);
	}
	ep->life = life[1];
	return 0;
}

void endpoint_stop(struct endpoint *ep)
{
	/* A caller that has since given up its privileges for a user's
	 * can neither signal it nor count on its parent-death signal (the
	 * kernel checks the dying parent's right to send it): the life pipe
	 * closing ends it, here or when the caller ends. */
	if (ep->pid > 0)
		(void)kill(ep->pid, SIGKILL);
	if (ep->life >= 0)
		close(ep->life);
	ep->life = -1;
	if (ep->pid > 0)
		while (waitpid(ep->pid, NULL, 0) < 0 && errno == EINTR)
			;
	ep->pid = -1;
}
