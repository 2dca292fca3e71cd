/*
 * doctor.h: `cainit doctor`: does every TLS client of a root, started each
 * way the root starts programs, trust the CAs cainit manages? Proven with a
 * canary (canary.h): installed by the engine as a temporary set, served on
 * loopback, fetched by every client on every start path, then removed;
 * every client must also refuse a CA nobody trusts. Or, with a URL, the
 * real thing: each client fetches it through the platform's intercepting
 * proxy, trusting only what the root trusts.
 */
#ifndef CAINIT_DOCTOR_H
#define CAINIT_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "cerr.h"
#include "clients.h"

struct doctor_opts {
	const char *root;   /* "/": the clients run here, as this process */
	unsigned clients;   /* a bit per dr_client_names entry (0: all) */
	unsigned paths;     /* a bit per dr_path_names entry (0: all) */
	int timeout_ms;     /* one client run */
	const char *user;   /* --root / as root: run the clients as this user
			     * (a name or a uid; NULL: the root's first user) */
	const char *url;    /* NULL: the canary; else fetch this https:// URL
			     * (no canary is installed) */
	const char *const *python_envs; /* virtual environments (prefixes inside
					 * the root) to give rows too, NULL-terminated
					 * or NULL; the canary is not told of them */
	const char *proxy;  /* with url: the proxy ("http://HOST:PORT" or
			     * "HOST:PORT"; NULL: doctor's own https_proxy or
			     * HTTPS_PROXY, else each path's own, if any) */
};

struct doctor_result {
	struct dr_row rows[DR_ROWS_MAX];
	size_t nrows;
	unsigned paths; /* the paths checked */
	char set[32];   /* the canary's temporary set ("" with a url) */
	char proxy[208]; /* with a url: the proxy every cell used ("": each path's own) */
	char user[72];  /* who the clients ran as ("sandbox uid 1000" with --root DIR) */
	unsigned uid;
};

/* 0 when the check ran (whatever the verdicts), else CAINIT_EOPS or
 * CAINIT_EINPUT with nothing of the canary left in the root. */
int doctor_run(const struct doctor_opts *o, struct doctor_result *r, struct cerr *e);

/* True when every cell that could be reached is ok. */
bool doctor_all_ok(const struct doctor_result *r);

#endif
