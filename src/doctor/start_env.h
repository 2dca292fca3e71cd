/*
 * start_env.h: the environments of the start paths that a file in the root
 * sets, read the way their readers read them: pam_env's /etc/environment
 * (a PAM session: su, ssh, login, cron), systemd's DefaultEnvironment=
 * (every service of the system manager), and the image's Env that cainit
 * bake --oci recorded (a container's processes). Called where the root is /
 * (in doctor's sandbox, or inside the root itself).
 */
#ifndef CAINIT_START_ENV_H
#define CAINIT_START_ENV_H

#include <stdbool.h>
#include <stddef.h>

/* A NULL-terminated "NAME=VALUE" array (start_env_free), or NULL when the
 * root has no such start path (no /etc/pam.d; no systemd) or memory ran
 * out (*why says which). */
char **start_env_pam(const char **why);
char **start_env_systemd(const char **why);
char **start_env_image(const char **why);
void start_env_free(char **env);

/* A small file of the root: its first 64 KiB, NUL-terminated, or NULL when
 * it is not a regular file (opened without blocking: a FIFO a root put
 * there does not hang doctor). *over: it held more. */
char *start_env_read(const char *path, bool *over);

/* The same from the files' text (untrusted: a tenant's; fuzz_start_env):
 * a /etc/environment, or systemd's configuration files in the order they
 * are read. NULL only when memory ran out. At most START_ENV_MAX
 * variables, each "NAME=VALUE" with NAME [A-Za-z_][A-Za-z0-9_]*, no name
 * twice, no newline in a value. */
#define START_ENV_MAX 256
char **start_env_from_pam_text(const char *text);
char **start_env_from_systemd_texts(const char *const *texts, size_t n);
/* The image's recorded Env (len bytes of JSON): the same rules; NULL also
 * when the text is not a JSON list. */
char **start_env_from_image_text(const char *text, size_t len);

#endif
