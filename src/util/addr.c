/*
 * addr.c: see addr.h.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int parse_port(const char *s, unsigned *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 0 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

int addr_parse(const char *text, struct addr *out, struct cerr *e)
{
	char host[256];
	const char *colon;
	unsigned port;

	memset(out, 0, sizeof(*out));
	snprintf(out->text, sizeof(out->text), "%s", text);
	if (strncmp(text, "unix:", 5) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)&out->sa;

		if (text[5] != '/' || strlen(text + 5) >= sizeof(un->sun_path))
			return cerr_input(e, "bad_address", "%s: a unix socket needs an absolute path under 108 bytes", text);
		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s", text + 5);
		snprintf(out->path, sizeof(out->path), "%s", text + 5);
		out->salen = sizeof(*un);
		out->is_unix = out->loopback = true;
		return 0;
	}
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->sa;

		if (close == NULL || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
			return cerr_input(e, "bad_address", "%s: expected [IPV6]:PORT", text);
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1 || parse_port(close + 2, &port) < 0)
			return cerr_input(e, "bad_address", "%s: expected [IPV6]:PORT", text);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)port);
		out->salen = sizeof(*in6);
		out->loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
		return 0;
	}
	colon = strrchr(text, ':');
	if (colon == NULL || (size_t)(colon - text) >= sizeof(host) || colon == text)
		return cerr_input(e, "bad_address", "%s: expected HOST:PORT, [IPV6]:PORT or unix:/path", text);
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	if (parse_port(colon + 1, &port) < 0)
		return cerr_input(e, "bad_address", "%s: bad port", text);
	{
		struct sockaddr_in *in = (struct sockaddr_in *)&out->sa;

		if (strcmp(host, "localhost") == 0)
			snprintf(host, sizeof(host), "127.0.0.1");
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return cerr_input(e, "bad_address",
					  "%s: HOST must be an IPv4 address or localhost ([...] for IPv6)", text);
		in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)port);
		out->salen = sizeof(*in);
		out->loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	return 0;
}

int addr_listen(const struct addr *addr, int backlog, struct cerr *e)
{
	int fd, one = 1;

	fd = socket(addr->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -cerr_sys(e, addr->text, "socket", errno);
	if (addr->is_unix) {
		struct stat st;

		/* a socket file left by a previous agent is replaced; nothing else is */
		if (lstat(addr->path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				close(fd);
				return -cerr_set(e, CAINIT_EOPS, "%s: exists and is not a socket", addr->path);
			}
			unlink(addr->path);
		}
	} else {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (addr->sa.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	{
		/* a unix socket is created 0600 from the start, not chmod'ed after */
		mode_t old = addr->is_unix ? umask(0177) : 0;
		int rc = bind(fd, (const struct sockaddr *)&addr->sa, addr->salen), err = errno;

		if (addr->is_unix)
			umask(old);
		if (rc < 0) {
			close(fd);
			return -cerr_sys(e, addr->text, "bind", err);
		}
	}
	if (addr->is_unix && chmod(addr->path, 0600) < 0) {
		int err = errno;

		close(fd);
		unlink(addr->path);
		return -cerr_sys(e, addr->path, "chmod", err);
	}
	if (listen(fd, backlog) < 0) {
		int err = errno;

		close(fd);
		return -cerr_sys(e, addr->text, "listen", err);
	}
	return fd;
}
