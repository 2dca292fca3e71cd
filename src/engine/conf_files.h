/*
 * conf_files.h: what the rooms that put cainit's block into someone
 * else's configuration files share (npmrc, .condarc, ~/.bunfig.toml,
 * /etc/pip.conf, sitecustomize.py): the list of files, each read once
 * through the confined resolver with why it must be left alone, the loop
 * that plans them, and the path a file must name (a runtime variable's).
 * What goes into a file, and where, is each room's own.
 */
#ifndef CAINIT_CONF_FILES_H
#define CAINIT_CONF_FILES_H

#include "plan.h"
#include "scan.h"

/* Read path (a missing file is fine) into a new entry of l, unless l holds
 * max files already or a link to one kept; why says when it cannot be
 * read. The new entry, or NULL (not added). */
struct conf_file *conf_files_add(struct scan *s, struct conf_files *l, const char *path, size_t max);

/* A room's plan for one file. */
typedef int (*conf_plan_fn)(struct scan *s, struct conf_file *f, struct want *w, struct txn *t, struct cerr *e);

/* Each file: left as it is with its why (a warning when installing),
 * nothing to do once no set is left and the file is not there; else fn. */
int conf_files_plan(struct scan *s, struct conf_files *l, struct want *w, struct txn *t, conf_plan_fn fn,
		    struct cerr *e);

/* fn's usual end: cainit's block of f holds lines (NULL: no block), a new
 * one going at offset at (SIZE_MAX: the end). */
int conf_file_block(struct txn *t, struct want *w, struct conf_file *f, const char *what, const char *lines,
		    size_t at, struct cerr *e);

/* The value the planned variables give var (SSL_CERT_FILE and the like:
 * the root's full bundle), when it is an absolute path with none of the
 * bytes in forbid (which the file's syntax would need escaped). */
bool conf_var_path(struct scan *s, const char *var, const char *forbid, char *out, size_t n);

/* Is path a regular file of the root (symlinks followed inside it)? canon
 * (PATH_MAX bytes, may be NULL) gets its real path: where a program is,
 * for the rooms that look for one (node, bun). */
bool conf_is_file(struct scan *s, const char *path, char *canon);

/* A killed run's temp file beside each file. */
void conf_files_clean(struct conf_files *l);
void conf_files_free(struct conf_files *l);

#endif
