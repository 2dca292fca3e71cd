/*
 * status_json.h: the `status --json` document, built once here so that
 * every front end that shows status (CLI, agent) shows the same one.
 */
#ifndef CAINIT_STATUS_JSON_H
#define CAINIT_STATUS_JSON_H

#include <jansson.h>

#include "trust.h"

/* A new JSON object for st (NULL on ENOMEM). */
json_t *status_to_json(const struct trust_status *st);

#endif
