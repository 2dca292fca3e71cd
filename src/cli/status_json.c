/*
 * status_json.c: see status_json.h. The schema is documented in README.md
 * (section "status --json").
 */
#include "status_json.h"

#include <stdio.h>
#include <string.h>

static json_t *cert_json(const struct cert *c)
{
	char nb[21], na[21], hash[9];

	cert_format_time(c->not_before, nb);
	cert_format_time(c->not_after, na);
	snprintf(hash, sizeof(hash), "%08lx", c->subject_hash);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "sha256", c->fp, "subject", c->subject,
			 "subject_hash", hash, "not_before", nb, "not_after", na, "ca", c->is_ca);
}

static json_t *store_json(const struct status_store *s, bool per_set)
{
	json_t *o = json_pack("{s:s, s:s}", "kind", s->kind, "path", s->path);

	if (o == NULL)
		return NULL;
	if (s->layout)
		json_object_set_new(o, "layout", json_string(s->layout));
	if (!per_set) {
		if (s->why[0])
			json_object_set_new(o, "error", json_string(s->why));
		return o;
	}
	json_object_set_new(o, "present", json_boolean(s->present));
	if (s->verified >= 0)
		json_object_set_new(o, "verified", json_boolean(s->verified));
	if (s->verified == 0)
		json_object_set_new(o, "error", json_string(s->why));
	return o;
}

json_t *status_to_json(const struct trust_status *st)
{
	json_t *doc, *layouts, *stores, *sets;
	size_t i, k;

	doc = json_object();
	layouts = json_array();
	stores = json_array();
	sets = json_array();
	if (!doc || !layouts || !stores || !sets) {
		json_decref(doc);
		json_decref(layouts);
		json_decref(stores);
		json_decref(sets);
		return NULL;
	}
	json_object_set_new(doc, "root", json_string(st->root));
	json_object_set_new(doc, "layouts", layouts);
	json_object_set_new(doc, "fallback_bundle", json_boolean(st->fallback));
	{
		json_t *dirs = json_array();
		const char *p = st->made_dirs ? st->made_dirs : "";

		while (*p) {
			size_t n = strcspn(p, "\n");

			if (n > 0)
				json_array_append_new(dirs, json_stringn(p, n));
			p += n + (p[n] == '\n');
		}
		json_object_set_new(doc, "made_dirs", dirs);
	}
	json_object_set_new(doc, "interrupted_change", json_boolean(st->interrupted));
	json_object_set_new(doc, "stores", stores);
	json_object_set_new(doc, "sets", sets);
	for (i = 0; i < st->nlayouts; i++)
		json_array_append_new(layouts, json_string(st->layouts[i]));
	for (i = 0; i < st->nstores; i++)
		json_array_append_new(stores, store_json(&st->stores[i], false));
	for (i = 0; i < st->nsets; i++) {
		const struct status_set *ss = &st->sets[i];
		json_t *set = json_object(), *cas = json_array(), *sst = json_array();
		bool ok = ss->cas.n > 0;

		if (!set || !cas || !sst) {
			json_decref(set);
			json_decref(cas);
			json_decref(sst);
			json_decref(doc);
			return NULL;
		}
		for (k = 0; k < ss->cas.n; k++)
			json_array_append_new(cas, cert_json(&ss->cas.v[k]));
		for (k = 0; k < ss->nstores; k++) {
			json_array_append_new(sst, store_json(&ss->stores[k], true));
			ok = ok && ss->stores[k].present && ss->stores[k].verified != 0;
		}
		json_object_set_new(set, "name", json_string(ss->name));
		json_object_set_new(set, "ok", json_boolean(ok));
		json_object_set_new(set, "cas", cas);
		json_object_set_new(set, "stores", sst);
		json_array_append_new(sets, set);
	}
	return doc;
}
