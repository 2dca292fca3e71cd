/*
 * cmd_remove.c: `cainit remove` - take a set (or every set) out of every
 * store, restoring each bundle's bytes outside cainit's blocks.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "clock.h"
#include "trust.h"

static const char USAGE[] =
	"usage: cainit remove [--root DIR] [--java-home DIR] [--nss] (--name NAME | --all)\n"
	"\n"
	"Remove the named set (or every set cainit manages) from every trust store\n"
	"of the root. Bundles get back exactly the bytes they had outside cainit's\n"
	"blocks (and a JKS keystore its exact bytes); the NSS databases cainit wrote\n"
	"(recorded in /etc/cainit/nss) lose the set. Removing a set that is not\n"
	"installed changes nothing and exits 0.\n"
	"\n"
	"  --root DIR   root filesystem to change (default /)\n"
	"  --name NAME  the set to remove\n"
	"  --all        remove every set\n"
	"  --java-home DIR  one more JDK whose cacerts to edit (default $JAVA_HOME)\n"
	"  --nss        also every NSS database of the root, recorded or not\n"
	"\n"
	"Exit status: 0 done, 1 operational failure, 2 bad usage.\n";

int cmd_remove(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"name", required_argument, NULL, 'n'},
		{"all", no_argument, NULL, 'a'},
		{"java-home", required_argument, NULL, 'J'},
		{"nss", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *root = "/", *name = NULL;
	struct trust_opts o = {0};
	struct trust_report rep;
	struct cerr e = {0};
	long long t0, t1;
	int c, all = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'a':
			all = 1;
			break;
		case 'J':
			o.java_home = optarg;
			break;
		case 'S':
			o.flags |= TRUST_NSS;
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			return cli_usage_error("remove", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("remove", "unexpected argument \"%s\"", argv[optind]);
	if ((name == NULL) == !all)
		return cli_usage_error("remove", "give exactly one of --name NAME or --all");
	if ((c = cli_trust_finish("remove", &o)) != 0)
		return c;
	t0 = clock_now_us();
	if (trust_remove(root, name, &o, &rep, &e) != 0)
		return cli_fail(&e);
	t1 = clock_now_us();
	cli_print_warnings(&rep);
	if (rep.changes == 0 && name != NULL)
		fprintf(stderr, "cainit: set=%s is not installed; nothing to remove\n", name);
	else if (rep.changes == 0)
		fprintf(stderr, "cainit: no managed CA to remove\n");
	else if (name != NULL)
		fprintf(stderr, "cainit: removed set=%s (%zu changes) in %lldus\n", name, rep.changes, t1 - t0);
	else
		fprintf(stderr, "cainit: removed %zu set%s (%zu changes) in %lldus\n", rep.sets,
			rep.sets == 1 ? "" : "s", rep.changes, t1 - t0);
	return 0;
}
