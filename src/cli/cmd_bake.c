/*
 * cmd_bake.c: `cainit bake` - parse flags, read the CA file, call bake
 * (bake.h), print the fingerprint and write it where asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bake.h"
#include "cli.h"
#include "clock.h"
#include "file_write.h"
#include "trust.h"

#define RUN_ARGS_MAX 64

static const char USAGE[] =
	"usage: cainit bake --rootfs DIR [--agent PATH...|--agent-dir DIR] [--ca FILE [--name NAME]]\n"
	"                   [--fingerprint-out F]\n"
	"       cainit bake --oci LAYOUT[:TAG] --tag NEWTAG [--agent PATH...|--agent-dir DIR]\n"
	"                   [--all-platforms] [--ca FILE [--name NAME]] [--run-args 'ARGS']\n"
	"                   [--env-override] [--fingerprint-out F]\n"
	"\n"
	"Put the agent into an image before it runs, at " BAKE_AGENT_PATH ", and with\n"
	"--ca make the image trust the CAs in FILE (as `cainit install` would).\n"
	"\n"
	"  --rootfs DIR         a root filesystem directory, changed in place\n"
	"  --oci LAYOUT:TAG     an OCI image layout directory and the tag of the base image\n"
	"                       (TAG may be left out when the layout holds one image)\n"
	"  --tag NEWTAG         the tag the baked image gets in the same layout\n"
	"  --agent PATH         the agent binary (default: this cainit); it must be a\n"
	"                       static ELF executable of at most 16 MiB. Given again, one\n"
	"                       per architecture: each platform gets the agent built for it\n"
	"  --agent-dir DIR      the agents are DIR's cainit-linux-ARCH files (make release)\n"
	"  --all-platforms      with several agents, refuse an image index with a linux\n"
	"                       platform none of them is built for (default: left as it is)\n"
	"  --ca FILE            CAs to trust (PEM or DER)\n"
	"  --name NAME          their set name (default \"default\")\n"
	"  --allow-leaf, --allow-expired   as for install\n"
	"  --run-args 'ARGS'    words put between `cainit run` and `--` in the entrypoint\n"
	"                       (split on blanks; quotes group, backslash escapes)\n"
	"  --env-override       the config's Env takes cainit's value even of a variable\n"
	"                       the image sets itself (default: its \"adds\" variables and\n"
	"                       switches, such as NODE_EXTRA_CA_CERTS, keep the image's)\n"
	"  --fingerprint-out F  also write the fingerprint to F\n"
	"  --max-layer-size SIZE, --max-image-size SIZE\n"
	"                       refuse an OCI image whose one layer, or whose layers\n"
	"                       together, unpack to more (default 4G and 16G; K, M, G, T)\n"
	"\n"
	"--oci adds one layer (the agent, and with --ca the trust files the engine\n"
	"changed), makes the entrypoint `cainit run ARGS -- ENTRYPOINT`, Cmd kept, and\n"
	"puts the runtime variables (`cainit env`) into the config's Env. With several\n"
	"agents, an image index is baked platform by platform into a new index; with\n"
	"one, the agent's platform alone becomes NEWTAG. --rootfs with several agents\n"
	"takes the one of the root's architecture (read from its programs' ELF headers).\n"
	"The fingerprint (printed) is the SHA-256 of the base, the agent, the CAs and\n"
	"the run arguments; with an index, one line per platform: linux/ARCH FINGERPRINT.\n"
	"SOURCE_DATE_EPOCH sets the layer's file times (default 0).\n"
	"Exit status: 0 done, 1 operational failure, 2 bad usage or input (nothing written).\n";

/* Shell-like words: blanks separate, '...' is literal, "..." and a
 * backslash escape. *out points into buf (rewritten in place). */
static int split_words(char *buf, char **out, size_t max, size_t *n)
{
	char *r = buf, *w = buf;

	*n = 0;
	for (;;) {
		char quote = 0;

		while (*r == ' ' || *r == '\t' || *r == '\n')
			r++;
		if (*r == '\0')
			return 0;
		if (*n == max)
			return -1;
		out[(*n)++] = w;
		while (*r && (quote || (*r != ' ' && *r != '\t' && *r != '\n'))) {
			if (quote == '\'' && *r == '\'') {
				quote = 0;
				r++;
			} else if (quote == 0 && (*r == '\'' || *r == '"')) {
				quote = *r++;
			} else if (quote == '"' && *r == '"') {
				quote = 0;
				r++;
			} else if (quote != '\'' && *r == '\\' && r[1]) {
				r++;
				*w++ = *r++;
			} else {
				*w++ = *r++;
			}
		}
		if (quote)
			return -2;
		if (*r)
			r++;
		*w++ = '\0';
	}
}

static bool tag_valid(const char *t)
{
	size_t i, n = strlen(t);

	if (n == 0 || n > 128)
		return false;
	for (i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9') ||
		      t[i] == '.' || t[i] == '_' || t[i] == '-'))
			return false;
	return true;
}

/* What bake prints on stdout: the fingerprint, or with an index one line
 * per platform, "linux/ARCH FINGERPRINT". */
static void fingerprint_lines(const struct bake_result *res, size_t n, bool index, char *buf, size_t cap)
{
	size_t k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && k < cap; i++)
		k += (size_t)snprintf(buf + k, cap - k, index ? "linux/%s %s\n" : "%.0s%s\n", res[i].arch,
				      res[i].fingerprint);
}

static int write_fingerprints(const char *path, const struct bake_result *res, size_t n, bool index,
			      struct cerr *e)
{
	char dir[PATH_MAX], text[BAKE_PLATFORMS_MAX * 100], *slash;
	const char *name = path;
	int dirfd, rc;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		name = path + (slash - dir) + 1;
	}
	dirfd = open(slash ? (dir[0] ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cerr_sys(e, path, "open directory", errno);
	fingerprint_lines(res, n, index, text, sizeof(text));
	rc = file_write_atomic(dirfd, name, path, text, strlen(text), 0644, e);
	close(dirfd);
	return rc;
}

static void print_baked(const char *where, const char *tag, const char *newtag, const struct bake_result *res,
			size_t n, const char *index_digest, size_t ncas, long long us)
{
	char text[BAKE_PLATFORMS_MAX * 100], took[32];
	bool index = index_digest[0] != '\0';

	snprintf(took, sizeof(took), ", in %lld ms", us / 1000);
	for (size_t i = 0; i < n; i++) {
		if (newtag == NULL)
			fprintf(stderr, "cainit: baked %s: agent " BAKE_AGENT_PATH " (linux/%s) sha256=%s, %zu CA(s), base %s%s\n",
				where, res[i].arch, res[i].agent_sha256, ncas, res[i].base, took);
		else
			fprintf(stderr, "cainit: baked %s:%s%s%s as %s: manifest %s, layer %s (%zu entries, %zu bytes), "
				"agent sha256=%s, %zu CA(s)%s\n", where, tag ? tag : "", index ? " linux/" : "",
				index ? res[i].arch : "", newtag, res[i].manifest, res[i].layer, res[i].layer_entries,
				res[i].layer_bytes, res[i].agent_sha256, ncas, index ? "" : took);
	}
	if (index)
		fprintf(stderr, "cainit: %s:%s is the image index %s (%zu platform(s) baked)%s\n", where, newtag, index_digest,
			n, took);
	fingerprint_lines(res, n, index, text, sizeof(text));
	fputs(text, stdout);
}

/* "512M", "4G", "1048576": bytes, binary suffixes; 0 when malformed. */
static uint64_t parse_size(const char *s)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *s == '-')
		return 0;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	}
	if (*end != '\0' || v > (UINT64_MAX >> shift))
		return 0;
	return (uint64_t)v << shift;
}

static long long source_date_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' && v >= 0 ? v : -1;
}

/* (Longer than most: one case per option, then the checks between them,
 * then the one call to bake.) */
int cmd_bake(int argc, char **argv)
{
	static const struct option opts[] = {
		{"rootfs", required_argument, NULL, 'r'},
		{"oci", required_argument, NULL, 'o'},
		{"tag", required_argument, NULL, 't'},
		{"agent", required_argument, NULL, 'a'},
		{"agent-dir", required_argument, NULL, 'D'},
		{"all-platforms", no_argument, NULL, 'P'},
		{"ca", required_argument, NULL, 'c'},
		{"name", required_argument, NULL, 'n'},
		{"allow-leaf", no_argument, NULL, 'L'},
		{"allow-expired", no_argument, NULL, 'E'},
		{"run-args", required_argument, NULL, 'R'},
		{"fingerprint-out", required_argument, NULL, 'f'},
		{"max-layer-size", required_argument, NULL, 'M'},
		{"max-image-size", required_argument, NULL, 'I'},
		{"env-override", no_argument, NULL, 'O'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *rootfs = NULL, *oci = NULL, *newtag = NULL, *ca = NULL, *name = NULL, *fp_out = NULL;
	char *run_args_text = NULL, *run_words[RUN_ARGS_MAX], layout[PATH_MAX], *tag = NULL, *colon;
	struct bake_opts o = {.set = "default", .max_layer_bytes = BAKE_MAX_LAYER_DEFAULT,
			      .max_image_bytes = BAKE_MAX_IMAGE_DEFAULT};
	const char *agents[BAKE_AGENTS_MAX];
	struct cert_list certs = {0};
	struct bake_result res[BAKE_PLATFORMS_MAX];
	char index_digest[72] = "";
	struct cerr e = {0};
	long long t0;
	size_t ncas, nres = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rootfs = optarg; break;
		case 'o': oci = optarg; break;
		case 't': newtag = optarg; break;
		case 'a':
			if (o.nagents == BAKE_AGENTS_MAX)
				return cli_usage_error("bake", "more than %d --agent", BAKE_AGENTS_MAX);
			agents[o.nagents++] = optarg;
			o.agents = agents;
			break;
		case 'D': o.agent_dir = optarg; break;
		case 'P': o.all_platforms = true; break;
		case 'c': ca = optarg; break;
		case 'n': name = optarg; break;
		case 'L': o.cert_flags |= CERT_ALLOW_LEAF; break;
		case 'E': o.cert_flags |= CERT_ALLOW_EXPIRED; break;
		case 'R': run_args_text = optarg; break;
		case 'f': fp_out = optarg; break;
		case 'O': o.env_override = true; break;
		case 'M':
		case 'I':
			if (parse_size(optarg) == 0)
				return cli_usage_error("bake", "--max-%s-size \"%s\": a size like 512M or 8G",
						       c == 'M' ? "layer" : "image", optarg);
			*(c == 'M' ? &o.max_layer_bytes : &o.max_image_bytes) = parse_size(optarg);
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			return cli_usage_error("bake", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("bake", "unexpected argument \"%s\"", argv[optind]);
	if ((rootfs == NULL) == (oci == NULL))
		return cli_usage_error("bake", "give exactly one of --rootfs DIR and --oci LAYOUT:TAG");
	if (rootfs && (newtag || run_args_text || o.env_override))
		return cli_usage_error("bake", "--tag, --run-args and --env-override go with --oci");
	if (oci && newtag == NULL)
		return cli_usage_error("bake", "--oci needs --tag NEWTAG");
	if (newtag && !tag_valid(newtag))
		return cli_usage_error("bake", "--tag \"%s\": letters, digits, '.', '_', '-' (at most 128)", newtag);
	if (name && ca == NULL)
		return cli_usage_error("bake", "--name names the CAs of --ca");
	if (o.agent_dir && o.nagents > 0)
		return cli_usage_error("bake", "give --agent PATH... or --agent-dir DIR, not both");
	if (o.all_platforms && (oci == NULL || (o.nagents < 2 && o.agent_dir == NULL)))
		return cli_usage_error("bake", "--all-platforms goes with --oci and several agents");
	if (name) {
		if (!set_name_valid(name))
			return cli_usage_error("bake", "--name \"%s\": letters, digits, '-', '_' (at most 64)", name);
		o.set = name;
	}
	if ((o.epoch = source_date_epoch()) < 0)
		return cli_usage_error("bake", "SOURCE_DATE_EPOCH is not a number of seconds");
	if (run_args_text) {
		int s = split_words(run_args_text, run_words, RUN_ARGS_MAX, &o.nrun_args);

		if (s == -2)
			return cli_usage_error("bake", "--run-args: an unterminated quote");
		if (s != 0)
			return cli_usage_error("bake", "--run-args: more than %d words", RUN_ARGS_MAX);
		o.run_args = run_words;
	}
	if (oci) {
		snprintf(layout, sizeof(layout), "%s", oci);
		colon = strrchr(layout, ':');
		if (colon && strchr(colon, '/') == NULL) {
			*colon = '\0';
			tag = colon + 1;
			if (!tag_valid(tag))
				return cli_usage_error("bake", "--oci: \"%s\" is not a tag", tag);
		}
	}
	if (ca) {
		if (cli_read_certs(ca, &certs, &o.origin, &e) != 0)
			return cli_fail(&e);
		o.cas = &certs;
	}
	t0 = clock_now_us();
	if (rootfs) {
		rc = bake_rootfs(rootfs, &o, &res[0], &e);
		nres = rc == 0;
	} else {
		rc = bake_oci(layout, tag, newtag, &o, res, &nres, index_digest, &e);
	}
	if (rc == 0 && fp_out)
		rc = write_fingerprints(fp_out, res, nres, index_digest[0] != '\0', &e);
	ncas = certs.n;
	cert_list_free(&certs);
	if (rc != 0)
		return cli_fail(&e);
	print_baked(rootfs ? rootfs : layout, tag, newtag, res, nres, index_digest, ncas, clock_now_us() - t0);
	return 0;
}
