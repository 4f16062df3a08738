/* tests/vsock/test-proto.c - the OK-line parser and the dialer's reading of it:
 * partial lines, bytes after the newline, garbage, u32 bounds; then vsock_dial()
 * against a forked server that dribbles its answer one byte per write. TAP. */
#include "../../plugins/vsock/proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int n, failed;

static void ok(int cond, const char *what)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, what);
	failed += !cond;
}

static void parse_is(const char *s, int want, uint32_t want_port, size_t want_used)
{
	uint32_t port = 0;
	size_t used = 0;
	int r = vsock_parse_ok(s, strlen(s), &port, &used);
	char d[128];
	snprintf(d, sizeof d, "parse '%.*s%s' -> %d", (int)strcspn(s, "\n"), s,
		 strchr(s, '\n') ? "\\n..." : "", want);
	ok(r == want && (want != 1 || (port == want_port && used == want_used)), d);
	if (r != want)
		printf("#   got %d\n", r);
}

static void dribble_server(int lfd, const char *reply)
{
	int fd = accept(lfd, NULL, NULL);
	char buf[64];
	struct timespec d = { 0, 5 * 1000000 };
	if (fd < 0)
		_exit(1);
	if (read(fd, buf, sizeof buf) <= 0)
		_exit(1);
	/* a leading '!' means: everything in one write */
	if (*reply == '!') {
		if (write(fd, reply + 1, strlen(reply + 1)) < 0)
			_exit(1);
		reply = "";
	}
	for (const char *p = reply; *p; p++) {
		if (write(fd, p, 1) != 1)
			_exit(1);
		nanosleep(&d, NULL);
	}
	/* keep the connection until the client hangs up */
	while (read(fd, buf, sizeof buf) > 0)
		;
	_exit(0);
}

static int dial_against(const char *dir, const char *reply, struct vsock_conn *c, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, r, st;
	pid_t pid;

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/d.sock", dir);
	unlink(sa.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4) < 0)
		return -errno;
	pid = fork();
	if (pid == 0)
		dribble_server(lfd, reply);
	close(lfd);
	r = vsock_dial(sa.sun_path, 52, 2000, c, err, errlen);
	if (r == 0)
		close(c->fd);
	waitpid(pid, &st, 0);
	return r;
}

int main(void)
{
	char dir[] = "/tmp/lia-vsock-proto.XXXXXX", err[600], path[200];
	struct vsock_conn c;
	uint32_t port;
	size_t used;
	int r;

	/* whole lines */
	parse_is("OK 1073741824\n", 1, 1073741824u, 14);
	parse_is("OK 0\n", 1, 0, 5);
	parse_is("OK 4294967295\n", 1, 4294967295u, 14);
	/* bytes after the newline belong to the stream */
	parse_is("OK 5\nhello", 1, 5, 5);
	parse_is("OK 5\nOK 6\n", 1, 5, 5);
	/* incomplete but valid so far */
	parse_is("", 0, 0, 0);
	parse_is("O", 0, 0, 0);
	parse_is("OK", 0, 0, 0);
	parse_is("OK ", 0, 0, 0);
	parse_is("OK 10737", 0, 0, 0);
	/* garbage */
	parse_is("KO 5\n", -1, 0, 0);
	parse_is("ok 5\n", -1, 0, 0);
	parse_is("OK\n", -1, 0, 0);
	parse_is("OK \n", -1, 0, 0);
	parse_is("OK x\n", -1, 0, 0);
	parse_is("OK 5 \n", -1, 0, 0);
	parse_is("OK -5\n", -1, 0, 0);
	parse_is("OK 4294967296\n", -1, 0, 0);
	parse_is("OK 12345678901\n", -1, 0, 0);
	parse_is("HELLO there\n", -1, 0, 0);
	parse_is("\n", -1, 0, 0);

	/* every prefix of a valid line is "need more", the whole one is done */
	{
		const char *line = "OK 1073741825\nXYZ";
		int good = 1;
		for (size_t i = 0; i < 14; i++)
			good &= vsock_parse_ok(line, i, &port, &used) == 0;
		good &= vsock_parse_ok(line, strlen(line), &port, &used) == 1 && used == 14 &&
			port == 1073741825u;
		ok(good, "byte-by-byte: every prefix needs more, the full line parses");
	}

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	/* the real reader: one byte per write, stream bytes after the line kept */
	r = dial_against(dir, "OK 1073741824\nhi!", &c, err, sizeof err);
	ok(r == 0 && c.host_port == 1073741824u, "dial reads an OK line sent one byte per write");
	/* the extra bytes may come in later reads; whatever arrived with the line is kept */
	ok(r == 0 && c.extra_len <= 3 && memcmp(c.extra, "hi!", c.extra_len) == 0,
	   "bytes after the OK line in the same read are kept, in order");
	r = dial_against(dir, "!OK 9\nhello, host", &c, err, sizeof err);
	ok(r == 0 && c.host_port == 9 && c.extra_len == 11 && !memcmp(c.extra, "hello, host", 11),
	   "OK line and guest data in one write: all data after the newline kept");
	r = dial_against(dir, "OK 7\n", &c, err, sizeof err);
	ok(r == 0 && c.host_port == 7 && c.extra_len == 0 && c.attempts == 1,
	   "dial: one attempt, no extra bytes");
	r = dial_against(dir, "NOPE\n", &c, err, sizeof err);
	ok(r == -EPROTO && strstr(err, "answered 'N") && strstr(err, "d.sock"),
	   "garbage reply: fails at once with EPROTO naming the socket");
	if (r != -EPROTO)
		printf("#   r=%d err=%s\n", r, err);
	r = dial_against(dir, "OK 123456789012345678901234567890123\n", &c, err, sizeof err);
	ok(r == -EPROTO, "over-long reply is garbage");

	/* a path with nobody behind it: retries until the deadline, then names socket+port */
	snprintf(path, sizeof path, "%s/none.sock", dir);
	{
		long long t0 = vsock_now_ms();
		r = vsock_dial(path, 1234, 300, &c, err, sizeof err);
		long long dt = vsock_now_ms() - t0;
		ok(r == -ETIMEDOUT && dt >= 290 && dt < 1500 && c.attempts >= 3,
		   "missing socket: retried until the deadline");
		ok(strstr(err, path) && strstr(err, "1234") && strstr(err, "does not exist"),
		   "missing socket: message names socket, port and reason");
		printf("#   %s\n", err);
	}
	{
		char longp[200];
		memset(longp, 'a', sizeof longp - 1);
		longp[0] = '/';
		longp[sizeof longp - 1] = '\0';
		ok(vsock_dial(longp, 1, 100, &c, err, sizeof err) == -ENAMETOOLONG,
		   "a path longer than sun_path is refused");
	}
	unlink(path);
	snprintf(path, sizeof path, "%s/d.sock", dir);
	unlink(path);
	rmdir(dir);
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
