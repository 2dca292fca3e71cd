/*
 * firefox.c: see firefox.h. Firefox keeps its trust in each profile's NSS
 * database, not in the system store or a variable, so the profile decides:
 * doctor copies the databases of the profile Firefox would open for that
 * HOME (profiles.ini: the install's default, else the profile marked
 * Default=1, else the first) into a fresh one, and Firefox itself is never
 * pointed at the user's own profile (it would write to it). Marionette's
 * wire format: "LENGTH:JSON", a greeting from the server, then
 * [0, id, command, params] answered by [1, id, error, result].
 */
#include "firefox.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trust.h" /* trust_root_user: the home of a start with no HOME */

#define INI_MAX (64 * 1024)
#define DB_MAX (64 * 1024 * 1024)
#define MSG_MAX (1024 * 1024) /* a Marionette message doctor reads */
#define PORT_FILE "MarionetteActivePort"
#define STDERR_FILE "cainit-doctor-stderr"

/* A regular file of at most max bytes, read whole (NUL-terminated) without
 * following a link at its name or waiting on a FIFO; NULL when there is
 * none (errno says why). */
static char *read_regular(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char *b = NULL;
	size_t n = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto fail;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	while (n < (size_t)st.st_size) {
		ssize_t k = read(fd, b + n, (size_t)st.st_size - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break; /* (shorter than fstat said: what there is) */
		n += (size_t)k;
	}
	b[n] = '\0';
	*len = n;
	close(fd);
	return b;
fail:
	n = (size_t)errno;
	free(b);
	close(fd);
	errno = (int)n;
	return NULL;
}

/* The directory of the profile Firefox opens for home, from the first
 * profiles.ini there is: its install's default, else the profile marked
 * Default=1, else the first; false when home has none. */
static bool default_profile(const char *home, char *out, size_t n)
{
	static const char *const places[] = {".mozilla/firefox", ".config/mozilla/firefox", NULL};

	for (size_t k = 0; places[k] != NULL; k++) {
		char ini[4096], install[1024] = "", marked[1024] = "", first[1024] = "", path[1024] = "", sect[64] = "";
		bool relative = true, is_default = false;
		size_t len;
		char *b, *line, *save = NULL;

		if ((size_t)snprintf(ini, sizeof(ini), "%s/%s/profiles.ini", home, places[k]) >= sizeof(ini) ||
		    (b = read_regular(ini, INI_MAX, &len)) == NULL)
			continue;
		/* (a NUL past the text ends the last section too) */
		for (line = strtok_r(b, "\r\n", &save);; line = strtok_r(NULL, "\r\n", &save)) {
			if (line == NULL || line[0] == '[') {
				/* the section that ended: a profile's */
				if (strncmp(sect, "Profile", 7) == 0 && path[0] != '\0') {
					char full[1024];

					snprintf(full, sizeof(full), "%s%s%s", relative ? places[k] : "", relative ? "/" : "",
						 path);
					if (first[0] == '\0')
						snprintf(first, sizeof(first), "%s", full);
					if (is_default && marked[0] == '\0')
						snprintf(marked, sizeof(marked), "%s", full);
				}
				if (line == NULL)
					break;
				snprintf(sect, sizeof(sect), "%.*s", (int)strcspn(line + 1, "]"), line + 1);
				path[0] = '\0';
				relative = true;
				is_default = false;
				continue;
			}
			if (strncmp(sect, "Install", 7) == 0 && strncmp(line, "Default=", 8) == 0 && install[0] == '\0')
				snprintf(install, sizeof(install), "%s/%s", places[k], line + 8);
			else if (strncmp(line, "Path=", 5) == 0)
				snprintf(path, sizeof(path), "%s", line + 5);
			else if (strncmp(line, "IsRelative=", 11) == 0)
				relative = line[11] != '0';
			else if (strcmp(line, "Default=1") == 0)
				is_default = true;
		}
		free(b);
		{
			const char *pick = install[0] ? install : marked[0] ? marked : first;

			if (pick[0] == '\0')
				continue;
			/* (a path too long to hold is none) */
			return (size_t)(pick[0] == '/' ? snprintf(out, n, "%s", pick)
						       : snprintf(out, n, "%s/%s", home, pick)) < n;
		}
	}
	return false;
}

/* Write len bytes of b to a new file at path. */
static int write_new(const char *path, const char *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t n = 0;

	if (fd < 0)
		return -1;
	while (n < len) {
		ssize_t k = write(fd, b + n, len - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			close(fd);
			return -1;
		}
		n += (size_t)k;
	}
	return close(fd);
}

/* The fresh profile: the NSS databases of home's default profile (when
 * there is one) and the prefs of this run. from says whose databases it
 * holds, or why none. -1 with stderr saying why. */
static int make_profile(const struct dr_firefox *f, const char *home, char *from, size_t from_len)
{
	static const char *const dbs[] = {"cert9.db", "key4.db", NULL};
	char src[1024], prefs[1024];
	int n;

	from[0] = '\0';
	if (mkdir(f->profile, 0700) != 0) {
		fprintf(stderr, "%s: %s\n", f->profile, strerror(errno));
		return -1;
	}
	if (home == NULL || home[0] == '\0') {
		snprintf(from, from_len, "a new profile: no HOME, and uid %u is not in /etc/passwd", (unsigned)getuid());
	} else if (!default_profile(home, src, sizeof(src))) {
		snprintf(from, from_len, "a new profile: no profiles.ini in %.900s", home);
	} else {
		char s[1200];
		size_t len;
		char *b;

		snprintf(s, sizeof(s), "%s/cert9.db", src);
		if ((b = read_regular(s, DB_MAX, &len)) == NULL) {
			snprintf(from, from_len, "a new profile: %.900s: %s", s, strerror(errno));
		} else {
			free(b);
			snprintf(from, from_len, "the NSS databases of %.900s", src);
			for (size_t k = 0; dbs[k] != NULL; k++) {
				char d[1200];

				snprintf(s, sizeof(s), "%s/%s", src, dbs[k]);
				snprintf(d, sizeof(d), "%s/%s", f->profile, dbs[k]);
				if ((b = read_regular(s, DB_MAX, &len)) == NULL)
					continue; /* (no key4.db: NSS makes one) */
				if (write_new(d, b, len) != 0) {
					fprintf(stderr, "%s: %s\n", d, strerror(errno));
					free(b);
					return -1;
				}
				free(b);
			}
		}
	}
	/* Marionette on a port of the system's choice (Firefox writes it to
	 * the profile's MarionetteActivePort); the proxy of this run */
	n = snprintf(prefs, sizeof(prefs), "user_pref(\"marionette.port\", 0);\n");
	if (f->proxy_type == 0)
		n += snprintf(prefs + n, sizeof(prefs) - (size_t)n, "user_pref(\"network.proxy.type\", 0);\n");
	else if (f->proxy_type == 1)
		n += snprintf(prefs + n, sizeof(prefs) - (size_t)n,
			      "user_pref(\"network.proxy.type\", 1);\n"
			      "user_pref(\"network.proxy.ssl\", \"%.200s\");\n"
			      "user_pref(\"network.proxy.ssl_port\", %d);\n",
			      f->proxy_host, atoi(f->proxy_port));
	snprintf(src, sizeof(src), "%s/user.js", f->profile);
	if (write_new(src, prefs, (size_t)n) != 0) {
		fprintf(stderr, "%s: %s\n", src, strerror(errno));
		return -1;
	}
	return 0;
}

/* The last line of Firefox's stderr (a file in the profile: a pipe
 * nobody drains would stop it), for the message when it ends before
 * Marionette listens. */
static void last_line(const struct dr_firefox *f, char *out, size_t n)
{
	char path[1200], *b, *end;
	size_t len;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/" STDERR_FILE, f->profile);
	if ((b = read_regular(path, INI_MAX * 16, &len)) == NULL)
		return;
	while (len > 0 && (b[len - 1] == '\n' || b[len - 1] == '\r'))
		b[--len] = '\0';
	end = strrchr(b, '\n');
	snprintf(out, n, "%s", end != NULL ? end + 1 : b);
	free(b);
}

/* The port Marionette listens on, once Firefox has written it to the
 * profile: read when the file is closed after writing or moved in (in, an
 * inotify watch on the profile made before Firefox started), never while
 * it may be half written; 0 when Firefox ended first (stderr says why). */
static int wait_port(const struct dr_firefox *f, pid_t pid, int in)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), port = 0;
	char pf[1200];

	snprintf(pf, sizeof(pf), "%s/" PORT_FILE, f->profile);
	while (port == 0) {
		struct pollfd p[2] = {{.fd = in, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
		char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event)))), line[200];
		ssize_t k;
		int st = 0;

		if (poll(p, pidfd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			break;
		while ((k = read(in, ev, sizeof(ev))) > 0)
			for (char *q = ev; q < ev + k; q += sizeof(struct inotify_event) + ((struct inotify_event *)q)->len) {
				const struct inotify_event *x = (const struct inotify_event *)q;
				size_t len;
				char *b;

				if (x->len == 0 || strcmp(x->name, PORT_FILE) != 0 ||
				    (b = read_regular(pf, 64, &len)) == NULL)
					continue;
				port = atoi(b);
				free(b);
				if (port <= 0 || port >= 65536) {
					fprintf(stderr, "%s: not a port\n", pf);
					port = -1;
				}
			}
		if (port != 0 || !(p[1].revents & POLLIN))
			continue;
		waitpid(pid, &st, 0);
		last_line(f, line, sizeof(line));
		fprintf(stderr, "firefox ended (%s %d) before Marionette listened%s%s\n",
			WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
			line[0] ? ": " : "", line);
		break;
	}
	if (pidfd >= 0)
		close(pidfd);
	return port > 0 ? port : 0;
}

static bool read_full(int fd, char *b, size_t n)
{
	while (n > 0) {
		ssize_t k = read(fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		b += k;
		n -= (size_t)k;
	}
	return true;
}

/* One message: "LENGTH:JSON". */
static json_t *mn_read(int fd)
{
	char c, *b;
	size_t len = 0, digits = 0;
	json_t *j;

	for (;;) {
		if (!read_full(fd, &c, 1))
			return NULL;
		if (c == ':')
			break;
		if (c < '0' || c > '9' || ++digits > 7)
			return NULL;
		len = len * 10 + (size_t)(c - '0');
	}
	if (len == 0 || len > MSG_MAX || (b = malloc(len)) == NULL)
		return NULL;
	j = read_full(fd, b, len) ? json_loadb(b, len, 0, NULL) : NULL;
	free(b);
	return j;
}

/* [0, id, name, params]; the answer to it, [1, id, error, result]. */
static json_t *mn_call(int fd, int id, const char *name, json_t *params)
{
	json_t *m = json_pack("[i, i, s, o]", 0, id, name, params);
	char *s = m != NULL ? json_dumps(m, JSON_COMPACT) : NULL;
	char head[24];
	json_t *r = NULL;

	json_decref(m);
	if (s == NULL)
		return NULL;
	snprintf(head, sizeof(head), "%zu:", strlen(s));
	if (send(fd, head, strlen(head), MSG_NOSIGNAL) == (ssize_t)strlen(head) &&
	    send(fd, s, strlen(s), MSG_NOSIGNAL) == (ssize_t)strlen(s))
		while ((r = mn_read(fd)) != NULL &&
		       !(json_is_array(r) && json_integer_value(json_array_get(r, 0)) == 1 &&
			 json_integer_value(json_array_get(r, 1)) == id))
			json_decref(r); /* (not the answer to this call) */
	free(s);
	return r;
}

/* The error of an answer ("insecure certificate", ...) and its message;
 * NULL when it succeeded. */
static const char *mn_error(json_t *r, const char **msg)
{
	json_t *e = json_array_get(r, 2);
	const char *err = json_string_value(json_object_get(e, "error"));

	*msg = json_string_value(json_object_get(e, "message"));
	return json_is_null(e) ? NULL : err != NULL ? err : "an error Marionette did not name";
}

int dr_firefox_drive(const char *const argv[], char *const envp[], void *arg)
{
	const struct dr_firefox *f = arg;
	const char *home = f->home;
	struct sockaddr_in a = {.sin_family = AF_INET};
	const char *err, *msg;
	char from[1024], passwd_home[PATH_MAX], errpath[1200];
	int fd, in, port, rc;
	json_t *hello, *r;
	pid_t pid;

	/* Firefox with no HOME takes its user's home from /etc/passwd (as
	 * this root's Firefox will: the driver runs as it does) */
	if (home == NULL || home[0] == '\0') {
		struct passwd_entry pw;
		struct cerr e = {0};
		char uid[16];

		snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
		if (trust_root_user("/", uid, &pw, &e) == 0) {
			snprintf(passwd_home, sizeof(passwd_home), "%s", pw.home);
			home = passwd_home;
		}
	}
	if (make_profile(f, home, from, sizeof(from)) != 0)
		return 2;
	snprintf(errpath, sizeof(errpath), "%s/" STDERR_FILE, f->profile);
	if ((fd = open(errpath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, "%s: %s\n", errpath, strerror(errno));
		return 2;
	}
	if ((in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0 ||
	    inotify_add_watch(in, f->profile, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
		fprintf(stderr, "inotify on %s: %s\n", f->profile, strerror(errno));
		return 2;
	}
	if ((pid = fork()) == 0) {
		/* stdin and stdout as doctor set them (/dev/null); its noise
		 * to a file, not to doctor */
		dup2(fd, 2);
		execve(argv[0], (char *const *)argv, envp);
		dprintf(2, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd);
	if (pid < 0) {
		fprintf(stderr, "fork: %s\n", strerror(errno));
		return 2;
	}
	if ((port = wait_port(f, pid, in)) == 0)
		return 2;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		fprintf(stderr, "Marionette at 127.0.0.1:%d: %s\n", port, strerror(errno));
		return 2;
	}
	hello = mn_read(fd);
	if (hello == NULL || json_integer_value(json_object_get(hello, "marionetteProtocol")) < 3) {
		fprintf(stderr, "Marionette at 127.0.0.1:%d: no protocol 3 greeting\n", port);
		return 2;
	}
	json_decref(hello);
	r = mn_call(fd, 1, "WebDriver:NewSession", json_pack("{s: b}", "acceptInsecureCerts", 0));
	if (r == NULL || (err = mn_error(r, &msg)) != NULL) {
		fprintf(stderr, "Marionette: no session: %s\n", r == NULL ? "no answer" : err);
		return 2;
	}
	json_decref(r);
	r = mn_call(fd, 2, "WebDriver:Navigate", json_pack("{s: s}", "url", f->url));
	if (r == NULL) {
		fprintf(stderr, "Marionette: no answer to Navigate\n");
		return 2;
	}
	rc = (err = mn_error(r, &msg)) == NULL ? 0 : 1;
	if (rc != 0)
		fprintf(stderr, "%s%s%s (%s)\n", err, msg != NULL && msg[0] ? ": " : "", msg != NULL ? msg : "", from);
	json_decref(r);
	close(fd);
	return rc;
}
