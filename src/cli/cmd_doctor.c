/*
 * cmd_doctor.c: `cainit doctor`: the table of which TLS client, started
 * which way, trusts the managed CAs (doctor.h does the proving; this file
 * parses the options and prints).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "doctor.h"
#include "duration.h"

static const char USAGE[] =
	"usage: cainit doctor [--root DIR] [--client NAME]... [--path NAME]... [--json]\n"
	"                     [--timeout DUR] [--user NAME|UID] [--python-env DIR]...\n"
	"                     [--url URL [--proxy ADDR]]\n"
	"\n"
	"Prove, client by client, that the root's TLS clients trust the CAs cainit\n"
	"manages: a throwaway CA made in memory is installed as a temporary set\n"
	"(every store and start path, as for a real CA), a loopback endpoint serves\n"
	"a certificate it signed, each client fetches it under each start path and\n"
	"must succeed, and must refuse one signed by a CA nobody trusts. The set is\n"
	"removed at the end; no key is written anywhere. With --root other than /,\n"
	"the root's programs run in a sandbox (own user, mount, network and PID\n"
	"namespaces; the host's unprivileged uid; loopback only). With --root / and\n"
	"doctor run as root, the clients run as the root's first user (uid 1000 to\n"
	"60000 in /etc/passwd), or root when it has none.\n"
	"\n"
	"  --root DIR      root filesystem (default /: the clients run here)\n"
	"  --client NAME   only these clients (repeatable): curl, wget, openssl,\n"
	"                  python (urllib), requests, pip, node, npm, bun, deno, ruby,\n"
	"                  perl, php, git, java, go, chromium, firefox\n"
	"  --path NAME     only these start paths (repeatable): bare (no variables),\n"
	"                  run (cainit run's variables), login (a login shell), pam\n"
	"                  (/etc/environment), systemd (DefaultEnvironment=), image\n"
	"                  (the image's Env, as cainit bake --oci recorded it)\n"
	"  --json          one JSON object instead of the table\n"
	"  --timeout DUR   time one client run may take (default 10s)\n"
	"  --user NAME|UID with --root / as root: the user the clients run as\n"
	"  --python-env DIR a virtual environment (its prefix in the root) whose\n"
	"                  python, requests and pip get rows too; the canary is not\n"
	"                  installed for it (a venv install was not given shows as is)\n"
	"  --url URL       no canary: each client fetches this https:// URL through\n"
	"                  the platform's intercepting proxy and must verify it (any\n"
	"                  HTTP status counts); with --root DIR the sandbox keeps the\n"
	"                  host's network\n"
	"  --proxy ADDR    with --url: the proxy (http://HOST:PORT), told to every\n"
	"                  client, those that read no variable too (default: doctor's\n"
	"                  own https_proxy, else each start path's own, else none)\n"
	"\n"
	"Cells: ok (trusts the CA, refuses a stray one), FAIL (the client's first\n"
	"error line), not verifying (it accepted the stray CA), n/a (the root has\n"
	"no such client, or no such start path).\n"
	"Exit status: 0 every reachable cell ok, 1 a cell is not or the check could\n"
	"not run, 2 bad usage.\n";

static const char *const verdicts[] = {"n/a", "ok", "FAIL", "not verifying"};
static const char *const verdict_keys[] = {"n/a", "ok", "fail", "not_verifying"};

static int pick(const char *const *names, size_t n, const char *want, unsigned *mask, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], want) == 0) {
			*mask |= 1u << i;
			return 0;
		}
	return cli_usage_error("doctor", "unknown %s \"%s\"", what, want);
}

static void count(const struct doctor_result *r, size_t n[4])
{
	memset(n, 0, 4 * sizeof(*n));
	for (size_t i = 0; i < r->nrows; i++)
		for (size_t p = 0; p < DR_PATHS; p++)
			if (r->paths & (1u << p))
				n[r->rows[i].cell[p].v]++;
}

static void print_table(const struct doctor_result *r, const char *root, const char *url)
{
	size_t n[4];
	int w = 24; /* the program column: as wide as its longest path */

	for (size_t i = 0; i < r->nrows; i++)
		if ((int)strlen(r->rows[i].program) > w)
			w = (int)strlen(r->rows[i].program);
	printf("%-9s %-*s", "client", w, "program");
	for (size_t p = 0; p < DR_PATHS; p++)
		if (r->paths & (1u << p))
			printf(" %-14s", dr_path_names[p]);
	putchar('\n');
	for (size_t i = 0; i < r->nrows; i++) {
		const struct dr_row *row = &r->rows[i];

		printf("%-9s %-*s", row->client, w, row->program[0] ? row->program : "-");
		for (size_t p = 0; p < DR_PATHS; p++)
			if (r->paths & (1u << p))
				printf(" %-14s", verdicts[row->cell[p].v]);
		putchar('\n');
	}
	for (size_t i = 0; i < r->nrows; i++)
		for (size_t p = 0; p < DR_PATHS; p++)
			if ((r->paths & (1u << p)) && (r->rows[i].cell[p].v == DR_FAIL || r->rows[i].cell[p].v == DR_NOVERIFY))
				printf("  %s%s%s%s, %s: %s\n", r->rows[i].client, r->rows[i].order ? " (" : "",
				       r->rows[i].order ? r->rows[i].program : "", r->rows[i].order ? ")" : "", dr_path_names[p],
				       r->rows[i].cell[p].msg);
	count(r, n);
	printf("  (the clients ran as %s)\n", r->user);
	if (url != NULL)
		printf("  (they fetched %s %s%s)\n", url, r->proxy[0] ? "through the proxy " : "through each path's own proxy, if any",
		       r->proxy);
	printf("doctor: %s: %zu ok, %zu FAIL, %zu not verifying, %zu n/a\n", root, n[DR_OK], n[DR_FAIL],
	       n[DR_NOVERIFY], n[DR_NA]);
}

static int print_json(const struct doctor_result *r, const char *root, const char *url)
{
	json_t *o = json_object(), *rows = json_array(), *paths = json_array(), *sum = json_object();
	size_t n[4];
	char *s;

	for (size_t p = 0; p < DR_PATHS; p++)
		if (r->paths & (1u << p))
			json_array_append_new(paths, json_string(dr_path_names[p]));
	for (size_t i = 0; i < r->nrows; i++) {
		const struct dr_row *row = &r->rows[i];
		json_t *cells = json_object();

		for (size_t p = 0; p < DR_PATHS; p++) {
			json_t *c;

			if (!(r->paths & (1u << p)))
				continue;
			c = json_pack("{s:s}", "verdict", verdict_keys[row->cell[p].v]);
			if (row->cell[p].msg[0])
				json_object_set_new(c, "detail", json_string(row->cell[p].msg));
			json_object_set_new(cells, dr_path_names[p], c);
		}
		json_array_append_new(rows, json_pack("{s:s,s:s?,s:o}", "client", row->client, "program",
						      row->program[0] ? row->program : NULL, "cells", cells));
	}
	count(r, n);
	for (size_t v = 0; v < 4; v++)
		json_object_set_new(sum, verdict_keys[v], json_integer((json_int_t)n[v]));
	json_object_set_new(o, "root", json_string(root));
	json_object_set_new(o, "user", json_pack("{s:s,s:I}", "name", r->user, "uid", (json_int_t)r->uid));
	json_object_set_new(o, "target", url == NULL ? json_pack("{s:s}", "kind", "canary")
						     : json_pack("{s:s,s:s,s:s?}", "kind", "url", "url", url, "proxy",
								 r->proxy[0] ? r->proxy : NULL));
	json_object_set_new(o, "paths", paths);
	json_object_set_new(o, "clients", rows);
	json_object_set_new(o, "summary", sum);
	json_object_set_new(o, "ok", json_boolean(doctor_all_ok(r)));
	s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL) {
		fprintf(stderr, "cainit: doctor: out of memory\n");
		return CAINIT_EOPS;
	}
	puts(s);
	free(s);
	return 0;
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'}, {"client", required_argument, NULL, 'c'},
		{"path", required_argument, NULL, 'p'}, {"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'}, {"user", required_argument, NULL, 'u'},
		{"url", required_argument, NULL, 'U'}, {"proxy", required_argument, NULL, 'P'},
		{"python-env", required_argument, NULL, 'E'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct doctor_opts o = {.root = "/", .timeout_ms = 10000};
	struct doctor_result *r;
	const char *envs[DR_PYTHONS_MAX];
	size_t nenvs = 0;
	struct cerr e = {0};
	bool json = false;
	long long us;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.root = optarg;
			break;
		case 'c':
			if ((rc = pick(dr_client_names, DR_CLIENTS, optarg, &o.clients, "client")) != 0)
				return rc;
			break;
		case 'p':
			if ((rc = pick(dr_path_names, DR_PATHS, optarg, &o.paths, "start path")) != 0)
				return rc;
			break;
		case 'j':
			json = true;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'U':
			o.url = optarg;
			break;
		case 'P':
			o.proxy = optarg;
			break;
		case 'E':
			if (nenvs == DR_PYTHONS_MAX - 1)
				return cli_usage_error("doctor", "at most %d --python-env", DR_PYTHONS_MAX - 1);
			envs[nenvs++] = optarg;
			envs[nenvs] = NULL;
			o.python_envs = envs;
			break;
		case 't':
			us = duration_parse(optarg);
			if (us < 1000 || us > 600000000LL)
				return cli_usage_error("doctor", "--timeout \"%s\": a duration from 1ms to 10m (10s, 500ms)",
						       optarg);
			o.timeout_ms = (int)(us / 1000);
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			return cli_usage_error("doctor", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("doctor", "unexpected argument \"%s\"", argv[optind]);
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(stderr, "cainit: doctor: out of memory\n");
		return CAINIT_EOPS;
	}
	rc = doctor_run(&o, r, &e);
	if (rc != 0) {
		free(r);
		return cli_fail(&e);
	}
	if (json)
		rc = print_json(r, o.root, o.url);
	else
		print_table(r, o.root, o.url);
	if (rc == 0 && !doctor_all_ok(r))
		rc = CAINIT_EOPS;
	free(r);
	return rc;
}
