/*
 * sandbox.h: where doctor runs a root's programs when that root is not the
 * one it runs in (--root DIR). The programs are the tenant's: they must not
 * reach the host. The sandbox is a child process in its own user, mount,
 * network and PID namespaces: its only uid (1000 inside) is the host's
 * unprivileged 65534, with no supplementary group, no capability and
 * no_new_privs; its / is a private read-only bind of DIR (pivot_root, the
 * host's tree detached), with a fresh tmpfs on the root's /dev (null, zero,
 * random, urandom bound in) and /tmp, and a /proc of the sandbox's own
 * processes, where the root has those directories; its network is loopback
 * only, unless the caller asks for the host's (doctor --url: the clients
 * must reach the proxy). Nothing is created in DIR.
 */
#ifndef CAINIT_SANDBOX_H
#define CAINIT_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

#include "cerr.h"

#define SANDBOX_UID 1000 /* inside; the host's 65534 */

/* Fork; the child makes the sandbox of root, whose first process (pid 1
 * there) runs body(arg); its exit status is the child's (NULL root: no
 * sandbox, the child runs body where this process is, with its
 * privileges; net: the host's network namespace, not one of its own with
 * only loopback). *pid: the child. 0 or CAINIT_EOPS (nothing started). */
int sandbox_spawn(const char *root, bool net, int (*body)(void *), void *arg, pid_t *pid, struct cerr *e);

#endif
