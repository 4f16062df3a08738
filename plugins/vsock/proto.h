/* plugins/vsock/proto.h - the host side of Firecracker's vsock handshake.
 *
 * Pure socket code with no lia host services, so the plugin, its `vm connect`
 * command and the tests share it.  Protocol (Firecracker v1.6 muxer.rs): connect()
 * to the VM's uds_path, send "CONNECT <port>\n" in ONE write, read "OK <hostport>\n";
 * on any failure Firecracker closes the stream without a word. */
#ifndef LIA_VSOCK_PROTO_H
#define LIA_VSOCK_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Firecracker reads at most 32 bytes for the command line; its reply is shorter. */
#define VSOCK_LINE_MAX 32

/* Parse the start of a reply.  Returns 1 when buf holds a whole "OK <n>\n" (*port = n,
 * *used = length of that line, bytes after it belong to the stream), 0 when what is
 * there is a valid beginning but incomplete, -1 when it cannot be an OK line. */
int vsock_parse_ok(const char *buf, size_t len, uint32_t *port, size_t *used);

/* A connection after a successful handshake. */
struct vsock_conn {
	int fd;             /* non-blocking, close-on-exec */
	uint32_t host_port; /* n of "OK n" */
	char extra[64];     /* stream bytes that came in the same read as the OK line */
	size_t extra_len;
	int attempts; /* connections tried */
};

/* Connect to `uds`, ask for guest `port`, and retry with backoff while the guest is not
 * there yet (socket missing, connection refused, closed without an answer) until
 * timeout_ms have passed.  Returns 0 (c filled), -ETIMEDOUT after the deadline, or
 * another negative errno for a failure retrying cannot fix (garbage reply, permission,
 * path too long).  On failure err holds a whole sentence naming the socket and port. */
int vsock_dial(const char *uds, uint32_t port, long timeout_ms, struct vsock_conn *c, char *err,
	       size_t errlen);

/* Copy in_fd -> sock and sock -> out_fd (after writing pre[0..prelen) to out_fd) like
 * socat: EOF on in_fd shuts down the socket's write side and keeps reading until the
 * peer closes; the peer closing ends the bridge.  Returns 0 or a negative errno with
 * err set.  Leaves in_fd/out_fd in blocking mode; does not close any fd. */
int vsock_bridge(int sock, const char *pre, size_t prelen, int in_fd, int out_fd, char *err, size_t errlen);

/* CLOCK_MONOTONIC in milliseconds */
long long vsock_now_ms(void);

#endif
