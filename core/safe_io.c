#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "safe_io.h"
#include "util.h"

/* the folder of path, opened; *base points at the last component */
static int open_parent(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	if (!slash) {
		*base = path;
		return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	*base = slash + 1;
	if (!**base || (size_t)(slash - path) >= sizeof dir) {
		errno = EINVAL;
		return -1;
	}
	snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int write_all(int fd, const char *p, size_t left)
{
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		left -= (size_t)w;
	}
	return 0;
}

int safe_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *base;
	int dfd = open_parent(path, &base);
	if (dfd < 0)
		return -errno;
	char tmp[NAME_MAX + 1];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", base, (long)getpid()) >= (int)sizeof tmp) {
		close(dfd);
		return -ENAMETOOLONG;
	}
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dfd, tmp, flags, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* a dead process with our PID left it, or someone planted it: its name only */
		unlinkat(dfd, tmp, 0);
		fd = openat(dfd, tmp, flags, 0600);
	}
	if (fd < 0) {
		int e = -errno;
		close(dfd);
		return e;
	}
	int err = write_all(fd, data, len);
	if (!err && fchmod(fd, mode) < 0)
		err = -errno;
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && renameat(dfd, tmp, dfd, base) < 0)
		err = -errno;
	if (err)
		unlinkat(dfd, tmp, 0);
	/* the rename itself is durable only once the folder is: a ledger entry must survive
	 * a crash before its object is made */
	else if (fsync(dfd) < 0)
		err = -errno;
	close(dfd);
	return err;
}

json_t *safe_load_json(const char *path, json_error_t *je, int *err)
{
	const char *base;
	memset(je, 0, sizeof(*je));
	*err = 0;
	int dfd = open_parent(path, &base);
	/* O_NONBLOCK: a FIFO planted there must not hang us */
	int fd = dfd < 0 ? -1 : openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	int e = fd < 0 ? errno : 0;
	if (dfd >= 0)
		close(dfd);
	if (fd < 0) {
		*err = -e;
		snprintf(je->text, sizeof je->text, "%s",
			 e == ELOOP ? "a symbolic link, not a file: not followed" : strerror(e));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*err = -EINVAL;
		snprintf(je->text, sizeof je->text, "not a regular file");
		return NULL;
	}
	/* one read for the whole file: json_loadfd reads a byte per system call */
	size_t cap = (size_t)st.st_size + 1, len = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (len == cap) { /* it grew since the fstat */
			char *more = realloc(buf, cap * 2);
			if (!more) {
				e = ENOMEM;
				break;
			}
			buf = more;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : 0;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (e) {
		free(buf);
		*err = -e;
		snprintf(je->text, sizeof je->text, "%s", strerror(e));
		return NULL;
	}
	json_t *j = json_loadb(buf, len, 0, je);
	free(buf);
	if (!j)
		*err = -EBADMSG;
	return j;
}

int safe_lock(const char *path, int nb)
{
	const char *base;
	int dfd = open_parent(path, &base);
	if (dfd < 0)
		return -errno;
	for (;;) {
		int fd = openat(dfd, base, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
		int e = fd < 0 ? -errno : 0;
		struct stat held, now;
		if (fd >= 0 && (fstat(fd, &held) < 0 || !S_ISREG(held.st_mode)))
			e = -EINVAL;
		if (!e && flock(fd, LOCK_EX | (nb ? LOCK_NB : 0)) < 0)
			e = -errno;
		if (e) {
			if (fd >= 0)
				close(fd);
			close(dfd);
			return e;
		}
		if (fstatat(dfd, base, &now, AT_SYMLINK_NOFOLLOW) == 0 && held.st_dev == now.st_dev &&
		    held.st_ino == now.st_ino) {
			close(dfd);
			return fd;
		}
		close(fd); /* removed or replaced while we waited: lock what is there now */
	}
}
