/*
 * cmd_verify.c: `cainit verify` - is FILE's certificate trusted through
 * every bundle, every hashed directory and every Java keystore of the root?
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trust.h"

static const char USAGE[] =
	"usage: cainit verify [--root DIR] [--java-home DIR] FILE|-\n"
	"\n"
	"Check in-process, with libcrypto, that the first certificate in FILE (a CA\n"
	"or a server's leaf; further certificates in FILE count as intermediates)\n"
	"chains to a trusted certificate through each bundle of the root and\n"
	"through each OpenSSL hashed directory (looked up as OpenSSL does), and to a\n"
	"trusted entry of each Java keystore whose digest or MAC checks.\n"
	"\n"
	"  --root DIR  root filesystem to check (default /)\n"
	"  --java-home DIR  one more JDK whose cacerts to check (default $JAVA_HOME)\n"
	"\n"
	"Exit status: 0 trusted through every store, 1 not trusted through at least\n"
	"one (or no store), 2 bad usage or input.\n";

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"java-home", required_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *root = "/", *origin, *java_home = NULL;
	struct verify_result *res = NULL;
	struct cert_list chain;
	struct cerr e = {0};
	size_t n, i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'J':
			java_home = optarg;
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			return cli_usage_error("verify", "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("verify", "expected exactly one FILE (or '-')");
	if (cli_read_certs(argv[optind], &chain, &origin, &e) != 0)
		return cli_fail(&e);
	rc = trust_verify(root, cli_java_home(java_home), &chain, &res, &n, &e);
	for (i = 0; i < n; i++)
		printf("%-6s %-6s %s%s%s\n", res[i].kind, res[i].ok ? "ok" : "FAIL",
		       res[i].path, res[i].ok ? "" : ": ", res[i].ok ? "" : res[i].why);
	free(res);
	if (rc != 0 && n == 0)
		cli_fail(&e);
	else if (rc != 0)
		fprintf(stderr, "cainit: \"%s\" is not trusted through every store\n", chain.v[0].subject);
	cert_list_free(&chain);
	return rc;
}
