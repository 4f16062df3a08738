/* File helpers for building images.  Writes into a staging root go through openat2
 * with RESOLVE_IN_ROOT: an extracted tree may hold links like etc/hostname -> /etc/hostname,
 * and writing through them must land inside the staging root, never on the host. */
#include "image-common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <openssl/evp.h>

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	int r = (flag == FTW_DP) ? rmdir(path) : unlink(path);
	return (r < 0 && errno != ENOENT) ? -errno : 0;
}

int img_rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? -errno : 0;
	/* FTW_PHYS: never follow links; FTW_MOUNT: stay on this filesystem */
	int r = nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	return r < 0 ? -errno : r;
}

int img_root_open(int rootfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	if (!*rel)
		rel = ".";
	long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
	return fd < 0 ? -errno : (int)fd;
}

int img_root_parent(int rootfd, const char *rel, const char **last)
{
	const char *slash = strrchr(rel, '/');
	char dir[PATH_MAX];
	if (!slash) {
		*last = rel;
		return img_root_open(rootfd, "", O_DIRECTORY | O_RDONLY, 0);
	}
	if ((size_t)(slash - rel) >= sizeof dir)
		return -ENAMETOOLONG;
	memcpy(dir, rel, (size_t)(slash - rel));
	dir[slash - rel] = '\0';
	*last = slash + 1;
	if (!**last)
		return -EINVAL;
	return img_root_open(rootfd, dir, O_DIRECTORY | O_RDONLY, 0);
}

int img_root_mkdir(int rootfd, const char *rel, mode_t mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", rel) >= (int)sizeof buf)
		return -ENAMETOOLONG;
	for (char *p = buf;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (*buf) {
			const char *last;
			int dfd = img_root_parent(rootfd, buf, &last);
			if (dfd < 0)
				return dfd;
			int r = 0;
			if (mkdirat(dfd, last, mode) == 0) {
				/* mkdir obeys the umask; set the wanted mode and owner */
				if (fchmodat(dfd, last, mode, 0) < 0 ||
				    fchownat(dfd, last, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
					r = -errno;
			} else if (errno != EEXIST) {
				r = -errno;
			}
			close(dfd);
			if (r < 0)
				return r;
		}
		if (!c)
			break;
		*p = c;
	}
	int fd = img_root_open(rootfd, rel, O_DIRECTORY | O_RDONLY, 0);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* remove whatever non-directory sits at LAST in DFD, so we never write through a link */
static int clear_slot(int dfd, const char *last)
{
	struct stat st;
	if (fstatat(dfd, last, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	return unlinkat(dfd, last, 0) < 0 ? -errno : 0;
}

int img_root_write(int rootfd, const char *rel, const void *data, size_t len, mode_t mode)
{
	const char *last;
	int dfd = img_root_parent(rootfd, rel, &last);
	if (dfd < 0)
		return dfd;
	int r = clear_slot(dfd, last);
	int fd = -1;
	if (r == 0) {
		fd = openat(dfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0)
			r = -errno;
	}
	const char *p = data;
	while (r == 0 && len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno != EINTR)
				r = -errno;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	if (r == 0 && (fchmod(fd, mode) < 0 || fchown(fd, 0, 0) < 0))
		r = -errno;
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	close(dfd);
	return r;
}

int img_root_symlink(int rootfd, const char *rel, const char *target)
{
	const char *last;
	int dfd = img_root_parent(rootfd, rel, &last);
	if (dfd < 0)
		return dfd;
	int r = clear_slot(dfd, last);
	if (r == 0 && symlinkat(target, dfd, last) < 0)
		r = -errno;
	if (r == 0 && fchownat(dfd, last, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
		r = -errno;
	close(dfd);
	return r;
}

int img_root_unlink(int rootfd, const char *rel)
{
	const char *last;
	int dfd = img_root_parent(rootfd, rel, &last);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	int r = unlinkat(dfd, last, 0) < 0 && errno != ENOENT ? -errno : 0;
	close(dfd);
	return r;
}

static int read_fd(int fd, char **data, size_t *len, size_t max)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			free(buf);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*data = buf;
	if (len)
		*len = n;
	return 0;
}

int img_root_read(int rootfd, const char *rel, char **data, size_t *len)
{
	int fd = img_root_open(rootfd, rel, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	int r = read_fd(fd, data, len, 16u << 20);
	close(fd);
	return r;
}

int img_read_file(const char *path, char **data, size_t *len, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = read_fd(fd, data, len, max);
	close(fd);
	return r;
}

void img_sha256_hex(const unsigned char d[32], char hex[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

int img_fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return -ENAMETOOLONG;
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int img_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	/* a fresh file: a stale temp (or a link planted as one) is removed, not written through */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	int r = 0;
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		data += n;
		len -= (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	return img_fsync_dir_of(path);
}
