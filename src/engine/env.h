/*
 * env.h: the runtime variables that point TLS clients at the managed CAs
 * (see docs/env.md). An "adds" variable makes a runtime add a file to its
 * built-in roots, so it gets cainit's CA-only file; a "replaces" variable
 * makes a file the whole trust list, so it gets the full bundle (or hashed
 * directory), never the CA alone: sites that are not intercepted keep
 * working.
 */
#ifndef CAINIT_ENV_H
#define CAINIT_ENV_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "rope.h"

struct scan;

enum env_target {
	ENV_CA_FILE,    /* /etc/cainit/ca.pem: every managed CA (adds) */
	ENV_BUNDLE,     /* the root's first bundle: the distro's CAs + the managed ones */
	ENV_HASHED_DIR, /* the root's first OpenSSL hashed directory */
	ENV_CONST,      /* a fixed value that switches a runtime to the system
			 * store (NODE_USE_SYSTEM_CA=1); with the CA file */
};

/* A store path longer than this gets no variable. (Not PATH_MAX: 21
 * of those are 84 KiB, 21 page faults on every `cainit run`.) */
#define ENV_VALUE_MAX 512

struct env_var {
	const char *name;
	enum env_target target;
	char value[ENV_VALUE_MAX]; /* a path as the root's own programs see it */
};

#define ENV_VARS_MAX 24

enum {
	/* also the paths that do not exist yet but will once a set is
	 * installed (an agent that will receive its CA later) */
	ENV_PLANNED = 1 << 0,
};

/* The variables for what s found; *n gets how many (at most ENV_VARS_MAX).
 * Without ENV_PLANNED, only variables whose file or directory exists. */
size_t env_from_scan(const struct scan *s, unsigned flags, struct env_var *out);

/* The names of the variables that name a file (adds and replaces, not
 * the hashed directory nor the switches): those a merge may apply to. */
size_t env_file_names(const char **out, size_t max);

/* What trust_env_merge did with a variable the caller had set. */
enum env_merge {
	ENV_MERGE_KEEP,       /* keep the caller's value: its file holds every
			       * managed CA, or it is not a file cainit merges */
	ENV_MERGE_NEW,        /* point it at the merged file (out) */
	ENV_MERGE_UNREADABLE, /* the caller's file is not a certificate file
			       * that can be read: cainit's value instead */
};

/* NAME=value lines (/etc/cainit/env, docker --env-file), and back: only
 * the names cainit sets are taken. */
int env_render_dotenv(const struct env_var *v, size_t n, struct rope *out);
size_t env_parse_dotenv(const char *buf, size_t len, struct env_var *out);

/* POSIX sh: "export NAME='value'" lines, or with keep_set, lines that leave
 * a variable the user already set alone (for /etc/profile.d). */
int env_render_sh(const struct env_var *v, size_t n, bool keep_set, struct rope *out);

#endif
