/* Image build: fill a staging folder, write it with `mkfs.ext4 -d` into a temp file
 * next to the template (no loop mount; the large files' data goes in around mkfs, by
 * bulk.c), fsync, check it with `e2fsck -fn`, and rename it over rootfs.ext4.  Any failure leaves the previous image and no temp files.
 * state_dir/rootfs/rootfs.json records the inputs: same inputs -> nothing to do. */
#include "image-common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int img_rootfs_path(struct lia_ctx *ctx, char *buf, size_t len, const char *name)
{
	int r = ctx->host->path(ctx, buf, len, "rootfs%s%s", *name ? "/" : "", name);
	return r < 0 ? IMG_ERR(ctx, r, "the state folder path is too long") : 0;
}

int img_run(struct lia_ctx *ctx, const char *what, const char *const argv[])
{
	char out[4096];
	int status = 0;
	out[0] = '\0';
	int r = ctx->host->run(ctx, argv, out, sizeof out, &status);
	if (r < 0)
		return r;
	if (status != 0) {
		size_t n = strlen(out);
		while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
			out[--n] = '\0';
		return IMG_ERR(ctx, -EIO, "%s failed (exit status %d)%s%s", what, status, *out ? ": " : ".",
			       out);
	}
	return 0;
}

static json_t *load_record(struct lia_ctx *ctx)
{
	char path[PATH_MAX];
	if (img_rootfs_path(ctx, path, sizeof path, "rootfs.json") < 0)
		return NULL;
	return json_load_file(path, 0, NULL);
}

int img_up_to_date(struct lia_ctx *ctx, json_t *inputs)
{
	char img[PATH_MAX];
	struct stat st;
	if (img_rootfs_path(ctx, img, sizeof img, "rootfs.ext4") < 0 || stat(img, &st) < 0 ||
	    !S_ISREG(st.st_mode))
		return 0;
	json_t *rec = load_record(ctx);
	int same = rec && json_equal(json_object_get(rec, "inputs"), inputs);
	json_int_t mib = json_integer_value(json_object_get(inputs, "size_mib"));
	json_decref(rec);
	return same && (int64_t)st.st_size == (int64_t)mib * 1048576;
}

int img_build_sweep(struct lia_ctx *ctx)
{
	char dir[PATH_MAX];
	if (img_rootfs_path(ctx, dir, sizeof dir, "") < 0)
		return 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int count = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, ".staging-", 9) != 0 &&
		    strncmp(de->d_name, ".rootfs.ext4.tmp-", 17) != 0 &&
		    strcmp(de->d_name, "rootfs.json.tmp") != 0)
			continue;
		char p[PATH_MAX];
		if (snprintf(p, sizeof p, "%s/%s", dir, de->d_name) < (int)sizeof p && img_rm_rf(p) == 0)
			count++;
	}
	closedir(d);
	return count;
}

static int write_record(struct lia_ctx *ctx, const struct img_build *b, json_t *info, const char *img)
{
	char path[PATH_MAX], when[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	json_object_set(info, "inputs", b->inputs);
	json_object_set_new(info, "built", json_string(when));
	json_object_set_new(info, "image", json_string(img));
	char *text = json_dumps(info, JSON_INDENT(2) | JSON_SORT_KEYS);
	int r = text ? img_rootfs_path(ctx, path, sizeof path, "rootfs.json") : -ENOMEM;
	if (r == 0) {
		size_t n = strlen(text);
		text[n] = '\n'; /* json_dumps leaves room for the NUL only: write n+1 chars */
		r = img_write_file_atomic(path, text, n + 1, 0644);
		if (r < 0)
			r = IMG_ERR(ctx, r, "cannot write the build record '%s': %s", path, strerror(-r));
	}
	free(text);
	return r;
}

int img_write_image(struct lia_ctx *ctx, const char *staging, const char *tmp, int tmpfd, int64_t size_mib)
{
	const struct lia_host *h = ctx->host;
	char side[PATH_MAX];
	struct img_bulk *bulk = NULL;
	int r = 0;
	side[0] = '\0';
	/* sparse: only what mkfs writes is allocated */
	if (ftruncate(tmpfd, (off_t)size_mib * 1048576) < 0)
		return IMG_ERR(ctx, -errno, "cannot size the temp image '%s' to %lld MiB: %s", tmp,
			       (long long)size_mib, strerror(errno));
	/* the large files' data goes in around mkfs (bulk.c): mkfs writes it 4 KiB per call.
	 * Their side folder is next to the staging one (same file system: they move by
	 * rename), named so that a sweep of leftovers removes it */
	if (img_bulk_enabled(ctx)) {
		if (snprintf(side, sizeof side, "%s-bulk", staging) >= (int)sizeof side) {
			side[0] = '\0';
			return IMG_ERR(ctx, -ENAMETOOLONG, "the path '%s-bulk' is too long", staging);
		}
		if (mkdir(side, 0700) < 0) {
			r = IMG_ERR(ctx, -errno, "cannot make the folder '%s': %s", side, strerror(errno));
			side[0] = '\0';
			return r;
		}
		bulk = img_bulk_set_aside(ctx, staging, side, &r);
		if (r < 0)
			goto out;
	}
	char size[32];
	snprintf(size, sizeof size, "%lldM", (long long)size_mib);
	h->log(ctx, LIA_LOG_INFO, "writing the %lld MiB image with mkfs.ext4 -d", (long long)size_mib);
	/* the temp file is new and sparse: its holes read as zeros.  mkfs.ext4 already trusts
	 * that for the inode tables (its discard of a regular file punches holes, and it marks
	 * them zeroed, so the guest's kernel has nothing to finish), but by default it still
	 * writes the whole journal (64 MiB of zeros for 2 GiB): lazy_journal_init skips that */
	const char *mkfs[] = { "mkfs.ext4",
			       "-q",
			       "-F",
			       "-d",
			       staging,
			       "-E",
			       "root_owner=0:0,lazy_itable_init=1,lazy_journal_init=1",
			       tmp,
			       size,
			       NULL };
	if ((r = img_run(ctx, "mkfs.ext4 writing the image", mkfs)) < 0)
		goto out;
	if (bulk && (r = img_bulk_write(ctx, bulk, tmp, tmpfd)) < 0)
		goto out;
	if (img_bulk_count(bulk))
		h->note(ctx, "wrote %zu large file(s) into the image by extents, around mkfs.ext4 -d",
			img_bulk_count(bulk));
	if (fsync(tmpfd) < 0)
		r = IMG_ERR(ctx, -errno, "cannot flush the new image '%s': %s", tmp, strerror(errno));
out:
	img_bulk_free(bulk);
	if (side[0]) {
		int e = img_rm_rf(side);
		if (e < 0 && r == 0)
			r = IMG_ERR(ctx, e, "cannot remove the folder '%s': %s", side, strerror(-e));
	}
	return r;
}

int img_build_run(struct lia_ctx *ctx, const struct img_build *b)
{
	const struct lia_host *h = ctx->host;
	char dir[PATH_MAX], img[PATH_MAX], staging[PATH_MAX], tmp[PATH_MAX];
	int r, rootfd = -1, tmpfd = -1;
	json_t *info = json_object();
	staging[0] = tmp[0] = '\0';
	if ((r = img_rootfs_path(ctx, dir, sizeof dir, "")) < 0 ||
	    (r = img_rootfs_path(ctx, img, sizeof img, "rootfs.ext4")) < 0)
		goto out;
	if ((r = h->mkdirs(ctx, dir, 0755)) < 0)
		goto out;
	if (img_up_to_date(ctx, b->inputs)) {
		h->note(ctx, "%s is up to date (same inputs as its build record); nothing to do", img);
		goto out;
	}
	int swept = img_build_sweep(ctx);
	if (swept)
		h->note(ctx, "removed %d leftover(s) of an interrupted build in %s", swept, dir);
	if ((r = img_rootfs_path(ctx, staging, sizeof staging, ".staging-XXXXXX")) < 0) {
		staging[0] = '\0';
		goto out;
	}
	if (!mkdtemp(staging)) {
		r = IMG_ERR(ctx, -errno, "cannot make a staging folder in '%s': %s", dir, strerror(errno));
		staging[0] = '\0';
		goto out;
	}
	rootfd = open(staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || fchmod(rootfd, 0755) < 0) {
		r = IMG_ERR(ctx, -errno, "cannot open the staging folder '%s': %s", staging, strerror(errno));
		goto out;
	}
	h->log(ctx, LIA_LOG_INFO, "filling the image tree in %s", staging);
	if ((r = b->populate(ctx, b->arg, staging, rootfd, info)) < 0)
		goto out;
	if ((r = img_guest_finish(ctx, b->guest, rootfd)) < 0)
		goto out;
	if (b->finish && (r = b->finish(ctx, b->arg, rootfd)) < 0)
		goto out;
	if ((r = img_rootfs_path(ctx, tmp, sizeof tmp, ".rootfs.ext4.tmp-XXXXXX")) < 0) {
		tmp[0] = '\0';
		goto out;
	}
	tmpfd = mkostemp(tmp, O_CLOEXEC);
	if (tmpfd < 0) {
		r = IMG_ERR(ctx, -errno, "cannot make a temp image in '%s': %s", dir, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	/* closing the staging root first: the write moves large files out of it */
	close(rootfd);
	rootfd = -1;
	if ((r = img_write_image(ctx, staging, tmp, tmpfd, b->guest->size_mib)) < 0)
		goto out;
	const char *fsck[] = { "e2fsck", "-fn", tmp, NULL };
	if ((r = img_run(ctx, "e2fsck checking the new image", fsck)) < 0)
		goto out;
	if (fchmod(tmpfd, 0644) < 0) {
		r = IMG_ERR(ctx, -errno, "cannot set the mode of the new image '%s': %s", tmp,
			    strerror(errno));
		goto out;
	}
	if (rename(tmp, img) < 0) {
		r = IMG_ERR(ctx, -errno, "cannot move the new image '%s' to '%s': %s", tmp, img,
			    strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	img_fsync_dir_of(img);
	if ((r = write_record(ctx, b, info, img)) < 0)
		goto out;
	struct stat st;
	if (stat(img, &st) == 0)
		h->note(ctx, "built %s: %lld MiB, %lld MiB allocated", img, (long long)st.st_size / 1048576,
			(long long)st.st_blocks * 512 / 1048576);
out:
	if (tmpfd >= 0)
		close(tmpfd);
	if (tmp[0])
		unlink(tmp);
	if (rootfd >= 0)
		close(rootfd);
	if (staging[0]) {
		int e = img_rm_rf(staging);
		if (e < 0 && r == 0)
			r = IMG_ERR(ctx, e, "cannot remove the staging folder '%s': %s", staging,
				    strerror(-e));
	}
	json_decref(info);
	return r;
}

int img_build_undo(struct lia_ctx *ctx)
{
	char img[PATH_MAX], rec[PATH_MAX];
	int r;
	if ((r = img_rootfs_path(ctx, img, sizeof img, "rootfs.ext4")) < 0 ||
	    (r = img_rootfs_path(ctx, rec, sizeof rec, "rootfs.json")) < 0)
		return r;
	const char *paths[] = { img, rec };
	for (int i = 0; i < 2; i++) {
		if (unlink(paths[i]) == 0)
			ctx->host->note(ctx, "removed %s", paths[i]);
		else if (errno != ENOENT)
			return IMG_ERR(ctx, -errno, "cannot remove '%s': %s", paths[i], strerror(errno));
	}
	int n = img_build_sweep(ctx);
	if (n)
		ctx->host->note(ctx, "removed %d leftover(s) of an interrupted build", n);
	return 0;
}
