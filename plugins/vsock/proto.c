/* plugins/vsock/proto.c - "CONNECT <port>\n" / "OK <n>\n" handshake with retries.
 * Why retries: until the guest driver is up and the guest program listens, Firecracker
 * accepts the connection and then closes it without a word (or the socket does not
 * exist yet), so "closed" only means "not yet" until the caller's deadline. */
#include "proto.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

long long vsock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int vsock_parse_ok(const char *buf, size_t len, uint32_t *port, size_t *used)
{
	static const char head[] = "OK ";
	uint64_t v = 0;
	size_t digits = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];
		if (i < 3) {
			if (ch != head[i])
				return -1;
			continue;
		}
		if (ch == '\n') {
			if (digits == 0)
				return -1;
			*port = (uint32_t)v;
			*used = i + 1;
			return 1;
		}
		/* a u32 has at most 10 digits: "OK " + 10 + "\n" stays under VSOCK_LINE_MAX */
		if (ch < '0' || ch > '9' || ++digits > 10)
			return -1;
		v = v * 10 + (uint64_t)(ch - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	return len >= VSOCK_LINE_MAX ? -1 : 0;
}

/* printable copy of a reply for error messages */
static void show(char *dst, size_t dlen, const char *src, size_t slen)
{
	size_t o = 0;
	for (size_t i = 0; i < slen && o + 5 < dlen; i++) {
		unsigned char ch = (unsigned char)src[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			dst[o++] = (char)ch;
		else
			o += (size_t)snprintf(dst + o, dlen - o, "\\x%02x", ch);
	}
	dst[o] = '\0';
}

enum { TRY_DONE = 0, TRY_AGAIN = 1 };

/* One connection attempt.  TRY_AGAIN with `why` set for "not yet", a negative errno
 * with err set for a failure retrying cannot fix. */
static int try_once(const char *uds, uint32_t port, long long deadline, struct vsock_conn *c, char *why,
		    size_t whylen, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[VSOCK_LINE_MAX], buf[sizeof c->extra];
	size_t len = 0, used = 0;
	int fd, n, e;

	strcpy(sa.sun_path, uds); /* length checked by vsock_dial */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "Cannot create a Unix socket for vsock socket '%s': %s.", uds,
			 strerror(e));
		return -e;
	}
	c->attempts++;
	while (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		e = errno;
		if (e == EINTR)
			continue;
		close(fd);
		if (e == ENOENT || e == ECONNREFUSED || e == EAGAIN) {
			snprintf(why, whylen, "%s",
				 e == ENOENT         ? "the socket does not exist"
				 : e == ECONNREFUSED ? "nothing listens on the socket"
						     : "the socket's backlog is full");
			return TRY_AGAIN;
		}
		snprintf(err, errlen, "Cannot connect to vsock socket '%s': %s.", uds, strerror(e));
		return -e;
	}
	/* the whole line in one write: Firecracker drops a connection whose first read
	 * does not hold the complete command */
	n = snprintf(line, sizeof line, "CONNECT %u\n", port);
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		snprintf(why, whylen, "the request could not be sent (%s)", strerror(errno));
		close(fd);
		return TRY_AGAIN;
	}
	for (;;) {
		long long left = deadline - vsock_now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;
		int pr;

		if (left <= 0) {
			/* keep an earlier attempt's reason: it says more than this one */
			if (c->attempts == 1)
				snprintf(why, whylen, "no answer before the deadline");
			close(fd);
			return TRY_AGAIN;
		}
		pr = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
		if (pr < 0 && errno != EINTR) {
			e = errno;
			close(fd);
			snprintf(err, errlen, "Waiting on vsock socket '%s' failed: %s.", uds, strerror(e));
			return -e;
		}
		if (pr <= 0)
			continue;
		r = read(fd, buf + len, sizeof buf - len);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == 0 || (r < 0 && errno == ECONNRESET)) {
			snprintf(why, whylen,
				 "the connection was closed without an answer (guest port %u "
				 "not listening yet)",
				 port);
			close(fd);
			return TRY_AGAIN;
		}
		if (r < 0) {
			e = errno;
			close(fd);
			snprintf(err, errlen, "Reading from vsock socket '%s' failed: %s.", uds, strerror(e));
			return -e;
		}
		len += (size_t)r;
		switch (vsock_parse_ok(buf, len, &c->host_port, &used)) {
		case 1:
			c->fd = fd;
			c->extra_len = len - used;
			memcpy(c->extra, buf + used, c->extra_len);
			return TRY_DONE;
		case 0: continue;
		default: {
			char s[4 * VSOCK_LINE_MAX + 1];
			show(s, sizeof s, buf, len < VSOCK_LINE_MAX ? len : VSOCK_LINE_MAX);
			close(fd);
			snprintf(err, errlen,
				 "Vsock socket '%s' answered '%s' to 'CONNECT %u' instead of "
				 "'OK <port>'; is it a Firecracker vsock socket?",
				 uds, s, port);
			return -EPROTO;
		}
		}
	}
}

int vsock_dial(const char *uds, uint32_t port, long timeout_ms, struct vsock_conn *c, char *err,
	       size_t errlen)
{
	long long deadline = vsock_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	long long delay = 10, now;
	char why[160] = "no attempt made";

	memset(c, 0, sizeof *c);
	c->fd = -1;
	if (strlen(uds) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen,
			 "Vsock socket path '%s' is too long for a Unix socket (%zu bytes, at most "
			 "%zu).",
			 uds, strlen(uds), sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	for (;;) {
		int r = try_once(uds, port, deadline, c, why, sizeof why, err, errlen);
		if (r <= 0)
			return r;
		now = vsock_now_ms();
		if (now >= deadline)
			break;
		/* back off, but never sleep past the deadline */
		sleep_ms(delay < deadline - now ? delay : deadline - now);
		delay = delay * 2 > 250 ? 250 : delay * 2;
	}
	snprintf(err, errlen,
		 "No connection to guest port %u through vsock socket '%s' within %ld ms "
		 "(%d attempts; last: %s).",
		 port, uds, timeout_ms, c->attempts, why);
	return -ETIMEDOUT;
}
