/*
 * agent_internal.h: the agent's state, shared by its files (agent.c: setup
 * and signals; agent_conns.c: connections; agent_http.c: requests;
 * agent_metrics.c: counters). Nothing outside the agent includes it.
 */
#ifndef CAINIT_AGENT_INTERNAL_H
#define CAINIT_AGENT_INTERNAL_H

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <stdbool.h>

#include "agent.h"
#include "bundle.h"
#include "cert.h"
#include "trust.h"

/* One accepted connection. The agent holds a reference on its bufferevent,
 * so it can tell (by the callbacks evhttp clears on freeing it) when the
 * connection is gone: that is how connections are counted. */
struct conn {
	struct bufferevent *bev;
	long long since_us;   /* first byte of the request under way; 0: idle */
};

/* What the agent last installed in a set: a request that repeats it is
 * answered from memory, reading no file, as long as the install's
 * sentinels (the set's record, the bundles) are the files it left. */
struct set_memo {
	char name[SET_NAME_MAX + 1];
	unsigned char *body;  /* the bytes that installed it (NULL: primed from disk) */
	size_t len;
	struct cert_list cas;
	struct trust_sentinel sentinels[TRUST_SENTINELS_MAX]; /* none: primed, not yet checked */
	size_t nsentinels;
};

#define HIST_BUCKETS 12

struct metrics {
	unsigned long long installs;    /* changes that wrote the stores */
	unsigned long long unchanged;   /* installs answered from what is there */
	unsigned long long removes;
	struct { const char *reason; unsigned long long n; } failures[32];
	size_t nfailures;
	unsigned long long hist[HIST_BUCKETS + 1];
	double hist_sum;
	unsigned long long hist_count;
	struct { int status; unsigned long long n; } responses[16];
	size_t nresponses;
};

struct agent {
	const struct agent_config *cfg;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound[AGENT_MAX_LISTEN];
	size_t nbound;
	bool made_socket[AGENT_MAX_LISTEN]; /* unix socket files this agent created */
	struct event *sweep;
	unsigned char token[32];
	bool has_token;
	struct conn **conns;
	size_t nconns, capconns;
	bool paused, draining, drained;
	long long drain_deadline_us;
	void (*on_drained)(void *arg);  /* called once draining is over */
	void *drained_arg;
	struct set_memo *memos;
	size_t nmemos;
	unsigned char *init_body;  /* the last /init body acknowledged whole, byte for byte */
	size_t init_len;
	struct metrics m;
};

long long agent_now_us(void);

/* agent_conns.c */
struct bufferevent *conns_on_new(struct event_base *base, void *arg);
void conns_sweep(struct agent *a);
void conns_request_done(struct agent *a, struct evhttp_request *req);
void conns_close_idle(struct agent *a);
void conns_release_all(struct agent *a);

/* agent_http.c */
void http_on_request(struct evhttp_request *req, void *arg);

/* agent_metrics.c */
void metrics_failure(struct metrics *m, const char *reason);
void metrics_duration(struct metrics *m, long long us);
void metrics_response(struct metrics *m, int status);
void metrics_render(const struct agent *a, struct evbuffer *out);

#endif
