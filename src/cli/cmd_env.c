/*
 * cmd_env.c: `cainit env` - print the runtime variables for the managed CAs
 * (what `cainit run` sets and /etc/profile.d/cainit.sh exports).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trust.h"

static const char USAGE[] =
	"usage: cainit env [--root DIR] [--format sh|json|dotenv] [--merge]\n"
	"\n"
	"Print the variables that point TLS clients at the managed CAs. \"Adds\"\n"
	"variables (NODE_EXTRA_CA_CERTS, DENO_CERT) name the CA-only file\n"
	"/etc/cainit/ca.pem; \"replaces\" variables (SSL_CERT_FILE, REQUESTS_CA_BUNDLE,\n"
	"CURL_CA_BUNDLE, ...) name the full bundle, SSL_CERT_DIR the hashed directory,\n"
	"so sites that are not intercepted keep working. Paths are as the root's own\n"
	"programs see them. Nothing is printed while no set is installed (unless\n"
	"bake prepared the root for one).\n"
	"\n"
	"  --root DIR       root filesystem (default /)\n"
	"  --format sh      export NAME='value' lines, for eval (default)\n"
	"  --format dotenv  NAME=value lines (docker --env-file, systemd EnvironmentFile)\n"
	"  --format json    one object\n"
	"  --merge          for the environment cainit env is given: a variable it\n"
	"                   already has keeps its value when that file holds the\n"
	"                   managed CAs, else gets a merged file (its certificates\n"
	"                   and the managed CAs), as `cainit run` does; prints the\n"
	"                   corrected values\n"
	"\n"
	"Exit status: 0 printed, 1 operational failure, 2 bad usage.\n";

static int print_json(const struct env_var *v, size_t n)
{
	json_t *o = json_object();
	size_t i;
	char *s;

	for (i = 0; o && i < n; i++)
		json_object_set_new(o, v[i].name, json_string(v[i].value));
	s = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (s == NULL) {
		fprintf(stderr, "cainit: env: out of memory\n");
		return CAINIT_EOPS;
	}
	puts(s);
	free(s);
	return 0;
}

static int print_sh(const struct env_var *v, size_t n)
{
	struct rope r;
	char *s;

	rope_init(&r);
	s = env_render_sh(v, n, false, &r) == 0 ? rope_join(&r) : NULL;
	rope_free(&r);
	if (s == NULL) {
		fprintf(stderr, "cainit: env: out of memory\n");
		return CAINIT_EOPS;
	}
	fputs(s, stdout);
	free(s);
	return 0;
}

int cmd_env(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"format", required_argument, NULL, 'f'},
		{"merge", no_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct env_var vars[ENV_VARS_MAX];
	const char *root = "/", *format = "sh";
	struct cerr e = {0};
	bool merge = false;
	size_t n, i;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'm':
			merge = true;
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			return cli_usage_error("env", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("env", "unexpected argument \"%s\"", argv[optind]);
	if (strcmp(format, "sh") != 0 && strcmp(format, "json") != 0 && strcmp(format, "dotenv") != 0)
		return cli_usage_error("env", "unknown format \"%s\" (sh, json or dotenv)", format);
	if (trust_env(root, 0, vars, &n, &e) != 0)
		return cli_fail(&e);
	for (i = 0; merge && i < n; i++) {
		const char *have = getenv(vars[i].name);

		if (have != NULL && cli_env_decide(root, &vars[i], have, ENV_MODE_MERGE, "cainit env"))
			snprintf(vars[i].value, sizeof(vars[i].value), "%.*s", (int)sizeof(vars[i].value) - 1, have);
	}
	if (strcmp(format, "json") == 0)
		return print_json(vars, n);
	if (strcmp(format, "sh") == 0)
		return print_sh(vars, n);
	for (i = 0; i < n; i++)
		printf("%s=%s\n", vars[i].name, vars[i].value);
	return 0;
}
