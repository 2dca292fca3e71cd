/*
 * cmd_run.c: `cainit run` - the entrypoint. In order: optionally move the
 * stores onto tmpfs; trust the CA (given, awaited or watched; fail closed);
 * start the agent if asked; start the command with the runtime variables;
 * then forward signals, reap, re-install on change, and exit as the
 * command did. One libevent loop carries all of it (supervise.c, watch.c,
 * run_source.c, the agent).
 */
#include <event2/event.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "cli.h"
#include "duration.h"
#include "run_source.h"
#include "supervise.h"
#include "trust.h"
#include "watch.h"

#define DEFAULT_WAIT_US (30LL * 1000000)

static const char USAGE[] =
	"usage: cainit run [options] -- CMD [ARGS...]\n"
	"\n"
	"Trust the CA, then run CMD as a tini-grade entrypoint: CMD gets the runtime\n"
	"variables (see 'cainit env'), signals are forwarded, every zombie is reaped,\n"
	"and cainit exits with CMD's status (128+N if signal N killed it; 127 when\n"
	"CMD is not found, 126 when it cannot be executed).\n"
	"\n"
	"  --ca FILE            install FILE before CMD starts; if it cannot be\n"
	"                       trusted, CMD does not start (exit 1 or 2, as install)\n"
	"  --wait FILE          wait for FILE to appear (inotify), install it, then\n"
	"                       start CMD; exit 1 without starting CMD at the timeout\n"
	"  --timeout DUR        how long --wait (or --watch) waits (default 30s)\n"
	"  --watch FILE         as --ca (as --wait with --timeout), then re-install\n"
	"                       whenever FILE's content changes, Kubernetes ConfigMap\n"
	"                       and Secret volume updates (..data swaps) included\n"
	"  --name NAME          the set to install into (default \"default\")\n"
	"  --allow-leaf, --allow-expired   as for install\n"
	"  --serve ADDR         also run the agent API on ADDR (repeatable; see\n"
	"                       'cainit serve --help'); it drains when CMD exits\n"
	"  --token-file F       the agent's token (default: $CAINIT_TOKEN)\n"
	"  --insecure-no-token  let the agent listen beyond loopback without a token\n"
	"  --tmpfs              first copy the trust-store directories (/etc/ssl/certs\n"
	"                       whole, ...) onto tmpfs mounted over them; without the\n"
	"                       privilege to mount, warn and go on\n"
	"  --group              signal CMD's whole process group, not just CMD\n"
	"  --env-keep           keep every runtime variable the caller already set\n"
	"  --env-override       replace every runtime variable the caller already set\n"
	"                       (default: a variable naming a file that lacks the\n"
	"                       managed CAs gets a merged file, the caller's\n"
	"                       certificates and the managed CAs, kept current;\n"
	"                       see docs/env.md)\n"
	"  --root DIR           root filesystem to change (default /); paths in the\n"
	"                       variables are as seen inside DIR\n"
	CLI_TRUST_USAGE
	"\n"
	"SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH go to CMD\n"
	"(SIGHUP also re-reads the agent's token file).\n";

enum ca_mode { CA_NONE, CA_GIVEN, CA_WAIT, CA_WATCH };

struct run {
	/* options */
	enum ca_mode mode;
	long long timeout_us;
	bool timeout_set, tmpfs, group;
	enum env_mode env_mode;
	char **cmd;
	struct agent_config agent_cfg;
	/* state */
	struct event_base *base;
	struct supervisor sv;
	struct ca_source src;
	struct watch *watch;
	struct agent *agent;
	bool installed, timed_out, fatal;
	enum source_result last;
	struct cerr err;
};

/* ---- the CA ---- */

/* Apply the file once; log what a watcher should say. */
static enum source_result apply(struct run *r)
{
	bool repeat;
	struct cerr e = {0};
	enum source_result res = source_apply(&r->src, &repeat, &e);

	if (r->installed && res == SOURCE_MISSING && r->last != SOURCE_MISSING)
		fprintf(stderr, "cainit run: %s is gone (the CAs installed before stay trusted)\n", r->src.path);
	r->last = res;
	if (res == SOURCE_INSTALLED || res == SOURCE_UNCHANGED)
		r->installed = true;
	if (res == SOURCE_REFUSED || res == SOURCE_FAILED)
		r->err = e;
	if (r->installed && (res == SOURCE_REFUSED || res == SOURCE_FAILED) && !repeat)
		fprintf(stderr, "cainit run: %s (the CAs installed before stay trusted)\n", e.msg);
	return res;
}

static void on_file_event(void *arg)
{
	struct run *r = arg;
	bool was = r->installed;

	apply(r);
	if (!was && r->installed)
		event_base_loopbreak(r->base); /* --wait: the CA is here */
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	r->timed_out = true;
	event_base_loopbreak(r->base);
}

/* Wait in the loop until the file is installed, the timeout, or a signal. */
static int wait_for_file(struct run *r)
{
	struct timeval tv = {r->timeout_us / 1000000, r->timeout_us % 1000000};
	struct event *timer = evtimer_new(r->base, on_timeout, r);

	if (timer == NULL || evtimer_add(timer, &tv) < 0) {
		if (timer)
			event_free(timer);
		fprintf(stderr, "cainit: run: cannot set a timer\n");
		return 1;
	}
	fprintf(stderr, "cainit run: waiting for %s (at most %.3gs)\n", r->src.path, (double)r->timeout_us / 1e6);
	while (!r->installed && !r->timed_out && !r->sv.stop_signal)
		event_base_loop(r->base, EVLOOP_ONCE);
	event_free(timer);
	if (r->installed)
		return 0;
	if (r->sv.stop_signal) {
		fprintf(stderr, "cainit run: signal %d while waiting for %s: not starting %s\n", r->sv.stop_signal,
			r->src.path, r->cmd[0]);
		return 128 + r->sv.stop_signal;
	}
	if (r->last == SOURCE_REFUSED || r->last == SOURCE_FAILED)
		return cli_fail(&r->err);
	fprintf(stderr, "cainit: run: %s did not appear within %.3gs: not starting %s\n", r->src.path,
		(double)r->timeout_us / 1e6, r->cmd[0]);
	return 1;
}

/* Trust the CA before the command starts: 0, or the exit code. */
static int initial_ca(struct run *r)
{
	struct cerr e = {0};

	if (r->mode == CA_NONE)
		return 0;
	if (r->mode == CA_WAIT || r->mode == CA_WATCH) {
		/* watch first, then look: nothing that happens in between is missed */
		r->watch = watch_new(r->base, r->src.path, on_file_event, r, &e);
		if (r->watch == NULL)
			return cli_fail(&e);
	}
	apply(r);
	if (r->installed)
		return 0;
	if (r->mode == CA_WAIT || (r->mode == CA_WATCH && r->timeout_set))
		return wait_for_file(r);
	if (r->last == SOURCE_MISSING) {
		cerr_input(&e, "no_file", "%s: no such file, or empty: not starting %s (--wait waits for it)",
			   r->src.path, r->cmd[0]);
		return cli_fail(&e);
	}
	return cli_fail(&r->err);
}

/* ---- the command's environment ---- */

extern char **environ;

static char **build_env(const char *root, struct env_var *v, size_t nv, enum env_mode mode)
{
	size_t n = 0, out = 0, i, k;
	bool user[ENV_VARS_MAX] = {false};
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + nv + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		bool ours = false;

		for (k = 0; k < nv; k++) {
			if (strlen(v[k].name) != len || strncmp(environ[i], v[k].name, len) != 0)
				continue;
			/* the caller's value, kept, merged or replaced (cli_env_decide) */
			ours = !cli_env_decide(root, &v[k], eq ? eq + 1 : "", mode, "cainit run");
			user[k] = !ours;
		}
		if (!ours)
			env[out++] = environ[i];
	}
	for (k = 0; k < nv; k++) {
		if (user[k])
			continue;
		if (asprintf(&env[out], "%s=%s", v[k].name, v[k].value) < 0) {
			env[out] = NULL;
			return env; /* (out of memory: the rest is left out) */
		}
		out++;
	}
	env[out] = NULL;
	return env;
}

static void free_env(char **env)
{
	size_t i;

	for (i = 0; env && env[i]; i++) {
		size_t k;
		bool borrowed = false;

		for (k = 0; environ[k] && !borrowed; k++)
			borrowed = env[i] == environ[k];
		if (!borrowed)
			free(env[i]);
	}
	free(env);
}

/* ---- running ---- */

static void on_drained(void *arg)
{
	event_base_loopexit(((struct run *)arg)->base, NULL);
}

static void on_child_exit(void *arg)
{
	struct run *r = arg;

	if (r->agent != NULL)
		agent_drain(r->agent, on_drained, r);
	else
		event_base_loopexit(r->base, NULL);
}

static void on_any_signal(int sig, void *arg)
{
	struct run *r = arg;

	if (sig == SIGHUP && r->agent != NULL)
		agent_reload_token(r->agent);
}

static void move_to_tmpfs(const char *root)
{
	struct tmpfs_report rep;
	struct cerr e = {0};
	size_t i;

	if (trust_tmpfs(root, &rep, &e) != 0) {
		fprintf(stderr, "cainit run: warning: --tmpfs: %s%s; the stores stay where they are\n", e.msg,
			e.reason && strcmp(e.reason, "no_privilege") == 0 ? " (no privilege to mount)" : "");
	}
	for (i = 0; i < rep.mounted && i < TMPFS_DIRS_MAX; i++)
		fprintf(stderr, "cainit run: %s is now on tmpfs\n", rep.dirs[i]);
	if (rep.already > 0)
		fprintf(stderr, "cainit run: %zu director%s already on tmpfs\n", rep.already,
			rep.already == 1 ? "y was" : "ies were");
}

static int start(struct run *r)
{
	struct env_var vars[ENV_VARS_MAX];
	struct cerr e = {0};
	char **env;
	size_t n;
	int rc;

	if (r->mode != CA_NONE || r->agent_cfg.nlisten > 0)
		cli_crypto_init(); /* (only then: a plain run starts faster) */
	if (r->tmpfs)
		move_to_tmpfs(r->agent_cfg.root);
	if ((rc = initial_ca(r)) != 0)
		return rc;
	if (r->mode != CA_WATCH)
		watch_stop(r->watch); /* (freed at exit: see watch_stop) */
	if (r->agent_cfg.nlisten > 0 && (r->agent = agent_start(&r->agent_cfg, r->base, &e)) == NULL)
		return cli_fail(&e);
	/* an agent may install a CA later: point at where it will be */
	if (trust_env(r->agent_cfg.root, r->agent ? ENV_PLANNED : 0, vars, &n, &e) != 0)
		return cli_fail(&e);
	env = build_env(r->agent_cfg.root, vars, n, r->env_mode);
	if (env == NULL)
		return cli_fail(&(struct cerr){.code = CAINIT_EOPS, .msg = "run: out of memory"});
	rc = supervise_spawn(&r->sv, r->cmd, env);
	free_env(env);
	return rc;
}

/* (Longer than most: one case per option.) */
static int parse(struct run *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{"ca", required_argument, NULL, 'c'},
		{"wait", required_argument, NULL, 'w'},
		{"watch", required_argument, NULL, 'W'},
		{"timeout", required_argument, NULL, 'T'},
		{"name", required_argument, NULL, 'n'},
		{"allow-leaf", no_argument, NULL, 'L'},
		{"allow-expired", no_argument, NULL, 'E'},
		{"serve", required_argument, NULL, 's'},
		{"token-file", required_argument, NULL, 't'},
		{"insecure-no-token", no_argument, NULL, 'I'},
		{"tmpfs", no_argument, NULL, 'm'},
		{"group", no_argument, NULL, 'g'},
		{"env-override", no_argument, NULL, 'o'},
		{"env-keep", no_argument, NULL, 'K'},
		{"root", required_argument, NULL, 'r'},
		CLI_TRUST_OPTIONS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cerr e = {0};
	int c;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'w':
		case 'W':
			if (r->mode != CA_NONE)
				return cli_usage_error("run", "give one of --ca, --wait and --watch");
			r->mode = c == 'c' ? CA_GIVEN : c == 'w' ? CA_WAIT : CA_WATCH;
			r->src.path = optarg;
			break;
		case 'T':
			r->timeout_us = duration_parse(optarg);
			if (r->timeout_us <= 0)
				return cli_usage_error("run", "bad duration \"%s\" (like 500ms, 30s, 2m)", optarg);
			r->timeout_set = true;
			break;
		case 'n':
			r->src.set = optarg;
			break;
		case 'L':
			r->src.opts.flags |= CERT_ALLOW_LEAF;
			break;
		case 'E':
			r->src.opts.flags |= CERT_ALLOW_EXPIRED;
			break;
		case 's':
			if (r->agent_cfg.nlisten == AGENT_MAX_LISTEN)
				return cli_usage_error("run", "at most %d --serve", AGENT_MAX_LISTEN);
			if (addr_parse(optarg, &r->agent_cfg.listen[r->agent_cfg.nlisten], &e) != 0)
				return cli_fail(&e);
			r->agent_cfg.nlisten++;
			break;
		case 't':
			r->agent_cfg.token_file = optarg;
			break;
		case 'I':
			r->agent_cfg.insecure_no_token = true;
			break;
		case 'm':
			r->tmpfs = true;
			break;
		case 'g':
			r->group = true;
			break;
		case 'o':
		case 'K':
			if (r->env_mode != ENV_MODE_MERGE)
				return cli_usage_error("run", "--env-keep and --env-override: give one");
			r->env_mode = c == 'o' ? ENV_MODE_OVERRIDE : ENV_MODE_KEEP;
			break;
		case 'r':
			r->agent_cfg.root = optarg;
			break;
		case 'h':
			fputs(USAGE, stdout);
			return -1;
		default:
			if (cli_trust_option(c, optarg, &r->agent_cfg.trust))
				break;
			return cli_usage_error("run", "bad option");
		}
	}
	if ((c = cli_trust_finish("run", &r->agent_cfg.trust)) != 0)
		return c;
	if (optind >= argc)
		return cli_usage_error("run", "no command to run (cainit run [options] -- CMD [ARGS...])");
	if (r->timeout_set && r->mode != CA_WAIT && r->mode != CA_WATCH)
		return cli_usage_error("run", "--timeout goes with --wait or --watch");
	if (!set_name_valid(r->src.set))
		return cli_usage_error("run", "invalid set name \"%.80s\"", r->src.set);
	r->cmd = argv + optind;
	r->src.root = r->agent_cfg.root;
	r->src.opts.java_home = r->agent_cfg.trust.java_home;
	r->src.opts.python_envs = r->agent_cfg.trust.python_envs;
	r->src.opts.nss_user = r->agent_cfg.trust.nss_user;
	r->src.opts.flags |= r->agent_cfg.trust.flags;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run r = {0};
	int rc;

	agent_defaults(&r.agent_cfg);
	r.agent_cfg.log_name = "run";
	r.timeout_us = DEFAULT_WAIT_US;
	r.src.set = "default";
	rc = parse(&r, argc, argv);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	{
		/* (EVENT_* variables are the command's, not ours) */
		struct event_config *cfg = event_config_new();

		if (cfg != NULL)
			event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
		r.base = cfg ? event_base_new_with_config(cfg) : NULL;
		if (cfg != NULL)
			event_config_free(cfg);
	}
	if (r.base == NULL)
		return cli_fail(&(struct cerr){.code = CAINIT_EOPS, .msg = "run: out of memory"});
	if (supervise_init(&r.sv, r.base, r.group, &r.err) != 0) {
		rc = cli_fail(&r.err);
	} else {
		r.sv.on_signal = on_any_signal;
		r.sv.on_exit = on_child_exit;
		r.sv.arg = &r;
		rc = start(&r);
		if (rc == 0 && r.sv.child > 0) {
			event_base_dispatch(r.base);
			rc = supervise_exit_code(&r.sv);
		}
	}
	agent_free(r.agent);
	watch_free(r.watch);
	source_free(&r.src);
	supervise_free(&r.sv);
	event_base_free(r.base);
	return rc;
}
