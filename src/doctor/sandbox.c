/*
 * sandbox.c: see sandbox.h. The child makes the namespaces, the parent (the
 * host's root) writes their id maps, then the child builds its view of the
 * root and gives up everything before body runs. Every path inside the
 * root is opened with O_NOFOLLOW relative to the root and mounted on
 * through /proc/self/fd, so the root's own symlinks cannot aim a mount
 * elsewhere (and every mount is in the child's private mount namespace).
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOST_NOBODY 65534

static int fd_path(int fd, char *buf, size_t n)
{
	return (size_t)snprintf(buf, n, "/proc/self/fd/%d", fd) < n ? 0 : -1;
}

/* A fresh file system of type on the root's directory name (when it is a
 * real directory). */
static int mount_fs(int rootfd, const char *name, const char *type, unsigned long flags, const char *opts,
		    int *newfd)
{
	char at[64];
	int fd = openat(rootfd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);

	*newfd = -1;
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : -1;
	if (fd_path(fd, at, sizeof(at)) != 0 || mount(type, at, type, flags, opts) != 0) {
		close(fd);
		return -1;
	}
	close(fd);
	/* the same name now crosses into the new tmpfs */
	*newfd = openat(rootfd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
	return *newfd < 0 ? -1 : 0;
}

/* The host's /dev/NAME bound onto an empty file of the sandbox's /dev. */
static int bind_dev(int devfd, const char *name)
{
	char src[64], at[64];
	int fd;

	snprintf(src, sizeof(src), "/dev/%s", name);
	fd = openat(devfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	close(fd);
	fd = openat(devfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fd_path(fd, at, sizeof(at)) != 0 || mount(src, at, NULL, MS_BIND, NULL) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;

	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return rc;
}

/* The sandbox's one uid and gid, capabilities kept for the mounts still
 * to come: a tmpfs cannot be mounted by an id the namespace cannot map. */
static int become_sandbox_user(void)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setresgid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID) != 0 ||
	    setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID) != 0)
		return -1;
	return 0;
}

static int drop_capabilities(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) != 0 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return 0;
}

/* In the child, the maps written: the root's view, then nothing held. The
 * root is bound and opened while this process is still the host's root
 * (its owner, where only the owner may enter); the rest as the sandbox's
 * user. */
static int enter(const char *root, bool net, const char **step)
{
	static const char *const devs[] = {"null", "zero", "random", "urandom"};
	unsigned long keep = 0;
	int rootfd, devfd, tmpfd, procfd;
	struct statvfs sv;

	*step = "make the mounts private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return -1;
	*step = "bind the root";
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) != 0 || statvfs(root, &sv) != 0)
		return -1;
	/* read-only on top of what the mount already has (a flag the host
	 * set, noexec say, cannot be cleared from inside a user namespace) */
	if (sv.f_flag & ST_NOEXEC)
		keep |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		keep |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		keep |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		keep |= MS_RELATIME;
	if (mount(NULL, root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | keep, NULL) != 0)
		return -1;
	if ((rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	*step = "take the sandbox's uid";
	if (become_sandbox_user() != 0)
		return -1;
	*step = "mount /dev";
	if (mount_fs(rootfd, "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k", &devfd) != 0)
		return -1;
	for (size_t i = 0; devfd >= 0 && i < sizeof(devs) / sizeof(devs[0]); i++)
		if (bind_dev(devfd, devs[i]) != 0)
			return -1;
	*step = "mount /tmp";
	/* (a browser's fresh profile takes some 36 MB; clients.c removes each
	 * after its run) */
	if (mount_fs(rootfd, "tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=128m", &tmpfd) != 0)
		return -1;
	/* the sandbox's own processes in /proc (a program's loader finds its
	 * $ORIGIN there); mounted while the host's /proc is still in this
	 * namespace, as the kernel asks. Without it the clients still run. */
	if (mount_fs(rootfd, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, &procfd) == 0 && procfd >= 0)
		close(procfd);
	if (devfd >= 0)
		close(devfd);
	if (tmpfd >= 0)
		close(tmpfd);
	*step = "pivot_root";
	if (fchdir(rootfd) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 || umount2(".", MNT_DETACH) != 0 ||
	    chdir("/") != 0)
		return -1;
	close(rootfd);
	*step = "bring loopback up";
	if (!net && loopback_up() != 0)
		return -1;
	*step = "drop capabilities";
	return drop_capabilities();
}

/* The sandbox's first process (pid 1 of its PID namespace: when it ends,
 * every process of the sandbox ends with it): enter, then body. This one
 * waits for it and passes its status on. */
static int init(const char *root, bool net, int (*body)(void *), void *arg)
{
	const char *step = "start the sandbox's first process";
	int st = 0, alive[2];
	pid_t pid;

	/* its parent is outside its PID namespace (getppid() says 0): this
	 * pipe's other end closing says the parent is gone */
	if (pipe2(alive, O_CLOEXEC) != 0) {
		fprintf(stderr, "cainit: doctor: sandbox of %s: %s: %s\n", root, step, strerror(errno));
		return 125;
	}
	if ((pid = fork()) == 0) {
		struct pollfd gone = {alive[0], POLLIN, 0};

		close(alive[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (enter(root, net, &step) != 0) {
			fprintf(stderr, "cainit: doctor: sandbox of %s: %s: %s\n", root, step, strerror(errno));
			_exit(125);
		}
		/* taking the sandbox's uid cleared the parent-death signal: set
		 * it again, then make sure the parent did not die in between (a
		 * killed doctor's sandbox must not outlive it: it holds the
		 * canary set) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (poll(&gone, 1, 0) != 0)
			_exit(125);
		close(alive[0]);
		_exit(body(arg));
	}
	close(alive[0]);
	if (pid < 0) {
		fprintf(stderr, "cainit: doctor: sandbox of %s: %s: %s\n", root, step, strerror(errno));
		close(alive[1]);
		return 125;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	close(alive[1]);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 125;
}

static int write_map(pid_t pid, const char *file, const char *line)
{
	char path[64];
	int fd, rc;

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	rc = write(fd, line, strlen(line)) == (ssize_t)strlen(line) ? 0 : -1;
	close(fd);
	return rc;
}

int sandbox_spawn(const char *root, bool net, int (*body)(void *), void *arg, pid_t *pid, struct cerr *e)
{
	char map[64], c = 0;
	int up[2], go[2];

	if (root == NULL) {
		pid_t parent = getpid();

		if ((*pid = fork()) == 0) {
			/* gone with a killed doctor (it holds the canary set) */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(125);
			_exit(body(arg));
		}
		return *pid < 0 ? cerr_sys(e, "doctor", "fork", errno) : 0;
	}
	if (pipe2(up, O_CLOEXEC) != 0)
		return cerr_sys(e, "doctor: sandbox", "pipe", errno);
	if (pipe2(go, O_CLOEXEC) != 0) {
		close(up[0]);
		close(up[1]);
		return cerr_sys(e, "doctor: sandbox", "pipe", errno);
	}
	if ((*pid = fork()) == 0) {
		const char *step = "leave the host's groups and namespaces";

		close(up[0]);
		close(go[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setgroups(0, NULL) != 0 ||
		    unshare(CLONE_NEWUSER | CLONE_NEWNS | (net ? 0 : CLONE_NEWNET) | CLONE_NEWPID) != 0) {
			fprintf(stderr, "cainit: doctor: sandbox: %s: %s\n", step, strerror(errno));
			_exit(125);
		}
		(void)!write(up[1], "u", 1);
		close(up[1]);
		if (read(go[0], &c, 1) != 1 || c != 'g')
			_exit(125);
		close(go[0]);
		_exit(init(root, net, body, arg));
	}
	close(up[1]);
	close(go[0]);
	if (*pid < 0) {
		close(up[0]);
		close(go[1]);
		return cerr_sys(e, "doctor", "fork", errno);
	}
	snprintf(map, sizeof(map), "%d %d 1\n", SANDBOX_UID, HOST_NOBODY);
	/* the child's namespaces exist once it says so; then its id maps (a
	 * child that could not make them has said why and exited 125: its
	 * status tells) */
	if (read(up[0], &c, 1) == 1) {
		int err = 0;

		if (write_map(*pid, "uid_map", map) != 0 || write_map(*pid, "gid_map", map) != 0)
			err = errno;
		c = err ? 'x' : 'g';
		(void)!write(go[1], &c, 1); /* (the child is there: it waits for this) */
		if (err) {
			close(up[0]);
			close(go[1]);
			while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
				;
			return cerr_sys(e, "doctor: sandbox: the id map", "write", err);
		}
	}
	close(up[0]);
	close(go[1]);
	return 0;
}
