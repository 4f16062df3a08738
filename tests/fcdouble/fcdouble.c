/* fcdouble: a Firecracker API test double, as strict as Firecracker v1.6.0 for the calls
 * lia makes (reference: shared/reference/firecracker.md).
 *
 *   fcdouble --api-sock PATH [--id ID] [other firecracker flags are ignored]
 *
 * Behaves like firecracker: binds the socket (refusing an existing file), listens a little
 * later (the bind/listen gap), serves micro_http-style HTTP/1.1 (204 without
 * Content-Length, no reason phrase, keep-alive, 400 + fault_message, 10 connections),
 * rejects unknown JSON fields and hyphenated ids, opens files at PUT time (kernel, disks,
 * log/metrics without O_CREAT, the TAP through /dev/net/tun), binds the vsock socket,
 * refuses pre-boot calls after InstanceStart.  SIGTERM is not handled (dies, no cleanup).
 * "Boot": InstanceStart writes the tiny test guest's marker to stdout (the console).
 *
 * Environment (test knobs):
 *   FCDOUBLE_FAIL=/path[,/path]   answer 400 with a fault_message for PUT on that path
 *   FCDOUBLE_CRASH=/path          exit(1) when that PUT arrives (a VMM dying mid-setup)
 *   FCDOUBLE_EARLY_EXIT=N         print an error and exit N before binding the socket
 *   FCDOUBLE_NO_LISTEN=1          bind but never listen (connect() keeps failing)
 *   FCDOUBLE_LISTEN_DELAY_MS=N    bind-to-listen gap (default 20)
 *   FCDOUBLE_GUEST=wait|nokbd|exit  like tests/guest: wait for Ctrl-Alt-Del then reset
 *                                  (exit 0); ignore it; reset right after boot
 *   FCDOUBLE_NO_TAP=1             accept host_dev_name without opening the TAP
 *   FCDOUBLE_TRACE=FILE           append "METHOD PATH BODY" per request
 *   FCDOUBLE_DELAY_MS=N           sleep N ms before each answer
 * vsock: after InstanceStart, "CONNECT <port>\n" on uds_path gets "OK 1073741824\n" when
 * the port is in FCDOUBLE_VSOCK_PORTS (comma list; unset = every port), else the
 * connection is closed; after OK the double echoes bytes back. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 10
#define MAX_VSOCK 16
#define PAYLOAD_MAX 51200
#define LINE_MAX_ 1024

struct conn {
	int fd;
	char buf[PAYLOAD_MAX + 4096];
	size_t len;
};

static struct {
	const char *id;
	int booted, have_kernel, have_metrics, have_root;
	char kernel[4096];
	FILE *log;
	int metrics_fd;
	int tap_fds[8];
	int ntap;
	int vsock_listen;
	char vsock_path[108];
	int vconn[MAX_VSOCK];
	int vstate[MAX_VSOCK]; /* 0: reading CONNECT, 1: echo */
	char vbuf[MAX_VSOCK][40];
	size_t vlen[MAX_VSOCK];
	const char *guest;
	long long exit_at_ms;
	FILE *trace;
} S = { .id = "anonymous-instance", .metrics_fd = -1, .vsock_listen = -1 };

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Firecracker logs to the logger file once configured, to stdout before */
static void logf_(const char *fmt, ...)
{
	va_list ap;
	FILE *f = S.log ? S.log : stdout;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(f, "%lld.%09ld [%s:main] ", (long long)ts.tv_sec, ts.tv_nsec, S.id);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}

static void console(const char *line)
{
	fputs(line, stdout);
	fflush(stdout);
}

static void vmm_exit(int code)
{
	if (code == 0)
		logf_("Firecracker exiting successfully. exit_code=0");
	else
		logf_("Firecracker exiting with error. exit_code=%d", code);
	exit(code);
}

static int list_has(const char *list, const char *item)
{
	if (!list)
		return 0;
	size_t n = strlen(item);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && !strncmp(p, item, n))
			return 1;
		p += l + (e ? 1 : 0);
	}
	return 0;
}

/* ---- HTTP answers ------------------------------------------------------------------ */

static void send_all(int fd, const char *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

static void reply(int fd, int status, const char *body)
{
	char h[256];
	const char *d = getenv("FCDOUBLE_DELAY_MS");
	if (d)
		usleep((useconds_t)atoi(d) * 1000);
	if (!body) /* micro_http: an empty body has no Content-Length and no Content-Type */
		snprintf(h, sizeof(h),
			 "HTTP/1.1 %d \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n\r\n", status);
	else
		snprintf(h, sizeof(h),
			 "HTTP/1.1 %d \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n"
			 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			 status, strlen(body));
	send_all(fd, h, strlen(h));
	if (body)
		send_all(fd, body, strlen(body));
}

static void fault(int fd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *o = json_pack("{s:s}", "fault_message", msg);
	char *t = json_dumps(o, JSON_COMPACT);
	reply(fd, 400, t);
	free(t);
	json_decref(o);
}

/* ---- strict bodies: every field known, typed, required ones present ---------------- */

struct field {
	const char *name;
	int type; /* json_type */
	int required;
};

static int check_fields(int fd, json_t *o, const struct field *f)
{
	const char *k;
	json_t *v;
	char expected[512] = "";
	for (const struct field *p = f; p->name; p++)
		snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected), "%s`%s`",
			 p == f ? "" : ", ", p->name);
	if (!json_is_object(o)) {
		fault(fd,
		      "An error occurred when deserializing the json body of a request: invalid type: expected a JSON object.");
		return -1;
	}
	json_object_foreach(o, k, v)
	{
		const struct field *p = f;
		while (p->name && strcmp(p->name, k))
			p++;
		if (!p->name) {
			fault(fd,
			      "An error occurred when deserializing the json body of a request: unknown field `%s`, expected one of %s.",
			      k, expected);
			return -1;
		}
		int t = json_typeof(v);
		if (t == JSON_TRUE)
			t = JSON_FALSE;
		if (t != p->type && !(p->type == JSON_FALSE && t == JSON_FALSE)) {
			fault(fd,
			      "An error occurred when deserializing the json body of a request: invalid type for field `%s`.",
			      k);
			return -1;
		}
	}
	for (const struct field *p = f; p->name; p++)
		if (p->required && !json_object_get(o, p->name)) {
			fault(fd,
			      "An error occurred when deserializing the json body of a request: missing field `%s`.",
			      p->name);
			return -1;
		}
	return 0;
}

static int valid_res_id(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* ---- vsock host side ------------------------------------------------------------- */

static int vsock_bind(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void vsock_accept(void)
{
	int fd = accept4(S.vsock_listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (!S.booted) { /* device not activated by a guest yet */
		close(fd);
		return;
	}
	for (int i = 0; i < MAX_VSOCK; i++)
		if (S.vconn[i] < 0) {
			S.vconn[i] = fd;
			S.vstate[i] = 0;
			S.vlen[i] = 0;
			return;
		}
	close(fd);
}

static void vsock_close(int i)
{
	close(S.vconn[i]);
	S.vconn[i] = -1;
}

static void vsock_io(int i)
{
	char b[4096];
	ssize_t n = read(S.vconn[i], b, sizeof(b));
	if (n <= 0) {
		vsock_close(i);
		return;
	}
	if (S.vstate[i] == 1) {
		send_all(S.vconn[i], b, (size_t)n);
		return;
	}
	for (ssize_t j = 0; j < n; j++) {
		if (S.vlen[i] + 1 >= sizeof(S.vbuf[i])) {
			vsock_close(i);
			return;
		}
		S.vbuf[i][S.vlen[i]++] = b[j];
		if (b[j] != '\n')
			continue;
		S.vbuf[i][S.vlen[i]] = '\0';
		unsigned port;
		char kw[16], ps[16];
		const char *ports = getenv("FCDOUBLE_VSOCK_PORTS");
		if (sscanf(S.vbuf[i], "%15s %u", kw, &port) != 2 || strcasecmp(kw, "CONNECT")) {
			vsock_close(i);
			return;
		}
		snprintf(ps, sizeof(ps), "%u", port);
		if (ports && !list_has(ports, ps)) { /* guest not listening: silent close */
			vsock_close(i);
			return;
		}
		send_all(S.vconn[i], "OK 1073741824\n", 14);
		S.vstate[i] = 1;
		if (j + 1 < n)
			send_all(S.vconn[i], b + j + 1, (size_t)(n - j - 1));
		return;
	}
}

/* ---- endpoints ------------------------------------------------------------------- */

static int open_existing(const char *path, int flags)
{
	return open(path, flags | O_CLOEXEC | O_NONBLOCK);
}

static void put(int fd, const char *path, json_t *b)
{
	static const struct field logger[] = {
		{ "log_path", JSON_STRING, 0 },  { "level", JSON_STRING, 0 },
		{ "show_level", JSON_FALSE, 0 }, { "show_log_origin", JSON_FALSE, 0 },
		{ "module", JSON_STRING, 0 },    { 0 }
	};
	static const struct field metrics[] = { { "metrics_path", JSON_STRING, 1 }, { 0 } };
	static const struct field boot[] = { { "kernel_image_path", JSON_STRING, 1 },
					     { "boot_args", JSON_STRING, 0 },
					     { "initrd_path", JSON_STRING, 0 },
					     { 0 } };
	static const struct field machine[] = {
		{ "vcpu_count", JSON_INTEGER, 1 },  { "mem_size_mib", JSON_INTEGER, 1 },
		{ "smt", JSON_FALSE, 0 },           { "track_dirty_pages", JSON_FALSE, 0 },
		{ "cpu_template", JSON_STRING, 0 }, { 0 }
	};
	static const struct field drive[] = { { "drive_id", JSON_STRING, 1 },
					      { "is_root_device", JSON_FALSE, 1 },
					      { "path_on_host", JSON_STRING, 1 },
					      { "is_read_only", JSON_FALSE, 0 },
					      { "partuuid", JSON_STRING, 0 },
					      { "cache_type", JSON_STRING, 0 },
					      { "io_engine", JSON_STRING, 0 },
					      { "rate_limiter", JSON_OBJECT, 0 },
					      { 0 } };
	static const struct field net[] = {
		{ "iface_id", JSON_STRING, 1 },        { "host_dev_name", JSON_STRING, 1 },
		{ "guest_mac", JSON_STRING, 0 },       { "rx_rate_limiter", JSON_OBJECT, 0 },
		{ "tx_rate_limiter", JSON_OBJECT, 0 }, { 0 }
	};
	static const struct field vsock[] = { { "guest_cid", JSON_INTEGER, 1 },
					      { "uds_path", JSON_STRING, 1 },
					      { "vsock_id", JSON_STRING, 0 },
					      { 0 } };
	static const struct field action[] = { { "action_type", JSON_STRING, 1 }, { 0 } };
	const char *after = "The requested operation is not supported after starting the microVM.";

	if (!strcmp(path, "/actions")) {
		if (check_fields(fd, b, action))
			return;
		const char *a = str(b, "action_type");
		if (!strcmp(a, "InstanceStart")) {
			if (S.booted)
				return fault(fd, "%s", after);
			if (!S.have_kernel)
				return fault(
					fd,
					"Start microvm error: Cannot start microvm without kernel configuration.");
			unsigned char m[4] = { 0 };
			int k = open(S.kernel, O_RDONLY | O_CLOEXEC);
			if (k < 0 || read(k, m, 4) != 4 ||
			    memcmp(m,
				   "\x7f"
				   "ELF",
				   4)) {
				if (k >= 0)
					close(k);
				return fault(
					fd,
					"Start microvm error: Cannot load kernel due to invalid memory configuration or invalid kernel image: Kernel Loader: failed to load ELF kernel image: Invalid Elf magic number");
			}
			close(k);
			S.booted = 1;
			if (S.metrics_fd >= 0)
				dprintf(S.metrics_fd,
					"{\"utc_timestamp_ms\":%lld,\"api_server\":{\"process_startup_time_us\":1}}\n",
					(long long)time(NULL) * 1000);
			reply(fd, 204, NULL);
			/* the guest: the tiny test guest's first line */
			console("LIA-GUEST: up\n");
			if (!strcmp(S.guest, "exit"))
				S.exit_at_ms = now_ms() + 100;
			return;
		}
		if (!strcmp(a, "SendCtrlAltDel")) {
			if (!S.booted)
				return fault(
					fd,
					"The requested operation is not supported before starting the microVM.");
			reply(fd, 204, NULL);
			if (!strcmp(S.guest, "wait")) {
				console("LIA-GUEST: key, rebooting\n");
				S.exit_at_ms = now_ms() + 20;
			}
			return;
		}
		if (!strcmp(a, "FlushMetrics")) {
			if (!S.booted)
				return fault(
					fd,
					"The requested operation is not supported before starting the microVM.");
			return reply(fd, 204, NULL);
		}
		return fault(
			fd,
			"An error occurred when deserializing the json body of a request: unknown variant `%s`, expected one of `FlushMetrics`, `InstanceStart`, `SendCtrlAltDel`.",
			a);
	}
	if (!strcmp(path, "/mmds"))
		return reply(fd, 204, NULL);

	/* every other PUT is pre-boot only */
	const char *seg = path + 1;
	size_t sl = strcspn(seg, "/");
	static const char *const preboot[] = { "logger",         "metrics", "boot-source",
					       "machine-config", "drives",  "network-interfaces",
					       "vsock",          NULL };
	int known = 0;
	for (int i = 0; preboot[i]; i++)
		if (strlen(preboot[i]) == sl && !strncmp(seg, preboot[i], sl))
			known = 1;
	if (!known)
		return fault(fd, "Invalid request method and/or path: PUT %.*s.", (int)sl, seg);
	if (S.booted)
		return fault(fd, "%s", after);

	if (!strcmp(path, "/logger")) {
		if (check_fields(fd, b, logger))
			return;
		const char *lp = str(b, "log_path"), *lv = str(b, "level");
		if (lv && strcasecmp(lv, "Error") && strcasecmp(lv, "Warning") && strcasecmp(lv, "Info") &&
		    strcasecmp(lv, "Debug") && strcasecmp(lv, "Trace") && strcasecmp(lv, "Off"))
			return fault(
				fd,
				"An error occurred when deserializing the json body of a request: unknown variant `%s`.",
				lv);
		if (lp) {
			/* v1.6: O_RDWR|O_NONBLOCK, no O_CREAT */
			int l = open_existing(lp, O_RDWR);
			if (l < 0)
				return fault(fd, "Logger error: Failed to open target file: %s (os error %d)",
					     strerror(errno), errno);
			S.log = fdopen(l, "w");
		}
		reply(fd, 204, NULL);
		logf_("Running Firecracker v1.6.0 (fcdouble)");
		return;
	}
	if (!strcmp(path, "/metrics")) {
		if (check_fields(fd, b, metrics))
			return;
		if (S.have_metrics)
			return fault(
				fd, "Metrics initialization error: Reinitialization of metrics not allowed.");
		int m = open_existing(str(b, "metrics_path"), O_RDWR);
		if (m < 0)
			return fault(
				fd,
				"Metrics initialization error: Failed to open target file: %s (os error %d)",
				strerror(errno), errno);
		S.metrics_fd = m;
		S.have_metrics = 1;
		return reply(fd, 204, NULL);
	}
	if (!strcmp(path, "/boot-source")) {
		if (check_fields(fd, b, boot))
			return;
		const char *k = str(b, "kernel_image_path"), *a = str(b, "boot_args");
		int kf = open(k, O_RDONLY | O_CLOEXEC);
		if (kf < 0)
			return fault(fd,
				     "Boot source error: The kernel file cannot be opened: %s (os error %d)",
				     strerror(errno), errno);
		close(kf);
		if (a && strlen(a) >= 2048)
			return fault(
				fd,
				"Boot source error: The kernel command line is invalid: Kernel command line too large.");
		snprintf(S.kernel, sizeof(S.kernel), "%s", k);
		S.have_kernel = 1;
		return reply(fd, 204, NULL);
	}
	if (!strcmp(path, "/machine-config")) {
		if (check_fields(fd, b, machine))
			return;
		json_int_t v = json_integer_value(json_object_get(b, "vcpu_count"));
		json_int_t m = json_integer_value(json_object_get(b, "mem_size_mib"));
		if (v < 1 || v > 32)
			return fault(
				fd,
				"The number of vCPUs must be greater than 0, less than 32 and must be 1 or an even number if SMT is enabled.");
		if (m < 1)
			return fault(fd, "The memory size (MiB) is invalid.");
		return reply(fd, 204, NULL);
	}
	if (!strncmp(path, "/drives/", 8)) {
		const char *id = path + 8;
		if (!*id)
			return fault(fd, "The ID cannot be empty.");
		if (!valid_res_id(id))
			return fault(
				fd,
				"API Resource IDs can only contain alphanumeric characters and underscores.");
		if (check_fields(fd, b, drive))
			return;
		if (strcmp(id, str(b, "drive_id")))
			return fault(fd, "The id from the path does not match the id from the body!");
		int root = json_is_true(json_object_get(b, "is_root_device"));
		if (root && S.have_root)
			return fault(fd, "Drive config error: A root block device already exists!");
		int d = open(str(b, "path_on_host"), O_RDWR | O_CLOEXEC);
		if (d < 0)
			return fault(
				fd,
				"Drive config error: Unable to open the block device backing file: %s (os error %d)",
				strerror(errno), errno);
		close(d);
		S.have_root |= root;
		return reply(fd, 204, NULL);
	}
	if (!strncmp(path, "/network-interfaces/", 20)) {
		const char *id = path + 20;
		if (!*id)
			return fault(fd, "The ID cannot be empty.");
		if (!valid_res_id(id))
			return fault(
				fd,
				"API Resource IDs can only contain alphanumeric characters and underscores.");
		if (check_fields(fd, b, net))
			return;
		if (strcmp(id, str(b, "iface_id")))
			return fault(fd,
				     "The id from the path [%s] does not match the id from the body [%s]!",
				     id, str(b, "iface_id"));
		const char *tap = str(b, "host_dev_name");
		if (strlen(tap) >= IFNAMSIZ)
			return fault(
				fd,
				"Cannot create the network device: Open tap device failed: Invalid TAP name %s",
				tap);
		if (!getenv("FCDOUBLE_NO_TAP") && S.ntap < 8) {
			/* Firecracker opens the TAP at PUT time */
			int t = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
			struct ifreq ifr = { 0 };
			snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
			ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
			if (t < 0 || ioctl(t, TUNSETIFF, &ifr) < 0) {
				int e = errno;
				if (t >= 0)
					close(t);
				return fault(
					fd,
					"Cannot create network device. Open tap device failed: Error while creating ifreq structure: %s (os error %d). Invalid TUN/TAP Backend provided by %s. Check our documentation on setting up the network devices.",
					strerror(e), e, tap);
			}
			S.tap_fds[S.ntap++] = t;
		}
		return reply(fd, 204, NULL);
	}
	if (!strcmp(path, "/vsock")) {
		if (check_fields(fd, b, vsock))
			return;
		const char *uds = str(b, "uds_path");
		if (S.vsock_listen >= 0) { /* a second PUT replaces the device */
			close(S.vsock_listen);
			unlink(S.vsock_path);
			S.vsock_listen = -1;
		}
		int l = vsock_bind(uds);
		if (l < 0)
			return fault(
				fd,
				"Cannot create backend for vsock device: Error binding to the host-side Unix socket: %s (os error %d)",
				strerror(errno), errno);
		S.vsock_listen = l;
		snprintf(S.vsock_path, sizeof(S.vsock_path), "%s", uds);
		return reply(fd, 204, NULL);
	}
	fault(fd, "Invalid request method and/or path: PUT %.*s.", (int)sl, seg);
}

static void get(int fd, const char *path)
{
	char b[512];
	if (!strcmp(path, "/")) {
		snprintf(
			b, sizeof(b),
			"{\"id\":\"%s\",\"state\":\"%s\",\"vmm_version\":\"1.6.0\",\"app_name\":\"Firecracker\"}",
			S.id, S.booted ? "Running" : "Not started");
		return reply(fd, 200, b);
	}
	if (!strcmp(path, "/version"))
		return reply(fd, 200, "{\"firecracker_version\":\"1.6.0\"}");
	fault(fd, "Invalid request method and/or path: GET %s.", path + 1);
}

/* One request from c->buf; returns bytes consumed, 0 when incomplete, -1 to close. */
static long handle(struct conn *c)
{
	char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
	if (!end) {
		if (c->len > 16 * LINE_MAX_)
			return -1;
		return 0;
	}
	size_t hlen = (size_t)(end - c->buf) + 4;
	char method[16], uri[LINE_MAX_], ver[16];
	long clen = -1;
	/* each line must fit in 1024 bytes */
	for (char *p = c->buf; p < end;) {
		char *nl = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		if (!nl || nl - p >= LINE_MAX_) {
			reply(c->fd, 400,
			      "{ \"error\": \"Invalid request.\nAll previous unanswered requests will be dropped.\" }");
			return -1;
		}
		if (p != c->buf && !strncasecmp(p, "Content-Length:", 15)) {
			char *q = p + 15;
			while (*q == ' ')
				q++;
			if (!isdigit((unsigned char)*q)) {
				reply(c->fd, 400,
				      "{ \"error\": \"Invalid header.\nAll previous unanswered requests will be dropped.\" }");
				return -1;
			}
			clen = strtol(q, NULL, 10);
		} else if (p != c->buf && !memchr(p, ':', (size_t)(nl - p))) {
			reply(c->fd, 400,
			      "{ \"error\": \"Invalid header.\nAll previous unanswered requests will be dropped.\" }");
			return -1;
		}
		p = nl + 2;
	}
	if (sscanf(c->buf, "%15s %1023s %15s", method, uri, ver) != 3 ||
	    (strcmp(ver, "HTTP/1.1") && strcmp(ver, "HTTP/1.0"))) {
		reply(c->fd, 400,
		      "{ \"error\": \"Invalid HTTP version.\nAll previous unanswered requests will be dropped.\" }");
		return -1;
	}
	if (clen > PAYLOAD_MAX) {
		char e[256];
		snprintf(
			e, sizeof(e),
			"{ \"error\": \"Request payload with size %ld is larger than the limit of %d allowed by server.\nAll previous unanswered requests will be dropped.\" }",
			clen, PAYLOAD_MAX);
		reply(c->fd, 400, e);
		return -1;
	}
	size_t blen = clen > 0 ? (size_t)clen : 0;
	if (c->len < hlen + blen)
		return 0;
	const char *path = uri;
	if (!strncmp(path, "http://localhost", 16))
		path += 16;
	if (S.trace) {
		fprintf(S.trace, "%s %s %.*s\n", method, path, (int)blen, c->buf + hlen);
		fflush(S.trace);
	}
	if (strcmp(method, "GET") && strcmp(method, "PUT") && strcmp(method, "PATCH")) {
		reply(c->fd, 400,
		      "{ \"error\": \"Invalid HTTP method.\nAll previous unanswered requests will be dropped.\" }");
		return -1;
	}
	if (!strcmp(method, "GET")) {
		if (blen)
			fault(c->fd, "GET request cannot have a body.");
		else
			get(c->fd, path);
		return (long)(hlen + blen);
	}
	if (!strcmp(method, "PATCH")) {
		fault(c->fd, "Invalid request method and/or path: PATCH %s.", path + 1);
		return (long)(hlen + blen);
	}
	if (!blen) {
		fault(c->fd, "Empty PUT request.");
		return (long)(hlen + blen);
	}
	if (list_has(getenv("FCDOUBLE_CRASH"), path)) {
		logf_("fcdouble: crashing on PUT %s as asked", path);
		exit(1);
	}
	if (list_has(getenv("FCDOUBLE_FAIL"), path)) {
		fault(c->fd, "fcdouble: injected failure for PUT %s", path);
		return (long)(hlen + blen);
	}
	json_error_t je;
	json_t *body = json_loadb(c->buf + hlen, blen, 0, &je);
	if (!body)
		fault(c->fd,
		      "An error occurred when deserializing the json body of a request: %s at line %d column %d.",
		      je.text, je.line, je.column);
	else
		put(c->fd, path, body);
	json_decref(body);
	return (long)(hlen + blen);
}

static int valid_instance_id(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-')
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	const char *sock = "/run/firecracker.socket";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--api-sock") && i + 1 < argc)
			sock = argv[++i];
		else if (!strcmp(argv[i], "--id") && i + 1 < argc)
			S.id = argv[++i];
		else if (!strcmp(argv[i], "--version")) {
			puts("Firecracker v1.6.0 (fcdouble)");
			return 0;
		} else if (!strncmp(argv[i], "--", 2) && i + 1 < argc && argv[i + 1][0] != '-')
			i++; /* other flags with a value */
	}
	if (!valid_instance_id(S.id)) {
		fprintf(stderr, "Invalid instance ID: %s\n", S.id);
		abort(); /* firecracker panics */
	}
	S.guest = getenv("FCDOUBLE_GUEST") ? getenv("FCDOUBLE_GUEST") : "wait";
	if (getenv("FCDOUBLE_TRACE"))
		S.trace = fopen(getenv("FCDOUBLE_TRACE"), "a");
	for (int i = 0; i < MAX_VSOCK; i++)
		S.vconn[i] = -1;
	signal(SIGPIPE, SIG_IGN); /* firecracker logs and survives SIGPIPE */
	if (getenv("FCDOUBLE_EARLY_EXIT")) {
		int code = atoi(getenv("FCDOUBLE_EARLY_EXIT"));
		logf_("fcdouble: failing at startup as asked");
		vmm_exit(code);
	}

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		logf_("Failed to open the API socket at: %s. Check that it is not already used.", sock);
		vmm_exit(1);
	}
	/* the gap between bind() and listen(): the file exists, connect() is refused */
	int delay = getenv("FCDOUBLE_LISTEN_DELAY_MS") ? atoi(getenv("FCDOUBLE_LISTEN_DELAY_MS")) : 20;
	usleep((useconds_t)delay * 1000);
	if (getenv("FCDOUBLE_NO_LISTEN"))
		for (;;)
			pause();
	listen(lfd, 64);

	static struct conn conns[MAX_CONN + 1];
	int nconn = 0;
	for (;;) {
		struct pollfd p[1 + MAX_CONN + 1 + MAX_VSOCK];
		int n = 0;
		p[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < nconn; i++)
			p[n++] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
		int vl = -1;
		if (S.vsock_listen >= 0) {
			vl = n;
			p[n++] = (struct pollfd){ .fd = S.vsock_listen, .events = POLLIN };
		}
		int vbase = n;
		for (int i = 0; i < MAX_VSOCK; i++)
			p[n++] = (struct pollfd){ .fd = S.vconn[i], .events = POLLIN };
		int timeout = -1;
		if (S.exit_at_ms) {
			long long left = S.exit_at_ms - now_ms();
			if (left <= 0) {
				if (!strcmp(S.guest, "exit"))
					console("LIA-GUEST: resetting\n");
				vmm_exit(0);
			}
			timeout = (int)left;
		}
		if (poll(p, (nfds_t)n, timeout) < 0 && errno != EINTR)
			vmm_exit(1);
		if (vl >= 0 && (p[vl].revents & POLLIN))
			vsock_accept();
		for (int i = 0; i < MAX_VSOCK; i++)
			if (p[vbase + i].fd >= 0 && p[vbase + i].revents && S.vconn[i] >= 0)
				vsock_io(i);
		for (int i = 0; i < nconn; i++) {
			struct conn *c = &conns[i];
			if (!p[1 + i].revents)
				continue;
			ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
			long used = 0;
			if (r > 0) {
				c->len += (size_t)r;
				while (c->len && (used = handle(c)) > 0) {
					memmove(c->buf, c->buf + used, c->len - (size_t)used);
					c->len -= (size_t)used;
				}
			}
			if (r <= 0 || used < 0 || c->len == sizeof(c->buf)) {
				close(c->fd);
				conns[i] = conns[--nconn];
				i--;
				/* p[] indexes are stale now; pick the rest up next round */
				break;
			}
		}
		if (p[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0) {
				if (nconn >= MAX_CONN) {
					const char *b = "{ \"error\": \"Too many open connections\" }";
					char h[200];
					snprintf(
						h, sizeof(h),
						"HTTP/1.1 503 \r\nServer: Firecracker API\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
						strlen(b));
					send_all(fd, h, strlen(h));
					send_all(fd, b, strlen(b));
					close(fd);
				} else {
					conns[nconn].fd = fd;
					conns[nconn].len = 0;
					nconn++;
				}
			}
		}
	}
}
