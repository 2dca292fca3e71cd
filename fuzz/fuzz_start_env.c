/*
 * fuzz_start_env.c: libFuzzer target for doctor's readers of the start
 * paths a tenant's root configures (start_env.h): /etc/environment as
 * pam_env reads it, systemd's DefaultEnvironment= across its files, the
 * image's Env that bake recorded (JSON). The first byte picks the reader;
 * for systemd, NUL bytes separate the files.
 * Properties: every variable is NAME=VALUE with a valid name, no name
 * appears twice, there are at most START_ENV_MAX, no value holds a
 * newline; a pam value is a piece of its input; reading twice gives the
 * same; an image list's result holds exactly its valid entries' last
 * values; and for systemd, a file holding just "[Manager]\nDefaultEnvironment="
 * read last empties the list.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "start_env.h"

#define FILES_MAX 8

static void check(char **env, const char *whole)
{
	size_t n = 0;

	if (env == NULL)
		abort(); /* (only out of memory may give NULL) */
	for (; env[n] != NULL; n++) {
		const char *eq = strchr(env[n], '=');
		size_t k = eq ? (size_t)(eq - env[n]) : 0;

		if (eq == NULL || k == 0 || !(isalpha((unsigned char)env[n][0]) || env[n][0] == '_'))
			abort();
		for (size_t i = 1; i < k; i++)
			if (!(isalnum((unsigned char)env[n][i]) || env[n][i] == '_'))
				abort();
		if (strchr(eq + 1, '\n') != NULL)
			abort();
		if (whole != NULL && strstr(whole, eq + 1) == NULL)
			abort();
		for (size_t j = 0; j < n; j++)
			if (strncmp(env[j], env[n], k + 1) == 0)
				abort();
	}
	if (n > START_ENV_MAX)
		abort();
}

static void same(char **a, char **b)
{
	size_t i = 0;

	for (; a[i] != NULL && b[i] != NULL; i++)
		if (strcmp(a[i], b[i]) != 0)
			abort();
	if (a[i] != NULL || b[i] != NULL)
		abort();
}

/* Every valid entry of the list is in env with its last value, and env
 * holds nothing else (the list parsed again, independently). */
static void image_last(char **env, const char *data, size_t len)
{
	json_t *list = json_loadb(data, len, 0, NULL), *item;
	size_t i, n = 0, want = 0;
	bool missing = false;

	for (; env[n] != NULL; n++)
		;
	json_array_foreach(list, i, item) {
		const char *kv = json_string_value(item), *eq = kv ? strchr(kv, '=') : NULL;
		size_t k = eq ? (size_t)(eq - kv) : 0, j, later;
		bool valid = eq != NULL && k > 0 && (isalpha((unsigned char)kv[0]) || kv[0] == '_') &&
			     strchr(eq + 1, '\n') == NULL;

		for (j = 1; valid && j < k; j++)
			valid = isalnum((unsigned char)kv[j]) || kv[j] == '_';
		if (!valid)
			continue;
		/* the last valid entry of this name is the one env must hold */
		for (later = i + 1; later < json_array_size(list); later++) {
			const char *o = json_string_value(json_array_get(list, later)), *oeq = o ? strchr(o, '=') : NULL;

			if (oeq != NULL && (size_t)(oeq - o) == k && strncmp(o, kv, k) == 0 && strchr(oeq + 1, '\n') == NULL)
				break;
		}
		if (later < json_array_size(list))
			continue;
		want++;
		for (j = 0; j < n && strcmp(env[j], kv) != 0; j++)
			;
		missing |= j == n;
	}
	/* (past START_ENV_MAX names the later ones are dropped: only the count) */
	if (want <= START_ENV_MAX ? missing || n != want : n != START_ENV_MAX)
		abort();
	json_decref(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *texts[FILES_MAX + 1], **a, **b;
	size_t n = 0;

	if (size == 0)
		return 0;
	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] % 3 == 2) {
		a = start_env_from_image_text((const char *)data + 1, size - 1);
		b = start_env_from_image_text((const char *)data + 1, size - 1);
		if (a == NULL || b == NULL) { /* not a JSON list (or no memory): both */
			if (a != b)
				abort();
			free(text);
			return 0;
		}
		check(a, NULL);
		image_last(a, (const char *)data + 1, size - 1);
	} else if (data[0] & 1) {
		a = start_env_from_pam_text(text);
		b = start_env_from_pam_text(text);
		check(a, text);
	} else {
		/* the NULs of the input end each file's text */
		for (char *p = text; n < FILES_MAX && p < text + size - 1; p += strlen(p) + 1)
			texts[n++] = p;
		a = start_env_from_systemd_texts((const char *const *)texts, n);
		b = start_env_from_systemd_texts((const char *const *)texts, n);
		check(a, NULL);
		if (n < FILES_MAX) {
			char **c;

			texts[n] = "[Manager]\nDefaultEnvironment=\n";
			c = start_env_from_systemd_texts((const char *const *)texts, n + 1);
			if (c == NULL || c[0] != NULL)
				abort();
			start_env_free(c);
		}
	}
	same(a, b);
	start_env_free(a);
	start_env_free(b);
	free(text);
	return 0;
}
