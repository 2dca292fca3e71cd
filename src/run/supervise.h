/*
 * supervise.h: `cainit run`'s process handling, tini-style, in a libevent
 * loop shared with the CA watcher and the agent. The command runs in its
 * own process group (given the terminal when cainit has it); SIGTERM,
 * SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH are forwarded to
 * it (or its group); every child that ends is reaped, orphaned grandchildren
 * included (cainit is PID 1 or a child subreaper).
 */
#ifndef CAINIT_SUPERVISE_H
#define CAINIT_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cerr.h"

struct event_base;
struct event;

struct supervisor {
	struct event_base *base;
	int sigfd;              /* the 7 forwarded signals and SIGCHLD */
	struct event *ev;
	sigset_t caught;
	sigset_t orig_mask;     /* restored in the child */
	struct sigaction orig_chld, orig_pipe;
	bool group;             /* forward to the command's process group */
	pid_t child;            /* 0 until spawned */
	bool exited;
	int wstatus;            /* the command's wait status, once exited */
	int stop_signal;        /* a stopping signal that came before the command started */
	unsigned long reaped;   /* other processes reaped (orphans) */
	/* called on every signal received (before it is forwarded) */
	void (*on_signal)(int sig, void *arg);
	/* called once the command has exited and been reaped */
	void (*on_exit)(void *arg);
	void *arg;
};

/* Catch the signals (before anything that may take time, so none is lost)
 * and become a subreaper unless PID 1. */
int supervise_init(struct supervisor *sv, struct event_base *base, bool group, struct cerr *e);

/* Start argv (PATH searched) with envp. 0 when it runs; otherwise the
 * message is printed and the exit code returned: 127 not found, 126 found
 * but not executable, 1 fork failed. */
int supervise_spawn(struct supervisor *sv, char *const argv[], char *const envp[]);

/* What `cainit run` exits with: the command's status, 128+N when signal N
 * killed it (or stopped cainit before the command started). */
int supervise_exit_code(const struct supervisor *sv);

void supervise_free(struct supervisor *sv);

#endif
