/*
 * agent_internal.h: the agent's state, shared by its files (agent.c: setup
 * and signals; agent_conns.c: listening sockets, connections and HTTP
 * framing; agent_http.c: routing and the endpoints; agent_doctor.c: POST
 * /doctor; agent_metrics.c: counters). Nothing outside the agent includes it.
 */
#ifndef CAINIT_AGENT_INTERNAL_H
#define CAINIT_AGENT_INTERNAL_H

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdbool.h>

#include "agent.h"
#include "http_req.h"
#include "trust.h"

struct conn;

/* One request, as the endpoints see it. */
struct request {
	const struct http_req *head;
	const unsigned char *body;
	size_t body_len;
	struct conn *conn;       /* for an answer given later (reply.deferred) */
};

/* What an endpoint decided, for the connection layer to send and log. */
struct reply {
	int status;
	struct evbuffer *body;   /* taken; NULL: none */
	const char *content_type;
	const char *allow;       /* Allow header for 405 */
	char note[256];          /* "set=... sha256=..." for the log */
	bool deferred;           /* answered later, by conns_answer (POST /doctor) */
};

/* One accepted connection. */
struct conn {
	struct agent *a;
	struct bufferevent *bev;
	size_t slot;             /* index in a->conns */
	long long accepted_us;
	long long since_us;      /* first byte of the request under way; 0: between requests */
	long long last_us;       /* last byte received */
	bool trusted;            /* presented the agent's token */
	bool closing;            /* no other request: close once the output is written */
	bool linger;             /* ...after a half-close, draining the peer's unread body */
	bool half_closed;
	int state;               /* agent_conns.c */
	struct http_req req;
	struct http_body body;
	struct http_chunked chunked;
	long long wait_t0;       /* a deferred answer's request: when it was handled */
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

/* The body a memo held before its set changed, with its CAs parsed: a
 * request that brings it back (a rotation A -> B -> A) takes them instead
 * of parsing again. Only the parse is skipped; the install checks the
 * CAs (validity, CA flags) and scans the stores as for any body. */
struct parsed_body {
	unsigned char *body;
	size_t len;
	struct cert_list cas;
};

#define HIST_BUCKETS 12

struct metrics {
	unsigned long long installs;    /* changes that wrote the stores */
	unsigned long long unchanged;   /* installs answered from what is there */
	unsigned long long removes;
	unsigned long long shed;        /* connections closed to make room */
	struct { const char *reason; unsigned long long n; } failures[32];
	size_t nfailures;
	unsigned long long hist[HIST_BUCKETS + 1];
	double hist_sum;
	unsigned long long hist_count;
	struct { int status; unsigned long long n; } responses[24];
	size_t nresponses;
};

struct listener {
	int fd;
	struct event *ev;
	bool made_socket;        /* a unix socket file this agent created */
	const char *path;
};

struct agent {
	const struct agent_config *cfg;
	struct event_base *base;
	struct listener listeners[AGENT_MAX_LISTEN];
	size_t nlisteners;
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
	bool primed;               /* the root's records read (agent_http.c) */
	struct parsed_body previous; /* agent_http.c */
	unsigned char *init_body;  /* the last /init body acknowledged whole, byte for byte */
	size_t init_len;
	struct metrics m;
	struct doctor_job *doctor; /* POST /doctor under way (agent_doctor.c) */
};

/* agent_conns.c */
int conns_listen(struct agent *a, struct cerr *e);
void conns_stop_listening(struct agent *a);
void conns_sweep(struct agent *a);
void conns_close_idle(struct agent *a);
void conns_free_all(struct agent *a);
/* The answer of a request left waiting (reply.deferred); then the next
 * request on that connection is read. */
void conns_answer(struct conn *c, struct reply *r);

/* agent_doctor.c: POST /doctor, one at a time, as a child process */
void doctor_handle(struct agent *a, const struct request *req, struct reply *r);
void doctor_conn_gone(struct agent *a, const struct conn *c); /* its answer goes nowhere */
void doctor_stop(struct agent *a);                          /* the agent ends: kill, reap */

/* agent_http.c */
/* Does this request need the token (a known path and method)? Answers
 * 404 and 405 itself (r->status set) before any token is looked at. */
bool http_needs_token(struct agent *a, const struct http_req *h, struct reply *r);
bool http_authorized(const struct agent *a, const struct http_req *h);
void http_unauthorized(struct agent *a, struct reply *r);
void http_handle(struct agent *a, const struct request *req, struct reply *r);
void http_error(struct reply *r, int status, const char *code, const char *msg);
const char *http_phrase(int status);

/* agent_metrics.c */
void metrics_failure(struct metrics *m, const char *reason);
void metrics_duration(struct metrics *m, long long us);
void metrics_response(struct metrics *m, int status);
void metrics_render(const struct agent *a, struct evbuffer *out);

#endif
