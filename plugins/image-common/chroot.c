/* Run a program chrooted in the staging root (apk, npm).
 *
 * The child unshares its mount namespace, so /proc, a small /dev and the optional
 * read-only bind of a local mirror exist only for it and its children and vanish
 * when they exit: nothing to unmount, nothing left on the host if we are killed.
 * Mount points are made by the parent inside the root (RESOLVE_IN_ROOT) and mounted
 * by the child after chroot, so a link in the tree cannot redirect a mount. */
#include "image-common.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <limits.h>
#include <unistd.h>

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
#define NDEV (sizeof dev_nodes / sizeof dev_nodes[0])

static void child_fail(const char *what)
{
	char msg[256];
	int n = snprintf(msg, sizeof msg, "lia chroot: %s: %s\n", what, strerror(errno));
	if (write(2, msg, (size_t)n) < 0) {
		/* nothing more to do */
	}
	_exit(127);
}

/* Fds opened before unshare() point into the old mount namespace and cannot be
 * mounted on, so: enter the root (cwd follows into the new namespace), open the
 * host sources there, chroot, and mount on paths resolved inside the chroot, where
 * no link can lead out.  Host sources are reached through /proc/self/fd/N. */
static void child(const struct img_chroot *c, const char *const argv[], int pipefd)
{
	char p[64];
	int src[NDEV], mirror = -1;
	if (dup2(pipefd, 1) < 0 || dup2(pipefd, 2) < 0)
		_exit(127);
	int nul = open("/dev/null", O_RDONLY);
	if (nul >= 0)
		dup2(nul, 0);
	if (fchdir(c->rootfd) < 0)
		child_fail("entering the image tree");
	if (unshare(CLONE_NEWNS) < 0)
		child_fail("unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail("making / private");
	for (size_t i = 0; i < NDEV; i++) {
		snprintf(p, sizeof p, "/dev/%s", dev_nodes[i]);
		src[i] = open(p, O_PATH);
	}
	if (c->bind_src && (mirror = open(c->bind_src, O_PATH | O_DIRECTORY)) < 0)
		child_fail(c->bind_src);
	if (chroot(".") < 0 || chdir("/") < 0)
		child_fail("chroot");
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		child_fail("mounting /proc");
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=1m") < 0)
		child_fail("mounting /dev");
	/* /dev/null and friends: bind the host's nodes onto empty files in our tmpfs */
	for (size_t i = 0; i < NDEV; i++) {
		char dst[32];
		snprintf(dst, sizeof dst, "/dev/%s", dev_nodes[i]);
		int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0666);
		if (fd < 0)
			child_fail(dst);
		close(fd);
		if (src[i] < 0)
			continue;
		snprintf(p, sizeof p, "/proc/self/fd/%d", src[i]);
		if (mount(p, dst, NULL, MS_BIND, NULL) < 0)
			child_fail(dst);
	}
	if (symlink("/proc/self/fd", "/dev/fd") < 0 || symlink("/proc/self/fd/0", "/dev/stdin") < 0 ||
	    symlink("/proc/self/fd/1", "/dev/stdout") < 0 || symlink("/proc/self/fd/2", "/dev/stderr") < 0 ||
	    mkdir("/dev/shm", 01777) < 0 || mkdir("/dev/pts", 0755) < 0)
		child_fail("/dev links");
	if (mirror >= 0) {
		char dst[PATH_MAX];
		snprintf(p, sizeof p, "/proc/self/fd/%d", mirror);
		snprintf(dst, sizeof dst, "/%s", c->bind_dst);
		if (mount(p, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
			child_fail("binding the mirror");
		if (mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
			child_fail("making the mirror read-only");
	}
	for (int fd = 3; fd < 1024; fd++) /* the program sees only stdio */
		close(fd);
	execve(argv[0], (char *const *)argv, (char *const *)c->envp);
	child_fail(argv[0]);
}

static int make_mountpoint(struct lia_ctx *ctx, int rootfd, const char *rel)
{
	int r = img_root_mkdir(rootfd, rel, 0755);
	return r < 0 ? IMG_ERR(ctx, r, "cannot prepare /%s in the image tree: %s", rel, strerror(-r)) : 0;
}

int img_chroot_run(struct lia_ctx *ctx, const struct img_chroot *c, const char *const argv[], char *out,
		   size_t outlen, int *status)
{
	int pipefd[2] = { -1, -1 };
	int r = 0;
	if ((r = make_mountpoint(ctx, c->rootfd, "proc")) < 0 ||
	    (r = make_mountpoint(ctx, c->rootfd, "dev")) < 0 ||
	    (c->bind_src && (r = make_mountpoint(ctx, c->rootfd, c->bind_dst)) < 0))
		goto out;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = IMG_ERR(ctx, -errno, "cannot make a pipe: %s", strerror(errno));
		goto out;
	}
	pid_t pid = fork();
	if (pid < 0) {
		r = IMG_ERR(ctx, -errno, "cannot fork to run %s: %s", argv[0], strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* stdout/stderr -> pipe (dup2 clears CLOEXEC on the copies) */
		child(c, argv, pipefd[1]);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	/* keep the tail of the output: that is where errors are */
	size_t n = 0;
	char buf[4096];
	ssize_t got;
	while ((got = read(pipefd[0], buf, sizeof buf)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!out || outlen < 2)
			continue;
		size_t g = (size_t)got, cap = outlen - 1;
		if (g >= cap) {
			memcpy(out, buf + g - cap, cap);
			n = cap;
		} else {
			if (n + g > cap) {
				memmove(out, out + (n + g - cap), cap - g);
				n = cap - g;
			}
			memcpy(out + n, buf, g);
			n += g;
		}
	}
	if (out && outlen)
		out[n] = '\0';
	int ws;
	while (waitpid(pid, &ws, 0) < 0) {
		if (errno != EINTR) {
			r = IMG_ERR(ctx, -errno, "cannot wait for %s", argv[0]);
			goto out;
		}
	}
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return r;
}
