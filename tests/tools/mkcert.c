/*
 * mkcert.c: make a test CA or leaf from the shell, for the integration
 * tests, the demo and the benchmarks (which also need expired and
 * not-yet-valid certificates, beyond what `openssl req` offers).
 *
 *   mkcert --cn NAME [--leaf] [--from SECS] [--to SECS] [--rsa]
 *          [--issuer CERT --issuer-key KEY] [--san SAN] [--der]
 *          [--key-usage VALUE]  (keyUsage as openssl.cnf writes it)
 *          --out CERT [--key-out KEY]
 *   mkcert --cn NAME --count N --out BUNDLE
 *          N self-signed CAs "NAME 1".."NAME N" in one PEM file (the
 *          benchmarks' large bundles)
 */
#include <getopt.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certgen.h"

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

static int load_issuer(struct testcert *c, const char *cert, const char *key)
{
	FILE *f = fopen(cert, "r");

	if (f == NULL)
		return -1;
	c->x509 = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	f = fopen(key, "r");
	if (f == NULL)
		return -1;
	c->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return c->x509 && c->key ? 0 : -1;
}

/* --count: n self-signed CAs named "cn i", appended to one PEM file */
static int write_many(const char *path, struct certgen_opts *o, long n)
{
	char cn[256];
	const char *base = o->cn;
	FILE *f = fopen(path, "wb");
	long i;

	if (f == NULL) {
		perror(path);
		return 1;
	}
	for (i = 1; i <= n; i++) {
		struct testcert c;
		size_t len;
		char *pem;

		snprintf(cn, sizeof(cn), "%s %ld", base, i);
		o->cn = cn;
		if (certgen_make(&c, o) < 0 || (pem = certgen_pem(&c, &len)) == NULL) {
			fprintf(stderr, "mkcert: cannot make certificate %ld\n", i);
			fclose(f);
			return 1;
		}
		fwrite(pem, 1, len, f);
		free(pem);
		certgen_free(&c);
	}
	o->cn = base;
	if (fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"cn", required_argument, NULL, 'c'}, {"leaf", no_argument, NULL, 'l'},
		{"from", required_argument, NULL, 'f'}, {"to", required_argument, NULL, 't'},
		{"rsa", no_argument, NULL, 'r'}, {"issuer", required_argument, NULL, 'i'},
		{"issuer-key", required_argument, NULL, 'k'}, {"san", required_argument, NULL, 's'},
		{"der", no_argument, NULL, 'd'}, {"out", required_argument, NULL, 'o'},
		{"key-out", required_argument, NULL, 'K'}, {"count", required_argument, NULL, 'n'},
		{"key-usage", required_argument, NULL, 'u'},
		{NULL, 0, NULL, 0},
	};
	struct certgen_opts o = {.cn = "cainit test CA", .ca = true, .not_before = -3600,
				 .not_after = 30L * 86400};
	const char *issuer = NULL, *issuer_key = NULL, *out = NULL, *key_out = NULL;
	struct testcert c, iss = {0};
	int opt, der = 0, rc = 1;
	long count = 0;
	size_t n;
	void *p;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': o.cn = optarg; break;
		case 'l': o.ca = false; break;
		case 'f': o.not_before = strtol(optarg, NULL, 10); break;
		case 't': o.not_after = strtol(optarg, NULL, 10); break;
		case 'r': o.rsa = true; break;
		case 'i': issuer = optarg; break;
		case 'k': issuer_key = optarg; break;
		case 's': o.san = optarg; break;
		case 'd': der = 1; break;
		case 'o': out = optarg; break;
		case 'K': key_out = optarg; break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'u': o.key_usage = optarg; break;
		default: return 2;
		}
	}
	if (out == NULL || (issuer != NULL) != (issuer_key != NULL)) {
		fprintf(stderr, "mkcert: need --out, and --issuer with --issuer-key\n");
		return 2;
	}
	if (count > 0) {
		if (issuer || key_out || der || !o.ca) {
			fprintf(stderr, "mkcert: --count makes self-signed CAs in PEM only\n");
			return 2;
		}
		return write_many(out, &o, count);
	}
	if (issuer && load_issuer(&iss, issuer, issuer_key) < 0) {
		fprintf(stderr, "mkcert: cannot load issuer\n");
		return 1;
	}
	if (issuer)
		o.issuer = &iss;
	if (certgen_make(&c, &o) < 0) {
		fprintf(stderr, "mkcert: cannot make certificate\n");
		return 1;
	}
	p = der ? (void *)certgen_der(&c, &n) : (void *)certgen_pem(&c, &n);
	if (p && write_file(out, p, n) == 0)
		rc = 0;
	free(p);
	if (rc == 0 && key_out) {
		p = certgen_key_pem(&c, &n);
		rc = p && write_file(key_out, p, n) == 0 ? 0 : 1;
		free(p);
	}
	certgen_free(&c);
	certgen_free(&iss);
	return rc;
}
