/*
 * bake_oci.c: `cainit bake --oci LAYOUT:TAG --tag NEWTAG`: a new image in
 * the same OCI layout, the base plus one uncompressed layer holding the
 * agent and every file the engine changed in the image's unpacked root
 * (whiteouts for what it removed): with CAs, the trust stores; without,
 * the start paths prepared for the CA a later /init brings. The config's entrypoint
 * becomes `cainit run <run-args> --` + the original Entrypoint (Cmd stays
 * Cmd, so `podman run IMAGE ARGS` still replaces it), with labels naming
 * the agent and the CAs. Same inputs, same bytes: entries sorted, times
 * fixed (o->epoch), JSON with sorted keys.
 */
#include "bake.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dirwalk.h"
#include "file_write.h"
#include "oci.h"
#include "tar.h"
#include "tree.h"
#include "trust.h"
#include "unpack.h"
#include "version.h"

#define DEFAULT_CMD "/bin/sh" /* the command of an image with neither Entrypoint nor Cmd */
#define LABEL_AGENT "io.cainit.agent.sha256"
#define LABEL_CAS "io.cainit.ca.sha256"
#define LABEL_FP "io.cainit.fingerprint"

/* One platform's bake. */
struct bake_oci {
	const struct bake_opts *o;
	struct bake_result *res;
	struct oci_layout *l;
	const struct bake_agent *agent;
	json_t *desc;            /* the base manifest's descriptor (borrowed) */
	json_t *manifest, *config;
	char work[PATH_MAX];     /* the unpacked root's parent, removed at the end */
	bool work_made;
	struct env_var env[ENV_VARS_MAX]; /* the runtime variables the config gets */
	size_t nenv;
	json_t *final_env;       /* the new image's Env: its config's, and the record in
				  * its layer (made once, by layer_from_root) */
};

/* ---- the layer ---- */

static int add_change(struct tar_writer *w, int rootfd, const struct tree_change *c, long long epoch,
		      struct cerr *e)
{
	struct tar_entry ent = {.path = c->path, .mtime = epoch};
	char wh[PATH_MAX + 8], target[PATH_MAX];
	char *data = NULL;
	bool root = geteuid() == 0;

	if (c->deleted) {
		const char *slash = strrchr(c->path, '/');

		snprintf(wh, sizeof(wh), "%.*s.wh.%s", slash ? (int)(slash - c->path + 1) : 0, c->path,
			 slash ? slash + 1 : c->path);
		ent.path = wh;
		ent.type = TAR_FILE;
		ent.mode = 0644;
		tar_write_entry(w, &ent, NULL);
		return 0;
	}
	ent.mode = c->st.st_mode & 07777;
	ent.uid = root ? c->st.st_uid : 0; /* unprivileged unpacks own everything */
	ent.gid = root ? c->st.st_gid : 0;
	if (S_ISDIR(c->st.st_mode)) {
		ent.type = TAR_DIR;
	} else if (S_ISLNK(c->st.st_mode)) {
		ssize_t n = readlinkat(rootfd, c->path, target, sizeof(target) - 1);

		if (n < 0)
			return cerr_sys(e, c->path, "readlink", errno);
		target[n] = '\0';
		ent.type = TAR_SYMLINK;
		ent.link = target;
	} else if (S_ISREG(c->st.st_mode)) {
		struct stat st;
		size_t len;

		/* (the walk went through real directories only: no symlink in path) */
		if (rootfs_read_at(rootfd, c->path, c->path, BUNDLE_MAX + (size_t)BAKE_AGENT_MAX, &data, &len,
				   &st, e) != 0)
			return e->code;
		if (data == NULL)
			return cerr_sys(e, c->path, "open", ENOENT);
		ent.type = TAR_FILE;
		ent.size = len;
	} else {
		return 0; /* the engine makes no device or FIFO */
	}
	tar_write_entry(w, &ent, data);
	free(data);
	return 0;
}

/* The image's own value of Env's NAME, or NULL. */
static const char *image_env(const struct bake_oci *b, const char *name)
{
	json_t *env = json_object_get(json_object_get(b->config, "config"), "Env"), *v;
	size_t i, n = strlen(name);

	json_array_foreach(env, i, v) {
		const char *kv = json_string_value(v);

		if (kv != NULL && strncmp(kv, name, n) == 0 && kv[n] == '=')
			return kv + n + 1;
	}
	return NULL;
}

/* The image's JAVA_HOME, where its JDK's keystore is (absolute only). */
static const char *image_java_home(const struct bake_oci *b)
{
	const char *jh = image_env(b, "JAVA_HOME");

	return jh != NULL && jh[0] == '/' && strlen(jh) < PATH_MAX ? jh : NULL;
}

static bool string_array(const json_t *a)
{
	size_t i;
	json_t *v;

	if (a == NULL || json_is_null(a))
		return true;
	if (!json_is_array(a))
		return false;
	json_array_foreach(a, i, v)
		if (!json_is_string(v))
			return false;
	return true;
}

/* Env gets the runtime variables, so that a process started in the
 * container with no shell of its own (docker exec, kubectl exec) has them.
 * An image's own value of an "adds" variable or a switch is its author's
 * choice and stays, unless --env-override; "replaces" variables are set
 * to this image's full bundle. The values are paths that do not change on
 * rotation. The new Env (a new reference), or NULL when memory ran out. */
static json_t *final_env(const struct bake_oci *b)
{
	json_t *env = json_object_get(json_object_get(b->config, "config"), "Env"), *nenv = json_array();
	size_t i, k;
	json_t *v;

	if (nenv == NULL)
		return NULL;
	json_array_foreach(env, i, v) {
		const char *kv = json_string_value(v);
		bool ours = false;

		for (k = 0; kv != NULL && k < b->nenv && !ours; k++) {
			size_t n = strlen(b->env[k].name);

			ours = strncmp(kv, b->env[k].name, n) == 0 && kv[n] == '=' &&
			       (b->o->env_override || b->env[k].target == ENV_BUNDLE || b->env[k].target == ENV_HASHED_DIR);
		}
		if (!ours)
			json_array_append(nenv, v);
	}
	for (k = 0; k < b->nenv; k++) {
		char *kv;

		if (!b->o->env_override && b->env[k].target != ENV_BUNDLE && b->env[k].target != ENV_HASHED_DIR &&
		    image_env(b, b->env[k].name) != NULL)
			continue; /* the image's own */
		if (asprintf(&kv, "%s=%s", b->env[k].name, b->env[k].value) < 0) {
			json_decref(nenv);
			return NULL;
		}
		json_array_append_new(nenv, json_string(kv));
		free(kv);
	}
	return nenv;
}

/* The image's Env as the container will get it, recorded in the layer
 * (IMAGE_ENV_FILE, a JSON list of strings): `cainit doctor` inside the
 * container, or on its unpacked root, runs the clients with it (its
 * "image" start path), since no file of a root says what a runtime's exec
 * gives a process. */
static int record_env(struct bake_oci *b, struct rootfs *r, struct cerr *e)
{
	char show[PATH_MAX + 64], *text;
	struct rpath rp;
	int rc;

	if (!string_array(json_object_get(json_object_get(b->config, "config"), "Env")))
		return cerr_input(e, "bad_config", "%s: the image's Env is not a list of strings", b->l->show);
	if ((b->final_env = final_env(b)) == NULL)
		return cerr_sys(e, b->l->show, "json", ENOMEM);
	text = json_dumps(b->final_env, JSON_COMPACT);
	if (text == NULL)
		return cerr_sys(e, b->l->show, "json", ENOMEM);
	/* (not followed: a link an image put there names someone else's file) */
	if ((rc = rootfs_resolve(r, IMAGE_ENV_FILE, RP_MKDIRS | RP_NOFOLLOW, &rp, e)) == 0) {
		rootfs_show(r, rp.canon, show, sizeof(show));
		if (rp.exists && !S_ISREG(rp.st.st_mode))
			rc = cerr_input(e, "bad_image", "%s: exists and is not a regular file (where bake records the Env)",
					show);
		else
			rc = file_write_atomic(rp.dirfd, rp.base, show, text, strlen(text), 0644, e);
	}
	free(text);
	return rc;
}

/* Unpack the base, let the engine and the agent copy change it, and put
 * what changed into w. */
static int layer_from_root(struct bake_oci *b, struct tar_writer *w, struct cerr *e)
{
	const struct bake_opts *o = b->o;
	char root[PATH_MAX + 8];
	json_t *layers = json_object_get(b->manifest, "layers"), *d;
	struct tree_snapshot before = {0};
	struct tree_change *changes = NULL;
	struct unpack_stats us = {0};
	struct unpack_limits lim = {o->max_layer_bytes, o->max_image_bytes};
	struct trust_report rep;
	struct rootfs r;
	size_t i, n = 0;
	int rootfd = -1, rc = 0;

	snprintf(root, sizeof(root), "%s/root", b->work);
	if (mkdir(root, 0755) != 0)
		return cerr_sys(e, root, "mkdir", errno);
	if (rootfs_open(&r, root, e) != 0)
		return e->code;
	json_array_foreach(layers, i, d) {
		const char *digest = json_string_value(json_object_get(d, "digest"));
		char show[PATH_MAX + 100];
		int fd;

		snprintf(show, sizeof(show), "%s: layer %zu (%.19s)", b->l->show, i + 1, digest ? digest : "?");
		if ((rc = oci_open_blob(b->l, digest, &fd, e)) != 0 ||
		    (rc = unpack_layer(&r, fd, digest + 7, show, &lim, &us, e)) != 0)
			break;
	}
	if (rc == 0 && (rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = cerr_sys(e, root, "open", errno);
	if (rc == 0)
		rc = tree_snapshot(rootfd, root, &before, e);
	if (rc == 0 && o->cas != NULL && o->cas->n > 0)
		rc = trust_install(root, o->set, o->cas,
				   &(struct trust_opts){.flags = o->cert_flags | TRUST_FULL, .java_home = image_java_home(b)}, o->origin,
				   &rep, e);
	else if (rc == 0) /* the start paths, for the CA a later /init brings */
		rc = trust_prepare(root, &rep, e);
	if (rc == 0) /* what install recorded: the paths of this image's stores */
		rc = trust_env(root, ENV_PLANNED, b->env, &b->nenv, e);
	if (rc == 0)
		rc = record_env(b, &r, e);
	if (rc == 0)
		rc = bake_agent_place(&r, b->agent, e);
	if (rc == 0)
		rc = tree_diff(rootfd, root, &before, &changes, &n, e);
	for (i = 0; rc == 0 && i < n; i++)
		rc = add_change(w, rootfd, &changes[i], o->epoch, e);
	b->res->layer_entries = n;
	tree_changes_free(changes, n);
	tree_snapshot_free(&before);
	rootfs_close(&r);
	if (rootfd >= 0)
		close(rootfd);
	return rc;
}

/* ---- the config ---- */

/* Entrypoint: [agent, "run", run-args..., "--", the original's] (the
 * original unwrapped first when an earlier bake already wrapped it). */
static int set_entrypoint(struct bake_oci *b, json_t *cfg, struct cerr *e)
{
	json_t *ep = json_object_get(cfg, "Entrypoint"), *cmd = json_object_get(cfg, "Cmd");
	json_t *nep = json_array();
	size_t i, from = 0, n;

	if (!string_array(ep) || !string_array(cmd)) {
		json_decref(nep);
		return cerr_input(e, "bad_config", "%s: the image's Entrypoint or Cmd is not a list of strings", b->l->show);
	}
	n = json_array_size(ep);
	if (n >= 2 && strcmp(json_string_value(json_array_get(ep, 0)), BAKE_AGENT_PATH) == 0 &&
	    strcmp(json_string_value(json_array_get(ep, 1)), "run") == 0) {
		for (i = 2; i < n; i++)
			if (strcmp(json_string_value(json_array_get(ep, i)), "--") == 0)
				break;
		from = i < n ? i + 1 : n;
	}
	json_array_append_new(nep, json_string(BAKE_AGENT_PATH));
	json_array_append_new(nep, json_string("run"));
	for (i = 0; i < b->o->nrun_args; i++)
		json_array_append_new(nep, json_string(b->o->run_args[i]));
	json_array_append_new(nep, json_string("--"));
	for (i = from; i < n; i++)
		json_array_append(nep, json_array_get(ep, i));
	if (from >= n && json_array_size(cmd) == 0)
		json_object_set_new(cfg, "Cmd", json_pack("[s]", DEFAULT_CMD));
	json_object_set_new(cfg, "Entrypoint", nep);
	return 0;
}

static int new_config(struct bake_oci *b, const char *layer_digest, json_t **out, struct cerr *e)
{
	json_t *c = json_deep_copy(b->config), *cfg, *labels, *rootfs, *ids, *hist;
	const struct cert_list *cas = b->o->cas;
	char *list = NULL;
	size_t i, n = cas ? cas->n : 0;

	if (c == NULL)
		return cerr_sys(e, b->l->show, "json", ENOMEM);
	cfg = json_object_get(c, "config");
	if (!json_is_object(cfg)) {
		cfg = json_object();
		json_object_set_new(c, "config", cfg);
	}
	if (set_entrypoint(b, cfg, e) != 0) {
		json_decref(c);
		return e->code;
	}
	json_object_set(cfg, "Env", b->final_env); /* (record_env checked and made it) */
	labels = json_object_get(cfg, "Labels");
	if (!json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(cfg, "Labels", labels);
	}
	json_object_set_new(labels, LABEL_AGENT, json_string(b->res->agent_sha256));
	json_object_set_new(labels, LABEL_FP, json_string(b->res->fingerprint));
	if (n > 0 && (list = calloc(n * 65 + 1, 1)) != NULL) {
		for (i = 0; i < n; i++)
			snprintf(list + strlen(list), 66, "%s%s", i ? "," : "", cas->v[i].fp_hex);
		json_object_set_new(labels, LABEL_CAS, json_string(list));
		free(list);
	} else {
		json_object_del(labels, LABEL_CAS);
	}
	rootfs = json_object_get(c, "rootfs");
	ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(ids)) {
		json_decref(c);
		return cerr_input(e, "bad_config", "%s: the image config has no rootfs.diff_ids", b->l->show);
	}
	json_array_append_new(ids, json_string(layer_digest)); /* uncompressed: the diff_id is the digest */
	hist = json_object_get(c, "history");
	if (json_is_array(hist))
		json_array_append_new(hist, json_pack("{s:s,s:s}", "created_by",
						      "cainit bake: " BAKE_AGENT_PATH " and the trust files",
						      "comment", b->res->fingerprint));
	*out = c;
	return 0;
}

/* ---- the whole bake ---- */

/* The base manifest desc names, and its config: a linux image of the
 * agent's architecture. */
static int load_base(struct bake_oci *b, struct cerr *e)
{
	const char *arch, *os, *mine = bake_machine_arch(b->agent->machine);

	if (oci_read_json(b->l, json_string_value(json_object_get(b->desc, "digest")), &b->manifest, NULL, e) != 0)
		return e->code;
	if (!json_is_array(json_object_get(b->manifest, "layers")) ||
	    !json_is_object(json_object_get(b->manifest, "config")))
		return cerr_input(e, "bad_layout", "%s: the manifest has no config or no layers", b->l->show);
	if (oci_read_json(b->l, json_string_value(json_object_get(json_object_get(b->manifest, "config"), "digest")),
			  &b->config, NULL, e) != 0)
		return e->code;
	os = json_string_value(json_object_get(b->config, "os"));
	arch = json_string_value(json_object_get(b->config, "architecture"));
	if (os && strcmp(os, "linux") != 0)
		return cerr_input(e, "bad_image", "%s: a %s image: cainit runs on linux", b->l->show, os);
	if (arch && mine && strcmp(arch, mine) != 0)
		return cerr_input(e, "bad_image", "%s: a %s image, and the agent is built for %s", b->l->show, arch, mine);
	snprintf(b->res->base, sizeof(b->res->base), "%s", json_string_value(json_object_get(b->desc, "digest")));
	snprintf(b->res->arch, sizeof(b->res->arch), "%s", arch ? arch : mine ? mine : CAINIT_ARCH);
	return 0;
}

static int make_work(struct bake_oci *b, struct cerr *e)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(b->work, sizeof(b->work), "%s/cainit-bake.XXXXXX", tmp && *tmp ? tmp : "/var/tmp");
	if (mkdtemp(b->work) == NULL)
		return cerr_sys(e, b->work, "mkdtemp", errno);
	b->work_made = true;
	return 0;
}

static void remove_work(struct bake_oci *b)
{
	char *slash = strrchr(b->work, '/');
	struct cerr ignored = {0};
	int fd;

	if (!b->work_made)
		return;
	*slash = '\0';
	fd = open(b->work[0] ? b->work : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*slash = '/';
	if (fd >= 0) {
		(void)tree_remove_at(fd, slash + 1, b->work, &ignored);
		close(fd);
	}
}

static int write_image(struct bake_oci *b, const char *newtag, struct tar_writer *w, struct cerr *e)
{
	const char *mt = json_string_value(json_object_get(b->desc, "mediaType"));
	bool docker = strcmp(mt, DOCKER_MANIFEST) == 0;
	json_t *config = NULL, *manifest = NULL, *desc = NULL, *platform;
	char *text = NULL;
	int rc;

	if ((rc = oci_write_blob(b->l, w->buf, w->len, b->res->layer, &b->res->new_layer, e)) != 0)
		return rc;
	b->res->layer_bytes = w->len;
	if ((rc = new_config(b, b->res->layer, &config, e)) != 0)
		return rc;
	rc = CAINIT_EOPS;
	text = oci_dump(config);
	if (text == NULL || oci_write_blob(b->l, text, strlen(text), b->res->config, &b->res->new_config, e) != 0)
		goto out;
	manifest = json_deep_copy(b->manifest);
	if (manifest == NULL)
		goto out;
	json_object_set_new(json_object_get(manifest, "config"), "digest", json_string(b->res->config));
	json_object_set_new(json_object_get(manifest, "config"), "size", json_integer((json_int_t)strlen(text)));
	json_array_append_new(json_object_get(manifest, "layers"),
			      json_pack("{s:s,s:s,s:I}", "mediaType", docker ? DOCKER_LAYER_TAR : OCI_LAYER_TAR,
					"digest", b->res->layer, "size", (json_int_t)w->len));
	free(text);
	text = oci_dump(manifest);
	if (text == NULL || oci_write_blob(b->l, text, strlen(text), b->res->manifest, &b->res->new_manifest, e) != 0)
		goto out;
	desc = json_pack("{s:s,s:s,s:I}", "mediaType", mt, "digest", b->res->manifest, "size",
			 (json_int_t)strlen(text));
	platform = json_object_get(b->desc, "platform");
	if (desc != NULL && platform != NULL)
		json_object_set(desc, "platform", platform);
	if (desc == NULL)
		goto out;
	b->res->manifest_size = strlen(text);
	rc = newtag ? oci_set_tag(b->l, newtag, desc, e) : 0; /* (none: an index will name it) */
out:
	if (rc != 0 && e->msg[0] == '\0')
		cerr_sys(e, b->l->show, "json", ENOMEM);
	free(text);
	json_decref(config);
	json_decref(manifest);
	json_decref(desc);
	return rc;
}

/* ---- the work process ---- */

/* What the work process sends back. */
struct outcome {
	int rc;
	struct cerr e;
	struct bake_result res;
};

static bool read_all(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n > 0) {
		ssize_t k = read(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* A killed work process may leave its temp files in the layout (named
 * after its pid): they go too. */
static int sweep_one(void *ctx, int dirfd, const char *name, unsigned char type)
{
	const char *suffix = ctx;
	size_t n = strlen(name), k = strlen(suffix);

	(void)type;
	if (name[0] == '.' && n > k && strcmp(name + n - k, suffix) == 0)
		unlinkat(dirfd, name, 0);
	return 0;
}

static void sweep_temps(struct bake_oci *b, pid_t pid)
{
	char suffix[32];
	int dirs[2] = {b->l->fd, b->l->blobs_fd};
	struct cerr ignored = {0};

	snprintf(suffix, sizeof(suffix), ".cainit-tmp.%ld", (long)pid);
	for (int i = 0; i < 2; i++)
		if (dirs[i] >= 0)
			dir_each(dirs[i], "layout", sweep_one, suffix, &ignored);
}

/* Unpack, change and write the image in a child process, while this one
 * keeps the scratch directory: however the child ends (an error, a crash,
 * SIGKILL), and whatever SIGINT, SIGTERM, SIGHUP or SIGQUIT this process
 * gets meanwhile, the scratch directory (which can hold a whole unpacked
 * image) is removed. A signal then ends this process as it would have. */
static int guarded(struct bake_oci *b, const char *newtag, struct tar_writer *w, struct cerr *e)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old_chld;
	struct outcome out;
	sigset_t block, old;
	int p[2], sig = 0, st = 0;
	pid_t pid;

	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&block, sigs[i]);
	sigaddset(&block, SIGCHLD);
	if (pipe2(p, O_CLOEXEC) != 0)
		return cerr_sys(e, "bake", "pipe", errno);
	sigaction(SIGCHLD, &dfl, &old_chld); /* (never SIG_IGN: the child is waited for) */
	sigprocmask(SIG_BLOCK, &block, &old);
	pid = fork();
	if (pid == 0) {
		memset(&out, 0, sizeof(out));
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(p[0]);
		out.rc = layer_from_root(b, w, &out.e);
		if (out.rc == 0 && tar_finish(w) != 0)
			out.rc = cerr_sys(&out.e, b->l->show, "layer", ENOMEM);
		if (out.rc == 0)
			out.rc = write_image(b, newtag, w, &out.e);
		out.res = *b->res;
		(void)!write(p[1], &out, sizeof(out));
		_exit(out.rc);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		sigaction(SIGCHLD, &old_chld, NULL);
		return cerr_sys(e, "bake", "fork", errno);
	}
	for (;;) {
		siginfo_t si;
		int got = sigwaitinfo(&block, &si);

		if (got == SIGCHLD && waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (got > 0 && got != SIGCHLD) {
			sig = got;
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			break;
		}
	}
	memset(&out, 0, sizeof(out));
	if (sig == 0 && read_all(p[0], &out, sizeof(out))) {
		*e = out.e;
		*b->res = out.res;
	} else {
		out.rc = cerr_set(e, CAINIT_EOPS, "bake: the work process %s %d", sig ? "was stopped by signal" :
				  WIFSIGNALED(st) ? "died of signal" : "exited with status",
				  sig ? sig : WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		sweep_temps(b, pid);
	}
	close(p[0]);
	remove_work(b);
	b->work_made = false;
	if (sig != 0) {
		/* end as the signal would have ended us, the scratch gone */
		signal(sig, SIG_DFL);
		raise(sig);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGCHLD, &old_chld, NULL);
	return out.rc;
}

/* Bake the image desc names with agent a: its blobs, and newtag pointing
 * at it (newtag NULL: untagged, for an index). */
static int bake_platform(struct oci_layout *l, json_t *desc, const struct bake_agent *a, const struct bake_opts *o,
			 const char *newtag, struct bake_result *res, struct cerr *e)
{
	struct bake_oci b = {.o = o, .res = res, .l = l, .agent = a, .desc = desc};
	struct tar_writer w;
	int rc;

	memset(res, 0, sizeof(*res));
	snprintf(res->agent_sha256, sizeof(res->agent_sha256), "%s", a->sha256);
	tar_writer_init(&w);
	if ((rc = load_base(&b, e)) == 0)
		rc = bake_fingerprint("oci-manifest", res->base, a->sha256, o->cas, o->set, o->run_args, o->nrun_args,
				      o->env_override, res->fingerprint, e);
	if (rc == 0 && (rc = make_work(&b, e)) == 0)
		rc = guarded(&b, newtag, &w, e);
	remove_work(&b);
	tar_writer_free(&w);
	json_decref(b.manifest);
	json_decref(b.config);
	json_decref(b.final_env);
	return rc;
}

/* ---- an image index, platform by platform ---- */

static const char *platform_field(json_t *d, const char *key)
{
	return json_string_value(json_object_get(json_object_get(d, "platform"), key));
}

static bool is_index(json_t *d)
{
	const char *mt = json_string_value(json_object_get(d, "mediaType"));

	return mt && (strcmp(mt, OCI_INDEX) == 0 || strcmp(mt, DOCKER_LIST) == 0);
}

/* Which entries of index get baked, and with which agent: every linux one
 * an agent is built for; with --all-platforms, a linux one without is
 * refused, before anything is written. */
static int plan_index(struct oci_layout *l, json_t *index, const struct bake_agent *v, size_t nv, bool all,
		      const struct bake_agent *use[], struct cerr *e)
{
	json_t *m = json_object_get(index, "manifests"), *d;
	size_t i, baked = 0;

	if (!json_is_array(m))
		return cerr_input(e, "bad_layout", "%s: the image index has no manifests", l->show);
	json_array_foreach(m, i, d) {
		const char *os = platform_field(d, "os"), *arch = platform_field(d, "architecture");

		use[i] = NULL;
		if (os == NULL || strcmp(os, "linux") != 0 || arch == NULL)
			continue; /* attestations ("unknown/unknown") and other systems */
		use[i] = bake_agent_for(v, nv, arch);
		if (use[i] == NULL && all)
			return cerr_input(e, "no_agent", "%s: linux/%s has no agent, and --all-platforms wants every platform",
					  l->show, arch);
		if (use[i] != NULL && ++baked > BAKE_PLATFORMS_MAX)
			return cerr_input(e, "bad_layout", "%s: more than %d platforms to bake", l->show, BAKE_PLATFORMS_MAX);
	}
	if (baked == 0)
		return cerr_input(e, "no_platform", "%s: no linux platform of the image index has an agent", l->show);
	return 0;
}

/* The new index: the old one with each baked entry naming its new image;
 * newtag points at it. */
static int write_index(struct oci_layout *l, json_t *tagged, json_t *index, const struct bake_agent *use[],
		       const struct bake_result *res, const char *newtag, char digest[72], struct cerr *e)
{
	json_t *copy = json_deep_copy(index), *m, *d, *desc = NULL;
	char *text = NULL;
	size_t i, k = 0;
	bool made = false;
	int rc = CAINIT_EOPS;

	if (copy == NULL)
		return cerr_sys(e, l->show, "json", ENOMEM);
	m = json_object_get(copy, "manifests");
	json_array_foreach(m, i, d) {
		if (use[i] == NULL)
			continue;
		json_object_set_new(d, "digest", json_string(res[k].manifest));
		json_object_set_new(d, "size", json_integer((json_int_t)res[k].manifest_size));
		k++;
	}
	text = oci_dump(copy);
	if (text != NULL && oci_write_blob(l, text, strlen(text), digest, &made, e) == 0) {
		desc = json_pack("{s:s,s:s,s:I}", "mediaType", json_string_value(json_object_get(tagged, "mediaType")),
				 "digest", digest, "size", (json_int_t)strlen(text));
		rc = desc ? oci_set_tag(l, newtag, desc, e) : CAINIT_EOPS;
	}
	if (rc != 0 && e->msg[0] == '\0')
		cerr_sys(e, l->show, "json", ENOMEM);
	if (rc != 0 && made)
		oci_remove_blob(l, digest);
	free(text);
	json_decref(desc);
	json_decref(copy);
	return rc;
}

/* A refused bake takes away the blobs it wrote: res[0..n) (the platforms
 * baked before the refusal, and the one that was refused, as far as it
 * got). The layout is then as it was (index.json is written last). */
static void remove_new_blobs(struct oci_layout *l, const struct bake_result *res, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (res[k].new_layer)
			oci_remove_blob(l, res[k].layer);
		if (res[k].new_config)
			oci_remove_blob(l, res[k].config);
		if (res[k].new_manifest)
			oci_remove_blob(l, res[k].manifest);
	}
}

static int bake_index(struct oci_layout *l, json_t *tagged, const struct bake_agent *v, size_t nv,
		      const struct bake_opts *o, const char *newtag, struct bake_result *res, size_t *nres,
		      char index_digest[72], struct cerr *e)
{
	const struct bake_agent **use = NULL;
	json_t *index = NULL, *d;
	size_t i;
	int rc;

	if ((rc = oci_read_json(l, json_string_value(json_object_get(tagged, "digest")), &index, NULL, e)) != 0)
		return rc;
	use = calloc(json_array_size(json_object_get(index, "manifests")) + 1, sizeof(*use));
	if (use == NULL)
		rc = cerr_sys(e, l->show, "malloc", ENOMEM);
	if (rc == 0)
		rc = plan_index(l, index, v, nv, o->all_platforms, use, e);
	json_array_foreach(json_object_get(index, "manifests"), i, d) {
		if (rc != 0)
			break;
		if (use[i] != NULL && (rc = bake_platform(l, d, use[i], o, NULL, &res[*nres], e)) == 0)
			(*nres)++;
	}
	if (rc == 0)
		rc = write_index(l, tagged, index, use, res, newtag, index_digest, e);
	if (rc != 0) {
		remove_new_blobs(l, res, *nres + (*nres < BAKE_PLATFORMS_MAX));
		*nres = 0;
	}
	free(use);
	json_decref(index);
	return rc;
}

/* Of several agents, the one a single image's config asks for. */
static int image_agent(struct oci_layout *l, json_t *tagged, const struct bake_agent *v, size_t nv,
		       const struct bake_agent **a, struct cerr *e)
{
	json_t *manifest = NULL, *config = NULL;
	const char *arch;
	int rc;

	if ((rc = oci_read_json(l, json_string_value(json_object_get(tagged, "digest")), &manifest, NULL, e)) == 0)
		rc = oci_read_json(l, json_string_value(json_object_get(json_object_get(manifest, "config"), "digest")),
				   &config, NULL, e);
	if (rc == 0) {
		arch = json_string_value(json_object_get(config, "architecture"));
		if ((*a = bake_agent_for(v, nv, arch)) == NULL)
			rc = cerr_input(e, "no_agent", "%s: a linux/%s image, and no agent is built for it", l->show,
					arch ? arch : "(no architecture)");
	}
	json_decref(manifest);
	json_decref(config);
	return rc;
}

int bake_oci(const char *layout, const char *tag, const char *newtag, const struct bake_opts *o,
	     struct bake_result res[BAKE_PLATFORMS_MAX], size_t *nres, char index_digest[72], struct cerr *e)
{
	struct oci_layout l = {.fd = -1, .blobs_fd = -1};
	struct bake_agent v[BAKE_AGENTS_MAX];
	const struct bake_agent *a;
	json_t *desc, *owner = NULL, *tagged;
	size_t nv = 0;
	bool multi = o->nagents > 1 || o->agent_dir != NULL;
	int rc;

	*nres = 0;
	index_digest[0] = '\0';
	memset(res, 0, BAKE_PLATFORMS_MAX * sizeof(*res));
	if ((rc = bake_agents_load(o, v, &nv, e)) != 0)
		return rc;
	if (o->cas != NULL && o->cas->n > 0 && (rc = cert_list_check(o->cas, o->cert_flags, time(NULL), o->origin, e)) != 0)
		goto out;
	if ((rc = oci_open(&l, layout, e)) != 0)
		goto out;
	/* one cainit bake at a time per layout: index.json is rewritten whole,
	 * and a refused bake takes away the blobs it wrote, which a bake beside
	 * it might have found there and used */
	if (flock(l.fd, LOCK_EX) != 0) {
		rc = cerr_sys(e, layout, "lock", errno);
		goto out;
	}
	if (multi && (rc = oci_tagged(&l, tag, &tagged, e)) == 0 && is_index(tagged)) {
		rc = bake_index(&l, tagged, v, nv, o, newtag, res, nres, index_digest, e);
		goto out;
	}
	if (rc != 0)
		goto out;
	/* one image: the agent's platform of an index, or the image itself
	 * (with several agents, the one its architecture needs) */
	a = &v[0];
	if (multi && (rc = image_agent(&l, tagged, v, nv, &a, e)) != 0)
		goto out;
	if ((rc = oci_find(&l, tag, bake_machine_arch(a->machine) ? bake_machine_arch(a->machine) : CAINIT_ARCH, &desc,
			   &owner, e)) == 0 &&
	    (rc = bake_platform(&l, desc, a, o, newtag, &res[0], e)) == 0)
		*nres = 1;
	else
		remove_new_blobs(&l, res, 1);
out:
	json_decref(owner);
	bake_agents_free(v, nv);
	if (l.fd >= 0)
		oci_close(&l);
	return rc;
}
