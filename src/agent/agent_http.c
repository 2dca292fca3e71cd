/*
 * agent_http.c: the agent's endpoints, one function each, behind routing
 * (404, 405) and authentication (401), which the connection layer asks
 * for before it reads a body (agent_conns.c). Handlers call the engine
 * (trust.h) and never touch a file themselves. docs/api.yaml is the
 * contract.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "clock.h"
#include "init_body.h"
#include "status_json.h"
#include "token.h"
#include "trust.h"

const char *http_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

static void set_json(struct reply *r, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (r->body != NULL)
		evbuffer_free(r->body);
	r->body = text ? evbuffer_new() : NULL;
	if (r->body != NULL) {
		evbuffer_add(r->body, text, strlen(text));
		evbuffer_add(r->body, "\n", 1);
		r->content_type = "application/json";
	}
	free(text);
	json_decref(j);
}

void http_error(struct reply *r, int status, const char *code, const char *msg)
{
	r->status = status;
	set_json(r, json_pack("{s:s, s:s}", "error", msg, "code", code));
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
	http_error(r, e->code == CAINIT_EINPUT ? 400 : 500, reason, e->msg);
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

/* The sets the root's records hold that no memo has, as memos without a
 * body or sentinels (never enough to answer a request from memory): what
 * /metrics shows for the sets installed before a restart. Read once, at
 * the first /metrics, not at start: neither readiness nor the first /init
 * waits for a scan of the records. */
static void prime(struct agent *a)
{
	struct trust_record *recs;
	struct cerr e = {0};
	size_t n, i;

	if (a->primed)
		return;
	a->primed = true;
	if (trust_records(a->cfg->root, &recs, &n, &e) != 0)
		return;
	for (i = 0; i < n; i++) {
		struct set_memo *v;

		if (memo_find(a, recs[i].name) != NULL)
			continue;
		if ((v = realloc(a->memos, (a->nmemos + 1) * sizeof(*v))) == NULL)
			break;
		a->memos = v;
		v = &a->memos[a->nmemos++];
		memset(v, 0, sizeof(*v));
		snprintf(v->name, sizeof(v->name), "%s", recs[i].name);
		v->cas = recs[i].cas;
		memset(&recs[i].cas, 0, sizeof(recs[i].cas));
	}
	trust_records_free(recs, n);
}

/* m's body and CAs become the previous body (taking them from m), in place
 * of the one before: a memo primed from disk has no body to match. */
static void keep_previous(struct agent *a, struct set_memo *m)
{
	free(a->previous.body);
	cert_list_free(&a->previous.cas);
	a->previous.body = m->body;
	a->previous.len = m->len;
	a->previous.cas = m->cas;
	if (m->body == NULL)
		cert_list_free(&a->previous.cas);
	m->body = NULL;
	memset(&m->cas, 0, sizeof(m->cas));
}

/* The CAs of body, taken from the previous body when it is the same bytes
 * (then it is gone: a list has one owner), else parsed. */
static int parse_body(struct agent *a, const unsigned char *body, size_t len, struct cert_list *cas,
		      struct cerr *e)
{
	if (a->previous.body != NULL && a->previous.len == len && memcmp(a->previous.body, body, len) == 0) {
		*cas = a->previous.cas;
		memset(&a->previous.cas, 0, sizeof(a->previous.cas));
		free(a->previous.body);
		a->previous.body = NULL;
		return 0;
	}
	return cert_list_parse(body, len, "request body", cas, e);
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
		keep_previous(a, m);
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
	if (parse_body(a, body, len, &cas, &e) != 0) {
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
	t0 = clock_now_us();
	o.flags |= TRUST_SENTINELS;
	if (trust_install(a->cfg->root, set, &cas, &o, "request body", &rep, &e) != 0) {
		cert_list_free(&cas);
		fail_cerr(a, r, &e);
		return;
	}
	metrics_duration(&a->m, clock_now_us() - t0);
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

static void handle_init(struct agent *a, const struct request *req, struct reply *r)
{
	size_t len = req->body_len;
	const char *data = (const char *)req->body;
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
		http_error(r, 400, "bad_json", msg);
		break;
	case INIT_BODY_BAD_REQUEST:
		metrics_failure(&a->m, "bad_request");
		http_error(r, 400, "bad_request", msg);
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

static void handle_put(struct agent *a, const struct request *req, struct reply *r, const char *set)
{
	if (strcmp(set, "default") == 0)
		forget_init_body(a); /* PUT /ca/default changes what /init installed */
	install_body(a, r, set, req->body, req->body_len);
}

static void handle_delete(struct agent *a, struct reply *r, const char *set)
{
	struct trust_report rep;
	struct cerr e = {0};
	long long t0 = clock_now_us();

	if (strcmp(set, "default") == 0)
		forget_init_body(a); /* before the change: a failed remove may have half-done it */
	if (trust_remove(a->cfg->root, set, &a->cfg->trust, &rep, &e) != 0) {
		fail_cerr(a, r, &e);
		return;
	}
	log_warnings(a, &rep);
	memo_drop(a, set);
	if (rep.changes > 0) {
		metrics_duration(&a->m, clock_now_us() - t0);
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
	set_json(r, status_to_json(&st));
	trust_status_free(&st);
	r->status = r->body ? 200 : 500;
	if (r->body == NULL)
		http_error(r, 500, "io", "out of memory");
}

bool http_authorized(const struct agent *a, const struct http_req *h)
{
	return !a->has_token || (h->has_token && token_matches(a->token, h->token, h->token_len));
}

void http_unauthorized(struct agent *a, struct reply *r)
{
	metrics_failure(&a->m, "unauthorized");
	http_error(r, 401, "unauthorized", "missing or wrong X-Access-Token");
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

bool http_needs_token(struct agent *a, const struct http_req *h, struct reply *r)
{
	enum http_method m = h->method;
	char set[SET_NAME_MAX + 2];

	(void)a;
	if (strcmp(h->path, "/health") == 0) {
		if (m != HTTP_GET && m != HTTP_HEAD)
			r->allow = "GET, HEAD";
	} else if (strcmp(h->path, "/init") == 0 || strcmp(h->path, "/doctor") == 0) {
		if (m != HTTP_POST)
			r->allow = "POST";
	} else if (strcmp(h->path, "/ca") == 0 || strcmp(h->path, "/metrics") == 0) {
		if (m != HTTP_GET)
			r->allow = "GET";
	} else if (set_of(h->path, set, sizeof(set)) != NULL) {
		if (m != HTTP_PUT && m != HTTP_DELETE)
			r->allow = "PUT, DELETE";
	} else {
		http_error(r, 404, "not_found", "no such endpoint");
		return false;
	}
	if (r->allow != NULL) {
		http_error(r, 405, "method_not_allowed", "method not allowed on this endpoint");
		return false;
	}
	return strcmp(h->path, "/health") != 0;
}

void http_handle(struct agent *a, const struct request *req, struct reply *r)
{
	const char *path = req->head->path;
	char set[SET_NAME_MAX + 2];
	const char *name;

	if (strcmp(path, "/health") == 0) {
		r->status = 204;
	} else if (strcmp(path, "/init") == 0) {
		handle_init(a, req, r);
	} else if (strcmp(path, "/doctor") == 0) {
		doctor_handle(a, req, r);
	} else if (strcmp(path, "/ca") == 0) {
		handle_status(a, r);
	} else if (strcmp(path, "/metrics") == 0) {
		r->status = 200;
		r->body = evbuffer_new();
		r->content_type = "text/plain; version=0.0.4";
		prime(a);
		if (r->body)
			metrics_render(a, r->body);
	} else {
		name = set_of(path, set, sizeof(set));
		if (!set_name_valid(name)) {
			metrics_failure(&a->m, "invalid_set");
			http_error(r, 400, "invalid_set", "set names are letters, digits, '-' and '_', at most 64");
		} else if (req->head->method == HTTP_PUT) {
			handle_put(a, req, r, name);
		} else {
			handle_delete(a, r, name);
		}
	}
}
