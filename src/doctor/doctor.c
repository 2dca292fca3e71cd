/*
 * doctor.c: see doctor.h. The canary is installed and removed by the
 * engine on this side (the host's, with --root); the clients run in a
 * child (sandbox.h) that serves the endpoints in its own network namespace
 * and sends its table rows back through a pipe. The canary set
 * (doctor-RANDOM) is held (TRUST_HOLD): if this process is killed, the
 * next change of the root by any cainit removes it (engine/held.c).
 * With --root / and doctor run as root, the clients run as the user the
 * root's programs run as (trust_root_user): privileges are dropped in the child
 * once the endpoints, which keep the canary's keys, are started.
 */
#include "doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "canary.h"
#include "endpoint.h"
#include "sandbox.h"
#include "start_env.h"
#include "trust.h"

#define SET_PREFIX "doctor-"

struct job {
	const struct doctor_opts *o;
	unsigned paths;
	const struct canary *good, *stray;
	char *const *env[DR_PATHS];
	char (*envs)[PATH_MAX]; /* trust_python_envs */
	size_t nenvs;
	int out;
	const char *proxy; /* with --url: the proxy of every cell (NULL: each path's) */
	bool drop;     /* become uid/gid in the child (--root /, as root) */
	uid_t uid;
	gid_t gid;
	pid_t parent;  /* doctor: the child ends if it is gone */
};

/* In the child, the endpoints started: the user the clients run as. The
 * parent-death signal is set again (a change of credentials clears it). */
static int become(const struct job *j)
{
	if (setgroups(1, &j->gid) != 0 || setresgid(j->gid, j->gid, j->gid) != 0 ||
	    setresuid(j->uid, j->uid, j->uid) != 0) {
		fprintf(stderr, "cainit: doctor: become uid %u: %s\n", (unsigned)j->uid, strerror(errno));
		return -1;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != j->parent)
		return -1;
	return chdir("/") == 0 ? 0 : -1; /* (doctor's directory may be closed to the user) */
}

/* Wait until one of the workers ends (in the sandbox this process is its
 * pid 1: orphans of the clients come here too, and are only reaped). */
static void wait_worker(const pid_t *workers, size_t n)
{
	for (;;) {
		pid_t pid = wait(NULL);

		if (pid < 0 && errno != EINTR)
			return;
		for (size_t k = 0; pid > 0 && k < n; k++)
			if (workers[k] == pid)
				return;
	}
}

/* A PAM session's environment: what the program that opened it set (login,
 * su, sshd: HOME, USER, LOGNAME, the login path's own), then pam_env's
 * /etc/environment over it; env is consumed. NULL: out of memory. */
static char **with_session(char **env, char *const *session)
{
	size_t n = 0, m = 0, k = 0;
	char **v;

	while (env[n] != NULL)
		n++;
	while (session[m] != NULL)
		m++;
	if ((v = calloc(n + m + 1, sizeof(*v))) == NULL) {
		start_env_free(env);
		return NULL;
	}
	for (size_t i = 0; i < m; i++) {
		size_t name = strcspn(session[i], "=") + 1;
		bool set = false;

		for (size_t p = 0; p < n && !set; p++)
			set = strncmp(env[p], session[i], name) == 0;
		if (!set && (v[k++] = strdup(session[i])) == NULL) {
			start_env_free(v);
			start_env_free(env);
			return NULL;
		}
	}
	memcpy(v + k, env, n * sizeof(*v));
	free(env); /* (its strings are v's now) */
	return v;
}

/* Check client i (program: which of the Pythons, k > 0) and write its
 * row: one write, less than PIPE_BUF, so rows of workers side by side never
 * interleave. Another Python's row only where that Python has the client
 * (requests importable, a pip with `pip index`). */
static int put_row(const struct job *j, size_t i, const char *program, size_t k, const struct dr_env *x)
{
	struct dr_row row;

	dr_client_check(i, program, j->paths, x, &row);
	row.order = (unsigned)k;
	if (k > 0 && row.program[0] == '\0')
		return 0;
	return write(j->out, &row, sizeof(row)) == (ssize_t)sizeof(row) ? 0 : -1;
}

/* In the child: the endpoints, then every wanted client, a row each. */
static int body(void *arg)
{
	struct job *j = arg;
	struct cerr e = {0};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nworkers = 0, running = 0, limit = cpus > 1 ? (size_t)cpus : 1, npy = 0;
	pid_t workers[DR_ROWS_MAX];
	char pythons[DR_PYTHONS_MAX][DR_PROGRAM_MAX];
	bool want_py = false;
	struct endpoint ep;
	struct dr_env x;

	if (endpoint_start(&ep, j->good, j->stray, &e) != 0) {
		fprintf(stderr, "cainit: %s\n", e.msg);
		return 125;
	}
	if (j->drop && become(j) != 0) {
		endpoint_stop(&ep);
		return 125;
	}
	memset(&x, 0, sizeof(x));
	x.good_port = ep.good_port;
	x.stray_port = ep.stray_port;
	x.timeout_ms = j->o->timeout_ms;
	x.url = j->o->url;
	x.proxy = j->proxy;
	for (size_t p = 0; p < DR_PATHS; p++)
		x.env[p] = j->env[p];
	/* the files' start paths, read from the root as its programs see it */
	x.env[DR_PAM] = start_env_pam(&x.na[DR_PAM]);
	if (x.env[DR_PAM] != NULL &&
	    (x.env[DR_PAM] = with_session((char **)x.env[DR_PAM], j->env[DR_LOGIN])) == NULL)
		x.na[DR_PAM] = "out of memory";
	x.env[DR_SYSTEMD] = start_env_systemd(&x.na[DR_SYSTEMD]);
	x.env[DR_IMAGE] = start_env_image(&x.na[DR_IMAGE]);
	/* every Python interpreter the root has gets its rows (python,
	 * requests, pip): the first on PATH, then the others */
	for (size_t i = 0; i < DR_CLIENTS; i++)
		want_py |= dr_client_is_python(i) && (j->o->clients == 0 || (j->o->clients & (1u << i)));
	if (want_py)
		npy = dr_pythons((const char (*)[PATH_MAX])j->envs, j->nenvs, pythons, DR_PYTHONS_MAX);
	/* the clients side by side, a worker each, as many at once as there
	 * are CPUs (a JVM that starts beside nine other runtimes on two CPUs
	 * can take longer than a run may) */
	for (size_t i = 0; i < DR_CLIENTS; i++) {
		if (j->o->clients && !(j->o->clients & (1u << i)))
			continue;
		for (size_t k = 0; k <= (dr_client_is_python(i) ? npy : 0); k++) {
			const char *program = k == 0 ? NULL : pythons[k - 1];

			if (running >= limit) {
				wait_worker(workers, nworkers);
				running--;
			}
			if ((workers[nworkers] = fork()) == 0)
				_exit(put_row(j, i, program, k, &x) == 0 ? 0 : 1);
			if (workers[nworkers] > 0) {
				nworkers++;
				running++;
			} else if (put_row(j, i, program, k, &x) != 0) { /* no worker: here, in turn */
				goto out;
			}
		}
	}
out:
	while (running-- > 0)
		wait_worker(workers, nworkers);
	endpoint_stop(&ep);
	start_env_free((char **)x.env[DR_PAM]);
	start_env_free((char **)x.env[DR_SYSTEMD]);
	start_env_free((char **)x.env[DR_IMAGE]);
	return 0;
}

/* The runtime variables as "NAME=VALUE" (what `cainit run` adds). */
static char **run_env(const char *root, struct cerr *e)
{
	struct env_var vars[ENV_VARS_MAX];
	size_t n = 0;
	char **env;

	if (trust_env(root, 0, vars, &n, e) != 0)
		return NULL;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (asprintf(&env[i], "%s=%s", vars[i].name, vars[i].value) < 0) {
			env[i] = NULL; /* (a variable left out would be a wrong verdict) */
			start_env_free(env);
			cerr_sys(e, "doctor", "environment", ENOMEM);
			return NULL;
		}
	return env;
}

static size_t client_index(const char *name)
{
	for (size_t i = 0; i < DR_CLIENTS; i++)
		if (strcmp(dr_client_names[i], name) == 0)
			return i;
	return DR_CLIENTS;
}

static int table_order(const void *a, const void *b)
{
	const struct dr_row *ra = a, *rb = b;
	size_t x = client_index(ra->client), y = client_index(rb->client);

	if (x != y)
		return (x > y) - (x < y);
	return (ra->order > rb->order) - (ra->order < rb->order);
}

/* The virtual environments that get rows: those install was given (the
 * engine's record), then those doctor was given (--python-env, which the
 * canary's install is not told of: a venv no install knows shows as it
 * is). */
static int python_envs(const char *root, const struct doctor_opts *o, struct job *j, struct cerr *e)
{
	size_t extra = 0;
	char(*v)[PATH_MAX];
	int rc;

	if ((rc = trust_python_envs(root, &j->envs, &j->nenvs, e)) != 0)
		return rc;
	while (o->python_envs != NULL && o->python_envs[extra] != NULL)
		extra++;
	if (extra == 0)
		return 0;
	if ((v = realloc(j->envs, (j->nenvs + extra) * sizeof(*v))) == NULL)
		return cerr_sys(e, "doctor", "--python-env", ENOMEM);
	j->envs = v;
	for (size_t k = 0; k < extra; k++)
		snprintf(j->envs[j->nenvs++], PATH_MAX, "%s", o->python_envs[k]);
	return 0;
}

/* Start the child, read its rows (in whatever order they come), wait. */
static int check_clients(const char *root, struct job *j, struct doctor_result *r, struct cerr *e)
{
	int p[2], st = 0;
	pid_t pid;
	ssize_t k;

	if (pipe2(p, O_CLOEXEC) != 0)
		return cerr_sys(e, "doctor", "pipe", errno);
	j->out = p[1];
	if (sandbox_spawn(strcmp(root, "/") == 0 ? NULL : root, j->o->url != NULL, body, j, &pid, e) != 0) {
		close(p[0]);
		close(p[1]);
		return e->code;
	}
	close(p[1]);
	while (r->nrows < DR_ROWS_MAX &&
	       (k = read(p[0], &r->rows[r->nrows], sizeof(r->rows[0]))) == (ssize_t)sizeof(r->rows[0]))
		r->nrows++;
	close(p[0]);
	qsort(r->rows, r->nrows, sizeof(r->rows[0]), table_order);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return cerr_set(e, CAINIT_EOPS, "doctor: the clients' %s ended with %s %d (see above)",
				root[1] ? "sandbox" : "process", WIFEXITED(st) ? "status" : "signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return 0;
}

/* A URL or proxy address doctor passes to the clients, in argv and in
 * scripts' arguments: printable ASCII without spaces or quotes, not too
 * long for a row of the table's detail. */
static bool plain(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 127 || *s == '"' || *s == '\'' || *s == '\\' || *s == '`')
			return false;
	return true;
}

static bool http_proxy(const char *p)
{
	return (strstr(p, "://") == NULL || strncmp(p, "http://", 7) == 0) && plain(p, 200);
}

static int check_target(const struct doctor_opts *o, struct cerr *e)
{
	if (o->url != NULL &&
	    (strncmp(o->url, "https://", 8) != 0 || o->url[8] == '\0' || o->url[8] == '/' || !plain(o->url, 400)))
		return cerr_input(e, "bad_url", "doctor: --url \"%.80s\": an https:// URL of at most 400 characters, "
				  "no spaces or quotes", o->url);
	if (o->proxy != NULL && o->url == NULL)
		return cerr_input(e, "bad_proxy", "doctor: --proxy: only with --url (the canary is served on loopback)");
	for (size_t k = 0; o->python_envs != NULL && o->python_envs[k] != NULL; k++)
		if (o->python_envs[k][0] != '/' || strlen(o->python_envs[k]) >= DR_PROGRAM_MAX - 16 ||
		    strchr(o->python_envs[k], '\n') != NULL)
			return cerr_input(e, "bad_python_env",
					  "doctor: --python-env \"%.80s\": an absolute path inside the root, at most %d "
					  "characters",
					  o->python_envs[k], DR_PROGRAM_MAX - 17);
	if (o->proxy != NULL && !http_proxy(o->proxy))
		return cerr_input(e, "bad_proxy", "doctor: --proxy \"%.80s\": http://HOST:PORT or HOST:PORT", o->proxy);
	return 0;
}

/* With --url and no --proxy: doctor's own https_proxy, as the user who
 * runs it has it (one the clients could not be told, a socks5:// one
 * say, is left to each path's own variables). */
static const char *own_proxy(void)
{
	const char *p = getenv("https_proxy");

	if (p == NULL || *p == '\0')
		p = getenv("HTTPS_PROXY");
	return p != NULL && http_proxy(p) ? p : NULL;
}

int doctor_run(const struct doctor_opts *o, struct doctor_result *r, struct cerr *e)
{
	static char *const none[] = {NULL};
	char home[PATH_MAX], user[80], logname[80];
	char *login[] = {home, NULL, NULL, NULL};
	struct passwd_entry pw;
	static const struct trust_opts hold = {.flags = TRUST_HOLD};
	unsigned long long tag[1];
	struct canary good, stray;
	int hold_fd = -1;
	struct cert_list ca = {0};
	struct trust_report rep;
	struct cerr e2 = {0};
	char root[PATH_MAX], **env = NULL;
	struct job j = {.o = o};
	int rc;

	memset(r, 0, sizeof(*r));
	r->paths = o->paths ? o->paths : (1u << DR_PATHS) - 1;
	if ((rc = check_target(o, e)) != 0)
		return rc;
	if (realpath(o->root, root) == NULL)
		return cerr_sys(e, o->root, "doctor: root", errno);
	/* who the clients run as: the sandbox's unprivileged uid; here, the
	 * root's user (doctor as root) or doctor's own */
	snprintf(home, sizeof(home), "HOME=/");
	if (strcmp(root, "/") == 0) {
		if (geteuid() == 0) {
			if ((rc = trust_root_user("/", o->user, &pw, e)) != 0)
				return rc;
			j.drop = true;
			j.uid = pw.uid;
			j.gid = pw.gid;
			j.parent = getpid();
			snprintf(home, sizeof(home), "HOME=%s", pw.home);
			snprintf(user, sizeof(user), "USER=%s", pw.name);
			snprintf(logname, sizeof(logname), "LOGNAME=%s", pw.name);
			login[1] = user;
			login[2] = logname;
			snprintf(r->user, sizeof(r->user), "%s", pw.name);
			r->uid = pw.uid;
		} else if (o->user != NULL) {
			return cerr_input(e, "no_user", "doctor: --user: only when doctor runs as root");
		} else {
			snprintf(r->user, sizeof(r->user), "uid %u", (unsigned)geteuid());
			r->uid = geteuid();
		}
	} else if (o->user != NULL) {
		return cerr_input(e, "no_user",
				  "doctor: --user: only with --root / (with a root elsewhere the clients run as the "
				  "sandbox's unprivileged uid)");
	} else {
		snprintf(r->user, sizeof(r->user), "sandbox uid %d", SANDBOX_UID);
		r->uid = SANDBOX_UID;
	}
	if (getrandom(tag, sizeof(tag), 0) != (ssize_t)sizeof(tag))
		return cerr_sys(e, "doctor", "getrandom", errno);
	if (o->url == NULL)
		snprintf(r->set, sizeof(r->set), SET_PREFIX "%016llx", (unsigned long long)tag[0]);
	else if ((j.proxy = o->proxy != NULL ? o->proxy : own_proxy()) != NULL)
		snprintf(r->proxy, sizeof(r->proxy), "%s", j.proxy);
	if ((rc = canary_make(&good, "cainit doctor canary", e)) != 0)
		return rc;
	if ((rc = canary_make(&stray, "cainit doctor stray CA", e)) != 0) {
		canary_free(&good);
		return rc;
	}
	rc = cert_list_parse((const unsigned char *)good.ca_pem, good.ca_pem_len, "the canary", &ca, e);
	/* held: if this process is killed, the next change of the root
	 * removes it (a --url target: no canary at all) */
	if (rc == 0 && r->set[0] != '\0') {
		rc = trust_install(root, r->set, &ca, &hold, "the canary", &rep, e);
		hold_fd = rc == 0 ? rep.hold_fd : -1;
	}
	if (rc == 0 && (env = run_env(root, e)) == NULL)
		rc = e->msg[0] ? e->code : cerr_sys(e, "doctor", "environment", ENOMEM);
	if (rc == 0)
		rc = python_envs(root, o, &j, e);
	if (rc == 0) {
		j.paths = r->paths;
		j.good = &good;
		j.stray = &stray;
		j.env[DR_BARE] = none;
		j.env[DR_RUN] = env;
		j.env[DR_LOGIN] = login;
		rc = check_clients(root, &j, r, e);
	}
	/* the canary goes whatever happened (a set that is not there: no-op) */
	if (r->set[0] != '\0' && trust_remove(root, r->set, NULL, &rep, &e2) != 0 && rc == 0) {
		*e = e2;
		rc = e2.code;
	}
	if (hold_fd >= 0)
		close(hold_fd);
	start_env_free(env);
	free(j.envs);
	cert_list_free(&ca);
	canary_free(&good);
	canary_free(&stray);
	return rc;
}

bool doctor_all_ok(const struct doctor_result *r)
{
	for (size_t i = 0; i < r->nrows; i++)
		for (size_t p = 0; p < DR_PATHS; p++)
			if ((r->paths & (1u << p)) && r->rows[i].cell[p].v != DR_OK && r->rows[i].cell[p].v != DR_NA)
				return false;
	return true;
}
