/* plugins/vsock/bridge.c - stdin/stdout <-> vsock stream, like `socat - UNIX:...`.
 * One buffer per direction; poll() asks for input only when the buffer is empty and
 * for output only when it is not, so neither side can block the other for long. */
#include "proto.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BRIDGE_BUF 65536

struct dir {
	char *data;
	size_t off, len;
};

static int fail(char *err, size_t errlen, int e, const char *what)
{
	snprintf(err, errlen, "%s failed: %s.", what, strerror(e));
	return -e;
}

int vsock_bridge(int sock, const char *pre, size_t prelen, int in_fd, int out_fd, char *err, size_t errlen)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct dir up = { 0 }, down = { 0 }; /* up: in_fd -> sock, down: sock -> out_fd */
	int in_eof = 0, sock_eof = 0, shut = 0, rc = 0;

	up.data = malloc(BRIDGE_BUF);
	down.data = malloc(BRIDGE_BUF);
	if (!up.data || !down.data) {
		free(up.data);
		free(down.data);
		return fail(err, errlen, ENOMEM, "Allocating the bridge buffers");
	}
	if (prelen > BRIDGE_BUF)
		prelen = BRIDGE_BUF;
	memcpy(down.data, pre, prelen);
	down.len = prelen;
	/* a closed stdout must give EPIPE, not kill lia-core; restored below */
	sigaction(SIGPIPE, &ign, &old);

	for (;;) {
		struct pollfd p[3];
		int n = 0, pi = -1, ps = -1, po = -1;
		short sev = 0;

		if (in_eof && up.len == 0 && !shut) {
			/* half-close: the guest sees EOF, its answer can still arrive */
			shutdown(sock, SHUT_WR);
			shut = 1;
		}
		if (sock_eof && down.len == 0)
			break;
		if (!in_eof && up.len == 0) {
			pi = n;
			p[n++] = (struct pollfd){ .fd = in_fd, .events = POLLIN };
		}
		if (!sock_eof && down.len == 0)
			sev |= POLLIN;
		if (up.len)
			sev |= POLLOUT;
		if (sev) {
			ps = n;
			p[n++] = (struct pollfd){ .fd = sock, .events = sev };
		}
		if (down.len) {
			po = n;
			p[n++] = (struct pollfd){ .fd = out_fd, .events = POLLOUT };
		}
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = fail(err, errlen, errno, "Waiting for data");
			break;
		}
		if (pi >= 0 && p[pi].revents) {
			ssize_t r = (p[pi].revents & POLLNVAL) ? 0 : read(in_fd, up.data, BRIDGE_BUF);
			if (r > 0) {
				up.off = 0;
				up.len = (size_t)r;
			} else if (r == 0) {
				in_eof = 1;
			} else if (errno != EINTR && errno != EAGAIN) {
				rc = fail(err, errlen, errno, "Reading standard input");
				break;
			}
		}
		if (ps >= 0 && p[ps].revents) {
			if (up.len) {
				ssize_t w = send(sock, up.data + up.off, up.len, MSG_NOSIGNAL);
				if (w > 0) {
					up.off += (size_t)w;
					up.len -= (size_t)w;
				} else if (w < 0 && (errno == EPIPE || errno == ECONNRESET)) {
					/* the guest stopped reading: drop input, keep its output */
					up.len = 0;
					in_eof = shut = 1;
				} else if (w < 0 && errno != EINTR && errno != EAGAIN) {
					rc = fail(err, errlen, errno, "Writing to the vsock connection");
					break;
				}
			}
			if (!sock_eof && down.len == 0 && (p[ps].revents & (POLLIN | POLLHUP | POLLERR))) {
				ssize_t r = read(sock, down.data, BRIDGE_BUF);
				if (r > 0) {
					down.off = 0;
					down.len = (size_t)r;
				} else if (r == 0 || errno == ECONNRESET) {
					sock_eof = 1;
				} else if (errno != EINTR && errno != EAGAIN) {
					rc = fail(err, errlen, errno, "Reading from the vsock connection");
					break;
				}
			}
		}
		if (po >= 0 && p[po].revents) {
			ssize_t w = write(out_fd, down.data + down.off, down.len);
			if (w > 0) {
				down.off += (size_t)w;
				down.len -= (size_t)w;
			} else if (w < 0 && errno == EPIPE) {
				break; /* the reader of our output is gone: nothing left to do */
			} else if (w < 0 && errno != EINTR && errno != EAGAIN) {
				rc = fail(err, errlen, errno, "Writing standard output");
				break;
			}
		}
	}
	sigaction(SIGPIPE, &old, NULL);
	free(up.data);
	free(down.data);
	return rc;
}
