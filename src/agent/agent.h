/*
 * agent.h: `cainit serve`, the in-sandbox agent. An HTTP/1.1 server on
 * libevent (its own strict framing: http_req.h) that orchestrators call to
 * make the sandbox trust a CA:
 * POST /init (the envd-style body with caBundle), PUT and DELETE /ca/{set},
 * GET /ca, /health and /metrics, and POST /doctor (the proof, client by
 * client: `cainit doctor --json`). docs/api.yaml describes every endpoint.
 */
#ifndef CAINIT_AGENT_H
#define CAINIT_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "cerr.h"
#include "trust.h"

#define AGENT_DEFAULT_LISTEN "127.0.0.1:49985" /* envd is 49983 */
#define AGENT_MAX_LISTEN 16

struct agent_config {
	const char *root;
	struct addr listen[AGENT_MAX_LISTEN];
	size_t nlisten;
	const char *token_file;        /* NULL: CAINIT_TOKEN */
	bool insecure_no_token;
	int max_connections;           /* at this many, a new connection evicts the oldest
					* that never presented the token */
	long long idle_timeout_us;     /* a connection silent this long is closed */
	long long request_timeout_us;  /* a request must arrive whole within this */
	long long doctor_limit_us;     /* POST /doctor: the whole run (agent_doctor.c) */
	bool quiet;                    /* no log line per request */
	const char *log_name;          /* log lines start "cainit LOG_NAME: " */
	struct trust_opts trust;       /* NSS, JAVA_HOME (flags: no CERT_ALLOW_*) */
};

void agent_defaults(struct agent_config *cfg);

/* Serve until SIGTERM or SIGINT (then finish what is in flight); 0, or the
 * error that stopped it from starting. SIGHUP re-reads the token file. */
int agent_run(const struct agent_config *cfg, struct cerr *e);

/* The agent inside another program's event loop (`cainit run --serve`).
 * agent_start recovers an interrupted change, reads the token and opens
 * the listeners (NULL and e on failure); cfg must outlive the agent. */
struct agent;
struct event_base;
struct agent *agent_start(const struct agent_config *cfg, struct event_base *base, struct cerr *e);
/* Stop accepting, finish the requests in flight (at most the request
 * timeout and a second more), then call done(arg) once. */
void agent_drain(struct agent *a, void (*done)(void *arg), void *arg);
/* Re-read the token file (what SIGHUP does); the old token stays on error. */
void agent_reload_token(struct agent *a);
void agent_free(struct agent *a);

#endif
