/*
 * agent_http.c: the agent's requests, one function per endpoint, over one
 * dispatcher that does routing (404, 405), authentication (401), the reply,
 * the log line and the counters. Handlers call the engine (trust.h) and
 * never touch a file themselves. docs/api.yaml is the contract.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "init_body.h"
#include "status_json.h"
#include "token.h"
#include "trust.h"

/* What a handler decided, for the dispatcher to send and log. */
struct reply {
	int status;
	json_t *json;          /* body (taken), or NULL */
	struct evbuffer *text; /* text body (taken), or NULL */
	const char *allow;     /* Allow header for 405 */
	char note[256];        /* "set=... sha256=..." for the log */
};

static const char *phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 500: return "Internal Server Error";
	default: return "Error";
	}
}

static void fail(struct reply *r, int status, const char *code, const char *msg)
{
	r->status = status;
	r->json = json_pack("{s:s, s:s}", "error", msg, "code", code);
}

/* Stores the engine left alone (a keystore it cannot edit, no certutil):
 * the request still succeeds; the log says. */
static void log_warnings(const struct agent *a, const struct trust_report *rep)
{
	size_t i;

	for (i = 0; i < rep->nwarnings; i++)
		fprintf(stderr, "cainit %s: warning: %s\n", a->cfg->log_name, rep->warnings[i]);
}

static void fail_cerr(struct agent *a, struct reply *r, const struct cerr *e)
{
	const char *reason = e->reason ? e->reason : (e->code == CAINIT_EINPUT ? "bad_input" : "io");

	metrics_failure(&a->m, reason);
	fail(r, e->code == CAINIT_EINPUT ? 400 : 500, reason, e->msg);
}

static struct set_memo *memo_find(struct agent *a, const char *set)
{
	size_t i;

	for (i = 0; i < a->nmemos; i++)
		if (strcmp(a->memos[i].name, set) == 0)
			return &a->memos[i];
	return NULL;
}

/* May a request that repeats m be answered from memory? Only while the
 * files the install left are still there, unchanged: otherwise someone
 * (`cainit remove`, an admin, a regenerator) changed the stores, and the
 * request installs again. */
static bool memo_fresh(const struct set_memo *m)
{
	return m != NULL && trust_sentinels_hold(m->sentinels, m->nsentinels);
}

static void memo_drop(struct agent *a, const char *set)
{
	struct set_memo *m = memo_find(a, set);

	if (m == NULL)
		return;
	free(m->body);
	cert_list_free(&m->cas);
	trust_sentinels_close(m->sentinels, m->nsentinels);
	*m = a->memos[--a->nmemos];
}

/* Remember (set, body, cas) as installed, with the install's sentinels;
 * takes cas and the sentinels. */
static void memo_keep(struct agent *a, const char *set, const unsigned char *body, size_t len,
		      struct cert_list *cas, struct trust_report *rep)
{
	struct set_memo *m = memo_find(a, set);

	if (m == NULL) {
		struct set_memo *v = realloc(a->memos, (a->nmemos + 1) * sizeof(*v));

		if (v == NULL) {
			cert_list_free(cas);
			trust_sentinels_close(rep->sentinels, rep->nsentinels);
			rep->nsentinels = 0;
			return;
		}
		a->memos = v;
		m = &a->memos[a->nmemos++];
		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", set);
	} else {
		free(m->body);
		cert_list_free(&m->cas);
		trust_sentinels_close(m->sentinels, m->nsentinels);
	}
	memcpy(m->sentinels, rep->sentinels, sizeof(m->sentinels));
	m->nsentinels = rep->nsentinels;
	rep->nsentinels = 0;
	m->body = NULL;
	m->len = 0;
	if (body != NULL && (m->body = malloc(len ? len : 1)) != NULL) {
		memcpy(m->body, body, len);
		m->len = len;
	}
	m->cas = *cas;
	memset(cas, 0, sizeof(*cas));
}

static bool same_cas(const struct cert_list *x, const struct cert_list *y)
{
	size_t i;

	if (x->n != y->n)
		return false;
	for (i = 0; i < x->n; i++)
		if (cert_list_find(y, x->v[i].sha256) < 0)
			return false;
	return true;
}

static void note_cas(struct reply *r, const char *set, const struct cert_list *cas)
{
	size_t i, n = (size_t)snprintf(r->note, sizeof(r->note), "set=%s", set);

	for (i = 0; i < cas->n && n < sizeof(r->note); i++)
		n += (size_t)snprintf(r->note + n, sizeof(r->note) - n, "%s%s", i ? "," : " sha256=", cas->v[i].fp);
}

/* Make set hold exactly the CAs in body, answering from memory when it
 * already does (no file is touched then). */
static void install_body(struct agent *a, struct reply *r, const char *set, const unsigned char *body, size_t len)
{
	struct set_memo *m = memo_find(a, set);
	struct trust_opts o = a->cfg->trust;
	struct trust_report rep;
	struct cert_list cas;
	struct cerr e = {0};
	long long t0;

	r->status = 204;
	if (m != NULL && m->body != NULL && m->len == len && memcmp(m->body, body, len) == 0 && memo_fresh(m)) {
		a->m.unchanged++;
		return;
	}
	if (cert_list_parse(body, len, "request body", &cas, &e) != 0) {
		fail_cerr(a, r, &e);
		return;
	}
	if (m != NULL && same_cas(&m->cas, &cas) && memo_fresh(m)) {
		a->m.unchanged++;
		rep.nsentinels = m->nsentinels;
		memcpy(rep.sentinels, m->sentinels, sizeof(rep.sentinels));
		m->nsentinels = 0;
		memo_keep(a, set, body, len, &cas, &rep);
		return;
	}
	t0 = agent_now_us();
	o.flags |= TRUST_SENTINELS;
	if (trust_install(a->cfg->root, set, &cas, &o, "request body", &rep, &e) != 0) {
		cert_list_free(&cas);
		fail_cerr(a, r, &e);
		return;
	}
	metrics_duration(&a->m, agent_now_us() - t0);
	log_warnings(a, &rep);
	if (rep.changes > 0) {
		a->m.installs++;
		note_cas(r, set, &cas);
	} else {
		a->m.unchanged++;
	}
	memo_keep(a, set, body, len, &cas, &rep);
}

static void forget_init_body(struct agent *a)
{
	free(a->init_body);
	a->init_body = NULL;
	a->init_len = 0;
}

/* Remember the whole /init body that was just acknowledged. */
static void keep_init_body(struct agent *a, const char *data, size_t len)
{
	free(a->init_body);
	a->init_body = malloc(len ? len : 1);
	a->init_len = a->init_body ? len : 0;
	if (a->init_body)
		memcpy(a->init_body, data, len);
}

static void handle_init(struct agent *a, struct evhttp_request *req, struct reply *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *data = (const char *)evbuffer_pullup(in, -1);
	const char *pem;
	size_t pem_len;
	json_t *doc;
	char msg[300];

	/* a resume repeats the last body byte for byte: answered before parsing */
	if (a->init_body != NULL && len == a->init_len && memcmp(a->init_body, data, len) == 0 &&
	    memo_fresh(memo_find(a, "default"))) {
		a->m.unchanged++;
		r->status = 204;
		return;
	}
	switch (init_body_decode(data, len, &doc, &pem, &pem_len, msg, sizeof(msg))) {
	case INIT_BODY_BAD_JSON:
		metrics_failure(&a->m, "bad_json");
		fail(r, 400, "bad_json", msg);
		break;
	case INIT_BODY_BAD_REQUEST:
		metrics_failure(&a->m, "bad_request");
		fail(r, 400, "bad_request", msg);
		break;
	case INIT_BODY_NOTHING:
		r->status = 204; /* nothing asked: nothing changes */
		break;
	case INIT_BODY_BUNDLE:
		install_body(a, r, "default", (const unsigned char *)pem, pem_len);
		if (r->status == 204)
			keep_init_body(a, data, len);
		break;
	}
	json_decref(doc);
}

static void handle_put(struct agent *a, struct evhttp_request *req, struct reply *r, const char *set)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const unsigned char *data = evbuffer_pullup(in, -1);

	if (strcmp(set, "default") == 0)
		forget_init_body(a); /* PUT /ca/default changes what /init installed */

	install_body(a, r, set, data ? data : (const unsigned char *)"", len);
}

static void handle_delete(struct agent *a, struct reply *r, const char *set)
{
	struct trust_report rep;
	struct cerr e = {0};
	long long t0 = agent_now_us();

	if (strcmp(set, "default") == 0)
		forget_init_body(a); /* before the change: a failed remove may have half-done it */
	if (trust_remove(a->cfg->root, set, &a->cfg->trust, &rep, &e) != 0) {
		fail_cerr(a, r, &e);
		return;
	}
	log_warnings(a, &rep);
	memo_drop(a, set);
	if (rep.changes > 0) {
		metrics_duration(&a->m, agent_now_us() - t0);
		a->m.removes++;
		snprintf(r->note, sizeof(r->note), "set=%s removed", set);
	}
	r->status = 204;
}

static void handle_status(struct agent *a, struct reply *r)
{
	struct trust_status st;
	struct cerr e = {0};

	if (trust_status(a->cfg->root, a->cfg->trust.java_home, &st, &e) != 0) {
		fail_cerr(a, r, &e);
		return;
	}
	r->json = status_to_json(&st);
	trust_status_free(&st);
	r->status = r->json ? 200 : 500;
	if (r->json == NULL)
		fail(r, 500, "io", "out of memory");
}

static bool authorized(const struct agent *a, struct evhttp_request *req)
{
	const char *tok = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Access-Token");

	if (!a->has_token)
		return true;
	return tok != NULL && token_matches(a->token, tok, strlen(tok));
}

/* "/ca/NAME" (one non-empty segment) -> NAME, else NULL; the name is
 * validated by the caller, so that a bad one gets 400 rather than 404 */
static const char *set_of(const char *path, char *buf, size_t n)
{
	if (strncmp(path, "/ca/", 4) != 0 || path[4] == '\0' || strchr(path + 4, '/') != NULL)
		return NULL;
	snprintf(buf, n, "%s", path + 4);
	return buf;
}

static void route(struct agent *a, struct evhttp_request *req, const char *path, struct reply *r)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	char set[SET_NAME_MAX + 2];
	const char *name;

	if (strcmp(path, "/health") == 0) {
		if (m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD)
			r->status = 204;
		else
			r->allow = "GET, HEAD";
		return;
	}
	if (strcmp(path, "/init") == 0) {
		if (m != EVHTTP_REQ_POST)
			r->allow = "POST";
	} else if (strcmp(path, "/ca") == 0 || strcmp(path, "/metrics") == 0) {
		if (m != EVHTTP_REQ_GET)
			r->allow = "GET";
	} else if (set_of(path, set, sizeof(set)) != NULL) {
		if (m != EVHTTP_REQ_PUT && m != EVHTTP_REQ_DELETE)
			r->allow = "PUT, DELETE";
	} else {
		fail(r, 404, "not_found", "no such endpoint");
		return;
	}
	if (r->allow != NULL)
		return;
	if (!authorized(a, req)) {
		metrics_failure(&a->m, "unauthorized");
		fail(r, 401, "unauthorized", "missing or wrong X-Access-Token");
		return;
	}
	if (strcmp(path, "/init") == 0) {
		handle_init(a, req, r);
	} else if (strcmp(path, "/ca") == 0) {
		handle_status(a, r);
	} else if (strcmp(path, "/metrics") == 0) {
		r->status = 200;
		r->text = evbuffer_new();
		if (r->text)
			metrics_render(a, r->text);
	} else {
		name = set_of(path, set, sizeof(set));
		if (!set_name_valid(name)) {
			metrics_failure(&a->m, "invalid_set");
			fail(r, 400, "invalid_set", "set names are letters, digits, '-' and '_', at most 64");
		} else if (m == EVHTTP_REQ_PUT) {
			handle_put(a, req, r, name);
		} else {
			handle_delete(a, r, name);
		}
	}
}

/* The path, printable and short, for the log. */
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

static const char *method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "?";
}

void http_on_request(struct evhttp_request *req, void *arg)
{
	struct agent *a = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct reply r = {0};
	struct evbuffer *body = NULL;
	long long t0 = agent_now_us();
	char shown[256];

	if (path == NULL || *path == '\0')
		path = "/";
	route(a, req, path, &r);
	if (r.allow != NULL) {
		evhttp_add_header(out, "Allow", r.allow);
		fail(&r, 405, "method_not_allowed", "method not allowed on this endpoint");
	}
	if (a->draining)
		evhttp_add_header(out, "Connection", "close");
	if (r.json != NULL) {
		char *text = json_dumps(r.json, JSON_COMPACT);

		body = evbuffer_new();
		if (text && body) {
			evbuffer_add(body, text, strlen(text));
			evbuffer_add(body, "\n", 1);
		}
		free(text);
		json_decref(r.json);
		evhttp_add_header(out, "Content-Type", "application/json");
	} else if (r.text != NULL) {
		body = r.text;
		evhttp_add_header(out, "Content-Type", "text/plain; version=0.0.4");
	}
	if (r.status == 0)
		r.status = 500;
	evhttp_send_reply(req, r.status, phrase(r.status), r.status == 204 ? NULL : body);
	if (body)
		evbuffer_free(body);
	metrics_response(&a->m, r.status);
	if (!a->cfg->quiet) {
		log_path(path, shown, sizeof(shown));
		fprintf(stderr, "cainit %s: %s %s %d %lldus%s%s\n", a->cfg->log_name, method_name(evhttp_request_get_command(req)),
			shown, r.status, agent_now_us() - t0, r.note[0] ? " " : "", r.note);
	}
	conns_request_done(a, req);
}
