/* Per-VM disks: state_dir/volumes/NAME.rootfs.ext4 cloned from the template and
 * state_dir/volumes/NAME.data.ext4, a sparse ext4 data volume.
 *
 * The clone tries FICLONE (reflink: instant on XFS/btrfs), else copies only the data
 * extents (SEEK_DATA/SEEK_HOLE + copy_file_range) and sets the size with ftruncate, so
 * the holes of the 2 GiB template stay holes.  A blind copy_file_range over the whole
 * file would fill them (platform-notes.md section 6).  Each disk goes into the VM's
 * ledger before it is created, so a killed run leaves nothing untracked. */
#include "image-common.h"
#include "confine.h"
#include <lia/record.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int img_copy_range(int in, off_t off, int out, off_t to, off_t len)
{
	static int no_cfr; /* copy_file_range refused once (EXDEV/ENOSYS): use read/write */
	char buf[1 << 16];
	while (len > 0) {
		if (!no_cfr) {
			loff_t i = off, o = to;
			ssize_t n = copy_file_range(in, &i, out, &o, (size_t)len, 0);
			if (n > 0) {
				off += n;
				to += n;
				len -= n;
				continue;
			}
			if (n == 0)
				return -EIO; /* the source shrank under us */
			if (errno == EINTR)
				continue;
			if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL)
				return -errno;
			no_cfr = 1;
		}
		ssize_t n = pread(in, buf, len < (off_t)sizeof buf ? (size_t)len : sizeof buf, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		for (ssize_t w = 0; w < n;) {
			ssize_t k = pwrite(out, buf + w, (size_t)(n - w), to + w);
			if (k < 0 && errno != EINTR)
				return -errno;
			if (k > 0)
				w += k;
		}
		off += n;
		to += n;
		len -= n;
	}
	return 0;
}

static int copy_extents(struct lia_ctx *ctx, int in, int out, off_t size)
{
	off_t pos = 0;
	while (pos < size) {
		off_t data = lseek(in, pos, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO)
				break; /* only a hole remains */
			return -errno;
		}
		off_t hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		int r = img_copy_range(in, data, out, data, hole - data);
		if (r < 0)
			return r;
		pos = hole;
		if (pos < size)
			ctx->host->progress(ctx, "disk copy", (uint64_t)pos, (uint64_t)size);
	}
	if (ftruncate(out, size) < 0)
		return -errno;
	/* the last report is the whole size even when the file ends in a hole (the usual
	 * case for an ext4 image): a display that stops short of 100% looks like a failure */
	if (size > 0)
		ctx->host->progress(ctx, "disk copy", (uint64_t)size, (uint64_t)size);
	return 0;
}

int img_clone_file(struct lia_ctx *ctx, const char *src, const char *dst, int *reflinked)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return IMG_ERR(ctx, -errno, "cannot open the template image '%s': %s", src, strerror(errno));
	struct stat st;
	int r = fstat(in, &st) < 0 ? -errno : 0;
	int out = r < 0 ? -1 : open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (r == 0 && out < 0)
		r = -errno;
	*reflinked = 0;
	if (r == 0 && ioctl(out, FICLONE, in) == 0) {
		*reflinked = 1;
	} else if (r == 0) {
		if (errno != EOPNOTSUPP && errno != EXDEV && errno != EINVAL && errno != ENOTTY &&
		    errno != ENOSYS && errno != EPERM)
			r = -errno;
		else
			r = copy_extents(ctx, in, out, st.st_size);
	}
	/* the VM boots from this file at once: make it durable before we say it exists */
	if (r == 0 && fsync(out) < 0)
		r = -errno;
	if (out >= 0 && close(out) < 0 && r == 0)
		r = -errno;
	close(in);
	if (r < 0) {
		if (out >= 0)
			unlink(dst);
		return IMG_ERR(ctx, r, "cannot copy the template '%s' to '%s': %s", src, dst, strerror(-r));
	}
	return 0;
}

static int valid_vm_name(const char *n)
{
	return n && *n && n[0] != '.' && strlen(n) < 128 && !strchr(n, '/');
}

static int disk_paths(struct lia_ctx *ctx, char *root, char *data)
{
	const char *name = ctx->host->vm_name(ctx);
	if (!valid_vm_name(name))
		return IMG_ERR(ctx, -EINVAL, "the VM name '%s' cannot name a disk file", name ? name : "");
	if (ctx->host->path(ctx, root, PATH_MAX, "volumes/%s.rootfs.ext4", name) < 0 ||
	    ctx->host->path(ctx, data, PATH_MAX, "volumes/%s.data.ext4", name) < 0)
		return IMG_ERR(ctx, -ENAMETOOLONG, "the disk paths of VM '%s' are too long", name);
	return 0;
}

/* a file at PATH that another VM's ledger owns, or that no ledger owns, is not ours */
static int claim(struct lia_ctx *ctx, const char *path)
{
	struct stat st;
	if (lstat(path, &st) == 0 && !ctx->host->ledger_owned(ctx, "disk", path))
		return IMG_ERR(
			ctx, -EEXIST,
			"the disk '%s' already exists and no VM owns it; remove it or run `lia-core gc`",
			path);
	return ctx->host->ledger_add(ctx, "disk", path);
}

static int make_data_volume(struct lia_ctx *ctx, const char *path, int64_t mib)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return IMG_ERR(ctx, -errno, "cannot create the data volume '%s': %s", path, strerror(errno));
	int r = ftruncate(fd, (off_t)mib * 1048576) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return IMG_ERR(ctx, r, "cannot size the data volume '%s' to %lld MiB: %s", path,
			       (long long)mib, strerror(-r));
	const char *argv[] = {
		"mkfs.ext4", "-q", "-F", "-L", "lia-data", "-E", "root_owner=0:0", path, NULL
	};
	return img_run(ctx, "mkfs.ext4 formatting the data volume", argv);
}

int img_vm_create(struct lia_ctx *ctx, void *state)
{
	(void)state;
	const struct lia_host *h = ctx->host;
	char tmpl[PATH_MAX], root[PATH_MAX], data[PATH_MAX], vols[PATH_MAX];
	int r = disk_paths(ctx, root, data);
	if (r < 0 || (r = img_rootfs_path(ctx, tmpl, sizeof tmpl, "rootfs.ext4")) < 0)
		return r;
	/* the core owns the size: `vm create --volume-mib`, else lia.volume_mib */
	int64_t mib = h->vm_get_int(ctx, LIA_KEY_VOLUME_MIB, 0);
	if (mib < 8 || mib > 16 * 1024 * 1024)
		return IMG_ERR(ctx, -EINVAL, "volume_mib = %lld is out of range (8 to 16777216 MiB)",
			       (long long)mib);
	if (access(tmpl, R_OK) < 0)
		return IMG_ERR(
			ctx, -ENOENT,
			"the template image '%s' does not exist; build it with `lia-core run setup --only image`",
			tmpl);
	if (h->path(ctx, vols, sizeof vols, "volumes") < 0 || (r = h->mkdirs(ctx, vols, 0700)) < 0)
		return IMG_ERR(ctx, r < 0 ? r : -ENAMETOOLONG, "cannot make the folder '%s'", vols);
	if (h->dry_run(ctx)) {
		h->note(ctx, "copy %s to %s", tmpl, root);
		h->note(ctx, "create the %lld MiB data volume %s", (long long)mib, data);
		return 0;
	}
	int reflinked = 0;
	if ((r = claim(ctx, root)) < 0 || (r = img_clone_file(ctx, tmpl, root, &reflinked)) < 0)
		goto fail;
	if ((r = h->vm_set(ctx, "disk.root", root)) < 0)
		goto fail;
	if ((r = claim(ctx, data)) < 0 || (r = make_data_volume(ctx, data, mib)) < 0)
		goto fail;
	if ((r = h->vm_set(ctx, "disk.data", data)) < 0)
		goto fail;
	h->note(ctx, "root disk %s (%s), data volume %s (%lld MiB)", root,
		reflinked ? "reflink" : "sparse copy", data, (long long)mib);
	return 0;
fail:
	img_vm_destroy(ctx, state); /* removes whatever got made, keeps the error */
	return r;
}

static int remove_disk(struct lia_ctx *ctx, const char *key, const char *fallback)
{
	char p[PATH_MAX];
	/* a recorded path is acted on only inside volumes/ (a hand-edited record must not make
	 * root unlink /etc/shadow); the error names the record file and the key */
	int r = lia_vm_path_in(ctx, key, "volumes", p, sizeof p);
	if (r < 0 && r != -ENOENT)
		return r;
	const char *path = r == 0 ? p : NULL;
	if (!path)
		snprintf(p, sizeof p, "%s", fallback);
	/* a file at our name that no ledger holds was not made by us: leave it */
	if (!path && !ctx->host->ledger_owned(ctx, "disk", p))
		return 0;
	if (unlink(p) == 0)
		ctx->host->note(ctx, "removed %s", p);
	else if (errno != ENOENT)
		return IMG_ERR(ctx, -errno, "cannot remove the disk '%s': %s", p, strerror(errno));
	r = ctx->host->ledger_del(ctx, "disk", p);
	if (r < 0 && r != -ENOENT)
		return r;
	if (path)
		ctx->host->vm_set(ctx, key, NULL);
	return 0;
}

int img_vm_destroy(struct lia_ctx *ctx, void *state)
{
	(void)state;
	char root[PATH_MAX], data[PATH_MAX];
	int r = disk_paths(ctx, root, data);
	if (r < 0)
		return r;
	if (ctx->host->dry_run(ctx)) {
		ctx->host->note(ctx, "remove %s and %s", root, data);
		return 0;
	}
	int r1 = remove_disk(ctx, "disk.data", data);
	int r2 = remove_disk(ctx, "disk.root", root);
	return r1 < 0 ? r1 : r2;
}

/* gc: disks in volumes/ with our names that no VM's ledger owns, and build leftovers */
int img_gc(struct lia_ctx *ctx, void *state)
{
	(void)state;
	char vols[PATH_MAX];
	int n = ctx->host->dry_run(ctx) ? 0 : img_build_sweep(ctx);
	if (n)
		ctx->host->note(ctx, "removed %d leftover(s) of an interrupted image build", n);
	if (ctx->host->path(ctx, vols, sizeof vols, "volumes") < 0)
		return 0;
	DIR *d = opendir(vols);
	if (!d)
		return 0;
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		int ours = (l > 12 && strcmp(de->d_name + l - 12, ".rootfs.ext4") == 0) ||
			   (l > 10 && strcmp(de->d_name + l - 10, ".data.ext4") == 0);
		char p[PATH_MAX];
		if (!ours || snprintf(p, sizeof p, "%s/%s", vols, de->d_name) >= (int)sizeof p ||
		    ctx->host->ledger_owned(ctx, "disk", p))
			continue;
		if (ctx->host->dry_run(ctx)) {
			ctx->host->note(ctx, "would remove the unowned disk %s", p);
		} else if (unlink(p) == 0) {
			ctx->host->note(ctx, "removed the unowned disk %s", p);
		} else if (errno != ENOENT) {
			r = IMG_ERR(ctx, -errno, "cannot remove the unowned disk '%s': %s", p,
				    strerror(errno));
		}
	}
	closedir(d);
	return r;
}
