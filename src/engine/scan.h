/*
 * scan.h: what trust stores a root has, read once per operation.
 *
 * Layouts are detected from files under the root: a layout is present when
 * its real bundle exists there (and is not one cainit created) or its anchor
 * directory does. Bundles are every known bundle path that resolves, inside
 * the root, to a regular file, each real file once. A root with no bundle at
 * all gets cainit's own at FALLBACK_BUNDLE.
 *
 * The scan is the engine's view of a root for one operation: each kind of
 * store (a row of store_table, see store.h) finds its stores and keeps them
 * in its part of struct scan; the core here detects the layouts, opens
 * cainit's own directory and its change mark, and decides how deep to look.
 *
 * Every CA cainit manages is named by a self-describing record (a marked
 * block in a bundle, its set's anchor file or CA-only file), so an install
 * finds its old files by name and never lists a directory. Only a "deep"
 * scan lists directories: for remove, for status, and when /etc/cainit/txn
 * says a previous change was interrupted, so that its leftovers get swept.
 */
#ifndef CAINIT_SCAN_H
#define CAINIT_SCAN_H

#include <limits.h>
#include <stdbool.h>

#include "bundle.h"
#include "cerr.h"
#include "keystore.h"
#include "layout.h"
#include "nss_sdb.h"
#include "paths.h"
#include "rootfs.h"


struct bundle_store {
	struct rpath p;
	char show[SHOW_MAX];
	char *buf;
	size_t len;
	struct bundle_view view;
	bool exists;          /* false: cainit will create it (no store at all) */
	X509_STORE *x509;     /* its certificates for verification (status, verify) */
};

/* An OpenSSL hash entry "HHHHHHHH.N" in a hashed directory. */
struct hash_link {
	unsigned long hash;
	unsigned idx;
	char name[24];
	bool is_link;
	bool target_read;
	char *target;         /* readlink, read on demand */
};

/* A file cainit owns: "cainit.SET.HASH8.SLOT.pem" (hashed dir; before
 * that, "cainit.SET.FP16.HASH8.pem"), "cainit.SET.crt" (anchor dir),
 * "SET.pem" (set dir), or the "cainit.SET.pem" link update-ca-certificates
 * makes from an anchor. */
struct owned_file {
	char set[SET_NAME_MAX + 1];
	char name[NAME_MAX + 1];
	char fp16[17];          /* legacy names */
	unsigned long hash;
	unsigned slot;          /* slot names */
	bool legacy;
};

struct hashed_store {
	struct rpath p;
	char show[SHOW_MAX];
	bool exists;
	struct hash_link *links;
	size_t nlinks;
	struct owned_file *cas;     /* cainit.SET.FP16.HASH8.pem */
	size_t ncas;
	struct owned_file *derived; /* cainit.SET.pem symlinks */
	size_t nderived;
	unsigned long *probed;      /* hashes whose entries are in links */
	size_t nprobed;
};

/* One of cainit's own files, as read during the scan. */
struct owned_read {
	bool exists;
	struct stat st;
	char *buf;
	size_t len;
};

/* Someone else's configuration file that a room puts cainit's block into
 * (conf_files.h): read once by the scan. */
struct conf_file {
	struct rpath p;
	char show[SHOW_MAX];
	struct owned_read cur;
	uid_t uid;     /* a file cainit creates belongs to uid:gid ((uid_t)-1: to cainit) */
	gid_t gid;
	char why[200]; /* left as it is: why ("": planned) */
};

struct conf_files {
	struct conf_file *v;
	size_t n;
};

struct anchor_store {
	struct rpath p;
	char show[SHOW_MAX];
	const struct layout *layout;
	bool exists;
	struct owned_file *files;   /* cainit.SET.crt (deep scans) */
	size_t nfiles;
	struct owned_read mine;     /* cainit.SET.crt of the operation's set */
};

/* A Java keystore (`cacerts`), each real file once. One that does not
 * parse is kept here (bad, with why) so that status can show it; it is
 * never written. */
struct keystore_store {
	struct rpath p;
	char show[SHOW_MAX];
	char *buf;
	size_t len;
	struct keystore ks;
	X509_STORE *x509;     /* its anchors for verification (status), once checked */
	bool bad;
	char why[KEYSTORE_WHY_MAX];
};

/* An NSS database directory (nss.c). */
struct nss_store {
	struct rpath dir;
	char show[SHOW_MAX];
	bool recorded;          /* named in /etc/cainit/nss */
	bool discovered;        /* found (or to be made) by --nss */
	bool create;            /* no database there yet: this change makes it (--nss-user) */
	uid_t uid;              /* the owner of a database it makes */
	gid_t gid;
	bool bad;               /* cannot be read or edited: left as it is */
	char why[NSS_WHY_MAX];
	char *cert_buf, *key_buf; /* the files as read (key4.db may be missing) */
	size_t cert_len, key_len;
	struct stat cert_st, key_st;
	struct nss_sdb db;
	bool loaded;            /* db holds the database */
};

/* A CA that some record of its set names. */
struct known_ca {
	char set[SET_NAME_MAX + 1];
	unsigned char sha256[32];
	unsigned long hash;
	bool has_hash;
};

struct start_paths;
struct merged;

struct scan {
	struct rootfs *r;
	const char *set;             /* the set this operation is about (NULL: all) */
	bool deep;                   /* directories listed, leftovers swept */
	bool interrupted;            /* /etc/cainit/txn: a change did not finish */
	struct rpath cainit_dir;     /* /etc/cainit */
	bool cainit_dir_exists;
	struct owned_read set_file;  /* SET.pem of the operation's set */
	struct owned_read ca_file;   /* /etc/cainit/ca.pem: every set's CAs */
	struct owned_read env_file;  /* /etc/cainit/env: the runtime variables */
	struct rpath profiled;       /* /etc/profile.d (cainit never creates it) */
	struct owned_read profile;   /* /etc/profile.d/cainit.sh */
	struct known_ca *known;
	size_t nknown;
	const struct layout *layouts[8];
	size_t nlayouts;
	bool layouts_known;          /* scan_layouts ran */
	struct bundle_store *bundles;
	size_t nbundles;
	struct bundle_store *pybundles; /* stores/python.c: certifi's and the like */
	size_t npybundles;
	char (*pystdlibs)[PATH_MAX];   /* stores/python.c: each Python's lib/pythonX.Y (os.py there) */
	size_t npystdlibs;
	char (*pyenvs)[PATH_MAX];      /* stores/python.c: the prefixes to record (given and recorded) */
	size_t npyenvs;
	char (*condaprefixes)[PATH_MAX]; /* stores/python.c: prefixes with conda-meta/ */
	size_t ncondaprefixes;
	struct owned_read pyenv_record; /* /etc/cainit/python-envs (python_site.c writes it) */
	struct conf_files python_site;  /* stores/python_site.c: the sitecustomize files */
	struct conf_files pip_conf;     /* stores/pip_conf.c: /etc/pip.conf */
	struct conf_files npm_conf;     /* stores/npm_conf.c: the npmrc files */
	struct conf_files conda_rc;     /* stores/conda_rc.c: the .condarc files */
	struct conf_files bunfig;       /* stores/bunfig.c: the ~/.bunfig.toml files */
	struct anchor_store *anchors;
	size_t nanchors;
	struct hashed_store *hashed;
	size_t nhashed;
	struct rpath setdir;
	char setdir_show[SHOW_MAX];
	bool setdir_exists;
	struct owned_file *setfiles; /* SET.pem */
	size_t nsetfiles;
	struct keystore_store *keystores; /* scan_keystores */
	size_t nkeystores;
	bool fallback;               /* the root had no store: cainit owns the bundle */
	bool paths_only;             /* SCAN_PATHS: bundles were not read */
	struct nss_store *nss;       /* scan_nss */
	size_t nnss;
	bool nss_discover;           /* --nss: every database found takes the set */
	struct owned_read nss_record; /* /etc/cainit/nss */
	struct owned_read dirs_record; /* /etc/cainit/dirs: the directories cainit made */
	char *passwd;                /* /etc/passwd, read once (scan_passwd) */
	size_t passwd_len;
	bool passwd_tried;
	struct scan_listing *listings; /* scan_list_dir_once's: each directory listed once */
	size_t nlistings;
	struct start_paths *start_paths; /* stores/start_paths.c's own state */
	struct merged *merged;           /* stores/merged.c's own state */
};

enum {
	SCAN_CREATE = 1 << 0,      /* create missing store directories (install) */
	SCAN_CLEAN_TEMPS = 1 << 1, /* remove leftovers of killed runs (lock held) */
	SCAN_DEEP = 1 << 2,        /* list directories (remove, status) */
	SCAN_PATHS = 1 << 3,       /* which stores exist, not what they hold: no
				    * bundle read, no listing (env, tmpfs) */
	SCAN_KEYSTORES = 1 << 4,   /* also the Java keystores */
	SCAN_NSS = 1 << 5,         /* also the NSS databases */
};

struct trust_report;

/* What a scan looks for. */
struct scan_opts {
	unsigned flags;              /* SCAN_* */
	const char *java_home;       /* with SCAN_KEYSTORES: one more JDK (NULL: none) */
	const char *const *python_envs; /* more Python prefixes, venvs (NULL-terminated; NULL: none) */
	bool nss_discover;           /* with SCAN_NSS: every database found takes the set */
	const char *nss_user;        /* with SCAN_NSS: create this user's database */
	struct trust_report *rep;    /* where stores left alone are reported (may be NULL) */
};

/* Scan for an operation on `set` (NULL: every set; implies a deep scan):
 * every row of store_table whose scan_flag is 0 or in o->flags finds its
 * stores, in table order; then, when deep, each lists its directories. */
int scan_root_opts(struct rootfs *r, const struct scan_opts *o, const char *set, struct scan *s, struct cerr *e);
/* The same with only flags. */
int scan_root(struct rootfs *r, unsigned flags, const char *set, struct scan *s, struct cerr *e);

/* The scan's first step: cainit's own directory (made with SCAN_CREATE)
 * and whether a change is marked under way. */
int scan_find_own(struct scan *s, unsigned flags, struct cerr *e);

/* For rooms after the bundles: the layouts the root has (a layout is there
 * when its real bundle is, or its anchor directory), found once. */
int scan_layouts(struct scan *s, struct cerr *e);

/* Read one of cainit's own files (missing: o->exists false). */
int scan_read_owned(int dirfd, const char *name, const char *show, struct owned_read *o, struct cerr *e);

/* Record in s->known the CAs that cainit's blocks in a view (or in buf)
 * name; -1 when out of memory. */
int scan_note_view(struct scan *s, const struct bundle_view *v);
int scan_note_blocks(struct scan *s, const char *buf, size_t len);
/* The same for each of cainit's files listed in a directory (deep scans). */
int scan_note_files(struct scan *s, int dirfd, const char *dir_show, const struct owned_file *files, size_t n,
		    struct cerr *e);

/* Names of cainit's files, parsed: "cainit.SET.HASH8.SLOT.pem" (or the
 * older "cainit.SET.FP16.HASH8.pem"), and prefix + SET + suffix. */
bool scan_parse_ca_name(const char *name, struct owned_file *f);
bool scan_parse_set_name_file(const char *name, const char *prefix, const char *suffix, struct owned_file *f);
int scan_push_owned(struct owned_file **v, size_t *n, const struct owned_file *f);
/* d_type, or from fstatat when the filesystem gave DT_UNKNOWN. */
unsigned char scan_entry_type(int dirfd, const char *name, unsigned char type);
bool scan_ends_with(const char *s, const char *suffix);
/* "HHHHHHHH.N": an OpenSSL hash entry's name. */
bool scan_parse_hash_name(const char *name, unsigned long *hash, unsigned *idx);

/* Call fn for each entry of the directory behind dirfd whose name does not
 * start with '.' (clean_temps: removing a killed run's ".*.cainit-tmp").
 * fn returns 0, -1 (out of memory) or an error code it put in e, which
 * stops the listing. */
typedef int (*scan_entry_fn)(void *ctx, int dirfd, const char *name, unsigned char type);
int scan_list_dir(int dirfd, const char *show, scan_entry_fn fn, void *ctx, bool clean_temps, struct cerr *e);

/* The same for a directory the discovery of several rooms lists (/opt:
 * Python's, Java's, npm's and Bun's prefixes): listed once per scan, its
 * names kept and given again to the next room that asks (four listings of
 * /opt were sixteen system calls). A name the root gains after the first
 * listing is not seen until the next scan, as if it came just after it. */
struct scan_listing;
void scan_listings_free(struct scan *s);
int scan_list_dir_once(struct scan *s, const struct rpath *dir, const char *show, scan_entry_fn fn, void *ctx,
		       struct cerr *e);

/* Did this scan's listing of the directory canon hold name (1) or not (0)?
 * -1 when that directory was not listed, or for a name a listing does not
 * keep (one that starts with '.'): the caller must look. */
int scan_listed_has(const struct scan *s, const char *canon, const char *name);
/* Is path known to be missing: this scan listed its directory (path is
 * taken as canonical), and the listing did not hold its last name? A
 * lookup the discovery need not make. As with the listings themselves, a
 * name that appears after the listing is seen by the next scan; ask only
 * about what the root had, not about a directory this scan made. */
bool scan_listed_without(const struct scan *s, const char *path);
/* dir's names into this scan's listings, for the rooms that ask later (a
 * missing or unreadable dir: none; only ENOMEM is an error). */
int scan_list_once(struct scan *s, const char *dir, struct cerr *e);

/* Remove a killed run's temp file for dirfd/name (txn.c names it), if any. */
void scan_clean_temp(int dirfd, const char *name);

/* Is (set, sha256) named by some record? */
bool scan_is_known(const struct scan *s, const char *set, const char *fp16);

/* Fill h->links with HASH.0, HASH.1, ... up to the first missing index
 * (what OpenSSL looks at), unless already known (stores/hashed.c). */
int scan_probe_links(struct hashed_store *h, unsigned long hash, struct cerr *e);

/* Mark a change under way in /etc/cainit/txn, naming its set ("*": all). */
int scan_mark_txn(struct scan *s, const char *set, struct cerr *e);
void scan_unmark_txn(struct scan *s);

/* Is a change marked under way? *present, and the set it names in set
 * ("*" when every set, or when the mark names none). */
int scan_read_mark(struct rootfs *r, bool *present, char *set, size_t n, struct cerr *e);
void scan_free(struct scan *s);

/* The root's /etc/passwd for the rooms that keep per-user files, read at
 * most once per scan (owned by the scan); NULL when there is none. */
const char *scan_passwd(struct scan *s, size_t *len);

/* The distinct set names found anywhere in s (only `only` when not NULL);
 * up to max, pointing into s. Returns how many. */
size_t scan_set_names(const struct scan *s, const char *only, const char **out, size_t max);

/* readlink of a hash entry, cached; NULL when not a symlink (stores/hashed.c). */
const char *scan_link_target(struct hashed_store *h, struct hash_link *l);

/* File names cainit uses; out holds NAME_MAX + 1 bytes. A CA's file in a
 * hashed directory is named by its set, its subject hash and its slot: its
 * rank by SHA-256 among the set's CAs of that hash. A rotation to a CA of
 * the same subject rewrites the same name (an atomic rename), so the
 * HASH.N link never points at a name that goes away. */
void name_ca_slot(char *out, const char *set, unsigned long hash, unsigned slot);
unsigned ca_slot(const struct cert_list *cas, size_t j);
/* The names before slots ("cainit.SET.FP16.HASH8.pem"): retired on sight. */
void name_ca_file_raw(char *out, const char *set, const unsigned char sha256[32], unsigned long hash);
void name_anchor(char *out, const char *set);
void name_set_file(char *out, const char *set);
/* The HASH.N name of a hash entry; out holds 24 bytes. */
void name_hash_link(char *out, unsigned long hash, unsigned idx);

#endif
