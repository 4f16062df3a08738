/* fc-driver: files for the jailer's chroot. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fc-jail.h"

int fc_jail_init(struct fc_jail *j, const char *base, const char *binary, const char *id, uid_t uid,
		 gid_t gid)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s", binary) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* the jailer names the directory after the exec file's base name */
	if (snprintf(j->dir, sizeof(j->dir), "%s/%s/%s", base, basename(tmp), id) >= (int)sizeof(j->dir) ||
	    snprintf(j->root, sizeof(j->root), "%s/root", j->dir) >= (int)sizeof(j->root))
		return -ENAMETOOLONG;
	j->uid = uid;
	j->gid = gid;
	return 0;
}

static int copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	struct stat st;
	if (fstat(in, &st) < 0) {
		int e = errno;
		close(in);
		return -e;
	}
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		int e = errno;
		close(in);
		return -e;
	}
	off_t left = st.st_size;
	while (left > 0) {
		ssize_t n = sendfile(out, in, NULL, (size_t)left);
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(in);
			close(out);
			unlink(dst);
			return -e;
		}
		left -= n;
	}
	close(in);
	if (close(out) < 0) {
		int e = errno;
		unlink(dst);
		return -e;
	}
	return 0;
}

int fc_jail_place(struct lia_ctx *ctx, const struct fc_jail *j, const char *src, const char *name,
		  int copy_ok, char *inside, size_t insidelen, char *err, size_t errlen)
{
	char dst[PATH_MAX];
	int r = ctx->host->mkdirs(ctx, j->root, 0755);
	if (r < 0) {
		snprintf(err, errlen, "cannot create the jail directory %s: %s", j->root, strerror(-r));
		return r;
	}
	if (snprintf(dst, sizeof(dst), "%s/%s", j->root, name) >= (int)sizeof(dst))
		return -ENAMETOOLONG;
	unlink(dst);
	if (link(src, dst) < 0) {
		int e = errno;
		if (!(copy_ok && (e == EXDEV || e == EPERM))) {
			snprintf(err, errlen,
				 "cannot hard-link %s into the jail as %s: %s (put chroot_base on the "
				 "same file system as the state directory)",
				 src, dst, strerror(e));
			return -e;
		}
		r = copy_file(src, dst);
		if (r < 0) {
			snprintf(err, errlen, "cannot copy %s into the jail as %s: %s", src, dst,
				 strerror(-r));
			return r;
		}
	}
	if (chown(dst, j->uid, j->gid) < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot give %s to uid %d gid %d: %s", dst, (int)j->uid, (int)j->gid,
			 strerror(e));
		return -e;
	}
	snprintf(inside, insidelen, "/%s", name);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	/* device nodes, sockets and files all go with unlink; directories after their
	 * contents (FTW_DEPTH) */
	int r = (flag == FTW_DP) ? rmdir(path) : unlink(path);
	return r < 0 && errno != ENOENT ? -1 : 0;
}

int fc_jail_remove(const struct fc_jail *j)
{
	struct stat st;
	if (lstat(j->dir, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	/* FTW_PHYS: never follow a symlink the guest's VMM may have left out of the jail */
	if (nftw(j->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		return -errno;
	return 0;
}
