/*
 * push.c: see push.h.
 */
#include "push.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int push_parse_url(const char *url, struct push_target *t, struct cerr *e)
{
	char host[256];
	const char *p, *hend, *port_s = NULL;
	long port = 80;

	memset(t, 0, sizeof(*t));
	snprintf(t->text, sizeof(t->text), "%s", url);
	if (strncmp(url, "unix:", 5) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)&t->sa;

		if (url[5] != '/' || strlen(url + 5) >= sizeof(un->sun_path))
			return cerr_input(e, "bad_url", "%s: a unix socket needs an absolute path under 108 bytes", url);
		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s", url + 5);
		t->salen = sizeof(*un);
		snprintf(t->host, sizeof(t->host), "localhost");
		return 0;
	}
	if (strncmp(url, "http://", 7) != 0)
		return cerr_input(e, "bad_url", "%s: expected http://HOST:PORT or unix:/path", url);
	p = url + 7;
	if (*p == '[') {
		hend = strchr(p, ']');
		if (hend == NULL)
			return cerr_input(e, "bad_url", "%s: unclosed [", url);
		if (hend[1] == ':')
			port_s = hend + 2;
		else if (hend[1] != '\0' && hend[1] != '/')
			return cerr_input(e, "bad_url", "%s: expected http://[IPV6]:PORT", url);
		p++;
	} else {
		hend = p + strcspn(p, ":/");
		if (*hend == ':')
			port_s = hend + 1;
	}
	if ((size_t)(hend - p) >= sizeof(host) || hend == p)
		return cerr_input(e, "bad_url", "%s: bad host", url);
	memcpy(host, p, (size_t)(hend - p));
	host[hend - p] = '\0';
	if (port_s != NULL) {
		char *end;

		port = strtol(port_s, &end, 10);
		if (end == port_s || (*end != '\0' && *end != '/') || port < 1 || port > 65535)
			return cerr_input(e, "bad_url", "%s: bad port", url);
	}
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&t->sa;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return cerr_input(e, "bad_url", "%s: bad IPv6 address", url);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)port);
		t->salen = sizeof(*in6);
		snprintf(t->host, sizeof(t->host), "[%s]:%ld", host, port);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&t->sa;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return cerr_input(e, "bad_url", "%s: HOST must be an IP address or localhost", url);
		in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)port);
		t->salen = sizeof(*in);
		snprintf(t->host, sizeof(t->host), "%s:%ld", host, port);
	}
	return 0;
}

/* Wait for events on fd until the deadline; 0 ready, -1 timed out. */
static int wait_for(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_us();
		struct pollfd pfd = {fd, events, 0};
		int rc;

		if (left <= 0)
			return -1;
		rc = poll(&pfd, 1, (int)((left + 999) / 1000));
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

static void agent_error(const char *body, size_t len, struct push_answer *ans)
{
	json_t *doc = json_loadb(body, len, 0, NULL);
	const char *msg = doc ? json_string_value(json_object_get(doc, "error")) : NULL;

	if (msg != NULL)
		snprintf(ans->error, sizeof(ans->error), "%s", msg);
	json_decref(doc);
}

int push_request(const struct push_target *t, const char *method, const char *path, const char *token,
		 const char *content_type, const char *body, size_t len, long long timeout_us,
		 struct push_answer *ans)
{
	long long deadline = now_us() + timeout_us;
	char head[1024], resp[8192];
	size_t hlen, sent = 0, got = 0;
	int fd, one = 1, soerr = 0;
	socklen_t sl = sizeof(soerr);
	char *eoh;

	memset(ans, 0, sizeof(*ans));
	fd = socket(t->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(ans->error, sizeof(ans->error), "socket: %s", strerror(errno));
		return -1;
	}
	if (t->sa.ss_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&t->sa, t->salen) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN)
			goto sys;
		if (wait_for(fd, POLLOUT, deadline) < 0)
			goto timeout;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr != 0) {
			errno = soerr;
			goto sys;
		}
	}
	hlen = (size_t)snprintf(head, sizeof(head),
				"%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: cainit-push\r\nConnection: close\r\n"
				"Content-Type: %s\r\nContent-Length: %zu\r\n%s%s%s\r\n",
				method, path, t->host, content_type, len, token ? "X-Access-Token: " : "",
				token ? token : "", token ? "\r\n" : "");
	while (sent < hlen + len) {
		const char *p = sent < hlen ? head + sent : body + (sent - hlen);
		size_t n = sent < hlen ? hlen - sent : len - (sent - hlen);
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_for(fd, POLLOUT, deadline) < 0)
				goto timeout;
			continue;
		}
		if (w < 0)
			goto sys;
		sent += (size_t)w;
	}
	/* the whole response (the agent closes: Connection: close), or enough of it */
	for (;;) {
		ssize_t r = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);

		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_for(fd, POLLIN, deadline) < 0)
				goto timeout;
			continue;
		}
		if (r < 0)
			goto sys;
		got += (size_t)r;
		if (r == 0 || got == sizeof(resp) - 1)
			break;
	}
	close(fd);
	resp[got] = '\0';
	if (sscanf(resp, "HTTP/1.%*d %d", &ans->status) != 1) {
		snprintf(ans->error, sizeof(ans->error), "not an HTTP response");
		ans->status = 0;
		return -1;
	}
	eoh = strstr(resp, "\r\n\r\n");
	if (eoh != NULL)
		agent_error(eoh + 4, got - (size_t)(eoh + 4 - resp), ans);
	return 0;
timeout:
	close(fd);
	snprintf(ans->error, sizeof(ans->error), "no answer within %lld ms", timeout_us / 1000);
	return -1;
sys:
	snprintf(ans->error, sizeof(ans->error), "%s", strerror(errno));
	close(fd);
	return -1;
}
