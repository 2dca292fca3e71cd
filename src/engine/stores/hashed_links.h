/*
 * hashed_links.h: the hashed room's planner (hashed_links.c), private to
 * the room.
 */
#ifndef CAINIT_HASHED_LINKS_H
#define CAINIT_HASHED_LINKS_H

#include "store.h"

/* Add to t what makes h hold exactly w's CAs for w->set, files and links. */
int hashed_plan_store(struct scan *s, struct hashed_store *h, struct want *w, struct txn *t, struct cerr *e);

#endif
