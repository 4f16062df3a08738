/* qemu-driver: QMP client over a Unix socket (JSON via jansson). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qemu-argv.h"
#include "qmp.h"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct conn {
	int fd;
	long long deadline;
	char buf[65536];
	size_t len;
};

/* the next JSON line that is not an asynchronous event; NULL on error (err set) */
static json_t *next_message(struct conn *c, char *err, size_t errlen)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			size_t l = (size_t)(nl - c->buf) + 1;
			json_error_t je;
			json_t *j = json_loadb(c->buf, l, 0, &je);
			memmove(c->buf, c->buf + l, c->len - l);
			c->len -= l;
			if (!j) {
				snprintf(err, errlen, "QEMU sent a line that is not JSON (%s)", je.text);
				return NULL;
			}
			if (json_object_get(j, "event")) { /* SHUTDOWN, POWERDOWN...: not an answer */
				json_decref(j);
				continue;
			}
			return j;
		}
		if (c->len == sizeof(c->buf)) {
			snprintf(err, errlen, "QEMU sent a QMP message longer than %zu bytes",
				 sizeof(c->buf));
			return NULL;
		}
		long long left = c->deadline - now_ms();
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int r = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "QEMU did not answer on its QMP socket in time");
			errno = ETIMEDOUT;
			return NULL;
		}
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n <= 0) {
			snprintf(err, errlen, "QEMU closed its QMP socket%s%s", n < 0 ? ": " : "",
				 n < 0 ? strerror(errno) : "");
			errno = EPIPE;
			return NULL;
		}
		c->len += (size_t)n;
	}
}

static int send_all(struct conn *c, const char *s, size_t n, char *err, size_t errlen)
{
	while (n > 0) {
		ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			snprintf(err, errlen, "cannot write to the QMP socket: %s", strerror(errno));
			return -errno;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* send one command and read its answer: 0 and *ret, or -errno */
static int execute(struct conn *c, const char *cmd, json_t **ret, char *err, size_t errlen)
{
	char line[128];
	int n = qemu_qmp_command(line, sizeof(line), cmd);
	if (n < 0) {
		snprintf(err, errlen, "QMP command name too long");
		return -EINVAL;
	}
	int r = send_all(c, line, (size_t)n, err, errlen);
	if (r < 0)
		return r;
	json_t *j = next_message(c, err, errlen);
	if (!j)
		return errno ? -errno : -EIO;
	json_t *e = json_object_get(j, "error");
	if (e) {
		const char *d = json_string_value(json_object_get(e, "desc"));
		snprintf(err, errlen, "QEMU refused %s: %s", cmd, d ? d : "(no description)");
		json_decref(j);
		return -EINVAL;
	}
	json_t *rv = json_object_get(j, "return");
	if (!rv) {
		snprintf(err, errlen, "QEMU's answer to %s has no \"return\"", cmd);
		json_decref(j);
		return -EPROTO;
	}
	if (ret)
		*ret = json_incref(rv);
	json_decref(j);
	return 0;
}

int qmp_call(const char *path, const char *cmd, long timeout_ms, json_t **ret, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static struct conn c; /* 64 KiB: not on the hook's stack; one call at a time */
	int r;
	if (ret)
		*ret = NULL;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "the QMP socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	c.len = 0;
	c.deadline = now_ms() + timeout_ms;
	c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c.fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	if (connect(c.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot connect to the QMP socket %s: %s", path, strerror(errno));
		close(c.fd);
		return r;
	}
	errno = 0;
	json_t *hello = next_message(&c, err, errlen); /* {"QMP": {"version": ...}} */
	if (!hello) {
		r = errno ? -errno : -EIO;
	} else if (!json_object_get(hello, "QMP")) {
		snprintf(err, errlen, "%s does not greet like a QMP server", path);
		r = -EPROTO;
	} else {
		errno = 0;
		r = execute(&c, "qmp_capabilities", NULL, err, errlen);
		if (r == 0) {
			errno = 0;
			r = execute(&c, cmd, ret, err, errlen);
		}
	}
	json_decref(hello);
	close(c.fd);
	return r;
}
