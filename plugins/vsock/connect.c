/* plugins/vsock/connect.c - `lia-core vm connect NAME PORT`: a host-initiated vsock
 * connection to the guest's PORT, bridged to stdin/stdout (like socat). */
#include "vsock.h"
#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Strict decimal u32 below 0xffffffff (VMADDR_PORT_ANY). */
static int parse_port(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > 4294967294ULL)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int vsock_cmd_connect(struct lia_ctx *ctx, void *state, int argc, char **argv)
{
	const struct lia_host *h = ctx->host;
	struct vsock_state *st = state;
	const char *name = h->vm_name(ctx);
	const char *uds = h->vm_get(ctx, "vsock.uds");
	const char *vmstate = h->vm_get(ctx, "state");
	struct vsock_conn c;
	char err[600];
	uint32_t port;
	int r;

	/* argv: NAME PORT (the core passes the words after "connect") */
	if (argc != 2 || parse_port(argv[1], &port) < 0) {
		h->error(ctx, -EINVAL,
			 "usage: lia-core vm connect NAME PORT, with PORT a decimal vsock port "
			 "below 4294967295%s%s%s",
			 argc >= 2 ? " (got '" : "", argc >= 2 ? argv[1] : "", argc >= 2 ? "')" : "");
		return 2;
	}
	if (!uds) {
		h->error(ctx, -ENOENT,
			 "VM '%s' has no vsock socket (vsock.uds is not set in its record); was it "
			 "created with the vsock plugin enabled?",
			 name);
		return 1;
	}
	/* A VM that is not running has no one behind the socket: say so at once
	 * instead of retrying for connect_timeout. */
	if (vmstate && strcmp(vmstate, "running") != 0 && vsock_probe(uds) != VSOCK_LIVE) {
		h->error(ctx, -ENOTCONN,
			 "VM '%s' is not running (state %s), so nothing answers on vsock socket "
			 "'%s'",
			 name, vmstate, uds);
		return 1;
	}
	r = vsock_dial(uds, port, st->connect_timeout_ms, &c, err, sizeof err);
	if (r < 0) {
		h->error(ctx, r, "VM '%s': %s", name, err);
		return 1;
	}
	h->log(ctx, LIA_LOG_DEBUG, "connected to guest port %u of VM '%s' (host port %u, %d attempts)", port,
	       name, c.host_port, c.attempts);
	fflush(stdout); /* anything the core buffered goes out before the stream */
	r = vsock_bridge(c.fd, c.extra, c.extra_len, STDIN_FILENO, STDOUT_FILENO, err, sizeof err);
	close(c.fd);
	if (r < 0) {
		h->error(ctx, r, "VM '%s', guest port %u through '%s': %s", name, port, uds, err);
		return 1;
	}
	return 0;
}
