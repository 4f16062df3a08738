/* image-dir: the short image plugin.  Builds state_dir/rootfs/rootfs.ext4 from `source`
 * (a folder or a tarball you made yourself) plus lia's rootfs/ overlay, and gives each
 * VM its disks.  All the work is in plugins/image-common/; this file only says where
 * the tree comes from.  Copy it to write your own image plugin: fill the staging root
 * in populate(), put what decides a rebuild in inputs(), keep the hooks table. */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include "../image-common/image-common.h"

#ifndef LIA_ROOTFS_DIR
#define LIA_ROOTFS_DIR "/usr/share/lia/rootfs"
#endif

struct dirsrc {
	const char *source;
	int is_dir;
	struct img_guest guest;
};

static int read_cfg(struct lia_ctx *ctx, struct dirsrc *d)
{
	struct stat st;
	d->source = ctx->host->cfg_str(ctx, "source");
	if (!d->source || d->source[0] != '/')
		return IMG_ERR(ctx, -EINVAL, "source '%s' must be an absolute folder or tarball path",
			       d->source ? d->source : "");
	if (stat(d->source, &st) < 0)
		return IMG_ERR(ctx, -errno, "cannot use source '%s': %s", d->source, strerror(errno));
	d->is_dir = S_ISDIR(st.st_mode);
	return img_guest_from_cfg(ctx, &d->guest);
}

/* the source's content decides: a tree checksum (with owners) or the tarball's sha256 */
static json_t *inputs(struct lia_ctx *ctx, const struct dirsrc *d)
{
	char sum[65];
	int r = d->is_dir ? img_tree_checksum(ctx, d->source, 1, sum)
			  : ctx->host->sha256_file(ctx, d->source, sum);
	if (r < 0)
		return NULL;
	json_t *in = json_object();
	json_object_set_new(in, "plugin", json_string("image-dir"));
	json_object_set_new(in, "source", json_string(d->source));
	json_object_set_new(in, "source_sha256", json_string(sum));
	if (img_guest_inputs(ctx, &d->guest, in) < 0) {
		json_decref(in);
		return NULL;
	}
	return in;
}

static int populate(struct lia_ctx *ctx, void *arg, const char *staging, int rootfd, json_t *info)
{
	(void)staging;
	(void)info;
	const struct dirsrc *d = arg;
	return d->is_dir ? img_tree_copy(ctx, d->source, rootfd, 0)
			 : img_extract(ctx, d->source, rootfd, "The source tarball");
}

static int image_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	struct dirsrc d;
	int r = read_cfg(ctx, &d);
	json_t *in = r < 0 ? NULL : inputs(ctx, &d);
	if (!in)
		return r < 0 ? r : -EIO;
	struct img_build b = { .inputs = in, .populate = populate, .arg = &d, .guest = &d.guest };
	r = img_build_run(ctx, &b);
	json_decref(in);
	return r;
}

static int image_plan(struct lia_ctx *ctx, void *state)
{
	(void)state;
	struct dirsrc d;
	int r = read_cfg(ctx, &d);
	json_t *in = r < 0 ? NULL : inputs(ctx, &d);
	if (!in)
		return r < 0 ? r : -EIO;
	if (img_up_to_date(ctx, in))
		ctx->host->note(ctx, "rootfs.ext4 is up to date (same inputs); nothing to do");
	else
		ctx->host->note(ctx, "build rootfs.ext4 (%lld MiB) from %s '%s' and the overlay %s",
				(long long)d.guest.size_mib, d.is_dir ? "the folder" : "the tarball",
				d.source, d.guest.overlay);
	json_decref(in);
	return 0;
}

static int image_undo(struct lia_ctx *ctx, void *state)
{
	(void)state;
	return img_build_undo(ctx);
}

static const struct lia_option options[] = {
	{ .name = "source",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .flags = LIA_OPT_REQUIRED,
	  .help = "the guest tree: a folder or a tarball" },
	IMG_SIZE_OPTION("2048", 16),
	IMG_GUEST_OPTIONS,
	{ 0 },
};

static const struct lia_hook hooks[] = {
	{ .phase = LIA_PHASE_IMAGE,
	  .run = image_run,
	  .undo = image_undo,
	  .plan = image_plan,
	  .summary = "build rootfs.ext4 from a folder or tarball" },
	IMG_VM_HOOKS,
	{ 0 },
};

static const char *const needs[] = { IMG_NEEDS, NULL };

LIA_PLUGIN_DEFINE(image_dir) = {
	LIA_PLUGIN_HEADER,
	.name = "image-dir",
	.version = PACKAGE_VERSION,
	.provides = "image",
	.description = "guest image from a local folder or tarball, plus per-VM disks",
	.options = options,
	.hooks = hooks,
	.needs = needs,
};
