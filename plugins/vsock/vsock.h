/* plugins/vsock/vsock.h - shared between the hooks (vsock.c), the socket-file
 * helpers (sockfile.c) and `vm connect` (connect.c). */
#ifndef LIA_VSOCK_H
#define LIA_VSOCK_H

#include <lia/plugin.h>
#include <stdint.h>

struct vsock_state {
	uint64_t cid_min, cid_max;
	uint32_t ready_port; /* 0: no readiness wait */
	long ready_timeout_ms;
	long connect_timeout_ms;
	int require_ready;
};

/* What a socket path holds right now. */
enum vsock_sock_kind {
	VSOCK_ABSENT = 0,
	VSOCK_STALE, /* a socket file nobody listens on */
	VSOCK_LIVE,  /* a socket file a process listens on */
	VSOCK_OTHER, /* not a socket (or cannot tell): never removed */
};
enum vsock_sock_kind vsock_probe(const char *path);

/* Remove `path` when it is a socket file (live or stale); absent is fine.
 * 0 or -errno (nothing logged). */
int vsock_unlink_socket(const char *path);

/* The `vm connect` command (connect.c). */
int vsock_cmd_connect(struct lia_ctx *ctx, void *state, int argc, char **argv);

#endif
