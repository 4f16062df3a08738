/* plugins/vsock/sockfile.c - look at and remove the VM's vsock socket file.
 * Firecracker binds uds_path itself and never unlinks it, and its bind fails when the
 * path exists, so lia removes the file before a start and after a stop.  A path that
 * is not a socket is never touched: that is someone else's file. */
#include "vsock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

enum vsock_sock_kind vsock_probe(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? VSOCK_ABSENT : VSOCK_OTHER;
	if (!S_ISSOCK(st.st_mode) || strlen(path) >= sizeof sa.sun_path)
		return VSOCK_OTHER;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return VSOCK_OTHER;
	/* Connecting without sending anything is harmless to Firecracker: the muxer
	 * drops a connection that closes before its CONNECT line. */
	do
		r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	while (r < 0 && errno == EINTR);
	r = r == 0 || errno == EAGAIN ? VSOCK_LIVE : errno == ECONNREFUSED ? VSOCK_STALE : VSOCK_OTHER;
	close(fd);
	return (enum vsock_sock_kind)r;
}

int vsock_unlink_socket(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
