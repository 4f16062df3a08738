/* vmm-proc: spawning, identifying, waiting for and killing a VMM process (firecracker,
 * QEMU), and the files it leaves: shared by fc-driver and qemu-driver. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmm-proc.h"

extern char **environ;

int64_t vmm_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int vmm_spawn(const char *const argv[], int console_fd, pid_t *pid, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	/* own session: a Ctrl-C on lia-core's terminal must not reach the VM, and the VM
	 * outlives lia-core; default dispositions and no blocked signals, whatever the
	 * core ignores (SIGPIPE) */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, console_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, console_fd, 2);
	/* the state lock, curl sockets, the caller's pipes: none may stay open in the VMM */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	rc = posix_spawn(pid, argv[0], &fa, &at, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc)
		snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(rc));
	return rc;
}

int vmm_starttime(pid_t pid, uint64_t *start, int *zombie)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* comm (field 2) may hold spaces and ')': fields restart after the LAST ')' */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EIO;
	p += 2; /* field 3: state */
	if (zombie)
		*zombie = (*p == 'Z' || *p == 'X');
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	*start = strtoull(p, NULL, 10);
	return 0;
}

int vmm_alive(pid_t pid, uint64_t start)
{
	uint64_t st;
	int z = 0;
	if (pid <= 0 || vmm_starttime(pid, &st, &z) < 0)
		return 0;
	/* a zombie has exited: init may be slow (or absent) to reap it */
	return st == start && !z;
}

static int decode_status(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return -1;
}

/* Reap pid if it is our child and has ended.  1: reaped (status set), 0: running or not
 * our child. */
static int try_reap(pid_t pid, int *status)
{
	int ws;
	pid_t r = waitpid(pid, &ws, WNOHANG);
	if (r == pid) {
		*status = decode_status(ws);
		return 1;
	}
	return 0;
}

int vmm_wait_socket(const char *path, pid_t pid, uint64_t start, long timeout_ms, int *status)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = vmm_now_ms() + timeout_ms;
	long nap_us = 100;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	*status = -1;
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		int e = errno;
		close(fd);
		if (r == 0)
			return 0;
		if (e != ENOENT && e != ECONNREFUSED && e != EAGAIN)
			return -e;
		if (try_reap(pid, status) || !vmm_alive(pid, start))
			return -ECHILD;
		if (vmm_now_ms() >= deadline)
			return -ETIMEDOUT;
		/* connect() on a Unix socket is cheap: poll often.  Firecracker's socket is ready
		 * 6-60 ms after exec (typically 12); nothing signals listen(), so a coarse nap
		 * is added to every start: 0.1, 0.2, 0.4, then every 0.5 ms */
		struct timespec ts = { 0, nap_us * 1000 };
		nanosleep(&ts, NULL);
		nap_us = nap_us * 2 > 500 ? 500 : nap_us * 2;
	}
}

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* A pidfd for exactly that process, or -1 (errno ESRCH when it is gone). */
static int pidfd_for(pid_t pid, uint64_t start)
{
	int fd = pidfd_open_(pid);
	if (fd < 0)
		return -1;
	/* the pidfd pins the pid: if the start time still matches now, fd is our VMM */
	if (!vmm_alive(pid, start)) {
		uint64_t st;
		int z = 0;
		/* our own not-yet-reaped child shows as a zombie: still the right one */
		if (vmm_starttime(pid, &st, &z) == 0 && st == start && z)
			return fd;
		close(fd);
		errno = ESRCH;
		return -1;
	}
	return fd;
}

int vmm_wait_exit(pid_t pid, uint64_t start, long timeout_ms, int *status)
{
	int64_t deadline = vmm_now_ms() + timeout_ms;
	*status = -1;
	if (try_reap(pid, status))
		return 1;
	int fd = pidfd_for(pid, start);
	if (fd < 0 && errno == ESRCH)
		return 1;
	for (;;) {
		long left = (long)(deadline - vmm_now_ms());
		if (fd >= 0) {
			/* readable once the process has exited (zombie or reaped) */
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int r = poll(&p, 1, left > 0 ? (int)(left > 100 ? 100 : left) : 0);
			if (r > 0) {
				close(fd);
				/* our child: collect the real status (blocking is fine now) */
				int ws;
				if (waitpid(pid, &ws, 0) == pid)
					*status = decode_status(ws);
				return 1;
			}
		} else {
			/* no pidfd (old kernel): poll /proc */
			if (try_reap(pid, status) || !vmm_alive(pid, start))
				return 1;
			sleep_ms(left > 10 ? 10 : (left > 0 ? left : 0));
		}
		if (vmm_now_ms() >= deadline) {
			if (fd >= 0)
				close(fd);
			return 0;
		}
	}
}

int vmm_kill(pid_t pid, uint64_t start, int sig)
{
	int fd = pidfd_for(pid, start);
	if (fd < 0) {
		if (errno == ESRCH)
			return -ESRCH;
		/* no pidfd support: check identity, then kill (tiny reuse window) */
		if (!vmm_alive(pid, start))
			return -ESRCH;
		return kill(pid, sig) < 0 ? -errno : 0;
	}
#ifdef SYS_pidfd_send_signal
	int r = (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
#else
	int r = kill(pid, sig);
#endif
	int e = errno;
	close(fd);
	return r < 0 ? -e : 0;
}

/* Read at most len bytes of the end of path into buf; returns bytes read. */
static size_t read_tail(const char *path, char *buf, size_t len)
{
	/* never through a link: the tail goes into error messages */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	off_t off = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	if (st.st_size > (off_t)len)
		off = st.st_size - (off_t)len;
	ssize_t n = pread(fd, buf, len, off);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

void vmm_log_tail(const char *path, char *out, size_t outlen)
{
	char buf[512];
	size_t n = read_tail(path, buf, outlen - 1 < sizeof(buf) ? outlen - 1 : sizeof(buf));
	size_t o = 0, i = 0;
	/* start at a line boundary when we cut in the middle */
	if (n == sizeof(buf) || n == outlen - 1) {
		while (i < n && buf[i] != '\n')
			i++;
		if (i < n)
			i++;
		else
			i = 0;
	}
	for (; i < n && o + 1 < outlen; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '\n' || c == '\r')
			c = o && out[o - 1] != ' ' && out[o - 1] != '|' ? '|' : ' ';
		else if (c < 32 || c == 127)
			c = '?';
		out[o++] = (char)c;
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '|'))
		o--;
	out[o] = '\0';
}

int vmm_log_last_int(const char *path, const char *key)
{
	char buf[4096 + 1];
	size_t n = read_tail(path, buf, sizeof(buf) - 1), kl = strlen(key);
	buf[n] = '\0';
	int code = -1;
	for (char *p = buf; (p = strstr(p, key)) != NULL; p += kl)
		code = atoi(p + kl);
	return code;
}

int vmm_proc_arg(const char *pid, const char *flag, char *out, size_t outlen)
{
	char path[300], buf[16384];
	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (char *p = buf; p < buf + n; p += strlen(p) + 1)
		if (!strcmp(p, flag) && p + strlen(p) + 1 < buf + n)
			return (size_t)snprintf(out, outlen, "%s", p + strlen(p) + 1) < outlen;
	return 0;
}

void vmm_unlink_socket(const char *path)
{
	struct stat st;
	if (path && lstat(path, &st) == 0 && (S_ISSOCK(st.st_mode) || S_ISLNK(st.st_mode)))
		unlink(path);
}
