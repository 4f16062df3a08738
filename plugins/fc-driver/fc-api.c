/* fc-driver: a small HTTP/1.1 client for Firecracker's API socket.
 * Not libcurl: loading libcurl.so.4 and its ~30 libraries and initialising it cost 16-21 ms
 * per `vm start` (measured: dlopen 14-19 ms, curl_easy_init 2 ms), four times lia's whole
 * budget around the VMM, to speak to a local server that accepts one narrow dialect
 * (reference/firecracker.md section 1.1, micro_http v1.6.0):
 *  - requests: PUT with a JSON body, always with Content-Length, no chunking, no Expect;
 *    each request line and header line under 1024 bytes;
 *  - answers: status line without a reason phrase; 204 carries no Content-Length (the
 *    client must not read to EOF); bodies carry Content-Length; always keep-alive, except
 *    the 503 of an eleventh connection, which closes.
 * One connection is kept for every call of a handle, as curl did. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fc-api.h"
#include "fc-args.h"
#include "vmm-proc.h"

/* Firecracker's bodies are small; keep at most this much of one */
#define FC_RESP_MAX (64 * 1024)
/* the status line and headers of one answer; micro_http's are ~100 bytes */
#define FC_HEAD_MAX (16 * 1024)

struct fc_api {
	struct sockaddr_un sa;
	int fd; /* the kept connection, or -1 */
	long timeout_ms;
	char *resp; /* the last answer's body, NUL-terminated */
	size_t len;
	char buf[FC_HEAD_MAX + 1]; /* bytes read and not yet used, then a NUL */
	size_t have;
};

struct fc_api *fc_api_open(const char *socket_path, long timeout_ms)
{
	struct fc_api *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	if (strlen(socket_path) >= sizeof(a->sa.sun_path)) {
		free(a);
		errno = ENAMETOOLONG;
		return NULL;
	}
	a->sa.sun_family = AF_UNIX;
	strcpy(a->sa.sun_path, socket_path);
	a->fd = -1;
	a->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
	return a;
}

static void drop_connection(struct fc_api *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	a->have = 0;
}

void fc_api_close(struct fc_api *a)
{
	if (!a)
		return;
	drop_connection(a);
	free(a->resp);
	free(a);
}

/* wait until fd is ready for ev or the deadline passes: 0, or -ETIMEDOUT / -errno */
static int wait_fd(int fd, short ev, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - vmm_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = ev };
		int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int connect_api(struct fc_api *a, int64_t deadline)
{
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&a->sa, sizeof(a->sa)) == 0) {
			a->fd = fd;
			a->have = 0;
			return 0;
		}
		int e = errno;
		close(fd);
		/* a full backlog: the API thread is busy with another client; try again soon */
		if (e != EAGAIN)
			return -e;
		if (vmm_now_ms() >= deadline)
			return -ETIMEDOUT;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
}

static int send_all(struct fc_api *a, const char *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t w = send(a->fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return -errno;
		int r = wait_fd(a->fd, POLLOUT, deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

/* read more into a->buf: bytes read, 0 at EOF, or -errno / -ETIMEDOUT / -EMSGSIZE (full) */
static ssize_t fill(struct fc_api *a, int64_t deadline)
{
	if (a->have >= FC_HEAD_MAX)
		return -EMSGSIZE;
	for (;;) {
		ssize_t n = recv(a->fd, a->buf + a->have, FC_HEAD_MAX - a->have, 0);
		if (n >= 0) {
			a->have += (size_t)n;
			a->buf[a->have] = '\0';
			return n;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		int r = wait_fd(a->fd, POLLIN, deadline);
		if (r < 0)
			return r;
	}
}

static void consume(struct fc_api *a, size_t n)
{
	memmove(a->buf, a->buf + n, a->have - n);
	a->have -= n;
	a->buf[a->have] = '\0';
}

/* the value of header NAME in the header block [h, end) (lines end in \r\n), or NULL */
static const char *header(const char *h, const char *end, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	while (h < end) {
		const char *eol = memmem(h, (size_t)(end - h), "\r\n", 2); /* a bare CR is data */
		if (!eol)
			eol = end;
		if ((size_t)(eol - h) > nl && h[nl] == ':' && strncasecmp(h, name, nl) == 0) {
			const char *v = h + nl + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			const char *ve = eol;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			*vlen = (size_t)(ve - v);
			return v;
		}
		h = eol + 2;
	}
	return NULL;
}

static void keep_body(struct fc_api *a, const char *p, size_t n)
{
	if (a->len + n > FC_RESP_MAX - 1) /* keep the head, drop the rest */
		n = FC_RESP_MAX - 1 - a->len;
	memcpy(a->resp + a->len, p, n);
	a->len += n;
	a->resp[a->len] = '\0';
}

/* fill()'s error N while reading WHAT: the sentence in err, and N */
static int read_failed(const struct fc_api *a, ssize_t n, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s reading %s from %s", n == -ETIMEDOUT ? "timed out" : strerror((int)-n),
		 what, a->sa.sun_path);
	return (int)n;
}

/* Read one answer.  Its status (100-599), or a negative errno with err set.  *closed: the
 * connection cannot carry another request.  *nothing: EOF or a reset before the first byte (a kept
 * connection the server closed: the request may be sent again on a new one). */
static int read_answer(struct fc_api *a, int64_t deadline, int *closed, int *nothing, char *err,
		       size_t errlen)
{
	const char *sock = a->sa.sun_path;
	char *end;
	*nothing = 0;
	for (;;) {
		end = memmem(a->buf, a->have, "\r\n\r\n", 4);
		if (end)
			break;
		ssize_t n = fill(a, deadline);
		if (n == 0) {
			*nothing = a->have == 0;
			snprintf(err, errlen, "%s closed the connection %s", sock,
				 a->have ? "in the middle of an answer" : "without answering");
			return -ECONNRESET;
		}
		if (n == -EMSGSIZE) {
			snprintf(err, errlen, "the answer's headers from %s exceed %d bytes", sock,
				 FC_HEAD_MAX);
			return -EPROTO;
		}
		if (n < 0) {
			/* a kept connection closed with our request unread: reset, not EOF */
			*nothing = n == -ECONNRESET && a->have == 0;
			return read_failed(a, n, "the answer", err, errlen);
		}
	}
	size_t head_len = (size_t)(end - a->buf) + 4;
	int status = 0, minor = 0;
	char c = 0;
	/* "HTTP/1.1 204 " or "HTTP/1.1 400 Bad Request": three digits, then space or CR */
	if (sscanf(a->buf, "HTTP/1.%1d %3d%c", &minor, &status, &c) != 3 || status < 100 || status > 599 ||
	    (c != ' ' && c != '\r')) {
		char line[80];
		size_t l = strcspn(a->buf, "\r\n");
		snprintf(line, sizeof line, "%.*s", (int)(l < 60 ? l : 60), a->buf);
		snprintf(err, errlen, "%s answered something that is not HTTP/1.x: \"%s\"", sock, line);
		return -EPROTO;
	}
	const char *hs = (char *)memmem(a->buf, head_len, "\r\n", 2) + 2, *he = end + 2;
	size_t vl;
	const char *v = header(hs, he, "Transfer-Encoding", &vl);
	if (v) {
		snprintf(err, errlen,
			 "%s answered with Transfer-Encoding %.*s, which Firecracker never sends", sock,
			 (int)(vl < 40 ? vl : 40), v);
		return -EPROTO;
	}
	v = header(hs, he, "Connection", &vl);
	*closed = (v && vl == 5 && strncasecmp(v, "close", 5) == 0) || minor == 0;
	long long clen = -1;
	v = header(hs, he, "Content-Length", &vl);
	if (v) {
		size_t i = 0;
		for (clen = 0; i < vl && v[i] >= '0' && v[i] <= '9' && clen <= (INT64_MAX - 9) / 10; i++)
			clen = clen * 10 + (v[i] - '0');
		if (!vl || i < vl) {
			snprintf(err, errlen, "%s answered with a bad Content-Length \"%.*s\"", sock,
				 (int)(vl < 23 ? vl : 23), v);
			return -EPROTO;
		}
	}
	consume(a, head_len);
	if (status < 200) /* 1xx: no body; the real answer follows (we never send Expect) */
		return status;
	/* no body: 204, 304; and Firecracker's 204 has no Content-Length: never read to EOF */
	if (status == 204 || status == 304)
		clen = 0;
	if (clen < 0)
		*closed = 1; /* the body runs to EOF */
	for (;;) {
		size_t take = a->have;
		if (clen >= 0 && (long long)take > clen)
			take = (size_t)clen;
		keep_body(a, a->buf, take);
		consume(a, take);
		if (clen >= 0) {
			clen -= (long long)take;
			if (clen == 0)
				return status;
		}
		ssize_t n = fill(a, deadline);
		if (n == 0) {
			if (clen < 0)
				return status;
			snprintf(err, errlen, "%s closed the connection in the middle of an answer's body",
				 sock);
			return -ECONNRESET;
		}
		if (n < 0)
			return read_failed(a, n, "the answer's body", err, errlen);
	}
}

/* one request on the current connection (made when there is none): status or -errno */
static int exchange(struct fc_api *a, const char *req, size_t req_len, int64_t deadline, int *retry,
		    char *err, size_t errlen)
{
	int reused = a->fd >= 0, r;
	*retry = 0;
	if (!reused && (r = connect_api(a, deadline)) < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", a->sa.sun_path,
			 r == -ETIMEDOUT ? "timed out" : strerror(-r));
		return r;
	}
	int closed = 0, nothing = 1, st = -1, informed = 0;
	if ((r = send_all(a, req, req_len, deadline)) < 0) {
		int gone = r == -EPIPE || r == -ECONNRESET;
		if (gone) { /* it may have answered before closing (a 400 for too large a payload) */
			a->len = 0;
			a->resp[0] = '\0';
			st = read_answer(a, deadline, &closed, &nothing, err, errlen);
		}
		drop_connection(a); /* never send again on a half-written request */
		if (st >= 200)
			return st;
		/* a kept connection the server has closed meanwhile: try once on a new one */
		*retry = reused && gone && nothing;
		snprintf(err, errlen, "%s sending the request to %s",
			 r == -ETIMEDOUT ? "timed out" : strerror(-r), a->sa.sun_path);
		return r;
	}
	do {
		a->len = 0;
		a->resp[0] = '\0';
		st = read_answer(a, deadline, &closed, &nothing, err, errlen);
		informed |= st >= 100 && st < 200;
	} while (st >= 100 && st < 200);
	if (st < 0)
		*retry = reused && nothing && !informed;
	if (st < 0 || closed)
		drop_connection(a);
	return st;
}

int fc_api_put(struct fc_api *a, const char *path, json_t *body, char *err, size_t errlen)
{
	int64_t deadline = vmm_now_ms() + a->timeout_ms;
	err[0] = '\0';
	if (!a->resp && !(a->resp = malloc(FC_RESP_MAX))) {
		snprintf(err, errlen, "out of memory for the answer to PUT %s", path);
		return -1;
	}
	char *text = json_dumps(body, JSON_COMPACT);
	if (!text) {
		snprintf(err, errlen, "out of memory building the body of PUT %s", path);
		return -1;
	}
	size_t blen = strlen(text);
	char *req = NULL;
	/* micro_http: the request line must fit its 1024-byte buffer */
	int n = strlen(path) > 900 ? -1
				   : asprintf(&req,
					      "PUT %s HTTP/1.1\r\nHost: localhost\r\n"
					      "Content-Type: application/json\r\nAccept: application/json\r\n"
					      "Content-Length: %zu\r\n\r\n%s",
					      path, blen, text);
	free(text);
	if (n < 0) {
		snprintf(err, errlen, "cannot build the request PUT %.64s", path);
		return -1;
	}
	int retry, st = exchange(a, req, (size_t)n, deadline, &retry, err, errlen);
	if (st < 0 && retry) {
		drop_connection(a);
		st = exchange(a, req, (size_t)n, deadline, &retry, err, errlen);
	}
	free(req);
	if (st < 0)
		return -1;
	if (st < 200 || st > 299)
		fc_fault_text(a->resp, a->len, err, errlen);
	return st;
}
