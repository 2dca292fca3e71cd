/*
 * init_body.c: the body of POST /init. Unknown fields are ignored, a
 * missing, null or empty caBundle asks for nothing, and anything that is
 * not a JSON object with a string caBundle is refused with a reason. No
 * I/O: the agent (agent_http.c) and the fuzz target call it alike.
 */
#include <stdio.h>

#include "init_body.h"

/* jansson quotes the body near a syntax error: keep the reason on one
 * line and free of control bytes, for the answer and the agent's log */
static void one_line(char *msg)
{
	for (; *msg; msg++)
		if ((unsigned char)*msg < 0x20 || *msg == 0x7f)
			*msg = '?';
}

enum init_body init_body_decode(const char *data, size_t len, json_t **doc, const char **pem,
				size_t *pem_len, char *msg, size_t msgsz)
{
	json_error_t jerr;
	json_t *bundle;

	*pem = NULL;
	*pem_len = 0;
	*doc = json_loadb(data ? data : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (*doc == NULL) {
		snprintf(msg, msgsz, "body is not JSON: %s", jerr.text);
		one_line(msg);
		return INIT_BODY_BAD_JSON;
	}
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		*doc = NULL;
		snprintf(msg, msgsz, "body is not a JSON object");
		return INIT_BODY_BAD_JSON;
	}
	bundle = json_object_get(*doc, "caBundle");
	if (bundle == NULL || json_is_null(bundle) || (json_is_string(bundle) && json_string_length(bundle) == 0))
		return INIT_BODY_NOTHING;
	if (!json_is_string(bundle)) {
		snprintf(msg, msgsz, "caBundle must be a string holding PEM certificates");
		return INIT_BODY_BAD_REQUEST;
	}
	*pem = json_string_value(bundle);
	*pem_len = json_string_length(bundle);
	return INIT_BODY_BUNDLE;
}
