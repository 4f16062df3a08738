/* tests/vsock/vsock-dial.c - what `lia-core vm connect` does, without the core:
 *   vsock-dial UDS PORT TIMEOUT_MS
 *   vsock-dial --bench N UDS PORT   (N handshakes in-process; prints the median in us)
 * Runs the plugin's own vsock_dial() and vsock_bridge() (proto.c, bridge.c), so the
 * protocol can be tested before and apart from lia-core.  Prints "attempts N hostport P"
 * to stderr on success; the error sentence on failure.  Exit 0 ok, 1 failure, 2 usage. */
#include "../../plugins/vsock/proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

/* connect + CONNECT + OK + close, n times, without process start-up in the numbers */
static int bench(int n, const char *uds, uint32_t port)
{
	long long *us = calloc((size_t)n, sizeof *us);
	struct vsock_conn c;
	char err[600];
	struct timespec a, b;

	if (!us || n < 1)
		return 2;
	for (int i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (vsock_dial(uds, port, 2000, &c, err, sizeof err) < 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		close(c.fd);
		clock_gettime(CLOCK_MONOTONIC, &b);
		us[i] = (b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000;
	}
	qsort(us, (size_t)n, sizeof *us, cmp_ll);
	printf("%lld\n", us[n / 2]);
	free(us);
	return 0;
}

int main(int argc, char **argv)
{
	struct vsock_conn c;
	char err[600];
	int r;

	if (argc == 5 && strcmp(argv[1], "--bench") == 0)
		return bench(atoi(argv[2]), argv[3], (uint32_t)strtoul(argv[4], NULL, 10));
	if (argc != 4) {
		fprintf(stderr, "usage: vsock-dial UDS PORT TIMEOUT_MS\n");
		return 2;
	}
	r = vsock_dial(argv[1], (uint32_t)strtoul(argv[2], NULL, 10), atol(argv[3]), &c, err, sizeof err);
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	fprintf(stderr, "attempts %d hostport %u\n", c.attempts, c.host_port);
	r = vsock_bridge(c.fd, c.extra, c.extra_len, 0, 1, err, sizeof err);
	close(c.fd);
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	return 0;
}
