/*
 * txn.h: one trust-store change as a transaction over files.
 *
 * Phase 1 (prepare) writes every new file's bytes to a temp file beside it
 * (O_CREAT|O_EXCL|O_NOFOLLOW, mode and owner of the file it replaces), so
 * I/O errors such as ENOSPC, EROFS or EACCES surface before anything is
 * visible. Phase 2 (commit) swaps them into place (RENAME_EXCHANGE, so the
 * old inode survives until the end and a rollback restores it exactly; a
 * plain rename where the filesystem lacks it); a bundle that cannot be
 * renamed over (a bind-mounted file: EBUSY, or EXDEV) is rewritten in place,
 * never truncated to empty. A failure in phase 2 rolls back what was already
 * committed. Phase 3 (cleanup) renames and unlinks what the change retires.
 */
#ifndef CAINIT_TXN_H
#define CAINIT_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "cerr.h"
#include "rope.h"

/* What a write does when its file cannot be renamed over (a bind-mounted
 * file: EBUSY; another device: EXDEV). */
enum txn_fallback {
	TXN_FAIL,      /* the change fails (and is rolled back) */
	TXN_IN_PLACE,  /* rewrite it in place (a PEM bundle: bundle_pad_marker) */
	TXN_SKIP,      /* leave it as it is (skipped), the rest goes on */
};

enum txn_op_type {
	OP_WRITE,        /* replace or create a file */
	OP_LINK,         /* create a symlink (or re-point one atomically) */
	OP_RENAME,       /* cleanup: move an entry over another */
	OP_UNLINK,       /* cleanup: remove an entry */
};

struct txn_op {
	enum txn_op_type type;
	int dirfd;
	char *name, *display, *tmp;
	/* OP_WRITE */
	struct rope content;
	enum txn_fallback fallback;
	bool existed, inplace_done;
	bool skipped;        /* TXN_SKIP taken: the file is as it was */
	bool no_temp;        /* a writable file in a read-only directory: in place, no temp file */
	bool exchanged;      /* renameat2(RENAME_EXCHANGE): the old inode waits at tmp */
	bool new_attrs;      /* a new file with new_mode, new_uid, new_gid */
	mode_t new_mode;
	uid_t new_uid;
	gid_t new_gid;
	struct stat old_st;
	const char *old;
	size_t old_len;
	/* OP_LINK: target, and the target it replaces (NULL: a new name) */
	char *target, *old_target;
	/* OP_RENAME: name -> to */
	char *to;
	bool prepared, committed;
};

struct txn {
	struct txn_op *ops;
	size_t n, cap;
	char **kept;     /* buffers that must live as long as the txn */
	size_t nkept;
	bool restored;   /* after a failure: every file is back as it was */
};

void txn_init(struct txn *t);
void txn_free(struct txn *t);

/* Write content (ownership moves to the txn) to dirfd/name. old_st and old
 * describe the file it replaces (NULL: a new file); fallback says what
 * happens when rename is impossible (only for a file that exists). */
int txn_write(struct txn *t, int dirfd, const char *name, const char *display,
	      struct rope *content, const struct stat *old_st, const char *old,
	      size_t old_len, enum txn_fallback fallback);
/* Create dirfd/name (it must not exist) with mode and owner. */
int txn_create(struct txn *t, int dirfd, const char *name, const char *display, struct rope *content,
	       mode_t mode, uid_t uid, gid_t gid);
int txn_link(struct txn *t, int dirfd, const char *name, const char *display,
	     const char *target, const char *old_target);
int txn_rename(struct txn *t, int dirfd, const char *from, const char *to, const char *display);
int txn_unlink(struct txn *t, int dirfd, const char *name, const char *display);
/* Free buf with the txn (old contents that a rollback may need). */
int txn_keep(struct txn *t, char *buf);

/* Run the three phases; 0, or the error (every file as it was when the
 * failure is in phase 1 or 2). */
int txn_run(struct txn *t, struct cerr *e);

#endif
