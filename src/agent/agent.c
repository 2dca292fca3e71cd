/*
 * agent.c: starting, running and stopping the agent. See agent.h for what
 * it serves, agent_http.c for how.
 *
 * One thread, one libevent loop: requests are handled one after another, so
 * a change (and the clean-up of the CA it replaces) is complete before the
 * next request is even read, and before its own response is sent.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent_internal.h"
#include "clock.h"
#include "token.h"
#include "trust.h"


void agent_defaults(struct agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->root = "/";
	cfg->max_connections = 128;
	cfg->idle_timeout_us = 30LL * 1000000;
	cfg->request_timeout_us = 5LL * 1000000;
	cfg->doctor_limit_us = 120LL * 1000000;
	cfg->log_name = "serve";
}

static int load_token(struct agent *a, struct cerr *e)
{
	char tok[TOKEN_MAX];
	bool found;
	int rc = token_load(a->cfg->token_file, tok, sizeof(tok), &found, e);

	if (rc == 0 && found) {
		token_hash(tok, strlen(tok), a->token);
		a->has_token = true;
	}
	memset(tok, 0, sizeof(tok));
	return rc;
}

void agent_drain(struct agent *a, void (*done)(void *arg), void *arg)
{
	if (a->draining)
		return;
	a->on_drained = done;
	a->drained_arg = arg;
	a->draining = true;
	a->drain_deadline_us = clock_now_us() + a->cfg->request_timeout_us + 1000000;
	conns_stop_listening(a);
	conns_close_idle(a);
	conns_sweep(a);
}

void agent_reload_token(struct agent *a)
{
	struct cerr e = {0};

	if (a->cfg->token_file == NULL)
		return;
	if (load_token(a, &e) != 0)
		fprintf(stderr, "cainit %s: SIGHUP: %s (keeping the previous token)\n", a->cfg->log_name, e.msg);
	else
		fprintf(stderr, "cainit %s: SIGHUP: token re-read from %s\n", a->cfg->log_name, a->cfg->token_file);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conns_sweep(arg);
}

void agent_free(struct agent *a)
{
	size_t i;

	if (a == NULL)
		return;
	doctor_stop(a);
	conns_free_all(a);
	conns_stop_listening(a);
	if (a->sweep)
		event_free(a->sweep);
	for (i = 0; i < a->nmemos; i++) {
		free(a->memos[i].body);
		cert_list_free(&a->memos[i].cas);
		trust_sentinels_close(a->memos[i].sentinels, a->memos[i].nsentinels);
	}
	free(a->memos);
	free(a->previous.body);
	cert_list_free(&a->previous.cas);
	free(a->init_body);
	for (i = 0; i < a->nlisteners; i++) {
		struct stat st;

		if (a->listeners[i].made_socket && lstat(a->listeners[i].path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(a->listeners[i].path);
	}
	memset(a->token, 0, sizeof(a->token));
	free(a);
}

struct agent *agent_start(const struct agent_config *cfg, struct event_base *base, struct cerr *e)
{
	struct agent *a = calloc(1, sizeof(*a));
	bool recovered;
	size_t i;

	if (a == NULL) {
		cerr_set(e, CAINIT_EOPS, "%s: out of memory", cfg->log_name);
		return NULL;
	}
	a->cfg = cfg;
	a->base = base;
	if (load_token(a, e) != 0)
		goto fail;
	for (i = 0; i < cfg->nlisten && !a->has_token && !cfg->insecure_no_token; i++)
		if (!cfg->listen[i].loopback) {
			cerr_input(e, "insecure",
				   "refusing to listen on %s without a token (give --token-file or CAINIT_TOKEN, "
				   "or --insecure-no-token)",
				   cfg->listen[i].text);
			goto fail;
		}
	if (trust_recover(cfg->root, &recovered, e) != 0)
		goto fail;
	if (recovered)
		fprintf(stderr, "cainit %s: a change had been interrupted; the stores are back to the last one that finished\n",
			cfg->log_name);
	signal(SIGPIPE, SIG_IGN);
	a->sweep = event_new(base, -1, 0, on_sweep, a);
	if (a->sweep == NULL) {
		cerr_set(e, CAINIT_EOPS, "%s: out of memory", cfg->log_name);
		goto fail;
	}
	if (conns_listen(a, e) != 0)
		goto fail;
	return a;
fail:
	agent_free(a);
	return NULL;
}

/* ---- `cainit serve`: the agent alone ---- */

struct serve_loop {
	struct agent *agent;
	struct event_base *base;
};

static void serve_drained(void *arg)
{
	event_base_loopexit(((struct serve_loop *)arg)->base, NULL);
}

static void serve_on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct serve_loop *l = arg;

	(void)what;
	if (l->agent->draining)
		return;
	fprintf(stderr, "cainit %s: %s: finishing requests in flight, then exiting\n", l->agent->cfg->log_name,
		sig == SIGTERM ? "SIGTERM" : "SIGINT");
	agent_drain(l->agent, serve_drained, l);
}

static void serve_on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	agent_reload_token(((struct serve_loop *)arg)->agent);
}

int agent_run(const struct agent_config *cfg, struct cerr *e)
{
	struct serve_loop l = {0};
	struct event *ev[3] = {NULL, NULL, NULL};
	size_t i;
	int rc = 0;

	l.base = event_base_new();
	if (l.base == NULL)
		return cerr_set(e, CAINIT_EOPS, "%s: out of memory", cfg->log_name);
	ev[0] = evsignal_new(l.base, SIGTERM, serve_on_stop, &l);
	ev[1] = evsignal_new(l.base, SIGINT, serve_on_stop, &l);
	ev[2] = evsignal_new(l.base, SIGHUP, serve_on_hup, &l);
	for (i = 0; i < 3 && rc == 0; i++)
		if (ev[i] == NULL || event_add(ev[i], NULL) < 0)
			rc = cerr_set(e, CAINIT_EOPS, "%s: cannot set up signals", cfg->log_name);
	if (rc == 0 && (l.agent = agent_start(cfg, l.base, e)) == NULL)
		rc = e->code;
	if (rc == 0) {
		event_base_dispatch(l.base);
		fprintf(stderr, "cainit %s: stopped\n", cfg->log_name);
	}
	agent_free(l.agent);
	for (i = 0; i < 3; i++)
		if (ev[i])
			event_free(ev[i]);
	event_base_free(l.base);
	return rc;
}
