/*
 * agent_conns.c: counting and policing the agent's connections.
 *
 * libevent 2.1 has no connection cap and no whole-request deadline (its
 * read timeout restarts with every byte, so a client sending one byte a
 * second is never cut). The agent creates each connection's bufferevent
 * itself (evhttp_set_bevcb) and keeps a reference to it. A sweep, run on
 * every new connection and every 100 ms while any exist, finds the ones
 * evhttp has freed (their callbacks are cleared), drops them, and shuts
 * down any whose request has been arriving for longer than the request
 * timeout. Accepting pauses while max_connections are open.
 */
#include <stdlib.h>
#include <sys/socket.h>

#include "agent_internal.h"

#define SWEEP_US 100000

static void set_accepting(struct agent *a, bool on)
{
	size_t i;

	if (a->paused == !on)
		return;
	for (i = 0; i < a->nbound; i++) {
		struct evconnlistener *l = evhttp_bound_socket_get_listener(a->bound[i]);

		if (on)
			evconnlistener_enable(l);
		else
			evconnlistener_disable(l);
	}
	a->paused = !on;
}

static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *c = arg;

	(void)buf;
	if (info->n_added > 0 && c->since_us == 0)
		c->since_us = agent_now_us();
}

static bool freed_by_evhttp(struct bufferevent *bev)
{
	bufferevent_data_cb r, w;
	bufferevent_event_cb ev;
	void *arg;

	bufferevent_getcb(bev, &r, &w, &ev, &arg);
	return r == NULL && w == NULL && ev == NULL;
}

static void cut(struct conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (fd >= 0)
		shutdown(fd, SHUT_RDWR); /* evhttp sees the end and frees it */
}

void conns_sweep(struct agent *a)
{
	long long now = agent_now_us();
	size_t i = 0;

	while (i < a->nconns) {
		struct conn *c = a->conns[i];

		if (freed_by_evhttp(c->bev)) {
			bufferevent_decref(c->bev); /* closes the socket */
			free(c);
			a->conns[i] = a->conns[--a->nconns];
			continue;
		}
		if (c->since_us != 0 && now - c->since_us > a->cfg->request_timeout_us)
			cut(c);
		i++;
	}
	if (!a->draining && a->nconns < (size_t)a->cfg->max_connections)
		set_accepting(a, true);
	if (a->nconns == 0 && a->sweep != NULL)
		evtimer_del(a->sweep);
	if (a->draining && !a->drained && (a->nconns == 0 || now > a->drain_deadline_us)) {
		a->drained = true;
		if (a->sweep != NULL)
			evtimer_del(a->sweep);
		a->on_drained(a->drained_arg);
	}
}

struct bufferevent *conns_on_new(struct event_base *base, void *arg)
{
	struct agent *a = arg;
	struct timeval tick = {0, SWEEP_US};
	struct conn *c, **v;

	conns_sweep(a);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL; /* evhttp makes a default bufferevent then */
	c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		free(c);
		return NULL;
	}
	if (a->nconns == a->capconns) {
		size_t cap = a->capconns ? a->capconns * 2 : 64;

		v = realloc(a->conns, cap * sizeof(*v));
		if (v == NULL) {
			bufferevent_free(c->bev);
			free(c);
			return NULL;
		}
		a->conns = v;
		a->capconns = cap;
	}
	bufferevent_incref(c->bev);
	evbuffer_add_cb(bufferevent_get_input(c->bev), on_input, c);
	a->conns[a->nconns++] = c;
	if (a->nconns >= (size_t)a->cfg->max_connections)
		set_accepting(a, false);
	if (!evtimer_pending(a->sweep, NULL))
		evtimer_add(a->sweep, &tick);
	return c->bev;
}

static struct conn *find(struct agent *a, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	size_t i;

	for (i = 0; bev && i < a->nconns; i++)
		if (a->conns[i]->bev == bev)
			return a->conns[i];
	return NULL;
}

void conns_request_done(struct agent *a, struct evhttp_request *req)
{
	struct conn *c = find(a, req);

	/* a pipelined request may already be waiting */
	if (c != NULL)
		c->since_us = evbuffer_get_length(bufferevent_get_input(c->bev)) ? agent_now_us() : 0;
}

void conns_close_idle(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->nconns; i++)
		if (a->conns[i]->since_us == 0 && !freed_by_evhttp(a->conns[i]->bev))
			cut(a->conns[i]);
}

void conns_release_all(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->nconns; i++) {
		bufferevent_decref(a->conns[i]->bev);
		free(a->conns[i]);
	}
	free(a->conns);
	a->conns = NULL;
	a->nconns = a->capconns = 0;
}
