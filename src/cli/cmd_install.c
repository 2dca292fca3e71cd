/*
 * cmd_install.c: `cainit install` - parse flags, read the input, call the
 * engine, print one line per trusted CA.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "trust.h"

static const char USAGE[] =
	"usage: cainit install [--root DIR] [--name NAME] [--allow-leaf] [--allow-expired]\n"
	"                      [--java-home DIR] [--nss] [--nss-user USER] [--python-env DIR]\n"
	"                      FILE|-\n"
	"\n"
	"Make the root filesystem trust exactly the CAs in FILE (PEM or DER; '-' reads\n"
	"standard input) as the named set, in every trust store it has: each real\n"
	"bundle file, the distro's anchor directory, the OpenSSL hashed directory, every\n"
	"Java keystore (cacerts, JKS or PKCS#12), and the set's CA-only file\n"
	"/etc/cainit/sets/NAME.pem. Installing other CAs under the same name\n"
	"replaces the previous ones everywhere; the same CAs again change nothing.\n"
	"\n"
	"  --root DIR       root filesystem to change (default /)\n"
	"  --name NAME      set name: letters, digits, '-', '_' (default \"default\")\n"
	"  --allow-leaf     accept certificates without basicConstraints CA:TRUE\n"
	"  --allow-expired  accept certificates outside their validity period\n"
	CLI_TRUST_USAGE
	"\n"
	"A store cainit cannot edit (a keystore that does not parse or whose digest does\n"
	"not check with \"changeit\", a bundle on a read-only mount) gets a warning and\n"
	"is left as it is.\n"
	"Refused (exit 2, nothing written): private keys, inputs over 1 MiB, no\n"
	"certificate, broken PEM, base64 or DER, non-CA or out-of-date certificates.\n"
	"Exit status: 0 done, 1 operational failure, 2 bad usage or input.\n";

int cmd_install(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"name", required_argument, NULL, 'n'},
		{"allow-leaf", no_argument, NULL, 'L'},
		{"allow-expired", no_argument, NULL, 'E'},
		CLI_TRUST_OPTIONS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *root = "/", *name = "default", *origin;
	struct trust_opts o = {0};
	struct trust_report rep;
	struct cert_list certs;
	struct cerr e = {0};
	long long t0, t1;
	size_t i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'L':
			o.flags |= CERT_ALLOW_LEAF;
			break;
		case 'E':
			o.flags |= CERT_ALLOW_EXPIRED;
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			if (cli_trust_option(c, optarg, &o))
				break;
			return cli_usage_error("install", "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("install", "expected exactly one FILE (or '-')");
	if ((rc = cli_trust_finish("install", &o)) != 0)
		return rc;
	if (cli_read_certs(argv[optind], &certs, &origin, &e) != 0)
		return cli_fail(&e);
	t0 = clock_now_us();
	rc = trust_install(root, name, &certs, &o, origin, &rep, &e);
	t1 = clock_now_us();
	cli_print_warnings(&rep);
	if (rc != 0) {
		cert_list_free(&certs);
		return cli_fail(&e);
	}
	for (i = 0; i < certs.n; i++)
		fprintf(stderr, "cainit: trusted \"%s\" sha256=%s set=%s stores=%zu%s in %lldus%s\n",
			certs.v[i].subject, certs.v[i].fp, name, rep.stores,
			rep.nss > 0 ? " (NSS databases changed)" : "", t1 - t0,
			rep.changes == 0 && rep.nss == 0 ? " (unchanged)" : "");
	cert_list_free(&certs);
	return 0;
}
