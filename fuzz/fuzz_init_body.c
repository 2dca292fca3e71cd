/*
 * fuzz_init_body.c: libFuzzer target for the agent's POST /init body
 * (init_body_decode, then the same input reader and CA checks the agent
 * runs on caBundle). Property: every body gets exactly one of the four
 * answers, errors with a one-line reason, and a caBundle is handed on with
 * its exact length (NUL bytes included, as JSON's \u0000 allows).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "cerr.h"
#include "init_body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *pem;
	size_t pem_len;
	json_t *doc;
	char msg[300] = "";
	struct cert_list l = {0};
	struct cerr e = {0};

	switch (init_body_decode((const char *)data, size, &doc, &pem, &pem_len, msg, sizeof(msg))) {
	case INIT_BODY_BAD_JSON:
		if (doc != NULL || msg[0] == '\0')
			abort();
		break;
	case INIT_BODY_BAD_REQUEST:
		if (doc == NULL || msg[0] == '\0')
			abort();
		break;
	case INIT_BODY_NOTHING:
		if (doc == NULL || pem != NULL)
			abort();
		break;
	case INIT_BODY_BUNDLE:
		if (doc == NULL || pem == NULL || pem_len == 0 ||
		    pem_len != json_string_length(json_object_get(doc, "caBundle")))
			abort();
		if (cert_list_parse((const unsigned char *)pem, pem_len, "caBundle", &l, &e) == 0)
			(void)cert_list_check(&l, 0, 1700000000, "caBundle", &e);
		else if (strchr(e.msg, '\n') != NULL)
			abort();
		cert_list_free(&l);
		break;
	default:
		abort();
	}
	if (strchr(msg, '\n') != NULL)
		abort();
	json_decref(doc);
	return 0;
}
