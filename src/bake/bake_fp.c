/*
 * bake_fp.c: the fingerprint of a bake, so that a template cache keyed on
 * it is invalidated exactly when the base, the agent, the CAs, the run
 * arguments or --env-override change: the SHA-256 of a canonical JSON document of those.
 * For a root filesystem the base is the engine's hash of its tree
 * (trust_tree_hash), which leaves out what cainit writes, so baking the
 * same directory again gives the same fingerprint.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "bake.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "trust.h"

static int cmp_hex(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bake_fingerprint(const char *base_kind, const char *base, const char *agent_sha256,
		     const struct cert_list *cas, const char *set, char *const *run_args, size_t nrun, bool env_override,
		     char out[72], struct cerr *e)
{
	json_t *doc = json_object(), *jcas = json_array(), *jargs = json_array();
	const char **fps = NULL;
	size_t i, n = cas ? cas->n : 0;
	char hex[65], *text;

	if (n > 0 && (fps = malloc(n * sizeof(*fps))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		fps[i] = cas->v[i].fp_hex;
	if (n > 0)
		qsort(fps, n, sizeof(*fps), cmp_hex);
	if (doc == NULL || jcas == NULL || jargs == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		json_array_append_new(jcas, json_string(fps[i]));
	for (i = 0; i < nrun; i++)
		json_array_append_new(jargs, json_string(run_args[i]));
	json_object_set_new(doc, "schema", json_integer(1));
	json_object_set_new(doc, "base", json_pack("{s:s,s:s}", "kind", base_kind, "digest", base));
	json_object_set_new(doc, "agent_sha256", json_string(agent_sha256));
	json_object_set_new(doc, "agent_path", json_string(BAKE_AGENT_PATH));
	json_object_set(doc, "ca_sha256", jcas);
	json_object_set_new(doc, "ca_set", n > 0 ? json_string(set) : json_null());
	json_object_set(doc, "run_args", jargs);
	if (env_override) /* (absent otherwise: fingerprints of earlier bakes stay) */
		json_object_set_new(doc, "env_override", json_true());
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL)
		goto nomem;
	digest_sha256_hex(text, strlen(text), hex);
	snprintf(out, 72, "sha256:%s", hex);
	free(text);
	free(fps);
	json_decref(doc);
	json_decref(jcas);
	json_decref(jargs);
	return 0;
nomem:
	free(fps);
	json_decref(doc);
	json_decref(jcas);
	json_decref(jargs);
	return cerr_sys(e, "fingerprint", "json", ENOMEM);
}
