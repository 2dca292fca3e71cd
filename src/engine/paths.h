/*
 * paths.h: where cainit keeps its own files in a root, what a set may be
 * called, and the sizes of the path strings the engine shows. Part of the engine's public face
 * (trust.h): front ends name these files in what they print.
 */
#ifndef CAINIT_PATHS_H
#define CAINIT_PATHS_H

#include <limits.h>
#include <stdbool.h>

/* A set's name: letters, digits, '-' and '_' (set_name_valid). */
#define SET_NAME_MAX 64

/* True for [A-Za-z0-9][A-Za-z0-9_-]{0,63} (bundle.c). */
bool set_name_valid(const char *name);

/* The largest bundle the engine reads or writes. */
#define BUNDLE_MAX (64 * 1024 * 1024)

#define SHOW_MAX (PATH_MAX + 64)
#define ENTRY_SHOW_MAX (SHOW_MAX + NAME_MAX + 2) /* a store path + "/" + a name */

#define CAINIT_DIR "/etc/cainit"
#define TXN_MARK "txn"  /* /etc/cainit/txn: present while a change is under way */
#define CA_FILE_NAME "ca.pem" /* /etc/cainit/ca.pem: the union of every set's CA-only file */
#define CA_FILE CAINIT_DIR "/" CA_FILE_NAME
#define ENV_FILE_NAME "env" /* /etc/cainit/env: the runtime variables, NAME=value */
#define ENV_FILE CAINIT_DIR "/" ENV_FILE_NAME
/* /etc/cainit/image-env.json: the Env a baked image's container gets (bake
 * --oci writes it; doctor's "image" start path reads it) */
#define IMAGE_ENV_FILE CAINIT_DIR "/image-env.json"
#define DIRS_RECORD_NAME "dirs" /* /etc/cainit/dirs: the directories cainit made */
#define NSS_RECORD_NAME "nss"   /* /etc/cainit/nss: the NSS databases it wrote */
#define PYENV_RECORD_NAME "python-envs" /* /etc/cainit/python-envs: the --python-env prefixes */
#define PROFILE_DIR "/etc/profile.d"
#define PROFILE_NAME "cainit.sh"
/* the systemd managers' drop-ins (stores/start_paths.c) */
#define SYSTEMD_SYSTEM_DROPIN "/etc/systemd/system.conf.d/cainit.conf"
#define SYSTEMD_USER_DROPIN "/etc/systemd/user.conf.d/cainit.conf"

/* Where a root with no store at all gets its bundle (and hashed dir). */
#define FALLBACK_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define FALLBACK_HASHED_DIR "/etc/ssl/certs"

/* cainit's own place for the CA-only file of each set. */
#define CAINIT_SET_DIR "/etc/cainit/sets"

#endif
