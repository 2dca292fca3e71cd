/*
 * cli.c: see cli.h.
 */
#include "cli.h"
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>


int cli_read_input(const char *path, unsigned char **buf, size_t *len, struct cerr *e)
{
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	size_t cap = CERT_INPUT_MAX + 1, n = 0;
	unsigned char *b;
	int fd;

	fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cerr_set(e, CAINIT_EINPUT, "%s: open: %s", name, strerror(errno));
	b = malloc(cap);
	if (b == NULL) {
		if (fd != STDIN_FILENO)
			close(fd);
		return cerr_set(e, CAINIT_EOPS, "%s: read: %s", name, strerror(ENOMEM));
	}
	while (n < cap) {
		ssize_t k = read(fd, b + n, cap - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int err = errno;

			free(b);
			if (fd != STDIN_FILENO)
				close(fd);
			return cerr_set(e, CAINIT_EINPUT, "%s: read: %s", name, strerror(err));
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (n > CERT_INPUT_MAX) {
		free(b);
		return cerr_set(e, CAINIT_EINPUT, "%s: input is larger than 1 MiB", name);
	}
	*buf = b;
	*len = n;
	return 0;
}

int cli_read_certs(const char *path, struct cert_list *certs, const char **origin, struct cerr *e)
{
	unsigned char *buf;
	size_t len;
	int rc;

	*origin = strcmp(path, "-") == 0 ? "<stdin>" : path;
	if ((rc = cli_read_input(path, &buf, &len, e)) != 0)
		return rc;
	rc = cert_list_parse(buf, len, *origin, certs, e);
	free(buf);
	return rc;
}

int cli_fail(const struct cerr *e)
{
	fprintf(stderr, "cainit: %s\n", e->msg);
	return e->code;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("cainit: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'cainit %s --help')\n", cmd);
	return CAINIT_EINPUT;
}

void cli_crypto_init(void)
{
	/* never read the host's or the sandbox's openssl.cnf; nothing to tear
	 * down at exit either (the process is about to end) */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, NULL);
}

void cli_print_warnings(const struct trust_report *rep)
{
	size_t i;

	for (i = 0; i < rep->nwarnings; i++)
		fprintf(stderr, "cainit: warning: %s\n", rep->warnings[i]);
}

const char *cli_java_home(const char *flag)
{
	const char *env = getenv("JAVA_HOME");

	if (flag != NULL)
		return flag;
	return env != NULL && env[0] == '/' ? env : NULL;
}

#define PYTHON_ENVS_MAX 64

/* --python-env, in the order given (one parse per process) */
static const char *python_envs[PYTHON_ENVS_MAX + 1];
static size_t npython_envs;
static bool python_envs_overflow;

static bool add_python_env(const char *dir, struct trust_opts *o)
{
	if (npython_envs == PYTHON_ENVS_MAX)
		return false;
	python_envs[npython_envs++] = dir;
	python_envs[npython_envs] = NULL;
	o->python_envs = python_envs;
	return true;
}

bool cli_trust_option(int c, const char *arg, struct trust_opts *o)
{
	switch (c) {
	case 'P':
		if (!add_python_env(arg, o))
			python_envs_overflow = true; /* (cli_trust_finish refuses it) */
		return true;
	case 'J':
		o->java_home = arg;
		return true;
	case 'S':
		o->flags |= TRUST_NSS;
		return true;
	case 'U':
		o->nss_user = arg;
		return true;
	}
	return false;
}

int cli_trust_finish(const char *cmd, struct trust_opts *o)
{
	if (o->nss_user != NULL && !(o->flags & TRUST_NSS))
		return cli_usage_error(cmd, "--nss-user needs --nss");
	if (o->java_home != NULL && o->java_home[0] != '/')
		return cli_usage_error(cmd, "--java-home must be an absolute path inside the root");
	o->java_home = cli_java_home(o->java_home);
	if (python_envs_overflow)
		return cli_usage_error(cmd, "more than %d --python-env", PYTHON_ENVS_MAX);
	for (size_t i = 0; i < npython_envs; i++)
		if (python_envs[i][0] != '/')
			return cli_usage_error(cmd, "--python-env must be an absolute path inside the root");
	if (strcmp(cmd, "run") == 0) {
		/* the virtual environment run's caller has activated */
		const char *venv = getenv("VIRTUAL_ENV");

		if (venv != NULL && venv[0] == '/')
			(void)add_python_env(venv, o);
	}
	return 0;
}

bool cli_env_decide(const char *root, struct env_var *v, const char *value, enum env_mode mode, const char *who)
{
	char merged[ENV_VALUE_MAX];
	enum env_merge res;
	struct cerr e = {0};

	if (strcmp(value, v->value) == 0 || mode == ENV_MODE_OVERRIDE)
		return strcmp(value, v->value) == 0;
	if (mode == ENV_MODE_KEEP) {
		fprintf(stderr, "%s: %s is set by the caller; left as it is (--env-override replaces it)\n", who, v->name);
		return true;
	}
	if (trust_env_merge(root, v, value, &res, merged, &e) != 0) {
		fprintf(stderr, "%s: %s=%s: cannot merge (%s); left as it is\n", who, v->name, value, e.msg);
		return true;
	}
	switch (res) {
	case ENV_MERGE_NEW:
		fprintf(stderr, "%s: %s=%s lacks the managed CAs: the command gets %s (its certificates and the managed CAs)\n",
			who, v->name, value, merged);
		snprintf(v->value, sizeof(v->value), "%s", merged);
		return false;
	case ENV_MERGE_UNREADABLE:
		fprintf(stderr, "%s: %s=%s is not a certificate file cainit can read: the command gets %s\n", who, v->name,
			value, v->value);
		return false;
	default:
		if (v->target != ENV_CA_FILE && v->target != ENV_BUNDLE)
			fprintf(stderr, "%s: %s is set by the caller; left as it is (--env-override replaces it)\n", who,
				v->name);
		return true;
	}
}
