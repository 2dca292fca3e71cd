/*
 * tlsprobe: the app of the "no shell, no libc" test image. A static
 * program that reports who it is (pid, parent), makes one HTTPS request
 * with OpenSSL's default trust (no CA flag: only SSL_CERT_FILE/SSL_CERT_DIR,
 * which `cainit run` sets, or the built-in paths), and then, if asked,
 * waits for SIGTERM and exits with a chosen code.
 *
 *   tlsprobe HOST PORT [TERM_EXIT_CODE]
 *
 * Prints "pid=N ppid=N", then "tls=ok HTTP-STATUS-LINE" or
 * "tls=fail REASON" (exit 1), then with TERM_EXIT_CODE "waiting" and,
 * on SIGTERM, "got SIGTERM" and exits with that code.
 */
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int connect_to(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV}, *res, *a;
	int fd = -1;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (a = res; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int probe(const char *host, const char *port)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char req[256], line[256] = "";
	SSL *ssl;
	int fd, n;

	SSL_CTX_set_default_verify_paths(ctx);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	fd = connect_to(strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, port);
	if (fd < 0) {
		printf("tls=fail connect\n");
		return 1;
	}
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, host);
	SSL_set1_host(ssl, host);
	if (SSL_connect(ssl) != 1) {
		long v = SSL_get_verify_result(ssl);

		printf("tls=fail %s\n", v != X509_V_OK ? X509_verify_cert_error_string(v) : "handshake");
		return 1;
	}
	snprintf(req, sizeof(req), "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", host);
	SSL_write(ssl, req, (int)strlen(req));
	n = SSL_read(ssl, line, sizeof(line) - 1);
	if (n > 0) {
		line[n] = '\0';
		line[strcspn(line, "\r\n")] = '\0';
	}
	printf("tls=ok %s\n", line);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	sigset_t set;
	int sig, rc;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: tlsprobe HOST PORT [TERM_EXIT_CODE]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("pid=%d ppid=%d\n", (int)getpid(), (int)getppid());
	rc = probe(argv[1], argv[2]);
	if (argc == 3)
		return rc;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("waiting\n");
	sigwait(&set, &sig);
	printf("got SIGTERM\n");
	return atoi(argv[3]);
}
