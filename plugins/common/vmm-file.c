/* vmm-file.c - see vmm-file.h */
#include "vmm-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int own_regular(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_nlink == 1;
}

int vmm_open_fresh(const char *path, int append, int *replaced, char *err, size_t errlen)
{
	struct stat st;
	int fd, e;

	*replaced = 0;
	if (lstat(path, &st) == 0 && !own_regular(&st)) {
		if (unlink(path) < 0 && errno != ENOENT) {
			e = errno;
			snprintf(err, errlen, "cannot remove %s, which is not a plain file of lia's: %s",
				 path, strerror(e));
			return -e;
		}
		*replaced = 1;
	}
	/* O_NONBLOCK: a FIFO planted after the check must not hang us; O_NOFOLLOW: a link
	 * planted after it fails with ELOOP instead of being followed */
	fd = open(path,
		  O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
			  (append ? O_APPEND : 0),
		  0640);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot create %s: %s", path,
			 e == ELOOP ? "a symbolic link appeared in its place" : strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0 || !own_regular(&st)) {
		close(fd);
		snprintf(err, errlen,
			 "cannot create %s: something other than a plain file appeared in its place", path);
		return -EEXIST;
	}
	if (ftruncate(fd, 0) < 0 || fcntl(fd, F_SETFL, append ? O_APPEND : 0) < 0) {
		e = errno;
		close(fd);
		snprintf(err, errlen, "cannot truncate %s: %s", path, strerror(e));
		return -e;
	}
	return fd;
}
