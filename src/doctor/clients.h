/*
 * clients.h: the TLS clients doctor knows, the start paths it runs them
 * under, and one cell of its table: a client, started one way, against the
 * canary's endpoint (it must succeed) and the stray CA's (it must refuse).
 */
#ifndef CAINIT_CLIENTS_H
#define CAINIT_CLIENTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

enum dr_path { DR_BARE, DR_RUN, DR_LOGIN, DR_PAM, DR_SYSTEMD, DR_IMAGE, DR_PATHS };

enum dr_verdict {
	DR_NA,        /* the root cannot start it this way, or lacks it */
	DR_OK,        /* trusts the canary, refuses the stray CA */
	DR_FAIL,      /* refuses the canary: msg is its first error line */
	DR_NOVERIFY,  /* accepts the stray CA too: it does not verify */
};

#define DR_MSG_MAX 160
#define DR_PROGRAM_MAX 128

struct dr_cell {
	enum dr_verdict v;
	char msg[DR_MSG_MAX];
};

struct dr_row {
	char client[16];
	unsigned order;               /* its place among the rows of its client */
	char program[DR_PROGRAM_MAX]; /* as the root sees it; "" when it has none */
	struct dr_cell cell[DR_PATHS];
};

#define DR_CLIENTS 18
/* The Python interpreters a root may have rows for (python, requests and
 * pip each get a row per interpreter), and so the rows of a table. */
#define DR_PYTHONS_MAX 8
#define DR_ROWS_MAX (DR_CLIENTS + 3 * (DR_PYTHONS_MAX - 1))

/* The names, in table order: clients ("curl", "wget", "openssl", "python",
 * "requests", "pip", "node", "npm", "bun", "deno", "ruby", "perl", "php",
 * "git", "java", "go", "chromium", "firefox") and paths ("bare", "run", "login", "pam",
 * "systemd", "image"). */
extern const char *const dr_client_names[DR_CLIENTS];
extern const char *const dr_path_names[DR_PATHS];

/* What a cell needs: the endpoints' ports, the target, the environments
 * of the paths (NULL-terminated "NAME=VALUE" arrays; NULL: the root has no
 * such path, na[path] says why) and the time one run may take. */
struct dr_env {
	unsigned short good_port, stray_port;
	const char *url;   /* doctor --url: what the clients fetch instead of
			    * the canary's endpoint (https://...) */
	const char *proxy; /* with url: the proxy every cell goes through
			    * ("http://HOST:PORT"); NULL: the one each path's
			    * environment names (https_proxy), if any */
	char *const *env[DR_PATHS];
	const char *na[DR_PATHS];
	int timeout_ms;
};

/* True for the clients that run on a Python interpreter (python,
 * requests, pip): they get a row per interpreter dr_pythons finds. */
bool dr_client_is_python(size_t i);

/* The Python interpreters of the current root beyond the first one on
 * PATH (the one the python, requests and pip rows use when no program is
 * given): the other of /usr/local/bin/python3 and /usr/bin/python3, each
 * pyenv version of /root and /home/USER, each /opt/NAME prefix (conda's
 * bases, vendor apps; the engine's places) and its conda environments
 * (envs/NAME), and the nenvs virtual environments of envs (prefixes:
 * those install was given, trust_python_envs, and doctor's --python-env);
 * one path per interpreter (a real file, or a virtual environment: its
 * prefix has a pyvenv.cfg), at most max and at most DR_PYTHONS_MAX - 1. */
size_t dr_pythons(const char (*envs)[PATH_MAX], size_t nenvs, char (*out)[DR_PROGRAM_MAX], size_t max);

/* Find client i in the current root (row->program; program, when not
 * NULL, is the one to run), then fill the cells of the paths in want (a
 * bit per enum dr_path). */
void dr_client_check(size_t i, const char *program, unsigned want, const struct dr_env *x, struct dr_row *row);

#endif
