/* sd_notify(3) for lia-core serve, without libsystemd: the protocol is one datagram of
 * "KEY=VALUE" lines to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for
 * an abstract socket).  With Type=notify in lia-vm-api.service, systemd counts the daemon
 * started once it sends READY=1, after its listeners are serving, and STOPPING=1 tells it
 * that a SIGTERM is being honoured.  Without $NOTIFY_SOCKET nothing is sent. */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "serve.h"
#include "util.h"

static struct sockaddr_un notify_addr;
static socklen_t notify_len; /* 0: not under systemd's notify protocol */

void notify_init(void)
{
	const char *e = getenv("NOTIFY_SOCKET");
	size_t n = e ? strlen(e) : 0;
	if (n >= 2 && n < sizeof(notify_addr.sun_path) && (e[0] == '/' || e[0] == '@')) {
		notify_addr.sun_family = AF_UNIX;
		memcpy(notify_addr.sun_path, e, n);
		if (e[0] == '@')
			notify_addr.sun_path[0] = 0; /* abstract: no trailing NUL in the length */
		notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (e[0] == '/'));
	} else if (e) {
		msg_warn("serve: NOTIFY_SOCKET '%s' is not an AF_UNIX socket path: no readiness notification",
			 e);
	}
	unsetenv("NOTIFY_SOCKET");
}

void notify_send(const char *fmt, ...)
{
	if (!notify_len)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&notify_addr, notify_len) < 0)
		msg_warn("serve: cannot notify systemd (%s): %s", msg, strerror(errno));
	if (fd >= 0)
		close(fd);
}
