/*
 * push.c: see push.h.
 */
#include "push.h"

#include "clock.h"

#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int push_parse_url(const char *url, struct push_target *t, struct cerr *e)
{
	char hostport[300];
	size_t n;

	memset(t, 0, sizeof(*t));
	snprintf(t->text, sizeof(t->text), "%s", url);
	if (strncmp(url, "unix:", 5) == 0) {
		snprintf(t->host, sizeof(t->host), "localhost");
		return addr_parse(url, &t->addr, e);
	}
	if (strncmp(url, "http://", 7) != 0)
		return cerr_input(e, "bad_url", "%s: expected http://HOST:PORT or unix:/path", url);
	n = strcspn(url + 7, "/");
	if (url[7 + n] == '/' && url[8 + n] != '\0')
		return cerr_input(e, "bad_url", "%s: the agent's paths are fixed: give only http://HOST:PORT", url);
	if (n == 0 || n + 4 >= sizeof(hostport))
		return cerr_input(e, "bad_url", "%s: bad host", url);
	/* port 80 unless one is given ("]" ends an IPv6 address) */
	snprintf(hostport, sizeof(hostport), "%.*s", (int)n, url + 7);
	if (strrchr(hostport, ':') == NULL || strrchr(hostport, ':') < strrchr(hostport, ']'))
		snprintf(hostport + n, sizeof(hostport) - n, ":80");
	if (addr_parse(hostport, &t->addr, e) != 0)
		return e->code;
	snprintf(t->host, sizeof(t->host), "%s", hostport);
	return 0;
}

/* Wait for events on fd until the deadline; 0 ready, -1 timed out. */
static int wait_for(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - clock_now_us();
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

void push_answer_free(struct push_answer *ans)
{
	free(ans->body);
	ans->body = NULL;
	ans->body_len = 0;
}

int push_request(const struct push_target *t, const char *method, const char *path, const char *token,
		 const char *content_type, const char *body, size_t len, long long timeout_us,
		 struct push_answer *ans)
{
	long long deadline = clock_now_us() + timeout_us;
	char head[1024], *resp = NULL;
	size_t hlen, sent = 0, got = 0, cap = 0;
	int fd, one = 1, soerr = 0;
	socklen_t sl = sizeof(soerr);
	char *eoh;

	free(ans->body);
	memset(ans, 0, sizeof(*ans));
	fd = socket(t->addr.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(ans->error, sizeof(ans->error), "socket: %s", strerror(errno));
		return -1;
	}
	if (!t->addr.is_unix)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&t->addr.sa, t->addr.salen) < 0) {
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
		ssize_t r;

		if (got + 1 == cap && cap < PUSH_RESPONSE_MAX + 1) {
			char *nr = realloc(resp, cap * 4 < PUSH_RESPONSE_MAX + 1 ? cap * 4 : PUSH_RESPONSE_MAX + 1);

			if (nr == NULL) {
				errno = ENOMEM;
				goto sys;
			}
			cap = cap * 4 < PUSH_RESPONSE_MAX + 1 ? cap * 4 : PUSH_RESPONSE_MAX + 1;
			resp = nr;
		} else if (resp == NULL) {
			if ((resp = malloc(8192)) == NULL) {
				errno = ENOMEM;
				goto sys;
			}
			cap = 8192;
		}
		r = recv(fd, resp + got, cap - 1 - got, 0);

		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_for(fd, POLLIN, deadline) < 0)
				goto timeout;
			continue;
		}
		if (r < 0)
			goto sys;
		got += (size_t)r;
		if (r == 0 || got == PUSH_RESPONSE_MAX)
			break;
	}
	close(fd);
	resp[got] = '\0';
	if (sscanf(resp, "HTTP/1.%*d %d", &ans->status) != 1) {
		snprintf(ans->error, sizeof(ans->error), "not an HTTP response");
		ans->status = 0;
		free(resp);
		return -1;
	}
	eoh = strstr(resp, "\r\n\r\n");
	if (eoh != NULL) {
		ans->body_len = got - (size_t)(eoh + 4 - resp);
		memmove(resp, eoh + 4, ans->body_len + 1);
		ans->body = resp;
		agent_error(ans->body, ans->body_len, ans);
	} else {
		free(resp);
	}
	return 0;
timeout:
	close(fd);
	free(resp);
	snprintf(ans->error, sizeof(ans->error), "no answer within %lld ms", timeout_us / 1000);
	return -1;
sys:
	snprintf(ans->error, sizeof(ans->error), "%s", strerror(errno));
	close(fd);
	free(resp);
	return -1;
}
