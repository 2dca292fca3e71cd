/*
 * cli.h: what the command-line front ends share: reading the user's input
 * file (never a trust-store file: those belong to the engine), timing, and
 * the one-line error convention "cainit: ..." with exit codes 0/1/2.
 */
#ifndef CAINIT_CLI_H
#define CAINIT_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "cerr.h"
#include "trust.h"

/* Read FILE ("-": standard input), at most CERT_INPUT_MAX bytes (more is
 * refused). Returns 0, or CAINIT_EINPUT with the message in e. */
int cli_read_input(const char *path, unsigned char **buf, size_t *len, struct cerr *e);

/* Read FILE ("-": standard input) and parse its certificates; *origin gets
 * the name to use in messages. Returns 0 or the cerr code. */
int cli_read_certs(const char *path, struct cert_list *certs, const char **origin, struct cerr *e);

/* Print "cainit: MSG" on stderr and return e->code. */
int cli_fail(const struct cerr *e);

/* Print "cainit: " + formatted message + usage hint on stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Set libcrypto up without reading any openssl.cnf. Every command that
 * parses or hashes certificates calls it before anything else does. */
void cli_crypto_init(void);

/* Print each of rep's warnings as "cainit: warning: ..." on stderr. */
struct trust_report;
struct trust_opts;
void cli_print_warnings(const struct trust_report *rep);

/* --java-home when given, else $JAVA_HOME, else NULL. */
const char *cli_java_home(const char *flag);

/* The options of every front end that installs: --java-home, --nss,
 * --nss-user, --python-env (getopt_long entries; letters J, S, U and P). */
#define CLI_TRUST_OPTIONS                                                                       \
	{"java-home", required_argument, NULL, 'J'}, {"nss", no_argument, NULL, 'S'},          \
		{"nss-user", required_argument, NULL, 'U'}, {"python-env", required_argument, NULL, 'P'}
#define CLI_TRUST_USAGE                                                                          \
	"  --java-home DIR  one more JDK whose cacerts to edit, inside the root (default\n"       \
	"                   $JAVA_HOME; JDKs under /usr/lib/jvm and /opt are found anyway)\n"    \
	"  --nss            also NSS databases (Chromium, Firefox), written by cainit itself\n" \
	"  --nss-user USER  with --nss: create USER's ~/.pki/nssdb when it has none\n"              \
	"  --python-env DIR a virtual environment (or Python prefix) whose bundles to edit too,\n" \
	"                   inside the root; repeatable, and recorded for later changes\n"

/* Take option c (with its argument) into o when it is one of those:
 * true when it was. */
bool cli_trust_option(int c, const char *arg, struct trust_opts *o);

/* After parsing: check o and default java_home to $JAVA_HOME (and, for
 * run, add $VIRTUAL_ENV to the Python prefixes). 0, or the usage error's
 * exit code. */
int cli_trust_finish(const char *cmd, struct trust_opts *o);

/* What run and env --merge do with a runtime variable the caller set. */
enum env_mode {
	ENV_MODE_MERGE,    /* default: a file lacking the managed CAs gets a merged one */
	ENV_MODE_KEEP,     /* --env-keep: the caller's value stays */
	ENV_MODE_OVERRIDE, /* --env-override: cainit's value */
};

/* The caller set v->name to value (in root). True when the caller's value
 * stays; false when v->value replaces it (v->value then may name a merged
 * file). Says on stderr, after who, what it did when that is not obvious. */
bool cli_env_decide(const char *root, struct env_var *v, const char *value, enum env_mode mode, const char *who);

int cmd_install(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bake(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

#endif
