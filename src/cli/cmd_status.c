/*
 * cmd_status.c: `cainit status` - what the root trusts, store by store.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "cli.h"
#include "status_json.h"
#include "trust.h"

static const char USAGE[] =
	"usage: cainit status [--root DIR] [--java-home DIR] [--json]\n"
	"\n"
	"Show the trust-store layouts found under the root, every store cainit\n"
	"writes, each managed set with its CAs (SHA-256, subject, validity), and\n"
	"for each store whether it holds the set and whether each CA verifies\n"
	"through it (in-process, with libcrypto).\n"
	"\n"
	"  --root DIR  root filesystem to inspect (default /)\n"
	"  --java-home DIR  one more JDK whose cacerts to show (default $JAVA_HOME)\n"
	"  --json      print the same as one JSON document\n"
	"\n"
	"A keystore verifies when its digest or MAC checks with \"changeit\" and each CA\n"
	"chains to one of its trusted entries; one cainit cannot parse is listed with\n"
	"the reason.\n"
	"\n"
	"Exit status: 0 shown, 1 operational failure, 2 bad usage.\n";

static void print_text(const struct trust_status *st)
{
	size_t i, k;

	printf("root: %s\n", st->root);
	printf("layouts:");
	for (i = 0; i < st->nlayouts; i++)
		printf(" %s", st->layouts[i]);
	if (st->nlayouts == 0)
		printf(" none");
	if (st->fallback && st->nlayouts > 0)
		printf(" (CA files in a hashed directory and no bundle: cainit keeps its own bundle at " FALLBACK_BUNDLE
		       ")\n");
	else
		printf("%s\n", st->fallback ? " (no distro trust store: cainit keeps its own bundle at " FALLBACK_BUNDLE ")"
					    : "");
	if (st->made_dirs != NULL) {
		const char *p = st->made_dirs;

		printf("made by cainit (removed with the last set when empty):");
		while (*p) {
			size_t n = strcspn(p, "\n");

			printf(" %.*s", (int)n, p);
			p += n + (p[n] == '\n');
		}
		printf("\n");
	}
	printf("stores:\n");
	for (i = 0; i < st->nstores; i++)
		printf("  %-8s %s%s%s%s%s%s\n", st->stores[i].kind, st->stores[i].path,
		       st->stores[i].layout ? " (" : "", st->stores[i].layout ? st->stores[i].layout : "",
		       st->stores[i].layout ? ")" : "", st->stores[i].why[0] ? "  UNUSABLE: " : "",
		       st->stores[i].why);
	if (st->nsets == 0)
		printf("sets: none\n");
	for (i = 0; i < st->nsets; i++) {
		const struct status_set *ss = &st->sets[i];

		printf("set %s: %zu CA%s\n", ss->name, ss->cas.n, ss->cas.n == 1 ? "" : "s");
		for (k = 0; k < ss->cas.n; k++) {
			char na[21];

			cert_format_time(ss->cas.v[k].not_after, na);
			printf("  ca sha256=%s\n     subject=\"%s\" not_after=%s\n", ss->cas.v[k].fp,
			       ss->cas.v[k].subject, na);
		}
		for (k = 0; k < ss->nstores; k++) {
			const struct status_store *x = &ss->stores[k];

			printf("  %-8s %-8s %s%s%s%s\n", x->kind,
			       x->present ? "present" : "MISSING", x->path,
			       x->verified == 1 ? "  verified" : x->verified == 0 ? "  NOT VERIFIED: " : "",
			       x->verified == 0 ? x->why : "", "");
		}
	}
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"java-home", required_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *root = "/", *java_home = NULL;
	struct trust_status st;
	struct cerr e = {0};
	int c, as_json = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'J':
			java_home = optarg;
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			return cli_usage_error("status", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("status", "unexpected argument \"%s\"", argv[optind]);
	if (trust_status(root, cli_java_home(java_home), &st, &e) != 0)
		return cli_fail(&e);
	if (as_json) {
		json_t *doc = status_to_json(&st);
		char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

		if (text == NULL) {
			json_decref(doc);
			trust_status_free(&st);
			fputs("cainit: status: out of memory\n", stderr);
			return CAINIT_EOPS;
		}
		puts(text);
		free(text);
		json_decref(doc);
	} else {
		print_text(&st);
	}
	trust_status_free(&st);
	return 0;
}
