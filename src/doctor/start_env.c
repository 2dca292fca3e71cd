/*
 * start_env.c: see start_env.h.
 *
 * /etc/environment, as pam_env reads it: one NAME=VALUE per line, an
 * optional "export ", "#" comments, a value in matching quotes unquoted.
 * DefaultEnvironment=, as systemd reads it: the [Manager] assignments of
 * /etc/systemd/system.conf, then of the drop-ins in
 * /usr/lib/systemd/system.conf.d and /etc/systemd/system.conf.d in file
 * name order (an /etc file hides a /usr/lib one of the same name); each
 * assignment adds its space-separated, optionally quoted NAME=VALUE words,
 * a later one replacing an earlier one of the same name, an empty one
 * emptying the list.
 * The image's Env, as bake --oci recorded it (IMAGE_ENV_FILE): a JSON list
 * of "NAME=VALUE" strings, as a container runtime hands them to the
 * process it starts, a later NAME replacing an earlier one.
 */
#include "start_env.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust.h"

#define FILE_MAX (64 * 1024)
#define VARS_MAX START_ENV_MAX
#define DROPINS_MAX 64

struct vars {
	char *v[VARS_MAX + 1];
	size_t n;
	bool oom;
};

static bool valid_name(const char *s, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

/* NAME=VALUE (name n bytes), replacing one of the same name. */
static void set(struct vars *v, const char *name, size_t n, const char *value, size_t vlen)
{
	char *s = malloc(n + vlen + 2);
	size_t i;

	if (s == NULL) {
		v->oom = true;
		return;
	}
	memcpy(s, name, n);
	s[n] = '=';
	memcpy(s + n + 1, value, vlen);
	s[n + 1 + vlen] = '\0';
	for (i = 0; i < v->n; i++)
		if (strncmp(v->v[i], s, n + 1) == 0) {
			free(v->v[i]);
			v->v[i] = s;
			return;
		}
	if (v->n == VARS_MAX) {
		free(s);
		return;
	}
	v->v[v->n++] = s;
	v->v[v->n] = NULL;
}

static void clear(struct vars *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	v->n = 0;
	v->v[0] = NULL;
}

/* (FILE_MAX: see start_env.h; checked on the descriptor) */
char *start_env_read(const char *path, bool *over)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	char *buf = NULL;
	struct stat st;
	size_t n = 0;

	*over = false;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (buf = malloc(FILE_MAX + 2)) != NULL) {
		ssize_t k;

		while (n < FILE_MAX + 1 && ((k = read(fd, buf + n, FILE_MAX + 1 - n)) > 0 || (k < 0 && errno == EINTR)))
			n += k > 0 ? (size_t)k : 0;
		*over = n > FILE_MAX;
		buf[*over ? FILE_MAX : n] = '\0';
	}
	close(fd);
	return buf;
}

static bool exists(const char *path, bool dir)
{
	struct stat st;

	return stat(path, &st) == 0 && (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

static char **result(struct vars *v)
{
	char **out;

	if (v->oom || (out = calloc(v->n + 1, sizeof(*out))) == NULL) {
		clear(v);
		return NULL;
	}
	memcpy(out, v->v, v->n * sizeof(*out));
	return out;
}

char **start_env_from_pam_text(const char *text)
{
	struct vars v = {.n = 0};
	char *buf = strdup(text), *line, *save = NULL;

	if (buf == NULL)
		return NULL;
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *eq, *val;
		size_t vlen;

		while (*line == ' ' || *line == '\t')
			line++;
		if (strncmp(line, "export ", 7) == 0)
			line += 7;
		if (*line == '#' || (eq = strchr(line, '=')) == NULL || !valid_name(line, (size_t)(eq - line)))
			continue;
		val = eq + 1;
		vlen = strlen(val);
		while (vlen > 0 && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t' || val[vlen - 1] == '\r'))
			vlen--;
		if (vlen >= 2 && (val[0] == '"' || val[0] == '\'') && val[vlen - 1] == val[0]) {
			val++;
			vlen -= 2;
		}
		set(&v, line, (size_t)(eq - line), val, vlen);
	}
	free(buf);
	return result(&v);
}

char **start_env_pam(const char **why)
{
	char *buf, **env;
	bool over;

	if (!exists("/etc/pam.d", true)) {
		*why = "the root has no PAM (/etc/pam.d)";
		return NULL;
	}
	buf = start_env_read("/etc/environment", &over); /* (none: an empty environment) */
	env = start_env_from_pam_text(buf ? buf : "");
	free(buf);
	if (env == NULL)
		*why = "out of memory";
	return env;
}

/* The words of one DefaultEnvironment= value. */
static void assign(struct vars *v, const char *s)
{
	char word[4096];

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0') {
		clear(v);
		return;
	}
	while (*s != '\0') {
		size_t n = 0;
		char q = 0, *eq;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		for (; *s != '\0' && (q || (*s != ' ' && *s != '\t')); s++) {
			if (!q && (*s == '"' || *s == '\'')) {
				q = *s;
				continue;
			}
			if (q && *s == q) {
				q = 0;
				continue;
			}
			if (q && *s == '\\' && s[1] != '\0')
				s++;
			if (n < sizeof(word) - 1)
				word[n++] = *s;
		}
		word[n] = '\0';
		if ((eq = strchr(word, '=')) != NULL && valid_name(word, (size_t)(eq - word)))
			set(v, word, (size_t)(eq - word), eq + 1, strlen(eq + 1));
	}
}

/* The [Manager] DefaultEnvironment= lines of one file's text. */
static void read_conf(struct vars *v, const char *text)
{
	char *buf = strdup(text), *line, *save = NULL;
	bool manager = false;

	if (buf == NULL) {
		v->oom = true;
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '[')
			manager = strncmp(line, "[Manager]", 9) == 0;
		else if (manager && strncmp(line, "DefaultEnvironment=", 19) == 0)
			assign(v, line + 19);
	}
	free(buf);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(strrchr(*(char *const *)a, '/') + 1, strrchr(*(char *const *)b, '/') + 1);
}

char **start_env_from_systemd_texts(const char *const *texts, size_t n)
{
	struct vars v = {.n = 0};

	for (size_t i = 0; i < n; i++)
		read_conf(&v, texts[i]);
	return result(&v);
}

char **start_env_systemd(const char **why)
{
	static const char *const dirs[] = {"/usr/lib/systemd/system.conf.d", "/etc/systemd/system.conf.d"};
	char *files[DROPINS_MAX + 1], *texts[DROPINS_MAX + 1], **env;
	size_t n = 0, nt = 0;
	bool over; /* (a longer file is read as far as FILE_MAX) */

	if (!exists("/usr/lib/systemd/systemd", false) && !exists("/lib/systemd/systemd", false)) {
		*why = "the root has no systemd";
		return NULL;
	}
	for (size_t d = 0; d < 2; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *de;

		while (dir != NULL && (de = readdir(dir)) != NULL && n < DROPINS_MAX) {
			size_t len = strlen(de->d_name);
			char *path;

			if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
				continue;
			for (size_t k = 0; k < n; k++)
				if (strcmp(strrchr(files[k], '/') + 1, de->d_name) == 0) {
					free(files[k]); /* /etc's hides /usr/lib's */
					files[k] = files[--n];
					break;
				}
			if (asprintf(&path, "%s/%s", dirs[d], de->d_name) >= 0)
				files[n++] = path;
		}
		if (dir != NULL)
			closedir(dir);
	}
	qsort(files, n, sizeof(files[0]), by_name);
	/* the main file first, then the drop-ins in name order */
	if ((texts[nt] = start_env_read("/etc/systemd/system.conf", &over)) != NULL)
		nt++;
	for (size_t k = 0; k < n; k++) {
		if ((texts[nt] = start_env_read(files[k], &over)) != NULL)
			nt++;
		free(files[k]);
	}
	env = start_env_from_systemd_texts((const char *const *)texts, nt);
	for (size_t k = 0; k < nt; k++)
		free(texts[k]);
	if (env == NULL)
		*why = "out of memory";
	return env;
}

void start_env_free(char **env)
{
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

char **start_env_from_image_text(const char *text, size_t len)
{
	struct vars v = {.n = 0};
	json_t *list = json_loadb(text, len, 0, NULL), *item;
	size_t i;

	if (!json_is_array(list)) {
		json_decref(list);
		return NULL;
	}
	json_array_foreach(list, i, item) {
		const char *kv = json_string_value(item), *eq = kv != NULL ? strchr(kv, '=') : NULL;

		/* (a value with a newline is left out, as the other readers do) */
		if (eq != NULL && valid_name(kv, (size_t)(eq - kv)) && strchr(eq + 1, '\n') == NULL)
			set(&v, kv, (size_t)(eq - kv), eq + 1, strlen(eq + 1));
	}
	json_decref(list);
	return result(&v);
}

char **start_env_image(const char **why)
{
	bool over;
	char *buf = start_env_read(IMAGE_ENV_FILE, &over), **env;

	if (buf == NULL) {
		*why = "no image Env recorded (cainit bake --oci records it in " IMAGE_ENV_FILE ")";
		return NULL;
	}
	if (over) { /* a cut list would not be the one recorded */
		free(buf);
		*why = IMAGE_ENV_FILE ": larger than 64 KiB";
		return NULL;
	}
	env = start_env_from_image_text(buf, strlen(buf));
	free(buf);
	if (env == NULL)
		*why = IMAGE_ENV_FILE ": not a JSON list of strings";
	return env;
}
