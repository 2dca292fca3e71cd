/*
 * supervise.c: see supervise.h. The command is started the way posix_spawn
 * does it (clone with CLONE_VM|CLONE_VFORK: no page tables copied), so exec's
 * errno comes back in shared memory and "not found" (127) and "not
 * executable" (126) are told apart from the command's own exit codes.
 * The signals are blocked and read from a signalfd; the child restores the
 * mask and the dispositions cainit changed before it execs.
 */
#include "supervise.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define CHILD_STACK (64 * 1024)

static const int caught[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD,
};

static void reap(struct supervisor *sv)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == sv->child && !sv->exited) {
			sv->exited = true;
			sv->wstatus = st;
			if (sv->on_exit)
				sv->on_exit(sv->arg);
		} else {
			sv->reaped++;
		}
	}
}

static void handle(struct supervisor *sv, int sig)
{
	if (sig == SIGCHLD) {
		reap(sv);
		return;
	}
	if (sv->on_signal)
		sv->on_signal(sig, sv->arg);
	if (sv->child > 0 && !sv->exited) {
		if (kill(sv->group ? -sv->child : sv->child, sig) < 0 && errno != ESRCH)
			fprintf(stderr, "cainit run: forwarding signal %d: %s\n", sig, strerror(errno));
		return;
	}
	if (sv->child == 0 && sig != SIGUSR1 && sig != SIGUSR2 && sig != SIGWINCH) {
		/* before the command started: stop there */
		sv->stop_signal = sig;
		event_base_loopbreak(sv->base);
	}
}

static void on_signalfd(evutil_socket_t fd, short what, void *arg)
{
	struct signalfd_siginfo si[8];
	ssize_t n, i;

	(void)what;
	while ((n = read((int)fd, si, sizeof(si))) > 0)
		for (i = 0; i < n / (ssize_t)sizeof(si[0]); i++)
			handle(arg, (int)si[i].ssi_signo);
}

int supervise_init(struct supervisor *sv, struct event_base *base, bool group, struct cerr *e)
{
	size_t i;

	memset(sv, 0, sizeof(*sv));
	sv->base = base;
	sv->group = group;
	sv->sigfd = -1;
	sigprocmask(SIG_SETMASK, NULL, &sv->orig_mask);
	sigaction(SIGCHLD, NULL, &sv->orig_chld);
	sigaction(SIGPIPE, NULL, &sv->orig_pipe);
	/* (a SIGCHLD ignored by whoever started us would reap the command
	 * before we could read its status) */
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&sv->caught);
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaddset(&sv->caught, caught[i]);
	/* blocked and read from a signalfd: no handler ever runs, and even as
	 * PID 1 nothing is dropped (blocked signals are queued, not ignored) */
	sigprocmask(SIG_BLOCK, &sv->caught, NULL);
	sv->sigfd = signalfd(-1, &sv->caught, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sv->sigfd < 0)
		return cerr_sys(e, "run", "signalfd", errno);
	sv->ev = event_new(base, sv->sigfd, EV_READ | EV_PERSIST, on_signalfd, sv);
	if (sv->ev == NULL || event_add(sv->ev, NULL) < 0)
		return cerr_set(e, CAINIT_EOPS, "run: cannot watch signals");
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		fprintf(stderr, "cainit run: cannot become a subreaper (%s): orphans will not be reaped here\n",
			strerror(errno));
	return 0;
}

struct spawn_args {
	const struct supervisor *sv;
	char *const *argv;
	char *const *envp;
	volatile int err;       /* exec's errno, written by the child */
};

/* The child, sharing cainit's memory until it execs (CLONE_VFORK): only
 * async-signal-safe calls, nothing that allocates. */
static int child_main(void *arg)
{
	struct spawn_args *a = arg;
	const struct supervisor *sv = a->sv;

	sigaction(SIGCHLD, &sv->orig_chld, NULL);
	sigaction(SIGPIPE, &sv->orig_pipe, NULL); /* (the agent ignores it) */
	setpgid(0, 0);
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgid(getppid())) {
		/* the command gets the terminal (job control, ^C) */
		signal(SIGTTOU, SIG_IGN);
		tcsetpgrp(STDIN_FILENO, getpid());
		signal(SIGTTOU, SIG_DFL);
	}
	sigprocmask(SIG_SETMASK, &sv->orig_mask, NULL);
	execvpe(a->argv[0], a->argv, a->envp);
	a->err = errno;
	_exit(127);
}

int supervise_spawn(struct supervisor *sv, char *const argv[], char *const envp[])
{
	static char small_stack[CHILD_STACK] __attribute__((aligned(64)));
	struct spawn_args a = {sv, argv, envp, 0};
	size_t argc = 0, stack_size = CHILD_STACK;
	char *stack = small_stack;
	sigset_t all, prev;
	pid_t pid;
	int err;

	/* execvpe copies argv onto the stack to run a script through sh: a
	 * long argv gets a stack of its own (a static one needs no munmap,
	 * whose TLB shootdown costs more than the rest of the spawn) */
	while (argv[argc])
		argc++;
	if ((argc + 2) * sizeof(char *) > CHILD_STACK / 2) {
		stack_size = (CHILD_STACK + (argc + 2) * sizeof(char *) + 4095) & ~(size_t)4095;
		stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED) {
			fprintf(stderr, "cainit: run: %s: %s\n", argv[0], strerror(errno));
			return 1;
		}
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &prev);
	/* like posix_spawn: the child borrows our memory until exec, so no
	 * page tables are copied and exec's errno comes back in a.err */
	pid = clone(child_main, stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
	err = errno;
	sigprocmask(SIG_SETMASK, &prev, NULL);
	if (stack != small_stack)
		munmap(stack, stack_size);
	if (pid < 0) {
		fprintf(stderr, "cainit: run: cannot start %s: %s\n", argv[0], strerror(err));
		return 1;
	}
	if (a.err == 0) {
		sv->child = pid;
		return 0;
	}
	waitpid(pid, NULL, 0);
	fprintf(stderr, "cainit: run: %s: %s\n", argv[0], strerror(a.err));
	return a.err == ENOENT ? 127 : 126;
}

int supervise_exit_code(const struct supervisor *sv)
{
	if (sv->exited && WIFEXITED(sv->wstatus))
		return WEXITSTATUS(sv->wstatus);
	if (sv->exited && WIFSIGNALED(sv->wstatus))
		return 128 + WTERMSIG(sv->wstatus);
	if (sv->stop_signal)
		return 128 + sv->stop_signal;
	return 1;
}

void supervise_free(struct supervisor *sv)
{
	if (sv->ev)
		event_free(sv->ev);
	sv->ev = NULL;
	if (sv->sigfd >= 0) {
		close(sv->sigfd);
		sigprocmask(SIG_SETMASK, &sv->orig_mask, NULL);
	}
	sv->sigfd = -1;
}
