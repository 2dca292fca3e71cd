/*
 * clients.c: see clients.h. Each client fetches https://127.0.0.1:PORT/
 * the way its users' code does (curl and wget as commands, openssl
 * s_client with -verify_return_error, Python's urllib and requests, pip's
 * index lookup, Node's https module, npm's registry ping, Ruby's
 * Net::HTTP, Perl's IO::Socket::SSL, git ls-remote, Java's
 * HttpURLConnection, Bun's and Deno's fetch, PHP's https stream, and the
 * go command's module download through the endpoint as GOPROXY),
 * so it reads exactly the trust its own runtime reads. The
 * login path is `/bin/sh -l -c 'exec "$0" "$@"'`: the root's /etc/profile
 * and its profile.d, as a login session gets them; pam and systemd run it
 * with the environment /etc/environment and DefaultEnvironment= give
 * (start_env.h). A run has a time limit;
 * its process group is killed at the limit.
 */
#include "clients.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "firefox.h"
#include "trust.h"
#include "java_probe_class.h" /* java_probe_class[]: see scratch_prepare */

const char *const dr_client_names[DR_CLIENTS] = {"curl", "wget", "openssl", "python", "requests", "pip",
						 "node", "npm",  "bun",     "deno",   "ruby",     "perl",
						 "php",  "git",  "java",    "go",     "chromium", "firefox"};

/* The rows, by name (client_argv's cases, the program table). */
enum {
	C_CURL, C_WGET, C_OPENSSL, C_PYTHON, C_REQUESTS, C_PIP, C_NODE, C_NPM,
	C_BUN, C_DENO, C_RUBY, C_PERL, C_PHP, C_GIT, C_JAVA, C_GO, C_CHROMIUM, C_FIREFOX,
};
const char *const dr_path_names[DR_PATHS] = {"bare", "run", "login", "pam", "systemd", "image"};

#define ARGS_MAX 16
#define OUTPUT_MAX 16384 /* (Chromium logs some 5 KB of D-Bus errors before its page) */

/* This worker's scratch directory (scratch_prepare): Java's probe class,
 * Chromium's and Firefox's profiles */
static char x_scratch[64];
static unsigned x_profiles; /* the browsers' profiles made there */

/* Each script exits 0 on any HTTP answer (a status of 404 from a --url
 * target still came after a handshake that verified), else prints why. */
static const char PY_URLLIB[] =
	"import sys, urllib.request, urllib.error\n"
	"try: urllib.request.urlopen(sys.argv[1], timeout=10).read()\n"
	"except urllib.error.HTTPError: pass\n"
	"except Exception as x: sys.exit(type(x).__name__ + ': ' + str(x))\n";
static const char PY_REQUESTS[] =
	"import sys\n"
	"try:\n import requests; requests.get(sys.argv[1], timeout=10)\n"
	"except Exception as x: sys.exit(type(x).__name__ + ': ' + str(x))\n";
static const char NODE_HTTPS[] =
	"require('https').get(process.argv[1], r => { r.resume(); r.on('end', () => process.exit(0)); })"
	".on('error', e => { console.error((e.code ? e.code + ': ' : '') + e.message); process.exit(1); });";
/* Node through a proxy (its https module reads no proxy variable): a
 * CONNECT tunnel, then TLS over it with Node's own trust, verifying */
static const char NODE_TUNNEL[] =
	"const u = new URL(process.argv[1]), a = process.argv[2];\n"
	"const p = new URL(a.includes('://') ? a : 'http://' + a);\n"
	"const fail = e => { console.error((e.code ? e.code + ': ' : '') + e.message); process.exit(1); };\n"
	"require('http').request({host: p.hostname, port: p.port || 1080, method: 'CONNECT',\n"
	"  path: u.hostname + ':' + (u.port || 443)}).on('error', fail).on('connect', (r, s) => {\n"
	"  if (r.statusCode !== 200) fail(new Error('the proxy answered CONNECT with ' + r.statusCode));\n"
	"  require('tls').connect({socket: s, servername: u.hostname}, () => process.exit(0)).on('error', fail);\n"
	"}).end();\n";

/* Bun's fetch (what `bun install` and Bun's own code use) */
static const char BUN_FETCH[] =
	"const u = process.argv[process.argv.length - 1];\n"
	"try { await (await fetch(u)).arrayBuffer(); }\n"
	"catch (e) { console.error((e.code ? e.code + ': ' : '') + e.message); process.exit(1); }\n";
/* Deno's fetch, with the causes (the TLS error is the innermost) */
static const char DENO_FETCH[] =
	"try { await (await fetch(Deno.args[0])).arrayBuffer(); }\n"
	"catch (e) { let m = e.message; for (let c = e.cause; c; c = c.cause) m += ': ' + (c.message ?? c);\n"
	"  console.error(m); Deno.exit(1); }\n";
/* PHP's https stream wrapper (file_get_contents, and what Composer falls
 * back to): OpenSSL's default paths unless php.ini's openssl.cafile says */
static const char PHP_GET[] =
	"$m = []; set_error_handler(function ($n, $s) use (&$m) { $m[] = $s; return true; });\n"
	"$o = ['http' => ['ignore_errors' => true, 'timeout' => 10]];\n"
	"if ($argv[2] !== '') $o['http']['proxy'] = 'tcp://' . preg_replace('#^\\w+://|/+$#', '', $argv[2]);\n"
	"if (file_get_contents($argv[1], false, stream_context_create($o)) === false) {\n"
	"  fwrite(STDERR, preg_replace('/\\s+/', ' ', $m[0] ?? 'failed') . \"\\n\"); exit(1); }\n";

static const char RUBY_HTTPS[] =
	"require 'net/http'\n"
	"begin; Net::HTTP.get_response(URI(ARGV[0]))\n"
	"rescue Exception => x; abort(\"#{x.class}: #{x.message}\"); end\n";
/* Perl: IO::Socket::SSL's handshake, verifying; through a proxy (the
 * second argument, when not empty) over a CONNECT tunnel */
static const char PERL_HTTPS[] =
	"use IO::Socket::SSL; my ($u, $x) = @ARGV; my ($h, $p) = $u =~ m{//(?:[^/@]*@)?([^:/]+)(?::(\\d+))?};\n"
	"$p ||= 443; my @v = (SSL_verify_mode => SSL_VERIFY_PEER, SSL_verifycn_scheme => 'http', SSL_verifycn_name => $h);\n"
	"if ($x eq '') { IO::Socket::SSL->new(PeerHost => $h, PeerPort => $p, @v) or die \"$SSL_ERROR\\n\"; exit 0; }\n"
	"my ($ph, $pp) = $x =~ m{^(?:\\w+://)?([^:/]+)(?::(\\d+))?}; $pp ||= 1080;\n"
	"my $s = IO::Socket::INET->new(PeerHost => $ph, PeerPort => $pp) or die \"the proxy $ph:$pp: $@\\n\";\n"
	"print $s \"CONNECT $h:$p HTTP/1.1\\r\\nHost: $h:$p\\r\\n\\r\\n\"; my $l = <$s> // '';\n"
	"$l =~ m{^HTTP/\\S+ 200} or die \"the proxy answered CONNECT with $l\\n\";\n"
	"while (my $e = <$s>) { last if $e =~ /^\\r?\\n$/ }\n"
	"IO::Socket::SSL->start_SSL($s, @v, SSL_hostname => $h) or die \"$SSL_ERROR\\n\";\n";

/* Java: the probe's class file (java_probe_class.h, from
 * CainitDoctorGet.java) is written out once per doctor where the JVM can
 * load it: no javac needed, so a JRE is a client too. */

/* Where each client's program is looked for, in PATH order. */
static const char *const programs[DR_CLIENTS][5] = {
	{"/usr/local/bin/curl", "/usr/bin/curl", "/bin/curl", NULL},
	{"/usr/local/bin/wget", "/usr/bin/wget", "/bin/wget", NULL},
	{"/usr/local/bin/openssl", "/usr/bin/openssl", "/bin/openssl", NULL},
	{"/usr/local/bin/python3", "/usr/bin/python3", "/bin/python3", NULL},
	{"/usr/local/bin/python3", "/usr/bin/python3", "/bin/python3", NULL},
	{"/usr/local/bin/python3", "/usr/bin/python3", "/bin/python3", NULL},
	{"/usr/local/bin/node", "/usr/bin/node", "/bin/node", NULL},
	{"/usr/local/bin/npm", "/usr/bin/npm", "/bin/npm", NULL},
	{"/usr/local/bin/bun", "/usr/bin/bun", "/bin/bun", NULL},
	{"/usr/local/bin/deno", "/usr/bin/deno", "/bin/deno", NULL},
	{"/usr/local/bin/ruby", "/usr/bin/ruby", "/bin/ruby", NULL},
	{"/usr/local/bin/perl", "/usr/bin/perl", "/bin/perl", NULL},
	{"/usr/local/bin/php", "/usr/bin/php", "/bin/php", NULL},
	{"/usr/local/bin/git", "/usr/bin/git", "/bin/git", NULL},
	{"/usr/local/bin/java", "/usr/bin/java", "/opt/java/openjdk/bin/java", NULL},
	/* (the official images: /usr/local/go) */
	{"/usr/local/go/bin/go", "/usr/local/bin/go", "/usr/bin/go", "/usr/lib/go/bin/go", NULL},
	{"/usr/local/bin/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", NULL},
	{"/usr/local/bin/firefox", "/usr/bin/firefox", "/usr/bin/firefox-esr", "/opt/firefox/firefox", NULL},
};

static bool executable(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

#define URL_MAX 512

/* What one run fetches, and through what. */
struct target {
	char url[URL_MAX];      /* https://... */
	char hostport[URL_MAX]; /* its HOST:PORT (openssl's -connect) */
	bool loopback;          /* one of doctor's endpoints: no proxy at all */
	const char *proxy;      /* the proxy, told to the clients that read no
				 * variable (openssl, node, perl, php, java); NULL: none */
	char proxy_hostport[URL_MAX];
	char proxy_host[URL_MAX], proxy_port[16]; /* (Firefox's prefs) */
	char java_host[URL_MAX + 24], java_port[40]; /* -Dhttps.proxyHost=, -Dhttps.proxyPort= */
};

/* HOST:PORT of "[SCHEME://][USER@]HOST[:PORT][/...]" (defport when it
 * names none), and HOST and PORT alone where asked. */
static void authority(const char *url, const char *defport, char hostport[URL_MAX], char *host, size_t host_len,
		      char *port, size_t port_len)
{
	const char *a = strstr(url, "://"), *end, *at, *h_end, *colon = NULL;

	a = a != NULL ? a + 3 : url;
	end = a + strcspn(a, "/?#");
	while ((at = memchr(a, '@', (size_t)(end - a))) != NULL)
		a = at + 1;
	h_end = end;
	if (*a == '[') { /* an IPv6 address */
		const char *close = memchr(a, ']', (size_t)(end - a));

		h_end = close != NULL ? close + 1 : end;
		colon = h_end < end && *h_end == ':' ? h_end : NULL;
	} else if ((colon = memchr(a, ':', (size_t)(end - a))) != NULL) {
		h_end = colon;
	}
	snprintf(hostport, URL_MAX, "%.*s:%.*s", (int)(h_end - a), a, colon ? (int)(end - colon - 1) : (int)strlen(defport),
		 colon ? colon + 1 : defport);
	if (host != NULL)
		snprintf(host, host_len, "%.*s", (int)(h_end - a), a);
	if (port != NULL)
		snprintf(port, port_len, "%.*s", colon ? (int)(end - colon - 1) : (int)strlen(defport),
			 colon ? colon + 1 : defport);
}

/* The first proxy variable of envp that is set: the proxy its programs
 * use for an https URL. */
static const char *env_proxy(char *const *envp)
{
	static const char *const names[] = {"https_proxy=", "HTTPS_PROXY=", "all_proxy=", "ALL_PROXY="};

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		for (char *const *v = envp; v != NULL && *v != NULL; v++)
			if (strncmp(*v, names[k], strlen(names[k])) == 0 && (*v)[strlen(names[k])] != '\0')
				return *v + strlen(names[k]);
	return NULL;
}

/* The target of one run: the stray CA's endpoint, else --url (through the
 * proxy doctor was given, else the path's), else the canary's endpoint. */
static void target_of(const struct dr_env *x, enum dr_path path, bool stray, struct target *t)
{
	memset(t, 0, sizeof(*t));
	t->loopback = stray || x->url == NULL;
	if (t->loopback) {
		snprintf(t->url, sizeof(t->url), "https://127.0.0.1:%u/", stray ? x->stray_port : x->good_port);
		snprintf(t->hostport, sizeof(t->hostport), "127.0.0.1:%u", stray ? x->stray_port : x->good_port);
		return;
	}
	snprintf(t->url, sizeof(t->url), "%s", x->url);
	authority(x->url, "443", t->hostport, NULL, 0, NULL, 0);
	if ((t->proxy = x->proxy != NULL ? x->proxy : env_proxy(x->env[path])) == NULL)
		return;
	authority(t->proxy, "1080", t->proxy_hostport, t->proxy_host, sizeof(t->proxy_host), t->proxy_port,
		  sizeof(t->proxy_port));
	snprintf(t->java_host, sizeof(t->java_host), "-Dhttps.proxyHost=%s", t->proxy_host);
	snprintf(t->java_port, sizeof(t->java_port), "-Dhttps.proxyPort=%s", t->proxy_port);
}

/* argv for client i fetching t (profile, proxy_arg: Chromium's buffers). */
static void client_argv(size_t i, const char *program, const struct target *t, char profile[96],
			char proxy_arg[URL_MAX + 16], const char *argv[ARGS_MAX])
{
	const char *url = t->url, *proxy = t->proxy != NULL ? t->proxy : "";
	size_t n = 0;

	argv[n++] = program;
	switch (i) {
	case C_CURL:
		argv[n++] = "-sS";
		argv[n++] = "-o";
		argv[n++] = "/dev/null";
		argv[n++] = url;
		break;
	case C_WGET: /* GNU's or busybox's: only options both have */
		argv[n++] = "-q";
		argv[n++] = "-O";
		argv[n++] = "/dev/null";
		argv[n++] = url;
		break;
	case C_OPENSSL:
		argv[n++] = "s_client";
		argv[n++] = "-connect";
		argv[n++] = t->hostport;
		if (t->proxy != NULL) {
			argv[n++] = "-proxy";
			argv[n++] = t->proxy_hostport;
		}
		argv[n++] = "-verify_return_error";
		argv[n++] = "-brief";
		break;
	case C_PYTHON: /* urllib */
		argv[n++] = "-c";
		argv[n++] = PY_URLLIB;
		argv[n++] = url;
		break;
	case C_REQUESTS:
		argv[n++] = "-c";
		argv[n++] = PY_REQUESTS;
		argv[n++] = url;
		break;
	case C_NODE:
		argv[n++] = "-e";
		argv[n++] = t->proxy != NULL ? NODE_TUNNEL : NODE_HTTPS;
		argv[n++] = url;
		argv[n++] = proxy;
		break;
	case C_PIP: /* an index lookup of a name no index has (nothing is written) */
		argv[n++] = "-m";
		argv[n++] = "pip";
		argv[n++] = "index";
		argv[n++] = "versions";
		argv[n++] = "--retries=0";
		argv[n++] = "--timeout=10";
		argv[n++] = "--disable-pip-version-check";
		argv[n++] = "--no-cache-dir";
		argv[n++] = "--index-url";
		argv[n++] = url;
		argv[n++] = "cainit-doctor-probe";
		break;
	case C_NPM: /* the registry's ping, as every npm install starts */
		argv[n++] = "ping";
		argv[n++] = "--registry";
		argv[n++] = url;
		/* a cache that cannot exist: nothing written (a ping needs none;
		 * an unwritable one, a read-only /tmp, makes npm 11 hang) */
		argv[n++] = "--cache=/dev/null/cainit-doctor-npm";
		argv[n++] = "--logs-max=0";
		argv[n++] = "--fetch-retries=0";
		argv[n++] = "--update-notifier=false";
		break;
	case C_BUN:
		argv[n++] = "-e";
		argv[n++] = BUN_FETCH;
		argv[n++] = url;
		break;
	case C_DENO: /* (eval: every permission, no file) */
		argv[n++] = "eval";
		argv[n++] = DENO_FETCH;
		argv[n++] = url;
		break;
	case C_PHP:
		argv[n++] = "-r";
		argv[n++] = PHP_GET;
		argv[n++] = url;
		argv[n++] = proxy;
		break;
	case C_GO: /* a module lookup through the endpoint as GOPROXY (go_env) */
		argv[n++] = "mod";
		argv[n++] = "download";
		argv[n++] = "cainit.invalid/probe@latest";
		break;
	case C_RUBY: /* Net::HTTP */
		argv[n++] = "-e";
		argv[n++] = RUBY_HTTPS;
		argv[n++] = url;
		break;
	case C_PERL: /* IO::Socket::SSL, verifying */
		argv[n++] = "-e";
		argv[n++] = PERL_HTTPS;
		argv[n++] = url;
		argv[n++] = proxy;
		break;
	case C_GIT: /* a clone's first request over https */
		argv[n++] = "ls-remote";
		argv[n++] = url;
		break;
	case C_CHROMIUM: /* headless, a fresh profile each run (NSS: the
			  * user's ~/.pki/nssdb), the page's DOM on stdout; no
			  * /dev/shm needed, nothing fetched but the page */
		snprintf(profile, 96, "--user-data-dir=%s/chromium-%u", x_scratch, x_profiles++);
		argv[n++] = "--headless";
		argv[n++] = "--no-sandbox";
		argv[n++] = "--disable-gpu";
		argv[n++] = "--disable-dev-shm-usage";
		argv[n++] = "--disable-quic";
		argv[n++] = "--no-first-run";
		argv[n++] = "--disable-background-networking";
		argv[n++] = "--disable-component-update";
		argv[n++] = "--disable-sync";
		argv[n++] = profile;
		if (t->proxy != NULL) {
			snprintf(proxy_arg, URL_MAX + 16, "--proxy-server=%s", t->proxy);
			argv[n++] = proxy_arg;
		}
		argv[n++] = "--dump-dom";
		argv[n++] = url;
		break;
	case C_FIREFOX: /* headless, driven over Marionette (firefox.h): the
			 * URL is not an argument, and the profile is made by
			 * the driver */
		snprintf(profile, 96, "%s/firefox-%u", x_scratch, x_profiles++);
		argv[n++] = "--headless";
		argv[n++] = "--marionette";
		argv[n++] = "--no-remote";
		argv[n++] = "--profile";
		argv[n++] = profile;
		break;
	default: /* java: HttpURLConnection, the class written beforehand (a
		  * short-lived JVM: the first JIT tier and the serial collector) */
		argv[n++] = "-XX:TieredStopAtLevel=1";
		argv[n++] = "-XX:+UseSerialGC";
		if (t->proxy != NULL) {
			argv[n++] = t->java_host;
			argv[n++] = t->java_port;
		}
		argv[n++] = "-cp";
		argv[n++] = x_scratch;
		argv[n++] = "CainitDoctorGet";
		argv[n++] = url;
		break;
	}
	argv[n] = NULL;
}

/* The first non-empty line of out, at most n - 1 bytes. */
static void first_line(const char *out, char *msg, size_t n)
{
	const char *p = out;
	size_t k;

	while (*p == '\n' || *p == '\r' || *p == ' ')
		p++;
	k = strcspn(p, "\r\n");
	if (k >= n)
		k = n - 1;
	memcpy(msg, p, k);
	msg[k] = '\0';
}

/* Has pid ended by deadline (ms, clock_now_us's clock)? Where pidfd_open
 * is missing (before Linux 5.3), it is waited for without a limit. */
static bool ended_by(pid_t pid, long long deadline)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	bool ended = true;

	if (fd < 0)
		return true;
	for (;;) {
		struct pollfd f = {.fd = fd, .events = POLLIN};
		long long left = deadline - clock_now_us() / 1000;
		int k;

		if (left <= 0) {
			ended = false;
			break;
		}
		if ((k = poll(&f, 1, (int)left)) > 0 || (k < 0 && errno != EINTR))
			break;
	}
	close(fd);
	return ended;
}

/* What runs in a client's process instead of execve (firefox.h): its
 * return value is the process's exit status. */
typedef int drive_fn(const char *const argv[], char *const envp[], void *arg);

/* Run argv with envp, stdin and stdout on /dev/null (where the root has
 * one), stderr captured into out; its exit status, or -1 (with out saying
 * why) when it could not run or ran out of time. */
static int run_out(const char *const argv[], char *const envp[], int timeout_ms, bool both, drive_fn *drive,
		   void *arg, char out[OUTPUT_MAX]);

static int run(const char *const argv[], char *const envp[], int timeout_ms, char out[OUTPUT_MAX])
{
	return run_out(argv, envp, timeout_ms, false, NULL, NULL, out);
}

/* run, with stdout captured as well when both (pip says why it could not
 * fetch an index on stdout); with drive, the process runs drive(argv,
 * envp, arg) instead, and whatever it starts is in its process group */
static int run_out(const char *const argv[], char *const envp[], int timeout_ms, bool both, drive_fn *drive,
		   void *arg, char out[OUTPUT_MAX])
{
	long long deadline = clock_now_us() / 1000 + timeout_ms;
	size_t got = 0;
	int p[2], st = 0;
	bool late = false;
	siginfo_t si;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(out, OUTPUT_MAX, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		setpgid(0, 0);
		if (null >= 0)
			dup2(null, 0);
		else
			close(0); /* (a root without /dev/null: no input at all) */
		dup2(null >= 0 && !both ? null : p[1], 1);
		dup2(p[1], 2);
		if (drive != NULL)
			_exit(drive(argv, envp, arg));
		execve(argv[0], (char *const *)argv, envp);
		dprintf(2, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		snprintf(out, OUTPUT_MAX, "fork: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		struct pollfd f = {.fd = p[0], .events = POLLIN};
		long long left = deadline - clock_now_us() / 1000;
		char buf[512];
		ssize_t k;

		if (left <= 0) {
			late = true;
			break;
		}
		if (poll(&f, 1, (int)left) < 0 && errno != EINTR)
			break;
		if (!(f.revents & (POLLIN | POLLHUP)))
			continue;
		if ((k = read(p[0], buf, sizeof(buf))) <= 0)
			break; /* every writer gone: the client ended */
		if (got < OUTPUT_MAX - 1) {
			size_t c = (size_t)k < OUTPUT_MAX - 1 - got ? (size_t)k : OUTPUT_MAX - 1 - got;

			memcpy(out + got, buf, c);
			got += c;
			out[got] = '\0';
		}
	}
	close(p[0]);
	if (!late)
		late = !ended_by(pid, deadline); /* (its stderr closed, it may still run) */
	if (late)
		kill(-pid, SIGKILL);
	/* what it left running, killed while its ended leader, not yet reaped,
	 * still holds the group's number (no other process can have it) */
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (late) {
		snprintf(out, OUTPUT_MAX, "no answer within %d ms", timeout_ms);
		return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A fresh directory of the first of these the user can write (a root's
 * /tmp may be read-only), for client i: Java's probe is written there,
 * Chromium keeps its profiles there; false (msg says why: n/a) when there
 * is none. */
static bool scratch_prepare(size_t i, char *msg, size_t n)
{
	static const char *const places[] = {"/tmp", "/dev/shm", "/var/tmp", "/run"};
	char cls[96];
	size_t k;
	int fd;

	for (k = 0; k < sizeof(places) / sizeof(places[0]); k++) {
		snprintf(x_scratch, sizeof(x_scratch), "%s/cainit-doctor-XXXXXX", places[k]);
		if (mkdtemp(x_scratch) != NULL)
			break;
	}
	if (k == sizeof(places) / sizeof(places[0])) {
		x_scratch[0] = '\0';
		snprintf(msg, n, "no place to write in (/tmp, /dev/shm, /var/tmp, /run: %s)", strerror(errno));
		return false;
	}
	if (i != C_JAVA)
		return true;
	snprintf(cls, sizeof(cls), "%s/CainitDoctorGet.class", x_scratch);
	fd = open(cls, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, java_probe_class, sizeof(java_probe_class)) != (ssize_t)sizeof(java_probe_class) ||
	    close(fd) != 0) {
		snprintf(msg, n, "%.100s: %s", cls, strerror(errno));
		return false;
	}
	return true;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* The scratch directory and all the clients left in it (not following a
 * link, not crossing into another mount). */
static void scratch_cleanup(void)
{
	if (x_scratch[0] == '\0')
		return;
	nftw(x_scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	x_scratch[0] = '\0';
	x_profiles = 0;
}

/* argv wrapped for the path: a login shell runs it. */
static void wrap(enum dr_path path, const char *argv[ARGS_MAX], const char *out[ARGS_MAX + 5])
{
	size_t n = 0, i = 0;

	if (path == DR_LOGIN) {
		out[n++] = "/bin/sh";
		out[n++] = "-l";
		out[n++] = "-c";
		out[n++] = "exec \"$0\" \"$@\"";
	}
	while (argv[i] != NULL)
		out[n++] = argv[i++];
	out[n] = NULL;
}

#define ENV_MAX 512

/* The environment of one run. */
struct run_env {
	char *v[ENV_MAX];
	char proxy[4][URL_MAX + 16], goproxy[URL_MAX + 16], tmpdir[80], home[80];
};

/* The variables that choose a proxy, which doctor sets itself where it
 * chooses (a loopback endpoint: none; --url with a proxy given: that one). */
static const char *const proxy_vars[] = {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy",
					 "ALL_PROXY",   "no_proxy",    "NO_PROXY",   NULL};

/* Go: the target is the module proxy, and nothing may be written (no
 * build cache, a module cache that cannot exist) or asked of anyone else
 * (no checksum database, no toolchain download, no private-module
 * exception); GOINSECURE does not apply to a proxy: go verifies it
 * whatever that says. */
static const char *const go_fixed[] = {"GOSUMDB=off",      "GONOSUMDB=",
				       "GOPRIVATE=",       "GONOPROXY=",
				       "GOCACHE=off",      "GOPATH=/dev/null/cainit-doctor-go",
				       "GOMODCACHE=/dev/null/cainit-doctor-go/mod", "GOTOOLCHAIN=local",
				       "GOFLAGS=",         "GO111MODULE=on", NULL};

static bool named(const char *entry, const char *const *names, bool with_eq)
{
	size_t n = strcspn(entry, "=");

	for (; *names != NULL; names++) {
		size_t k = with_eq ? strcspn(*names, "=") : strlen(*names);

		if (k == n && strncmp(entry, *names, n) == 0)
			return true;
	}
	return false;
}

/* Where Firefox writes beside its profile (which it cannot start
 * without), given to it in doctor's scratch directory: its trust is the
 * profile's NSS databases, which the driver copied from the path's HOME
 * (firefox.h), and none of these places holds any. */
static const char *const firefox_home[] = {"HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME",
					   "XDG_STATE_HOME", NULL};

/* The value of NAME in envp; NULL when it has none. */
static const char *env_value(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* The environment client i runs with on path against t: the path's own,
 * but with doctor's choice of proxy where doctor chooses, Go's settings
 * for Go (GOPROXY: the target), for Chromium and Firefox a TMPDIR they can
 * write (Chromium's profile lock's socket; a root's /tmp may be
 * read-only), and for Firefox a HOME too (firefox_home). */
static char *const *cell_env(size_t i, enum dr_path path, const struct dr_env *x, const struct target *t,
			     struct run_env *r)
{
	bool ours = t->loopback || x->proxy != NULL;
	size_t n = 0;

	if (!ours && i != C_GO && i != C_CHROMIUM && i != C_FIREFOX)
		return x->env[path];
	if (t->loopback) {
		r->v[n++] = "no_proxy=127.0.0.1,localhost";
		r->v[n++] = "NO_PROXY=127.0.0.1,localhost";
	} else if (x->proxy != NULL) {
		/* (http_proxy too: Ruby's Net::HTTP reads it for https) */
		for (size_t k = 0; k < 4; k++) {
			snprintf(r->proxy[k], sizeof(r->proxy[k]), "%s=%s", proxy_vars[k], x->proxy);
			r->v[n++] = r->proxy[k];
		}
	}
	if (i == C_GO) {
		snprintf(r->goproxy, sizeof(r->goproxy), "GOPROXY=%s", t->url);
		r->v[n++] = r->goproxy;
		for (size_t k = 0; go_fixed[k] != NULL; k++)
			r->v[n++] = (char *)go_fixed[k];
	}
	if (i == C_CHROMIUM || i == C_FIREFOX) {
		snprintf(r->tmpdir, sizeof(r->tmpdir), "TMPDIR=%s", x_scratch);
		r->v[n++] = r->tmpdir;
	}
	if (i == C_FIREFOX) {
		snprintf(r->home, sizeof(r->home), "HOME=%s", x_scratch);
		r->v[n++] = r->home;
	}
	for (char *const *v = x->env[path]; v != NULL && *v != NULL && n < ENV_MAX - 1; v++)
		if (!(ours && named(*v, proxy_vars, false)) &&
		    !(i == C_GO && (strncmp(*v, "GOPROXY=", 8) == 0 || named(*v, go_fixed, true))) &&
		    !((i == C_CHROMIUM || i == C_FIREFOX) && strncmp(*v, "TMPDIR=", 7) == 0) &&
		    !(i == C_FIREFOX && named(*v, firefox_home, false)))
			r->v[n++] = *v;
	r->v[n] = NULL;
	return r->v;
}

/* Does out hold an HTTP status line's code (": 404 Not Found")? */
static bool says_http_status(const char *out)
{
	for (const char *p = strstr(out, ": "); p != NULL; p = strstr(p + 1, ": "))
		if (p[2] >= '1' && p[2] <= '5' && p[3] >= '0' && p[3] <= '9' && p[4] >= '0' && p[4] <= '9' &&
		    p[5] == ' ' && p[6] >= 'A' && p[6] <= 'Z')
			return true;
	return false;
}

/* Did the TLS handshake pass? Every client exits 0 on the endpoint's
 * "ok", but git, given "ok" where a repository's refs should be, exits 128
 * after a handshake that passed: that message, and only that, counts too
 * (so does go's, given "ok" where a module list should be); Firefox's
 * driver exits 0 when the page loaded (firefox.h). A --url
 * target (url) is whatever it is: any HTTP answer counts, for the clients
 * that say so by an error (wget's exit 8, git's and npm's HTTP errors, go's
 * status line). */
static bool handshake_passed(size_t i, bool url, int rc, const char *out)
{
	if (i == C_CHROMIUM) /* (it exits 0 either way: the page or its error) */
		return strstr(out, "net::ERR_") == NULL && strstr(out, "<html") != NULL;
	if (i == C_PIP) /* nothing found is the answer after a fetch that worked */
		return rc == 1 && strstr(out, "No matching distribution found") != NULL &&
		       strstr(out, "Could not fetch URL") == NULL;
	if (i == C_GO) /* the endpoint's "ok" is no module list */
		return rc == 1 && (strstr(out, "invalid response from proxy") != NULL || (url && says_http_status(out)));
	if (rc == 0)
		return true;
	if (i == C_GIT)
		return rc == 128 && (strstr(out, "is this a git repository?") != NULL ||
				     (url && (strstr(out, "not found") != NULL ||
					      strstr(out, "The requested URL returned error: ") != NULL)));
	if (url && i == C_WGET)
		return rc == 8; /* GNU wget: "the server issued an error response" */
	if (url && i == C_NPM) {
		const char *code = strstr(out, "npm error code E");

		return code != NULL && code[16] >= '1' && code[16] <= '5';
	}
	return false;
}

/* The line that says why (pip, npm and openssl print others first: the
 * chain openssl was shown, say; Python's scripts end with theirs, after
 * whatever warnings the packages gave), else the first. */
static void why_line(size_t i, const char *out, char *msg, size_t n)
{
	static const char *const marks[] = {"[SSL", "reason: ", "npm error code", NULL};
	static const char *const openssl_marks[] = {"verify error:", NULL};
	static const char *const chromium_marks[] = {"Page load failed: ", "net::ERR_", NULL};
	const char *const *m = i == C_PIP || i == C_NPM ? marks
			       : i == C_OPENSSL   ? openssl_marks
			       : i == C_CHROMIUM  ? chromium_marks
						  : NULL;
	const char *p;

	if (i == C_PYTHON || i == C_REQUESTS) {
		size_t end = strlen(out);

		while (end > 0 && (out[end - 1] == '\n' || out[end - 1] == '\r' || out[end - 1] == ' '))
			end--;
		for (p = out + end; p > out && p[-1] != '\n';)
			p--;
		first_line(p, msg, n);
		return;
	}
	for (size_t k = 0; m != NULL && m[k] != NULL; k++)
		if ((p = strstr(out, m[k])) != NULL) {
			first_line(p, msg, n);
			return;
		}
	first_line(out, msg, n);
}

/* One run of client i on path, against the stray CA's endpoint when stray,
 * else the target (the canary's endpoint, or --url): did its handshake
 * pass? out says what it printed, *rc its exit status. */
static bool fetch(size_t i, enum dr_path path, const struct dr_env *x, const char *program, bool stray,
		  char out[OUTPUT_MAX], int *rc)
{
	const char *argv[ARGS_MAX], *full[ARGS_MAX + 5];
	char profile[96], proxy_arg[URL_MAX + 16];
	struct target t;
	struct run_env r;

	struct dr_firefox ff;
	char *const *envp;

	target_of(x, path, stray, &t);
	client_argv(i, program, &t, profile, proxy_arg, argv);
	wrap(path, argv, full);
	envp = cell_env(i, path, x, &t, &r);
	if (i == C_FIREFOX) {
		ff = (struct dr_firefox){.profile = profile, .home = env_value(x->env[path], "HOME"),
					 .proxy_type = t.loopback ? 0 : x->proxy != NULL ? 1 : -1,
					 .proxy_host = t.proxy_host, .proxy_port = t.proxy_port, .url = t.url};
		*rc = run_out(full, envp, x->timeout_ms, false, dr_firefox_drive, &ff, out);
		/* (some 36 MB a run: gone before the next) */
		nftw(profile, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	} else {
		*rc = run_out(full, envp, x->timeout_ms, i == C_PIP || i == C_CHROMIUM, NULL, NULL, out);
	}
	return handshake_passed(i, !t.loopback, *rc, out);
}

static void check_cell(size_t i, enum dr_path path, const struct dr_env *x, const char *program,
		       struct dr_cell *c)
{
	char out[OUTPUT_MAX];
	int rc;

	if (!fetch(i, path, x, program, false, out, &rc)) {
		c->v = DR_FAIL;
		why_line(i, out, c->msg, sizeof(c->msg));
		if (c->msg[0] == '\0') /* (wget -q says nothing: its status does) */
			snprintf(c->msg, sizeof(c->msg), "exit status %d%s", rc,
				 i == C_WGET && rc == 5   ? " (GNU wget: SSL verification failure)"
				 : i == C_WGET && rc == 4 ? " (GNU wget: network failure)"
							  : "");
		return;
	}
	c->v = fetch(i, path, x, program, true, out, &rc) ? DR_NOVERIFY : DR_OK;
	if (c->v == DR_NOVERIFY)
		snprintf(c->msg, sizeof(c->msg), "accepted a certificate from a CA nobody trusts");
}

bool dr_client_is_python(size_t i)
{
	return i == C_PYTHON || i == C_REQUESTS || i == C_PIP;
}

/* Which Python path runs: its real file, or for a virtual environment's
 * (PREFIX/bin/python3 beside PREFIX/pyvenv.cfg, a link to its base) the
 * environment, whose packages are its own. */
static bool python_identity(const char *path, char real[PATH_MAX])
{
	char prefix[PATH_MAX], cfg[PATH_MAX + 16];
	const char *slash = strrchr(path, '/');
	size_t bin = slash != NULL ? (size_t)(slash - path) : 0;

	while (bin > 0 && path[bin - 1] != '/')
		bin--; /* path[bin..] is "bin/python3", path[..bin - 1) its prefix */
	if (bin > 1 && bin <= sizeof(prefix)) {
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(bin - 1), path);
		snprintf(cfg, sizeof(cfg), "%s/pyvenv.cfg", prefix);
		if (access(cfg, F_OK) == 0)
			return realpath(prefix, real) != NULL;
	}
	return realpath(path, real) != NULL;
}

/* path, unless a Python already listed (or the first on PATH) is it. */
static void add_python(const char *path, char (*out)[DR_PROGRAM_MAX], size_t *n, size_t max, char seen[][PATH_MAX],
		       size_t *nseen)
{
	char real[PATH_MAX];

	if (*n >= max || strlen(path) >= DR_PROGRAM_MAX || !executable(path) || !python_identity(path, real))
		return;
	for (size_t k = 0; k < *nseen; k++)
		if (strcmp(seen[k], real) == 0)
			return;
	snprintf(seen[(*nseen)++], PATH_MAX, "%s", real);
	snprintf(out[(*n)++], DR_PROGRAM_MAX, "%s", path);
}

/* prefix's python3, each match of its "*" in turn (those the engine keeps
 * bundles for: trust.h's prefixes). */
static void add_pythons_of(const char *prefix, char (*out)[DR_PROGRAM_MAX], size_t *n, size_t max,
			   char seen[][PATH_MAX], size_t *nseen)
{
	char pattern[PATH_MAX];
	glob_t g;

	if ((size_t)snprintf(pattern, sizeof(pattern), "%s/bin/python3", prefix) >= sizeof(pattern))
		return;
	if (glob(pattern, 0, NULL, &g) == 0)
		for (size_t m = 0; m < g.gl_pathc; m++)
			add_python(g.gl_pathv[m], out, n, max, seen, nseen);
	globfree(&g); /* (glob initialized it, whatever it returned) */
}

size_t dr_pythons(const char (*envs)[PATH_MAX], size_t nenvs, char (*out)[DR_PROGRAM_MAX], size_t max)
{
	static const char *const homes[] = {"/root", "/home/*"};
	char seen[DR_PYTHONS_MAX + 1][PATH_MAX], prefix[PATH_MAX];
	size_t n = 0, nseen = 0, first, k;

	if (max > DR_PYTHONS_MAX - 1)
		max = DR_PYTHONS_MAX - 1;
	/* the first on PATH is the rows' own: only others are listed */
	for (first = 0; programs[C_PYTHON][first] != NULL; first++)
		if (executable(programs[C_PYTHON][first])) {
			if (python_identity(programs[C_PYTHON][first], seen[0]))
				nseen = 1;
			break;
		}
	for (k = 0; programs[C_PYTHON][k] != NULL; k++)
		if (k != first)
			add_python(programs[C_PYTHON][k], out, &n, max, seen, &nseen);
	/* the engine's places: the root's prefixes, then each home's */
	for (k = 0; trust_python_root_prefixes[k] != NULL; k++)
		add_pythons_of(trust_python_root_prefixes[k], out, &n, max, seen, &nseen);
	for (size_t h = 0; h < sizeof(homes) / sizeof(homes[0]); h++)
		for (k = 0; trust_python_home_prefixes[k] != NULL; k++)
			if ((size_t)snprintf(prefix, sizeof(prefix), "%s/%s", homes[h], trust_python_home_prefixes[k]) <
			    sizeof(prefix))
				add_pythons_of(prefix, out, &n, max, seen, &nseen);
	/* the virtual environments of envs: those install was given
	 * (--python-env, run's $VIRTUAL_ENV, as the engine recorded them),
	 * then those doctor was given */
	for (k = 0; k < nenvs; k++) {
		char py[PATH_MAX + 16];

		snprintf(py, sizeof(py), "%s/bin/python3", envs[k]);
		if (!executable(py))
			snprintf(py, sizeof(py), "%s/bin/python", envs[k]);
		add_python(py, out, &n, max, seen, &nseen);
	}
	return n;
}

void dr_client_check(size_t i, const char *program, unsigned want, const struct dr_env *x, struct dr_row *row)
{
	memset(row, 0, sizeof(*row));
	snprintf(row->client, sizeof(row->client), "%s", dr_client_names[i]);
	if (program != NULL && executable(program))
		snprintf(row->program, sizeof(row->program), "%s", program);
	for (size_t k = 0; program == NULL && programs[i][k] != NULL && row->program[0] == '\0'; k++)
		if (executable(programs[i][k]))
			snprintf(row->program, sizeof(row->program), "%s", programs[i][k]);
	if (row->program[0] != '\0' && (i == C_REQUESTS || i == C_PIP)) {
		/* requests, pip: only where this Python has it (pip 21.2 and
		 * later: `pip index`) */
		const char *req[] = {row->program, "-c", "import requests", NULL};
		const char *pip[] = {row->program, "-m", "pip", "index", "--help", NULL};
		char out[OUTPUT_MAX];

		if (run(i == C_PIP ? pip : req, x->env[DR_BARE], x->timeout_ms, out) != 0)
			row->program[0] = '\0';
	}
	if (row->program[0] != '\0' && (i == C_JAVA || i == C_CHROMIUM || i == C_FIREFOX)) {
		char msg[DR_MSG_MAX];

		if (!scratch_prepare(i, msg, sizeof(msg))) {
			for (size_t p = 0; p < DR_PATHS; p++)
				if (want & (1u << p)) {
					row->cell[p].v = DR_NA;
					snprintf(row->cell[p].msg, sizeof(row->cell[p].msg), "%s", msg);
				}
			scratch_cleanup();
			return;
		}
	}
	for (size_t p = 0; p < DR_PATHS; p++) {
		struct dr_cell *c = &row->cell[p];

		if (!(want & (1u << p)))
			continue;
		if (row->program[0] == '\0') {
			c->v = DR_NA;
			snprintf(c->msg, sizeof(c->msg), "not in this root");
		} else if (x->env[p] == NULL) {
			c->v = DR_NA;
			snprintf(c->msg, sizeof(c->msg), "%s", x->na[p] ? x->na[p] : "no such start path");
		} else if (p == DR_LOGIN && !executable("/bin/sh")) {
			c->v = DR_NA;
			snprintf(c->msg, sizeof(c->msg), "no /bin/sh for a login shell");
		} else {
			check_cell(i, (enum dr_path)p, x, row->program, c);
		}
	}
	scratch_cleanup();
}
