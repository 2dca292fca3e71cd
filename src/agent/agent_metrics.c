/*
 * agent_metrics.c: the agent's counters, rendered in the Prometheus text
 * exposition format for GET /metrics.
 */
#include <stdio.h>
#include <string.h>

#include "agent_internal.h"

/* upper bounds of the install-duration buckets, in seconds */
static const double bounds[HIST_BUCKETS] = {
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0,
};

void metrics_failure(struct metrics *m, const char *reason)
{
	size_t i;

	if (reason == NULL)
		reason = "io";
	for (i = 0; i < m->nfailures; i++)
		if (strcmp(m->failures[i].reason, reason) == 0) {
			m->failures[i].n++;
			return;
		}
	if (m->nfailures < sizeof(m->failures) / sizeof(m->failures[0])) {
		m->failures[m->nfailures].reason = reason; /* reasons are static strings */
		m->failures[m->nfailures++].n = 1;
	}
}

void metrics_duration(struct metrics *m, long long us)
{
	double s = (double)us / 1e6;
	size_t i;

	for (i = 0; i < HIST_BUCKETS && s > bounds[i]; i++)
		;
	m->hist[i]++;
	m->hist_sum += s;
	m->hist_count++;
}

void metrics_response(struct metrics *m, int status)
{
	size_t i;

	for (i = 0; i < m->nresponses; i++)
		if (m->responses[i].status == status) {
			m->responses[i].n++;
			return;
		}
	if (m->nresponses < sizeof(m->responses) / sizeof(m->responses[0])) {
		m->responses[m->nresponses].status = status;
		m->responses[m->nresponses++].n = 1;
	}
}

/* A label value with '\' and '"' escaped (subjects are ASCII already). */
static void label(struct evbuffer *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add(out, "\\", 1);
		evbuffer_add(out, s, 1);
	}
}

void metrics_render(const struct agent *a, struct evbuffer *out)
{
	const struct metrics *m = &a->m;
	unsigned long long cum = 0;
	size_t i, k;

	evbuffer_add_printf(out,
			    "# HELP cainit_installs_total Installs that changed the trust stores.\n"
			    "# TYPE cainit_installs_total counter\n"
			    "cainit_installs_total %llu\n"
			    "# HELP cainit_installs_unchanged_total Installs of CAs already trusted (no write).\n"
			    "# TYPE cainit_installs_unchanged_total counter\n"
			    "cainit_installs_unchanged_total %llu\n"
			    "# HELP cainit_removes_total Sets removed.\n"
			    "# TYPE cainit_removes_total counter\n"
			    "cainit_removes_total %llu\n"
			    "# HELP cainit_failures_total Refused or failed changes, by reason.\n"
			    "# TYPE cainit_failures_total counter\n",
			    m->installs, m->unchanged, m->removes);
	for (i = 0; i < m->nfailures; i++)
		evbuffer_add_printf(out, "cainit_failures_total{reason=\"%s\"} %llu\n", m->failures[i].reason,
				    m->failures[i].n);
	evbuffer_add_printf(out, "# HELP cainit_install_duration_seconds Time the engine took per install or remove.\n"
				 "# TYPE cainit_install_duration_seconds histogram\n");
	for (i = 0; i < HIST_BUCKETS; i++) {
		cum += m->hist[i];
		evbuffer_add_printf(out, "cainit_install_duration_seconds_bucket{le=\"%g\"} %llu\n", bounds[i], cum);
	}
	evbuffer_add_printf(out,
			    "cainit_install_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
			    "cainit_install_duration_seconds_sum %.9f\n"
			    "cainit_install_duration_seconds_count %llu\n"
			    "# HELP cainit_http_responses_total Responses sent, by status.\n"
			    "# TYPE cainit_http_responses_total counter\n",
			    m->hist_count, m->hist_sum, m->hist_count);
	for (i = 0; i < m->nresponses; i++)
		evbuffer_add_printf(out, "cainit_http_responses_total{code=\"%d\"} %llu\n", m->responses[i].status,
				    m->responses[i].n);
	evbuffer_add_printf(out, "# HELP cainit_connections_shed_total Connections closed to make room for a new one.\n"
				 "# TYPE cainit_connections_shed_total counter\n"
				 "cainit_connections_shed_total %llu\n", m->shed);
	evbuffer_add_printf(out, "# HELP cainit_connections Connections open now.\n"
				 "# TYPE cainit_connections gauge\n"
				 "cainit_connections %zu\n"
				 "# HELP cainit_ca_info The CAs installed, one series per set and CA.\n"
				 "# TYPE cainit_ca_info gauge\n",
			    a->nconns);
	for (i = 0; i < a->nmemos; i++)
		for (k = 0; k < a->memos[i].cas.n; k++) {
			const struct cert *c = &a->memos[i].cas.v[k];
			char na[21];

			cert_format_time(c->not_after, na);
			evbuffer_add_printf(out, "cainit_ca_info{set=\"%s\",sha256=\"%s\",not_after=\"%s\",subject=\"",
					    a->memos[i].name, c->fp, na);
			label(out, c->subject);
			evbuffer_add_printf(out, "\"} 1\n");
		}
}
