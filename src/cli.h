/*
 * cli.h: what the command-line front ends share: reading the user's input
 * file (never a trust-store file: those belong to the engine), timing, and
 * the one-line error convention "cainit: ..." with exit codes 0/1/2.
 */
#ifndef CAINIT_CLI_H
#define CAINIT_CLI_H

#include <stddef.h>

#include "cert.h"
#include "err.h"

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

/* Monotonic microseconds. */
long long cli_now_us(void);

int cmd_install(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bake(int argc, char **argv);

#endif
