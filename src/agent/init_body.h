/*
 * init_body.h: decoding the body of the agent's POST /init, envd's
 * {"caBundle": "PEM..."}, apart from HTTP so that a fuzzer (fuzz/) and the
 * agent run the very same code.
 */
#ifndef CAINIT_INIT_BODY_H
#define CAINIT_INIT_BODY_H

#include <jansson.h>
#include <stddef.h>

enum init_body {
	INIT_BODY_BUNDLE,      /* *pem, *pem_len: the caBundle string (inside *doc) */
	INIT_BODY_NOTHING,     /* no caBundle, null or "": nothing to change */
	INIT_BODY_BAD_JSON,    /* not JSON, or not an object: msg says which */
	INIT_BODY_BAD_REQUEST, /* caBundle is not a string */
};

/*
 * Decode len bytes of data. *doc is the parsed document (NULL on
 * INIT_BODY_BAD_JSON), which the caller frees with json_decref; *pem points
 * into it. Duplicate keys are refused. msg gets a one-line reason for the
 * two errors.
 */
enum init_body init_body_decode(const char *data, size_t len, json_t **doc, const char **pem,
				size_t *pem_len, char *msg, size_t msgsz);

#endif
