/*
 * cmd_push.c: `cainit push` - send CAs to an agent the way orchestrators
 * call envd's /init: a short timeout per attempt, a fixed retry interval, an
 * overall deadline; no retry for an answer that says the request is bad.
 * With --doctor, then the agent's proof that the sandbox's clients trust it.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "duration.h"
#include "push.h"
#include "token.h"
#include "trust.h"

static const char USAGE[] =
	"usage: cainit push --to URL [--token-file F] [--timeout 50ms] [--retry-every 5ms]\n"
	"                   [--deadline 5s] [--set NAME] [--doctor [--doctor-wait 150s]\n"
	"                   [--doctor-client NAME]... [--doctor-path NAME]...\n"
	"                   [--doctor-url URL [--doctor-proxy ADDR]]] FILE|-\n"
	"\n"
	"Send the CAs in FILE (PEM or DER) to a cainit agent: as POST /init's\n"
	"caBundle, or with --set NAME as PUT /ca/NAME. Each attempt gets --timeout;\n"
	"a failed or unanswered attempt is retried every --retry-every until\n"
	"--deadline. The input is checked here first, as `install` would.\n"
	"\n"
	"  --to URL            http://HOST:PORT (an IP address or localhost) or unix:/path\n"
	"  --token-file F      sent as X-Access-Token (default: $CAINIT_TOKEN, if set)\n"
	"  --doctor            once acknowledged, ask for the proof (POST /doctor): its\n"
	"                      JSON on stdout, a summary on stderr\n"
	"  --doctor-wait DUR   how long the doctor's answer may take (default 150s)\n"
	"  --doctor-client NAME, --doctor-path NAME\n"
	"                      only these clients, start paths (repeatable; doctor's names)\n"
	"  --doctor-url URL, --doctor-proxy ADDR\n"
	"                      doctor --url, --proxy: each client fetches URL through\n"
	"                      the platform's proxy, no canary\n"
	"\n"
	"Exit status: 0 the agent acknowledged (and with --doctor, every reachable\n"
	"cell is ok), 1 the deadline passed, 2 bad input or the agent answered 4xx\n"
	"(not retried), 3 the doctor found a client that does not trust the CA, or\n"
	"gave no answer.\n";

#define DOCTOR_ONLY_MAX 24

static int duration_opt(const char *s, long long *out)
{
	long long v = duration_parse(s);

	if (v <= 0)
		return cli_usage_error("push", "bad duration \"%s\" (like 50ms, 5s)", s);
	*out = v;
	return 0;
}

/* The request body: every certificate, as canonical PEM. */
static char *pem_of(const struct cert_list *certs, size_t *len)
{
	size_t i, n = 0;
	char *out;

	for (i = 0; i < certs->n; i++)
		n += certs->v[i].pem_len;
	out = malloc(n + 1);
	if (out == NULL)
		return NULL;
	for (n = 0, i = 0; i < certs->n; i++) {
		memcpy(out + n, certs->v[i].pem, certs->v[i].pem_len);
		n += certs->v[i].pem_len;
	}
	out[n] = '\0';
	*len = n;
	return out;
}

/* The request: {"caBundle": PEM} for /init, or the PEM alone for
 * PUT /ca/SET; path gets where it goes. NULL when out of memory. */
static char *request_body(const struct cert_list *certs, const char *set, char *path, size_t pathlen, size_t *len)
{
	char *pem = pem_of(certs, len), *body;
	json_t *doc;

	if (pem == NULL)
		return NULL;
	if (set != NULL) {
		snprintf(path, pathlen, "/ca/%s", set);
		return pem;
	}
	snprintf(path, pathlen, "/init");
	doc = json_pack("{s:s%}", "caBundle", pem, *len);
	body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	free(pem);
	if (body != NULL)
		*len = strlen(body);
	return body;
}

/* Send until the agent acknowledges (0), refuses (2, a 4xx: not retried)
 * or the deadline passes (1), an attempt every `every` microseconds. */
static int send_until_acknowledged(const struct push_target *target, const char *set, const char *path,
				   const char *token, const char *body, size_t len, long long timeout, long long every,
				   long long deadline)
{
	struct push_answer ans = {0};
	long long start = clock_now_us(), left;
	unsigned attempts = 0;

	for (;;) {
		left = start + deadline - clock_now_us();
		if (left < 1000)
			break; /* not worth an attempt */
		attempts++;
		if (push_request(target, set ? "PUT" : "POST", path, token,
				 set ? "application/x-pem-file" : "application/json", body, len,
				 timeout < left ? timeout : left, &ans) == 0) {
			if (ans.status >= 200 && ans.status < 300) {
				fprintf(stderr, "cainit: push: %s acknowledged %s (set=%s) after %u attempt%s in %lldms\n",
					target->text, path, set ? set : "default", attempts, attempts == 1 ? "" : "s",
					(clock_now_us() - start) / 1000);
				push_answer_free(&ans);
				return 0;
			}
			if (ans.status >= 400 && ans.status < 500) {
				fprintf(stderr, "cainit: push: %s answered %d: %s\n", target->text, ans.status,
					ans.error[0] ? ans.error : "request refused");
				push_answer_free(&ans);
				return 2;
			}
			snprintf(ans.error, sizeof(ans.error), "answered %d", ans.status);
		}
		left = start + deadline - clock_now_us();
		if (left > 0) {
			long long nap = every < left ? every : left;
			struct timespec ts = {nap / 1000000, (nap % 1000000) * 1000};

			nanosleep(&ts, NULL);
		}
	}
	fprintf(stderr, "cainit: push: %s: no acknowledgement within %lldms (%u attempt%s; last: %s)\n", target->text,
		deadline / 1000, attempts, attempts == 1 ? "" : "s", ans.error);
	push_answer_free(&ans);
	return 1;
}

/* After the acknowledgement: POST /doctor, its JSON to stdout, a summary
 * to stderr; 0 when every reachable cell is ok, 3 when one is not or the
 * proof could not be had (one attempt: a doctor run is not retried). */
struct doctor_ask {
	const char *only[2][DOCTOR_ONLY_MAX]; /* --doctor-client, --doctor-path */
	size_t nonly[2];
	const char *url, *proxy;              /* --doctor-url, --doctor-proxy */
};

static int ask_doctor(const struct push_target *target, const char *token, long long wait,
		      const struct doctor_ask *d)
{
	static const char *const keys[2] = {"clients", "paths"};
	struct push_answer ans = {0};
	json_t *ask = json_object(), *doc, *sum;
	char *body;
	bool ok;
	int rc;

	for (size_t k = 0; k < 2; k++) {
		json_t *names = json_array();

		for (size_t i = 0; i < d->nonly[k]; i++)
			json_array_append_new(names, json_string(d->only[k][i]));
		if (d->nonly[k] > 0)
			json_object_set_new(ask, keys[k], names);
		else
			json_decref(names);
	}
	if (d->url != NULL)
		json_object_set_new(ask, "url", json_string(d->url));
	if (d->proxy != NULL)
		json_object_set_new(ask, "proxy", json_string(d->proxy));
	body = json_dumps(ask, JSON_COMPACT);
	json_decref(ask);

	if (body == NULL) {
		fprintf(stderr, "cainit: push: out of memory\n");
		return 3;
	}
	rc = push_request(target, "POST", "/doctor", token, "application/json", body, strlen(body), wait, &ans);
	free(body);
	if (rc != 0) {
		fprintf(stderr, "cainit: push: %s: doctor: %s\n", target->text, ans.error);
		return 3;
	}
	if (ans.status != 200) {
		fprintf(stderr, "cainit: push: %s: doctor: answered %d: %s\n", target->text, ans.status,
			ans.error[0] ? ans.error : "no result");
		push_answer_free(&ans);
		return 3;
	}
	doc = json_loadb(ans.body, ans.body_len, 0, NULL);
	sum = json_object_get(doc, "summary");
	ok = json_is_true(json_object_get(doc, "ok"));
	fwrite(ans.body, 1, ans.body_len, stdout);
	fprintf(stderr, "cainit: push: %s: doctor: %s (ok %lld, fail %lld, not verifying %lld, n/a %lld)\n", target->text,
		ok ? "every reachable cell ok" : "NOT every client trusts the CA",
		(long long)json_integer_value(json_object_get(sum, "ok")),
		(long long)json_integer_value(json_object_get(sum, "fail")),
		(long long)json_integer_value(json_object_get(sum, "not_verifying")),
		(long long)json_integer_value(json_object_get(sum, "n/a")));
	json_decref(doc);
	push_answer_free(&ans);
	return ok ? 0 : 3;
}

int cmd_push(int argc, char **argv)
{
	static const struct option opts[] = {
		{"to", required_argument, NULL, 'u'},
		{"token-file", required_argument, NULL, 't'},
		{"timeout", required_argument, NULL, 'T'},
		{"retry-every", required_argument, NULL, 'r'},
		{"deadline", required_argument, NULL, 'd'},
		{"set", required_argument, NULL, 's'},
		{"doctor", no_argument, NULL, 'D'},
		{"doctor-wait", required_argument, NULL, 'W'},
		{"doctor-client", required_argument, NULL, 'C'},
		{"doctor-path", required_argument, NULL, 'P'},
		{"doctor-url", required_argument, NULL, 'U'},
		{"doctor-proxy", required_argument, NULL, 'X'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long long timeout = 50000, every = 5000, deadline = 5000000, doctor_wait = 150000000;
	bool doctor = false;
	struct doctor_ask ask = {.nonly = {0, 0}};
	const char *url = NULL, *token_file = NULL, *set = NULL, *origin;
	char token[TOKEN_MAX], path[SET_NAME_MAX + 8], *body;
	struct push_target target;
	struct cert_list certs;
	struct cerr e = {0};
	bool have_token;
	size_t len;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			url = optarg;
			break;
		case 't':
			token_file = optarg;
			break;
		case 'T':
			if (duration_opt(optarg, &timeout) != 0)
				return CAINIT_EINPUT;
			break;
		case 'r':
			if (duration_opt(optarg, &every) != 0)
				return CAINIT_EINPUT;
			break;
		case 'd':
			if (duration_opt(optarg, &deadline) != 0)
				return CAINIT_EINPUT;
			break;
		case 's':
			set = optarg;
			break;
		case 'D':
			doctor = true;
			break;
		case 'C':
		case 'P':
			if (ask.nonly[c == 'P'] == DOCTOR_ONLY_MAX)
				return cli_usage_error("push", "at most %d --doctor-client, --doctor-path", DOCTOR_ONLY_MAX);
			ask.only[c == 'P'][ask.nonly[c == 'P']++] = optarg;
			doctor = true;
			break;
		case 'U':
			ask.url = optarg;
			doctor = true;
			break;
		case 'X':
			ask.proxy = optarg;
			doctor = true;
			break;
		case 'W':
			if (duration_opt(optarg, &doctor_wait) != 0)
				return CAINIT_EINPUT;
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			return cli_usage_error("push", "bad option");
		}
	}
	if (url == NULL)
		return cli_usage_error("push", "--to URL is required");
	if (optind + 1 != argc)
		return cli_usage_error("push", "expected exactly one FILE (or '-')");
	if (set != NULL && !set_name_valid(set))
		return cli_usage_error("push", "invalid set name \"%.80s\"", set);
	if (push_parse_url(url, &target, &e) != 0 || token_load(token_file, token, sizeof(token), &have_token, &e) != 0)
		return cli_fail(&e);
	if (cli_read_certs(argv[optind], &certs, &origin, &e) != 0)
		return cli_fail(&e);
	if (cert_list_check(&certs, 0, time(NULL), origin, &e) != 0) {
		cert_list_free(&certs);
		return cli_fail(&e);
	}
	body = request_body(&certs, set, path, sizeof(path), &len);
	cert_list_free(&certs);
	if (body == NULL)
		return cli_fail(&(struct cerr){.code = CAINIT_EOPS, .reason = "io", .msg = "push: out of memory"});
	rc = send_until_acknowledged(&target, set, path, have_token ? token : NULL, body, len, timeout, every, deadline);
	if (rc == 0 && doctor)
		rc = ask_doctor(&target, have_token ? token : NULL, doctor_wait, &ask);
	memset(token, 0, sizeof(token));
	free(body);
	return rc;
}
