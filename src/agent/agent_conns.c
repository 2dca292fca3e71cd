/*
 * agent_conns.c: the agent's sockets, connections and HTTP/1.1 framing, on
 * libevent's bufferevents (http_req.c parses).
 *
 * Every request's head is parsed and its token checked before anything
 * else happens: 404 and 405 first (they reveal nothing), then 401 without
 * reading a body, and only then "100 Continue" or the body itself, capped
 * at 1 MiB (413 as soon as a length says more). After an answer that
 * leaves a body unread, the connection half-closes and drains what the
 * peer still sends (so the answer is not lost to a reset), then closes. A
 * request must arrive whole within the request timeout and a connection
 * may stay silent for the idle timeout; a sweep every 100 ms cuts the rest
 * without an answer.
 *
 * Connections are capped (--max-connections), and the cap is not a lock
 * an anonymous peer can hold: when a new connection finds every slot
 * taken, the oldest connection that has never presented the agent's token
 * is closed to make room (then the oldest idle one that has). A peer that
 * opens slow, half-sent requests as fast as it can only ever evicts its
 * own; an orchestrator's request, sent whole as it connects, is read
 * before enough new connections can arrive to push it out (connections
 * are accepted a few at a time, reads in between).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent_internal.h"
#include "clock.h"

#define SWEEP_US 100000
#define ACCEPT_BATCH 8
#define BACKLOG 128

enum { S_HEAD, S_BODY, S_CHUNKED, S_WAIT /* an answer given later: nothing more read */ };

static void conn_free(struct conn *c);
static void after_answer(struct conn *c);

static void set_accepting(struct agent *a, bool on)
{
	size_t i;

	if (a->paused == !on || a->draining)
		return;
	for (i = 0; i < a->nlisteners; i++)
		if (a->listeners[i].ev != NULL) {
			if (on)
				event_add(a->listeners[i].ev, NULL);
			else
				event_del(a->listeners[i].ev);
		}
	a->paused = !on;
}

static void arm_sweep(struct agent *a)
{
	struct timeval tick = {0, SWEEP_US};

	if (a->sweep != NULL && !evtimer_pending(a->sweep, NULL))
		evtimer_add(a->sweep, &tick);
}

static bool output_empty(const struct conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev)) == 0;
}

/* The oldest connection that matches pick, or NULL. */
static struct conn *oldest(struct agent *a, bool (*pick)(const struct conn *c))
{
	struct conn *victim = NULL;

	for (size_t i = 0; i < a->nconns; i++)
		if (pick(a->conns[i]) && (victim == NULL || a->conns[i]->accepted_us < victim->accepted_us))
			victim = a->conns[i];
	return victim;
}

/* never presented the token, and no request past its head */
static bool anonymous_waiting(const struct conn *c)
{
	return !c->trusted && c->state == S_HEAD;
}

static bool anonymous(const struct conn *c)
{
	return !c->trusted;
}

static bool idle(const struct conn *c)
{
	return c->since_us == 0 && output_empty(c);
}

/* Close the oldest connection that never presented the token (one still
 * sending its head first: without a token configured, a body under way is
 * a request like any other), else the oldest idle one that did; false when
 * every slot is an authenticated request under way. */
static bool make_room(struct agent *a)
{
	struct conn *victim = oldest(a, anonymous_waiting);

	if (victim == NULL)
		victim = oldest(a, anonymous);
	if (victim == NULL)
		victim = oldest(a, idle);
	if (victim == NULL)
		return false;
	a->m.shed++;
	conn_free(victim);
	return true;
}

/* ---- replies ---- */

static void log_path(const char *path, char *out, size_t n)
{
	size_t i, k = 0;

	for (i = 0; path[i] && k + 5 < n; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c < 0x21 || c > 0x7e)
			k += (size_t)snprintf(out + k, n - k, "%%%02X", c);
		else
			out[k++] = (char)c;
	}
	out[k] = '\0';
}

/* The connection writes what waits in its output when the socket takes
 * it: enabled only once something waits (enabled on an empty output, the
 * loop would watch the socket for writability once for nothing). */
static void queued(struct conn *c)
{
	if (!output_empty(c))
		bufferevent_enable(c->bev, EV_WRITE);
}

/* The answer goes to the socket at once when nothing is queued before it
 * (nearly always: the socket takes a few hundred bytes), and only what the
 * socket did not take waits in the connection's output for the loop. Queued
 * first, every answer cost three more system calls (watching the socket for
 * writability, the wait that says it is, and the unwatching): a third of a
 * /health round trip. */
static void send_reply(struct conn *c, const struct http_req *h, struct reply *r, long long t0)
{
	struct agent *a = c->a;
	struct evbuffer *queue = bufferevent_get_output(c->bev), *out = NULL;
	size_t len = r->body ? evbuffer_get_length(r->body) : 0;
	char shown[256];

	if (evbuffer_get_length(queue) == 0)
		out = evbuffer_new();
	if (out == NULL)
		out = queue;

	if (r->status == 0)
		r->status = 500;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", r->status, http_phrase(r->status));
	if (r->allow != NULL)
		evbuffer_add_printf(out, "Allow: %s\r\n", r->allow);
	if (r->status != 204) {
		if (r->body != NULL)
			evbuffer_add_printf(out, "Content-Type: %s\r\n", r->content_type ? r->content_type : "application/json");
		evbuffer_add_printf(out, "Content-Length: %zu\r\n", len);
	}
	if (c->closing)
		evbuffer_add_printf(out, "Connection: close\r\n");
	else if (h != NULL && h->minor == 0)
		evbuffer_add_printf(out, "Connection: keep-alive\r\n");
	evbuffer_add(out, "\r\n", 2);
	if (r->body != NULL && r->status != 204 && (h == NULL || h->method != HTTP_HEAD))
		evbuffer_add_buffer(out, r->body);
	if (r->body != NULL)
		evbuffer_free(r->body);
	r->body = NULL;
	if (out != queue) {
		/* (a refusal, EAGAIN or a reset, leaves it all queued: the
		 * connection's own write then meets the same and reports it) */
		(void)evbuffer_write(out, bufferevent_getfd(c->bev));
		evbuffer_add_buffer(queue, out);
		evbuffer_free(out);
	}
	queued(c);
	metrics_response(&a->m, r->status);
	if (!a->cfg->quiet) {
		log_path(h ? h->path : "-", shown, sizeof(shown));
		fprintf(stderr, "cainit %s: %s %s %d %lldus%s%s\n", a->cfg->log_name, h ? http_method_name(h->method) : "-",
			shown, r->status, clock_now_us() - t0, r->note[0] ? " " : "", r->note);
	}
}

/* An answer the framing itself gives (a malformed head, a body too
 * large...): then the connection is closed, as what follows on it cannot
 * be trusted to be a request. */
static void fail_and_close(struct conn *c, const struct http_req *h, int status, const char *code, const char *why)
{
	struct reply r = {0};

	http_error(&r, status, code, why);
	snprintf(r.note, sizeof(r.note), "(%s)", why);
	metrics_failure(&c->a->m, code);
	c->closing = true;
	c->linger = true;
	send_reply(c, h, &r, clock_now_us());
}

/* ---- requests ---- */

static void dispatch(struct conn *c)
{
	struct agent *a = c->a;
	struct request req = {&c->req, (const unsigned char *)c->body.p, c->body.len, c};
	struct reply r = {0};
	long long t0 = clock_now_us();

	if (req.body == NULL)
		req.body = (const unsigned char *)"";
	http_handle(a, &req, &r);
	http_body_free(&c->body);
	if (r.deferred) {
		c->state = S_WAIT; /* conns_answer resumes */
		c->wait_t0 = t0;
		return;
	}
	if (c->req.close || a->draining)
		c->closing = true;
	send_reply(c, &c->req, &r, t0);
	c->state = S_HEAD;
	c->since_us = 0; /* (a pipelined request's clock starts in process) */
	if (a->paused)
		set_accepting(a, true); /* this one is idle now: room can be made */
}

/* A whole head has arrived: parse it, route it, check the token. */
static void on_head(struct conn *c, const char *p, size_t n)
{
	struct agent *a = c->a;
	struct reply r = {0};
	const char *why = "";
	bool needs, has_body;
	int rc = http_req_parse(p, n, &c->req, &why);

	if (rc != 0) {
		fail_and_close(c, NULL, rc, rc == 505 ? "version" : rc == 431 ? "header_too_large" : "bad_request", why);
		return;
	}
	has_body = c->req.chunked || (c->req.has_length && c->req.length > 0);
	needs = http_needs_token(a, &c->req, &r);
	if (r.status == 0 && needs && !http_authorized(a, &c->req))
		http_unauthorized(a, &r);
	if (r.status != 0) {
		/* 404, 405, 401: answered before a byte of body is read (the
		 * connection closes if one was announced) */
		c->closing = has_body || c->req.close || a->draining;
		c->linger = has_body;
		send_reply(c, &c->req, &r, clock_now_us());
		c->state = S_HEAD;
		c->since_us = 0;
		return;
	}
	if (needs && a->has_token)
		c->trusted = true;
	if (c->req.has_length && c->req.length > CERT_INPUT_MAX) {
		fail_and_close(c, &c->req, 413, "too_large", "the body is larger than 1 MiB");
		return;
	}
	if (has_body && c->req.expect_continue) {
		evbuffer_add(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n", 25);
		queued(c);
	}
	if (c->req.chunked) {
		memset(&c->chunked, 0, sizeof(c->chunked));
		c->state = S_CHUNKED;
	} else if (has_body) {
		c->state = S_BODY;
	} else {
		dispatch(c);
	}
}

static void process(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	while (!c->closing && c->state != S_WAIT) {
		size_t len = evbuffer_get_length(in), n, used = 0;
		const char *p;
		int rc;

		if (len == 0)
			return;
		if (c->since_us == 0)
			c->since_us = clock_now_us();
		switch (c->state) {
		case S_HEAD:
			n = len < HTTP_HEAD_MAX + 4 ? len : HTTP_HEAD_MAX + 4;
			p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
			if ((n = http_head_end(p, n)) == 0) {
				size_t have = len < HTTP_HEAD_MAX + 4 ? len : HTTP_HEAD_MAX + 4;
				const char *lf = p;

				while ((lf = memchr(lf, '\n', have - (size_t)(lf - p))) != NULL && lf > p && lf[-1] == '\r')
					lf++;
				if (len > HTTP_HEAD_MAX)
					fail_and_close(c, NULL, 431, "header_too_large", "a request head larger than 16 KiB");
				else if (lf != NULL)
					fail_and_close(c, NULL, 400, "bad_request", "a line that does not end in CRLF");
				return; /* (the rest of the head is still to come) */
			}
			on_head(c, p, n);
			evbuffer_drain(in, n);
			break;
		case S_BODY:
			if (len < c->req.length)
				return;
			if ((c->body.p = malloc(c->req.length ? c->req.length : 1)) == NULL) {
				fail_and_close(c, &c->req, 500, "io", "out of memory");
				return;
			}
			c->body.cap = c->body.len = (size_t)c->req.length;
			evbuffer_remove(in, c->body.p, c->body.len);
			dispatch(c);
			break;
		case S_CHUNKED:
			p = (const char *)evbuffer_pullup(in, -1);
			rc = http_chunked_feed(&c->chunked, p, len, &used, &c->body, CERT_INPUT_MAX);
			evbuffer_drain(in, used);
			if (rc == HTTP_CHUNK_MORE)
				return;
			if (rc == HTTP_CHUNK_DONE)
				dispatch(c);
			else if (rc == HTTP_CHUNK_TOO_BIG)
				fail_and_close(c, &c->req, 413, "too_large", "the body is larger than 1 MiB");
			else
				fail_and_close(c, &c->req, rc == HTTP_CHUNK_NOMEM ? 500 : 400,
					       rc == HTTP_CHUNK_NOMEM ? "io" : "bad_request",
					       rc == HTTP_CHUNK_NOMEM ? "out of memory" : "a malformed chunked body");
			break;
		}
	}
}

void conns_answer(struct conn *c, struct reply *r)
{
	struct agent *a = c->a;

	if (c->req.close || a->draining)
		c->closing = true;
	send_reply(c, &c->req, r, c->wait_t0);
	c->state = S_HEAD;
	c->since_us = 0;
	if (a->paused)
		set_accepting(a, true);
	process(c); /* a request pipelined behind it */
	after_answer(c);
}

/* ---- connections ---- */

/* The answer is written: close, or (lingering) half-close and drain. */
static void after_answer(struct conn *c)
{
	if (!c->closing || !output_empty(c))
		return;
	if (!c->linger) {
		conn_free(c);
		return;
	}
	if (!c->half_closed) {
		shutdown(bufferevent_getfd(c->bev), SHUT_WR);
		c->half_closed = true;
		c->since_us = clock_now_us(); /* (lingering ends at the request timeout) */
	}
	evbuffer_drain(bufferevent_get_input(c->bev), evbuffer_get_length(bufferevent_get_input(c->bev)));
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	c->last_us = clock_now_us();
	if (c->closing) {
		evbuffer_drain(bufferevent_get_input(c->bev), evbuffer_get_length(bufferevent_get_input(c->bev)));
		return;
	}
	process(c);
	after_answer(c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	(void)bev;
	after_answer(arg);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && !c->closing && c->state == S_WAIT) {
		c->closing = true; /* a half-close: the answer still goes out when it comes */
		c->linger = false;
		return;
	}
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && !c->closing) {
		/* the peer is done sending: answer what it sent whole */
		process(c);
		c->closing = true;
		c->linger = false;
		if (!output_empty(c))
			return; /* freed once the answer is written */
	}
	if ((what & BEV_EVENT_EOF) && c->closing && !c->half_closed && !output_empty(c)) {
		c->linger = false; /* (nothing more to drain) */
		return;
	}
	conn_free(c);
}

static void conn_free(struct conn *c)
{
	struct agent *a = c->a;
	size_t slot = c->slot;

	if (c->state == S_WAIT)
		doctor_conn_gone(a, c);
	bufferevent_free(c->bev);
	http_body_free(&c->body);
	a->conns[slot] = a->conns[--a->nconns];
	a->conns[slot]->slot = slot;
	free(c);
	if (!a->draining && a->nconns < (size_t)a->cfg->max_connections)
		set_accepting(a, true);
	if (a->draining && a->nconns == 0 && a->sweep != NULL)
		event_active(a->sweep, EV_TIMEOUT, 0); /* (the sweep ends the drain) */
}

static void conn_new(struct agent *a, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (a->nconns == a->capconns) {
		size_t cap = a->capconns ? a->capconns * 2 : 64;
		struct conn **v = realloc(a->conns, cap * sizeof(*v));

		if (v == NULL) {
			free(c);
			close(fd);
			return;
		}
		a->conns = v;
		a->capconns = cap;
	}
	if (c == NULL || (c->bev = bufferevent_socket_new(a->base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(c);
		close(fd);
		return;
	}
	c->a = a;
	c->accepted_us = c->last_us = clock_now_us();
	c->slot = a->nconns;
	a->conns[a->nconns++] = c;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, HTTP_HEAD_MAX + CERT_INPUT_MAX + 65536);
	bufferevent_enable(c->bev, EV_READ); /* (EV_WRITE once an answer waits: queued) */
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;

	(void)what;
	for (int i = 0; i < ACCEPT_BATCH && !a->draining && !a->paused; i++) {
		int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				/* out of descriptors: make room, or stop taking until one frees */
				if (!make_room(a))
					set_accepting(a, false);
			}
			break;
		}
		if (a->nconns >= (size_t)a->cfg->max_connections && !make_room(a)) {
			close(c);
			set_accepting(a, false);
			break;
		}
		conn_new(a, c);
	}
	arm_sweep(a);
}

int conns_listen(struct agent *a, struct cerr *e)
{
	size_t i;

	for (i = 0; i < a->cfg->nlisten; i++) {
		const struct addr *l = &a->cfg->listen[i];
		struct listener *x = &a->listeners[a->nlisteners];
		int fd = addr_listen(l, BACKLOG, e);

		if (fd < 0)
			return CAINIT_EOPS;
		x->fd = fd;
		x->made_socket = l->is_unix;
		x->path = l->is_unix ? l->path : NULL;
		x->ev = event_new(a->base, fd, EV_READ | EV_PERSIST, on_accept, a);
		a->nlisteners++;
		if (x->ev == NULL || event_add(x->ev, NULL) != 0)
			return cerr_set(e, CAINIT_EOPS, "%s: cannot listen", l->text);
		fprintf(stderr, "cainit %s: listening on %s\n", a->cfg->log_name, l->text);
	}
	return 0;
}

void conns_stop_listening(struct agent *a)
{
	for (size_t i = 0; i < a->nlisteners; i++) {
		struct listener *x = &a->listeners[i];

		if (x->ev != NULL) {
			event_free(x->ev);
			x->ev = NULL;
		}
		if (x->fd >= 0)
			close(x->fd);
		x->fd = -1;
	}
}

void conns_sweep(struct agent *a)
{
	long long now = clock_now_us();
	size_t i;

	for (i = a->nconns; i-- > 0;) {
		struct conn *c;

		if (i >= a->nconns)
			continue;
		c = a->conns[i];
		if (c->state == S_WAIT)
			continue; /* the work under way has its own limit */
		if (c->since_us != 0 && now - c->since_us > a->cfg->request_timeout_us)
			conn_free(c); /* not whole in time (or lingering too long): cut, no answer */
		else if (c->since_us == 0 && now - c->last_us > a->cfg->idle_timeout_us)
			conn_free(c); /* silent (or not reading its answer) too long */
	}
	if (a->draining && !a->drained && (a->nconns == 0 || now > a->drain_deadline_us)) {
		a->drained = true;
		if (a->sweep != NULL)
			evtimer_del(a->sweep);
		a->on_drained(a->drained_arg);
		return;
	}
	if (a->nconns > 0 || a->draining)
		arm_sweep(a);
}

void conns_close_idle(struct agent *a)
{
	for (size_t i = a->nconns; i-- > 0;)
		if (i < a->nconns && a->conns[i]->since_us == 0 && output_empty(a->conns[i]))
			conn_free(a->conns[i]);
}

void conns_free_all(struct agent *a)
{
	while (a->nconns > 0)
		conn_free(a->conns[a->nconns - 1]);
	free(a->conns);
	a->conns = NULL;
	a->capconns = 0;
}
