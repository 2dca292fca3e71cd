/*
 * agent_doctor.c: POST /doctor. The orchestrator that just sent the CA asks
 * the sandbox to prove it: `cainit doctor --json` on the agent's root, run
 * as a child process (this very program, /proc/self/exe), its JSON the
 * answer. A doctor run takes seconds, so the request waits without holding
 * the loop: /health, /init and the rest are answered meanwhile
 * (conns_answer gives the answer when the child is done).
 *
 * One at a time (a second gets 409), within the agent's --doctor-limit
 * (the child's process group is then killed: 504). The body may narrow the
 * run: {"clients": [...], "paths": [...], "timeout": "10s"}; the names are
 * the doctor's own (a name it does not know is its usage error: 400). With
 * "url" (and "proxy"), doctor fetches that URL through the platform's proxy
 * instead of its canary (doctor --url, --proxy: it checks them).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_internal.h"
#include "clock.h"

#define DOCTOR_OUT_MAX (1024 * 1024) /* the JSON of every cell fits many times */
#define DOCTOR_ARGS_MAX 64
#define DOCTOR_NAME_MAX 32
#define DOCTOR_URL_MAX 400 /* doctor's own limit: a longer one is its usage error */

struct doctor_job {
	struct agent *a;
	struct conn *conn; /* NULL once the peer went away: the answer is dropped */
	pid_t pid;
	int fd;            /* the child's stdout */
	struct event *ev_out, *ev_limit;
	struct evbuffer *out;
	bool too_long;
};

static void job_free(struct doctor_job *j)
{
	if (j->ev_out)
		event_free(j->ev_out);
	if (j->ev_limit)
		event_free(j->ev_limit);
	if (j->fd >= 0)
		close(j->fd);
	if (j->out)
		evbuffer_free(j->out);
	if (j->pid > 0) {
		kill(-j->pid, SIGKILL); /* (what is left of its group; none: ESRCH) */
		/* `run --serve` reaps every child itself: ECHILD is fine */
		while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (j->a->doctor == j)
		j->a->doctor = NULL;
	free(j);
}

/* The child is done (its stdout closed) or over its limit: answer. */
static void finish(struct doctor_job *j)
{
	struct reply r = {0};
	size_t len = evbuffer_get_length(j->out);
	json_t *doc = NULL;
	struct conn *c = j->conn;
	int st = 0;

	if (!j->too_long && len > 0)
		doc = json_loadb((const char *)evbuffer_pullup(j->out, -1), len, 0, NULL);
	if (!j->too_long) {
		/* its stdout closed: it is exiting (a usage error is the caller's) */
		pid_t w;

		while ((w = waitpid(j->pid, &st, 0)) < 0 && errno == EINTR)
			;
		if (w == j->pid)
			j->pid = 0;
		else
			st = 0;
	}
	if (j->too_long) {
		metrics_failure(&j->a->m, "doctor_timeout");
		http_error(&r, 504, "doctor_timeout", "doctor did not finish within the agent's --doctor-limit");
	} else if (doc == NULL && WIFEXITED(st) && WEXITSTATUS(st) == CAINIT_EINPUT) {
		metrics_failure(&j->a->m, "bad_input");
		http_error(&r, 400, "bad_input", "doctor refused the clients, paths or timeout (the agent's log says why)");
	} else if (doc == NULL || !json_is_object(json_object_get(doc, "summary"))) {
		metrics_failure(&j->a->m, "doctor_failed");
		http_error(&r, 500, "doctor_failed", "doctor gave no result (the agent's log has its error)");
	} else {
		bool ok = json_is_true(json_object_get(doc, "ok"));

		r.status = 200;
		r.body = evbuffer_new();
		r.content_type = "application/json";
		if (r.body != NULL) {
			evbuffer_add_buffer(r.body, j->out);
		}
		snprintf(r.note, sizeof(r.note), "doctor ok=%s", ok ? "true" : "false");
	}
	json_decref(doc);
	j->conn = NULL;
	job_free(j);
	if (c != NULL)
		conns_answer(c, &r);
	else if (r.body != NULL)
		evbuffer_free(r.body);
}

static void on_out(evutil_socket_t fd, short what, void *arg)
{
	struct doctor_job *j = arg;
	int n;

	(void)what;
	n = evbuffer_read(j->out, fd, 65536);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0 && evbuffer_get_length(j->out) <= DOCTOR_OUT_MAX)
		return;
	finish(j); /* EOF, an error, or more than any real answer */
}

static void on_limit(evutil_socket_t fd, short what, void *arg)
{
	struct doctor_job *j = arg;

	(void)fd;
	(void)what;
	j->too_long = true;
	finish(j);
}

/* A name from the body: letters, digits, '-' and '_' (the doctor checks it
 * is one of its own). */
static bool plain_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DOCTOR_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

/* argv for the child from the body; -1 with why (a 400). */
static int build_argv(const struct agent *a, const struct request *req, char **argv, char *why, size_t n)
{
	static const char *const lists[][2] = {{"clients", "--client"}, {"paths", "--path"}};
	json_t *doc = NULL;
	size_t k = 0;
	const char *t;

	argv[k++] = "cainit";
	argv[k++] = "doctor";
	argv[k++] = "--json";
	argv[k++] = "--root";
	argv[k++] = (char *)a->cfg->root;
	if (req->body_len == 0)
		goto done;
	doc = json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc)) {
		snprintf(why, n, "the body is a JSON object: {\"clients\": [...], \"paths\": [...], \"timeout\": \"10s\"}");
		goto bad;
	}
	{
		const char *key;
		json_t *v;

		json_object_foreach(doc, key, v)
		{
			if (strcmp(key, "clients") != 0 && strcmp(key, "paths") != 0 && strcmp(key, "timeout") != 0 &&
			    strcmp(key, "url") != 0 && strcmp(key, "proxy") != 0) {
				snprintf(why, n, "unknown field \"%.40s\" (clients, paths, timeout, url, proxy)", key);
				goto bad;
			}
		}
	}
	for (size_t l = 0; l < 2; l++) {
		json_t *arr = json_object_get(doc, lists[l][0]), *v;
		size_t i;

		if (arr == NULL)
			continue;
		if (!json_is_array(arr)) {
			snprintf(why, n, "\"%s\" is an array of names", lists[l][0]);
			goto bad;
		}
		json_array_foreach(arr, i, v)
		{
			if (!json_is_string(v) || !plain_name(json_string_value(v)) || k + 3 >= DOCTOR_ARGS_MAX) {
				snprintf(why, n, "\"%s\": at most %d names of letters, digits, '-' and '_'", lists[l][0],
					 (DOCTOR_ARGS_MAX - 8) / 2);
				goto bad;
			}
			argv[k++] = (char *)lists[l][1];
			if ((argv[k++] = strdup(json_string_value(v))) == NULL) {
				snprintf(why, n, "out of memory");
				goto bad;
			}
		}
	}
	if ((t = json_string_value(json_object_get(doc, "timeout"))) != NULL) {
		if (!plain_name(t)) {
			snprintf(why, n, "\"timeout\" is a duration like \"10s\"");
			goto bad;
		}
		argv[k++] = "--timeout";
		if ((argv[k++] = strdup(t)) == NULL) {
			snprintf(why, n, "out of memory");
			goto bad;
		}
	} else if (json_object_get(doc, "timeout") != NULL) {
		snprintf(why, n, "\"timeout\" is a duration like \"10s\"");
		goto bad;
	}
	for (size_t l = 0; l < 2; l++) { /* (passed as arguments, no shell: doctor checks them) */
		static const char *const fields[][2] = {{"url", "--url"}, {"proxy", "--proxy"}};
		json_t *v = json_object_get(doc, fields[l][0]);

		if (v == NULL)
			continue;
		if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > DOCTOR_URL_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			snprintf(why, n, "\"%s\" is a string of 1 to %d characters", fields[l][0], DOCTOR_URL_MAX);
			goto bad;
		}
		argv[k++] = (char *)fields[l][1];
		if ((argv[k++] = strdup(json_string_value(v))) == NULL) {
			snprintf(why, n, "out of memory");
			goto bad;
		}
	}
done:
	argv[k] = NULL;
	json_decref(doc);
	return 0;
bad:
	argv[k] = NULL;
	json_decref(doc);
	return -1;
}

/* The strings build_argv copied (every one after the fixed five that
 * follows an option name). */
static void free_argv(char **argv)
{
	for (size_t k = 5; argv[k] != NULL && argv[k + 1] != NULL; k += 2)
		free(argv[k + 1]);
}

/* The child: its own process group (killed whole at the limit), stdin
 * /dev/null, stdout the pipe, stderr the agent's log; the doctor itself. */
static void child(int out, char **argv)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sigset_t none;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0)
		_exit(127);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "cainit: doctor: /proc/self/exe: %s\n", strerror(errno));
	_exit(127);
}

void doctor_handle(struct agent *a, const struct request *req, struct reply *r)
{
	char *argv[DOCTOR_ARGS_MAX + 1], why[200];
	struct timeval limit = {a->cfg->doctor_limit_us / 1000000, a->cfg->doctor_limit_us % 1000000};
	struct doctor_job *j;
	int p[2];

	if (a->doctor != NULL) {
		metrics_failure(&a->m, "doctor_busy");
		http_error(r, 409, "doctor_busy", "a doctor run is under way: one at a time");
		return;
	}
	if (build_argv(a, req, argv, why, sizeof(why)) != 0) {
		free_argv(argv);
		metrics_failure(&a->m, "bad_input");
		http_error(r, 400, "bad_input", why);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL || pipe2(p, O_CLOEXEC) < 0) {
		free(j);
		free_argv(argv);
		metrics_failure(&a->m, "io");
		http_error(r, 500, "io", "cannot start doctor");
		return;
	}
	j->a = a;
	j->conn = req->conn;
	j->fd = p[0];
	j->pid = fork();
	if (j->pid == 0)
		child(p[1], argv);
	close(p[1]);
	free_argv(argv);
	a->doctor = j;
	evutil_make_socket_nonblocking(j->fd);
	j->out = evbuffer_new();
	j->ev_out = event_new(a->base, j->fd, EV_READ | EV_PERSIST, on_out, j);
	j->ev_limit = evtimer_new(a->base, on_limit, j);
	if (j->pid < 0 || j->out == NULL || j->ev_out == NULL || j->ev_limit == NULL || event_add(j->ev_out, NULL) != 0 ||
	    evtimer_add(j->ev_limit, &limit) != 0) {
		j->conn = NULL;
		job_free(j);
		metrics_failure(&a->m, "io");
		http_error(r, 500, "io", "cannot start doctor");
		return;
	}
	r->deferred = true;
}

void doctor_conn_gone(struct agent *a, const struct conn *c)
{
	if (a->doctor != NULL && a->doctor->conn == c)
		a->doctor->conn = NULL; /* it runs on, to remove its canary; nobody hears */
}

void doctor_stop(struct agent *a)
{
	if (a->doctor != NULL) {
		a->doctor->conn = NULL;
		job_free(a->doctor);
	}
}
