/*
 * env.c: which runtime variable points where (docs/env.md has the table
 * and its sources), and the shell form /etc/profile.d/cainit.sh holds.
 */
#include "env.h"

#include <stdio.h>
#include <string.h>

#include "layout.h"
#include "scan.h"

static const struct {
	const char *name;
	enum env_target target;
	const char *value; /* ENV_CONST: the value itself */
} vars[] = {
	{"NODE_EXTRA_CA_CERTS", ENV_CA_FILE, NULL},
	{"DENO_CERT", ENV_CA_FILE, NULL},
	{"SSL_CERT_FILE", ENV_BUNDLE, NULL},
	{"SSL_CERT_DIR", ENV_HASHED_DIR, NULL},
	{"REQUESTS_CA_BUNDLE", ENV_BUNDLE, NULL},
	{"CURL_CA_BUNDLE", ENV_BUNDLE, NULL},
	{"GIT_SSL_CAINFO", ENV_BUNDLE, NULL},
	{"CARGO_HTTP_CAINFO", ENV_BUNDLE, NULL},
	{"AWS_CA_BUNDLE", ENV_BUNDLE, NULL},
	{"PIP_CERT", ENV_BUNDLE, NULL},
	{"PERL_LWP_SSL_CA_FILE", ENV_BUNDLE, NULL},
	{"HTTPS_CA_FILE", ENV_BUNDLE, NULL},
	{"HTTPLIB2_CA_CERTS", ENV_BUNDLE, NULL},
	{"GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", ENV_BUNDLE, NULL},
	{"NPM_CONFIG_CAFILE", ENV_BUNDLE, NULL},
	{"npm_config_cafile", ENV_BUNDLE, NULL},
	{"BUNDLE_SSL_CA_CERT", ENV_BUNDLE, NULL},
	{"NODE_USE_SYSTEM_CA", ENV_CONST, "1"},
	{"UV_NATIVE_TLS", ENV_CONST, "1"},
	{"UV_SYSTEM_CERTS", ENV_CONST, "1"},
	{"DENO_TLS_CA_STORE", ENV_CONST, "system,mozilla"},
};

_Static_assert(sizeof(vars) / sizeof(vars[0]) <= ENV_VARS_MAX, "ENV_VARS_MAX too small");

/* Where each target is in this root, "" when it has none. */
static void targets(const struct scan *s, unsigned flags, const char *paths[ENV_CONST])
{
	size_t i;

	paths[ENV_CA_FILE] = (s->ca_file.exists || (flags & ENV_PLANNED)) ? CA_FILE : "";
	paths[ENV_BUNDLE] = "";
	for (i = 0; i < s->nbundles && !*paths[ENV_BUNDLE]; i++)
		if (s->bundles[i].exists || (flags & ENV_PLANNED))
			paths[ENV_BUNDLE] = s->bundles[i].p.canon;
	paths[ENV_HASHED_DIR] = s->nhashed > 0 ? s->hashed[0].p.canon : "";
	if (!*paths[ENV_HASHED_DIR] && s->fallback && (flags & ENV_PLANNED))
		paths[ENV_HASHED_DIR] = FALLBACK_HASHED_DIR;
}

size_t env_from_scan(const struct scan *s, unsigned flags, struct env_var *out)
{
	const char *paths[ENV_CONST];
	size_t i, n = 0;

	targets(s, flags, paths);
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		/* a constant goes with the CA file: where there is nothing to
		 * trust, nothing is switched on */
		const char *p = vars[i].target == ENV_CONST ? (*paths[ENV_CA_FILE] ? vars[i].value : "")
							    : paths[vars[i].target];

		if (*p == '\0' || strchr(p, '\n') != NULL || strlen(p) >= sizeof(out[n].value))
			continue; /* (a newline cannot go in a NAME=value line) */
		out[n].name = vars[i].name;
		out[n].target = vars[i].target;
		snprintf(out[n].value, sizeof(out[n].value), "%s", p);
		n++;
	}
	return n;
}

size_t env_file_names(const char **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]) && n < max; i++)
		if (vars[i].target == ENV_CA_FILE || vars[i].target == ENV_BUNDLE)
			out[n++] = vars[i].name;
	return n;
}

/* value in single quotes, each ' as '\'' */
static int quote(struct rope *out, const char *v)
{
	const char *q;

	if (rope_copy(out, "'", 1) < 0)
		return -1;
	while ((q = strchr(v, '\'')) != NULL) {
		if (rope_copy(out, v, (size_t)(q - v)) < 0 || rope_copy(out, "'\\''", 4) < 0)
			return -1;
		v = q + 1;
	}
	return rope_copy(out, v, strlen(v)) < 0 || rope_copy(out, "'", 1) < 0 ? -1 : 0;
}

int env_render_sh(const struct env_var *v, size_t n, bool keep_set, struct rope *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (keep_set && rope_printf(out, "[ -n \"${%s+x}\" ] || ", v[i].name) < 0)
			return -1;
		if (rope_printf(out, "export %s=", v[i].name) < 0 || quote(out, v[i].value) < 0 ||
		    rope_copy(out, "\n", 1) < 0)
			return -1;
	}
	return 0;
}

int env_render_dotenv(const struct env_var *v, size_t n, struct rope *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rope_printf(out, "%s=%s\n", v[i].name, v[i].value) < 0)
			return -1;
	return 0;
}

size_t env_parse_dotenv(const char *buf, size_t len, struct env_var *out)
{
	const char *p = buf, *end = buf + len;
	size_t n = 0, i;

	while (p < end && n < ENV_VARS_MAX) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eq;
		size_t line = (size_t)((nl ? nl : end) - p);

		eq = memchr(p, '=', line);
		for (i = 0; eq != NULL && i < sizeof(vars) / sizeof(vars[0]); i++) {
			size_t vlen = line - (size_t)(eq - p) - 1;

			if (strlen(vars[i].name) != (size_t)(eq - p) || memcmp(p, vars[i].name, (size_t)(eq - p)) != 0 ||
			    vlen == 0 || vlen >= sizeof(out[n].value))
				continue;
			out[n].name = vars[i].name; /* only names cainit sets */
			out[n].target = vars[i].target;
			memcpy(out[n].value, eq + 1, vlen);
			out[n].value[vlen] = '\0';
			n++;
			break;
		}
		p += line + 1;
	}
	return n;
}
