/* TAP test of fc-driver's HTTP client (plugins/fc-driver/fc-api.c) against a scripted
 * server on a real Unix socket: the requests it writes (what micro_http v1.6.0 demands:
 * Content-Length, no chunking, no Expect), and every answer shape it must read (Firecracker's
 * 204 without Content-Length, 400 with a body, answers split into single bytes, 100
 * Continue) or refuse with a clear error (chunked, not HTTP, bad Content-Length, oversized
 * headers, a connection closed mid-answer, no answer in time); a kept connection the
 * server closed is replaced transparently. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fc-api.h"

static int n, failed;

static void ok(int cond, const char *what)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, what);
	if (!cond)
		failed++;
}

/* --- the scripted server: for each connection it accepts, it reads `reqs` requests and
 * answers each with the next reply of the script; then it closes (or keeps) the socket */
struct reply {
	const char *bytes;
	size_t len;  /* 0: strlen(bytes) */
	int trickle; /* write one byte at a time */
	int hang;    /* read the request, never answer (until the client closes) */
	int early;   /* answer after the request's head, its body unread, then close */
	int stall;   /* read nothing of the request; wait until the client closes */
};
struct conn_script {
	int reqs;
	struct reply r[4];
	int reset; /* after the answers, wait for the next request and close it unread (a reset) */
};
static struct {
	int lfd;
	struct conn_script c[4];
	int nconn;
	int accepted;
	char last_req[8192];
	size_t last_len;
} srv;

static int read_request(int fd)
{
	size_t have = 0;
	char *buf = srv.last_req;
	for (;;) {
		char *e = memmem(buf, have, "\r\n\r\n", 4);
		if (e) {
			size_t head = (size_t)(e - buf) + 4;
			char *cl = memmem(buf, head, "Content-Length: ", 16);
			size_t body = cl ? strtoul(cl + 16, NULL, 10) : 0;
			if (have >= head + body) {
				srv.last_len = have;
				buf[have] = '\0';
				return 1;
			}
		}
		ssize_t k = read(fd, buf + have, sizeof(srv.last_req) - 1 - have);
		if (k <= 0)
			return 0;
		have += (size_t)k;
	}
}

/* the head only, a byte at a time: the body stays unread */
static int read_head(int fd)
{
	size_t have = 0;
	while (have + 1 < sizeof srv.last_req) {
		if (read(fd, srv.last_req + have, 1) != 1)
			return 0;
		have++;
		if (have >= 4 && !memcmp(srv.last_req + have - 4, "\r\n\r\n", 4)) {
			srv.last_req[have] = '\0';
			return 1;
		}
	}
	return 0;
}

static void *serve(void *arg)
{
	(void)arg;
	for (int c = 0; c < srv.nconn; c++) {
		int fd = accept(srv.lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		srv.accepted++;
		for (int i = 0; i < srv.c[c].reqs; i++) {
			struct reply *r = &srv.c[c].r[i];
			if (r->stall) {
				struct pollfd p = { .fd = fd, .events = POLLRDHUP };
				poll(&p, 1, 5000);
				break;
			}
			if (!(r->early ? read_head(fd) : read_request(fd)))
				break;
			if (r->hang) {
				char b;
				while (read(fd, &b, 1) > 0)
					;
				break;
			}
			size_t len = r->len ? r->len : strlen(r->bytes);
			if (r->trickle)
				for (size_t k = 0; k < len; k++) {
					if (write(fd, r->bytes + k, 1) != 1)
						break;
					struct timespec ts = { 0, 200000 };
					nanosleep(&ts, NULL);
				}
			else if (write(fd, r->bytes, len) != (ssize_t)len)
				break;
			if (r->early)
				break;
		}
		if (srv.c[c].reset) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			poll(&p, 1, 5000);
		}
		close(fd);
	}
	return NULL;
}

static char sock[108];
static long pause_ms;     /* between the client's calls */
static json_t *bodies[4]; /* a call's own body (else a small one) */

/* run the script while the client makes `calls` PUTs; statuses and errors out */
static void run(int calls, int *st, char err[][512], long timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	unlink(sock);
	srv.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(srv.lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(srv.lfd, 8) < 0) {
		perror("bind");
		exit(1);
	}
	srv.accepted = 0;
	pthread_t t;
	pthread_create(&t, NULL, serve, NULL);
	struct fc_api *a = fc_api_open(sock, timeout_ms);
	json_t *body = json_pack("{s:s,s:i}", "action_type", "InstanceStart", "n", 1);
	for (int i = 0; i < calls; i++) {
		if (i && pause_ms) {
			struct timespec ts = { 0, pause_ms * 1000000 };
			nanosleep(&ts, NULL);
		}
		st[i] = fc_api_put(a, "/actions", bodies[i] ? bodies[i] : body, err[i], 512);
	}
	json_decref(body);
	fc_api_close(a); /* a hanging server's read() ends here */
	shutdown(srv.lfd, SHUT_RDWR);
	pthread_join(t, NULL);
	close(srv.lfd);
	unlink(sock);
}

#define R(s)                 \
	{                    \
		.bytes = (s) \
	}
#define NOCL "HTTP/1.1 204 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n\r\n"

static void script(int nconn)
{
	memset(srv.c, 0, sizeof srv.c);
	srv.nconn = nconn;
}

int main(void)
{
	int st[4];
	char err[4][512];
	snprintf(sock, sizeof sock, "/tmp/lia-api-client-%d.sock", (int)getpid());

	/* 1. Firecracker's 204 (no Content-Length), twice over one connection */
	script(1);
	srv.c[0] = (struct conn_script){ .reqs = 2, .r = { R(NOCL), R(NOCL) } };
	run(2, st, err, 2000);
	ok(st[0] == 204 && st[1] == 204, "two 204s without Content-Length");
	ok(srv.accepted == 1, "both calls went over one kept connection");
	/* the request as micro_http wants it */
	const char *body = "{\"action_type\":\"InstanceStart\",\"n\":1}";
	char want[512];
	snprintf(want, sizeof want, "PUT /actions HTTP/1.1\r\n");
	ok(strncmp(srv.last_req, want, strlen(want)) == 0, "request line PUT /actions HTTP/1.1");
	snprintf(want, sizeof want, "\r\nContent-Length: %zu\r\n", strlen(body));
	ok(strstr(srv.last_req, want) != NULL, "Content-Length is the body's length");
	ok(strstr(srv.last_req, "\r\nContent-Type: application/json\r\n") != NULL, "Content-Type json");
	ok(!strstr(srv.last_req, "Expect:") && !strstr(srv.last_req, "Transfer-Encoding"),
	   "no Expect, no Transfer-Encoding");
	char *bp = strstr(srv.last_req, "\r\n\r\n");
	ok(bp && strcmp(bp + 4, body) == 0, "the body is the compact JSON");

	/* 2. 400 with a fault_message body, then 204 on the same connection */
	script(1);
	const char *f400 = "HTTP/1.1 400 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n"
			   "Content-Type: application/json\r\nContent-Length: 36\r\n\r\n"
			   "{\"fault_message\":\"Invalid kernel.\"} ";
	srv.c[0] = (struct conn_script){ .reqs = 2, .r = { R(f400), R(NOCL) } };
	run(2, st, err, 2000);
	ok(st[0] == 400 && strcmp(err[0], "Invalid kernel.") == 0, "400: the fault_message is the error");
	if (st[0] != 400 || strcmp(err[0], "Invalid kernel."))
		printf("#   got %d '%s'\n", st[0], err[0]);
	ok(st[1] == 204 && srv.accepted == 1, "the body was read whole: the next call fits");

	/* 3. an answer written one byte at a time, with a reason phrase */
	script(1);
	srv.c[0] = (struct conn_script){
		.reqs = 1, .r = { { .bytes = "HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n", .trickle = 1 } }
	};
	run(1, st, err, 2000);
	ok(st[0] == 204, "an answer split into single bytes");

	/* 4. the server closes its kept connection after the first answer: before the next
	 * request (the client's send fails), with it unread (the client's read gets a reset),
	 * or at any moment in between */
	const char *how[] = { "closed before the next request", "closed with the next request unread",
			      "closed at once (racing the next request)" };
	for (int k = 0; k < 3; k++) {
		script(2);
		srv.c[0] = (struct conn_script){ .reqs = 1, .r = { R(NOCL) }, .reset = k == 1 };
		srv.c[1] = (struct conn_script){ .reqs = 1, .r = { R(NOCL) } };
		pause_ms = k == 0 ? 50 : 0;
		run(2, st, err, 2000);
		pause_ms = 0;
		char what[160];
		snprintf(what, sizeof what, "a kept connection %s is replaced on a second one", how[k]);
		ok(st[0] == 204 && st[1] == 204 && srv.accepted == 2, what);
		if (st[1] != 204)
			printf("#   got %d '%s'\n", st[1], err[1]);
	}

	/* 5. 100 Continue, then the answer */
	script(1);
	srv.c[0] = (struct conn_script){ .reqs = 1, .r = { R("HTTP/1.1 100 \r\n\r\n" NOCL) } };
	run(1, st, err, 2000);
	ok(st[0] == 204, "100 Continue is skipped");

	/* 6. refused answers, each with a sentence */
	struct {
		const char *bytes, *says, *what;
	} bad[] = {
		{ "HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		  "Transfer-Encoding chunked", "chunked answer refused" },
		{ "SSH-2.0-OpenSSH_9.2\r\n\r\n", "not HTTP/1.x: \"SSH-2.0-OpenSSH_9.2\"",
		  "not HTTP refused" },
		{ "HTTP/1.1 200 \r\nContent-Length: 12x\r\n\r\n", "bad Content-Length \"12x\"",
		  "bad Content-Length refused" },
		{ "HTTP/1.1 200 \r\nContent-Length: 100\r\n\r\n{\"a\":", "in the middle of an answer's body",
		  "closed mid-body" },
		{ "HTTP/1.1 204 \r\nServer: Fire", "closed the connection in the middle of an answer",
		  "closed mid-headers" },
		{ "HTTP/1.1 200 \r\nContent-Length: +21\r\n\r\n{\"fault_message\":\"x\"}",
		  "bad Content-Length \"+21\"", "a signed Content-Length refused" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		script(1);
		srv.c[0] = (struct conn_script){ .reqs = 1, .r = { R(bad[i].bytes) } };
		run(1, st, err, 2000);
		ok(st[0] == -1 && strstr(err[0], bad[i].says) && strstr(err[0], sock), bad[i].what);
		if (st[0] != -1 || !strstr(err[0], bad[i].says))
			printf("#   got %d '%s'\n", st[0], err[0]);
	}

	/* 7. headers that never end */
	static char big[40000];
	memcpy(big, "HTTP/1.1 200 \r\n", 15);
	for (size_t i = 15; i + 20 <= sizeof big; i += 20)
		memcpy(big + i, "X-Pad: aaaaaaaaaaa\r\n", 20);
	script(1);
	srv.c[0] = (struct conn_script){ .reqs = 1, .r = { { .bytes = big, .len = sizeof big - 20 } } };
	run(1, st, err, 2000);
	ok(st[0] == -1 && strstr(err[0], "exceed"), "oversized headers refused");

	/* 8. a body over 64 KiB: kept capped, read whole (the connection stays usable) */
	static char huge[100000];
	int h = snprintf(huge, sizeof huge, "HTTP/1.1 400 \r\nContent-Length: %d\r\n\r\n", 90000);
	memset(huge + h, 'x', 90000);
	script(1);
	srv.c[0] = (struct conn_script){ .reqs = 2,
					 .r = { { .bytes = huge, .len = (size_t)h + 90000 }, R(NOCL) } };
	run(2, st, err, 2000);
	ok(st[0] == 400 && st[1] == 204 && srv.accepted == 1, "a 90000-byte body is consumed whole");

	/* 9. no answer: the timeout ends the call */
	script(1);
	srv.c[0] = (struct conn_script){ .reqs = 1, .r = { { .hang = 1 } } };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run(1, st, err, 300);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(st[0] == -1 && strstr(err[0], "timed out") && secs < 5, "no answer: timed out");
	if (st[0] != -1 || !strstr(err[0], "timed out"))
		printf("#   got %d '%s' after %.2f s\n", st[0], err[0], secs);

	/* 10. Firecracker's 503 for an eleventh connection: closed, the next call reconnects */
	script(2);
	srv.c[0] = (struct conn_script){
		.reqs = 1,
		.r = { R("HTTP/1.1 503 \r\nConnection: close\r\nContent-Length: 40\r\n\r\n"
			 "{ \"error\": \"Too many open connections\" }") }
	};
	srv.c[1] = (struct conn_script){ .reqs = 1, .r = { R(NOCL) } };
	run(2, st, err, 2000);
	ok(st[0] == 503 && strstr(err[0], "Too many open connections"), "503: its error text");
	ok(st[1] == 204 && srv.accepted == 2, "Connection: close is honoured");

	/* 11. a long Content-Length of leading zeros is read whole, not cut to zero */
	script(1);
	srv.c[0] = (struct conn_script){
		.reqs = 2,
		.r = { R("HTTP/1.1 400 \r\nContent-Length: 000000000000000000000000021\r\n\r\n"
			 "{\"fault_message\":\"x\"}"),
		       R(NOCL) }
	};
	run(2, st, err, 2000);
	ok(st[0] == 400 && strcmp(err[0], "x") == 0 && st[1] == 204,
	   "Content-Length 000...021: the body read whole, the next answer in sync");

	/* 12. the server answers before the request is written whole (a 400 after the head)
	 * and closes: the answer, not "broken pipe" */
	static char mib[1 << 20];
	memset(mib, 'a', sizeof mib - 1);
	json_t *mibj = json_pack("{s:s}", "data", mib);
	script(1);
	srv.c[0] = (struct conn_script){ .reqs = 1, .r = { { .bytes = f400, .early = 1 } } };
	bodies[0] = mibj;
	run(1, st, err, 2000);
	bodies[0] = NULL;
	ok(st[0] == 400 && strcmp(err[0], "Invalid kernel.") == 0,
	   "an answer before the request was written whole is read");
	if (st[0] != 400)
		printf("#   got %d '%s'\n", st[0], err[0]);

	/* 13. a send that times out half-way: that connection is dropped, never written on again */
	script(2);
	srv.c[0] = (struct conn_script){ .reqs = 2, .r = { R(NOCL), { .stall = 1 } } };
	srv.c[1] = (struct conn_script){ .reqs = 1, .r = { R(NOCL) } };
	json_t *two = json_pack("{s:s,s:s}", "a", mib, "b", mib);
	bodies[1] = two;
	run(3, st, err, 1000);
	bodies[1] = NULL;
	ok(st[0] == 204 && st[1] == -1 && strstr(err[1], "timed out sending"),
	   "a 2 MiB body the server does not read: timed out sending");
	ok(st[2] == 204 && srv.accepted == 2, "the next call goes over a new connection");
	if (st[2] != 204)
		printf("#   got %d '%s', %d connections\n", st[2], err[2], srv.accepted);
	json_decref(two);
	json_decref(mibj);

	/* 14. a kept connection that answers 100 and closes: the request may have been taken,
	 * so it is not sent again */
	script(2);
	srv.c[0] = (struct conn_script){ .reqs = 2, .r = { R(NOCL), R("HTTP/1.1 100 \r\n\r\n") } };
	srv.c[1] = (struct conn_script){ .reqs = 1, .r = { R(NOCL) } };
	run(2, st, err, 2000);
	ok(st[1] == -1 && srv.accepted == 1, "after a 100 and a close, no second send");
	if (st[1] != -1)
		printf("#   got %d, %d connections\n", st[1], srv.accepted);

	/* 15. no socket at all */
	struct fc_api *a = fc_api_open(sock, 500);
	json_t *j = json_object();
	int s = fc_api_put(a, "/actions", j, err[0], sizeof err[0]);
	ok(s == -1 && strstr(err[0], "cannot connect to") && strstr(err[0], "No such file"),
	   "no socket: cannot connect, ENOENT");
	fc_api_close(a);
	json_decref(j);

	/* 16. a path too long for sockaddr_un */
	char longp[200];
	memset(longp, 'p', sizeof longp - 1);
	longp[sizeof longp - 1] = '\0';
	errno = 0;
	ok(fc_api_open(longp, 100) == NULL && errno == ENAMETOOLONG, "a socket path too long: ENAMETOOLONG");

	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
