/* tests/vsock/fc-vsock-double.c - behaves like the host side of Firecracker's vsock
 * device (v1.6 muxer.rs), with a pretend guest behind it:
 *   - binds a Unix socket at --uds (optionally only after --bind-delay-ms), never
 *     unlinks it (Firecracker does not either);
 *   - per connection reads the command from ONE read of at most 32 bytes, like the
 *     muxer's non-blocking read: a partial line is dropped;
 *   - "CONNECT <port>\n" to a port the guest listens on (--ports, and only once
 *     --late-ms have passed since start, and not among the first --late-count
 *     connections: a booting guest) answers "OK <hostport>\n"
 *     (host ports from 1073741824), optionally followed in the SAME write by
 *     --greeting, then echoes; when the host half-closes it writes "EOF\n" and closes;
 *   - anything else: the connection is closed without a word;
 *   - --garbage answers a non-OK line instead.
 * --log FILE gets one line per connection: "<port|-> ok|closed|partial|garbage".
 * Usage: fc-vsock-double --uds PATH [--ports 52,1024] [--late-ms N] [--late-count N]
 *                        [--bind-delay-ms N]
 *                        [--greeting TEXT] [--garbage] [--log FILE]              */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *opt_uds, *opt_ports = "52", *opt_greeting = "", *opt_log;
static long opt_late_ms, opt_late_count, opt_bind_delay_ms;
static int opt_garbage;
static struct timespec t_start;

static long elapsed_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t_start.tv_sec) * 1000 + (t.tv_nsec - t_start.tv_nsec) / 1000000;
}

static void logline(const char *port, const char *what)
{
	FILE *f;
	if (!opt_log || !(f = fopen(opt_log, "a")))
		return;
	fprintf(f, "%s %s\n", port, what);
	fclose(f);
}

static int listens(unsigned long port)
{
	char list[256], *save = NULL;
	snprintf(list, sizeof list, "%s", opt_ports);
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (strtoul(t, NULL, 10) == port)
			return 1;
	return 0;
}

static int write_all(int fd, const char *b, size_t n)
{
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One accepted connection, in its own child process. */
static void serve(int fd, unsigned long hostport, long index)
{
	char buf[4096], portstr[16] = "-";
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned long port;
	char *end;
	ssize_t n;

	/* the muxer waits for the socket to become readable, then reads what is there */
	if (poll(&p, 1, 5000) <= 0) {
		logline("-", "closed");
		return;
	}
	n = recv(fd, buf, 32, MSG_DONTWAIT);
	if (n <= 0 || !memchr(buf, '\n', (size_t)n)) {
		logline("-", "partial");
		return;
	}
	buf[n] = '\0';
	if (strncasecmp(buf, "CONNECT ", 8) != 0) {
		logline("-", "closed");
		return;
	}
	port = strtoul(buf + 8, &end, 10);
	snprintf(portstr, sizeof portstr, "%lu", port);
	if (*end != '\n' || end[1] != '\0') {
		logline(portstr, "closed"); /* bytes after the line: the muxer drops it too */
		return;
	}
	if (opt_garbage) {
		write_all(fd, "HELLO there\n", 12);
		logline(portstr, "garbage");
		return;
	}
	if (!listens(port) || elapsed_ms() < opt_late_ms || index < opt_late_count) {
		logline(portstr, "closed"); /* the guest sent RST: host side just closes */
		return;
	}
	n = snprintf(buf, sizeof buf, "OK %lu\n%s", hostport, opt_greeting);
	if (write_all(fd, buf, (size_t)n) < 0)
		return;
	logline(portstr, "ok");
	/* echo until the host half-closes, then say so and close */
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write_all(fd, buf, (size_t)n) < 0)
			return;
	}
	write_all(fd, "EOF\n", 4);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned long hostport = 1073741824UL; /* 2^30, Firecracker's first */
	long index = 0;                        /* connections accepted so far */
	int lfd;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--garbage")) {
			opt_garbage = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "fc-vsock-double: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--uds"))
			opt_uds = v;
		else if (!strcmp(a, "--ports"))
			opt_ports = v;
		else if (!strcmp(a, "--late-ms"))
			opt_late_ms = atol(v);
		else if (!strcmp(a, "--late-count"))
			opt_late_count = atol(v);
		else if (!strcmp(a, "--bind-delay-ms"))
			opt_bind_delay_ms = atol(v);
		else if (!strcmp(a, "--greeting"))
			opt_greeting = v;
		else if (!strcmp(a, "--log"))
			opt_log = v;
		else {
			fprintf(stderr, "fc-vsock-double: unknown option %s\n", a);
			return 2;
		}
	}
	if (!opt_uds || strlen(opt_uds) >= sizeof sa.sun_path) {
		fprintf(stderr, "fc-vsock-double: --uds PATH (shorter than %zu bytes) is required\n",
			sizeof sa.sun_path);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	signal(SIGCHLD, SIG_IGN); /* children reap themselves */
	if (opt_bind_delay_ms > 0) {
		struct timespec d = { opt_bind_delay_ms / 1000, (opt_bind_delay_ms % 1000) * 1000000 };
		nanosleep(&d, NULL);
	}
	strcpy(sa.sun_path, opt_uds);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 128) < 0) {
		fprintf(stderr, "fc-vsock-double: cannot listen on %s: %s\n", opt_uds, strerror(errno));
		return 1;
	}
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		pid_t pid;
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("fc-vsock-double: accept");
			return 1;
		}
		pid = fork();
		if (pid == 0) {
			close(lfd);
			serve(fd, hostport, index);
			close(fd);
			_exit(0);
		}
		close(fd);
		index++;
		hostport++;
	}
}
