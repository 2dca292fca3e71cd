/*
 * main.c: subcommand dispatch. cainit is one static binary with several
 * front ends over one engine (trust.h); each front end lives in cmd_*.c.
 */
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "prefault.h"
#include "version.h"

static const char USAGE[] =
	"usage: cainit COMMAND [OPTIONS]\n"
	"\n"
	"Make a root filesystem trust a named set of CAs in every trust store it has.\n"
	"\n"
	"commands:\n"
	"  install   trust the CAs in a file as a named set (replacing its previous CAs)\n"
	"  remove    remove a set, or every set, from every store\n"
	"  status    show stores, sets, and whether each CA verifies through each store\n"
	"  verify    check that a certificate is trusted through every store\n"
	"  serve     run the agent: an HTTP API that installs the CAs it is sent\n"
	"  push      send CAs to an agent, with orchestrator-style retries\n"
	"  env       print the runtime variables (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, ...)\n"
	"  run       entrypoint: trust the CA, then run a command with those variables\n"
	"  bake      put the agent (and CAs) into a root filesystem or an OCI image\n"
	"  doctor    prove, client by client, that the root's TLS clients trust the CAs\n"
	"  version   print the version\n"
	"\n"
	"'cainit COMMAND --help' describes a command. Exit status: 0 success,\n"
	"1 operational failure (I/O, permissions), 2 bad usage or bad input.\n";

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	bool crypto; /* set libcrypto up first (run does it only when it needs it) */
	bool reads_root; /* runs the engine over a root: fault its memory in first (prefault.h) */
};

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		puts("usage: cainit version\n\nPrint cainit's version, the system and architecture it was built for\n"
		     "(as release files name them: linux-amd64, linux-arm64) and its OpenSSL.");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "cainit: version takes no arguments (see 'cainit version --help')\n");
		return 2;
	}
	printf("cainit %s linux-%s (%s)\n", CAINIT_VERSION, CAINIT_ARCH, OpenSSL_version(OPENSSL_VERSION));
	return 0;
}

static const struct command commands[] = {
	{"install", cmd_install, true, true},
	{"remove", cmd_remove, true, true},
	{"status", cmd_status, true, true},
	{"verify", cmd_verify, true, true},
	{"serve", cmd_serve, true, false}, /* (long-lived: its idle RSS counts more) */
	{"push", cmd_push, true, false},
	{"env", cmd_env, false, false},
	{"run", cmd_run, false, false},
	{"bake", cmd_bake, true, false},
	{"doctor", cmd_doctor, true, true},
	{"version", cmd_version, false, false},
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		fputs(USAGE, stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(USAGE, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(1, argv);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (commands[i].reads_root)
			prefault_process();
		if (commands[i].crypto)
			cli_crypto_init();
		return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "cainit: unknown command \"%s\" (see 'cainit --help')\n", argv[1]);
	return 2;
}
