/* forward.c - net.ipv4.ip_forward, which is per network namespace.  Written through
 * procfs (there is no netlink call for it). */
#include "net-bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"

int nb_forward_get(struct lia_ctx *ctx, int *on)
{
	char buf[8] = "";
	int fd = open(IP_FORWARD, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return ctx->host->error(ctx, -errno, "cannot open %s: %s", IP_FORWARD, strerror(errno));
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return ctx->host->error(ctx, -EIO, "cannot read %s", IP_FORWARD);
	*on = buf[0] == '1';
	return 0;
}

int nb_forward_set(struct lia_ctx *ctx, const char *value)
{
	int fd = open(IP_FORWARD, O_WRONLY | O_CLOEXEC), e;
	size_t len = strlen(value);

	if (fd < 0)
		return ctx->host->error(ctx, -errno, "cannot open %s for writing: %s", IP_FORWARD,
					strerror(errno));
	if (write(fd, value, len) != (ssize_t)len) {
		e = errno;
		close(fd);
		return ctx->host->error(ctx, -e, "cannot write '%s' to %s: %s", value, IP_FORWARD,
					strerror(e));
	}
	if (close(fd) < 0)
		return ctx->host->error(ctx, -errno, "cannot write %s: %s", IP_FORWARD, strerror(errno));
	return 0;
}
