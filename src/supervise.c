/*
 * supervise.c: see supervise.h. The command is started with fork and exec;
 * a close-on-exec pipe carries exec's errno back, so "not found" (127) and
 * "not executable" (126) are told apart from the command's own exit codes.
 * Signals are blocked across fork; the child restores the dispositions and
 * mask cainit was started with before it execs.
 */
#include "supervise.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const int caught[SUPERVISE_NSIGNALS] = {
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

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct supervisor *sv = arg;

	(void)what;
	if (sig == SIGCHLD) {
		reap(sv);
		return;
	}
	if (sv->on_signal)
		sv->on_signal((int)sig, sv->arg);
	if (sv->child > 0 && !sv->exited) {
		if (kill(sv->group ? -sv->child : sv->child, (int)sig) < 0 && errno != ESRCH)
			fprintf(stderr, "cainit run: forwarding signal %d: %s\n", (int)sig, strerror(errno));
		return;
	}
	if (sv->child == 0 && sig != SIGUSR1 && sig != SIGUSR2 && sig != SIGWINCH) {
		/* before the command started: stop there */
		sv->stop_signal = (int)sig;
		event_base_loopbreak(sv->base);
	}
}

int supervise_init(struct supervisor *sv, struct event_base *base, bool group, struct cerr *e)
{
	sigset_t ours;
	size_t i;

	memset(sv, 0, sizeof(*sv));
	sv->base = base;
	sv->group = group;
	sigprocmask(SIG_SETMASK, NULL, &sv->orig_mask);
	sigemptyset(&ours);
	for (i = 0; i < SUPERVISE_NSIGNALS; i++) {
		sigaction(caught[i], NULL, &sv->orig[i]);
		sigaddset(&ours, caught[i]);
		sv->ev[i] = evsignal_new(base, caught[i], on_signal, sv);
		if (sv->ev[i] == NULL || event_add(sv->ev[i], NULL) < 0)
			return cerr_set(e, CAINIT_EOPS, "run: cannot catch signal %d", caught[i]);
	}
	sigaction(SIGPIPE, NULL, &sv->orig[SUPERVISE_NSIGNALS]);
	sigprocmask(SIG_UNBLOCK, &ours, NULL);
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		fprintf(stderr, "cainit run: cannot become a subreaper (%s): orphans will not be reaped here\n",
			strerror(errno));
	return 0;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child_exec(const struct supervisor *sv, char *const argv[], char *const envp[], int report)
{
	size_t i;
	int err;

	for (i = 0; i < SUPERVISE_NSIGNALS; i++)
		sigaction(caught[i], &sv->orig[i], NULL);
	sigaction(SIGPIPE, &sv->orig[SUPERVISE_NSIGNALS], NULL);
	setpgid(0, 0);
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgid(getppid())) {
		/* the command gets the terminal (job control, ^C) */
		signal(SIGTTOU, SIG_IGN);
		tcsetpgrp(STDIN_FILENO, getpid());
		signal(SIGTTOU, SIG_DFL);
	}
	sigprocmask(SIG_SETMASK, &sv->orig_mask, NULL);
	execvpe(argv[0], argv, envp);
	err = errno;
	if (write(report, &err, sizeof(err)) < 0) {
		/* nothing left to tell it with */
	}
	_exit(127);
}

int supervise_spawn(struct supervisor *sv, char *const argv[], char *const envp[])
{
	sigset_t all, prev;
	int pipefd[2], err = 0;
	ssize_t k;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		fprintf(stderr, "cainit: run: pipe: %s\n", strerror(errno));
		return 1;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &prev);
	pid = fork();
	if (pid == 0)
		child_exec(sv, argv, envp, pipefd[1]);
	sigprocmask(SIG_SETMASK, &prev, NULL);
	close(pipefd[1]);
	if (pid < 0) {
		fprintf(stderr, "cainit: run: fork: %s\n", strerror(errno));
		close(pipefd[0]);
		return 1;
	}
	do
		k = read(pipefd[0], &err, sizeof(err));
	while (k < 0 && errno == EINTR);
	close(pipefd[0]);
	if (k != (ssize_t)sizeof(err)) {
		sv->child = pid; /* exec succeeded */
		return 0;
	}
	waitpid(pid, NULL, 0);
	fprintf(stderr, "cainit: run: %s: %s\n", argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
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
	size_t i;

	for (i = 0; i < SUPERVISE_NSIGNALS; i++)
		if (sv->ev[i])
			event_free(sv->ev[i]);
	memset(sv->ev, 0, sizeof(sv->ev));
}
