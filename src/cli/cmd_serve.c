/*
 * cmd_serve.c: `cainit serve` - parse flags, run the agent.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "cli.h"
#include "duration.h"

static const char USAGE[] =
	"usage: cainit serve [--listen ADDR ...] [--token-file F] [--root DIR] [options]\n"
	"\n"
	"Run the agent: an HTTP/1.1 API that makes the root trust the CAs it is sent.\n"
	"  POST /init           {\"caBundle\": \"PEM...\"} becomes the \"default\" set (envd's call)\n"
	"  PUT /ca/NAME         a raw PEM or DER body becomes set NAME\n"
	"  DELETE /ca/NAME      removes set NAME\n"
	"  GET /ca              the status --json document\n"
	"  GET /health          204, no token needed\n"
	"  GET /metrics         Prometheus text\n"
	"  POST /doctor         `cainit doctor --json` on the root: which client, started\n"
	"                       which way, trusts the CAs (seconds; one at a time)\n"
	"docs/api.yaml has every status and body.\n"
	"\n"
	"  --listen ADDR             HOST:PORT, [IPV6]:PORT or unix:/path (mode 0600); repeatable\n"
	"                            (default " AGENT_DEFAULT_LISTEN ")\n"
	"  --token-file F            the token requests must carry in X-Access-Token\n"
	"                            (default: $CAINIT_TOKEN); SIGHUP re-reads F\n"
	"  --insecure-no-token       allow non-loopback addresses without a token\n"
	"  --root DIR                root filesystem to change (default /)\n"
	"  --max-connections N       at most N open connections (default 128); a new one\n"
	"                            closes the oldest that never presented the token\n"
	"  --idle-timeout DUR        close connections silent this long (default 30s)\n"
	"  --request-timeout DUR     cut a request not received whole within this (default 5s)\n"
	"  --doctor-limit DUR        a POST /doctor run is killed past this (default 2m)\n"
	"  --quiet                   no log line per request\n"
	CLI_TRUST_USAGE
	"\n"
	"SIGTERM or SIGINT: stop accepting, finish requests in flight, exit 0.\n";

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"token-file", required_argument, NULL, 't'},
		{"insecure-no-token", no_argument, NULL, 'I'},
		{"root", required_argument, NULL, 'r'},
		{"max-connections", required_argument, NULL, 'c'},
		{"idle-timeout", required_argument, NULL, 'i'},
		{"request-timeout", required_argument, NULL, 'T'},
		{"doctor-limit", required_argument, NULL, 'D'},
		{"quiet", no_argument, NULL, 'q'},
		CLI_TRUST_OPTIONS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct agent_config cfg;
	struct cerr e = {0};
	long long us;
	char *end;
	long n;
	int c;

	agent_defaults(&cfg);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (cfg.nlisten == AGENT_MAX_LISTEN)
				return cli_usage_error("serve", "at most %d --listen", AGENT_MAX_LISTEN);
			if (addr_parse(optarg, &cfg.listen[cfg.nlisten], &e) != 0)
				return cli_fail(&e);
			cfg.nlisten++;
			break;
		case 't':
			cfg.token_file = optarg;
			break;
		case 'I':
			cfg.insecure_no_token = true;
			break;
		case 'r':
			cfg.root = optarg;
			break;
		case 'c':
			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > 100000)
				return cli_usage_error("serve", "--max-connections takes a number from 1 to 100000");
			cfg.max_connections = (int)n;
			break;
		case 'i':
		case 'T':
		case 'D':
			us = duration_parse(optarg);
			if (us <= 0)
				return cli_usage_error("serve", "bad duration \"%s\" (like 500ms, 5s)", optarg);
			if (c == 'i')
				cfg.idle_timeout_us = us;
			else if (c == 'T')
				cfg.request_timeout_us = us;
			else
				cfg.doctor_limit_us = us;
			break;
		case 'q':
			cfg.quiet = true;
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			if (cli_trust_option(c, optarg, &cfg.trust))
				break;
			return cli_usage_error("serve", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("serve", "unexpected argument \"%s\"", argv[optind]);
	if ((c = cli_trust_finish("serve", &cfg.trust)) != 0)
		return c;
	if (cfg.nlisten == 0 && addr_parse(AGENT_DEFAULT_LISTEN, &cfg.listen[cfg.nlisten++], &e) != 0)
		return cli_fail(&e);
	if (agent_run(&cfg, &e) != 0)
		return cli_fail(&e);
	return 0;
}
