/* image-alpine: builds state_dir/rootfs/rootfs.ext4 from an Alpine release (minirootfs
 * + apk packages + npm packages + the rootfs/ overlay) and gives each VM its disks.
 *
 * setup/image   build the template unless its record says the same inputs made it
 * vm create     per-VM root disk (clone) + data volume; undo = destroy
 * vm destroy    remove both
 * gc            remove disks no VM owns, and leftovers of killed builds */
#include "config.h"
#include "alpine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#ifndef LIA_ROOTFS_DIR
#define LIA_ROOTFS_DIR "/usr/share/lia/rootfs"
#endif

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* what decides a rebuild.  Release tarballs are immutable, so the URL stands for
 * its content; the checksum found is recorded beside the inputs. */
static json_t *inputs(struct lia_ctx *ctx, const struct alpine *a)
{
	json_t *in = json_object();
	json_object_set_new(in, "plugin", json_string("image-alpine"));
	json_object_set_new(in, "version", json_string(a->version));
	json_object_set_new(in, "arch", json_string(a->arch));
	json_object_set_new(in, "mirror", json_string(a->mirror));
	json_object_set_new(in, "minirootfs", json_string(a->url));
	json_object_set_new(in, "packages", strings(a->pkgs, a->npkgs));
	json_object_set_new(in, "npm_packages", strings(a->npm, a->nnpm));
	if (img_guest_inputs(ctx, &a->guest, in) < 0) {
		json_decref(in);
		return NULL;
	}
	return in;
}

static int populate(struct lia_ctx *ctx, void *arg, const char *staging, int rootfd, json_t *info)
{
	const struct alpine *a = arg;
	char tarball[PATH_MAX], sha[65];
	int r = alpine_fetch(ctx, a, tarball, sha);
	if (r < 0)
		return r;
	json_object_set_new(info, "source_sha256", json_string(sha));
	if ((r = img_extract(ctx, tarball, rootfd, "The minirootfs")) < 0)
		return r;
	return alpine_packages(ctx, a, staging, rootfd);
}

static int image_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	struct alpine a;
	int r = alpine_cfg(ctx, &a);
	if (r < 0)
		return r;
	json_t *in = inputs(ctx, &a);
	if (!in)
		return -EIO;
	struct img_build b = { .inputs = in, .populate = populate, .arg = &a, .guest = &a.guest };
	r = img_build_run(ctx, &b);
	json_decref(in);
	return r;
}

static int image_plan(struct lia_ctx *ctx, void *state)
{
	(void)state;
	const struct lia_host *h = ctx->host;
	struct alpine a;
	int r = alpine_cfg(ctx, &a);
	if (r < 0)
		return r;
	json_t *in = inputs(ctx, &a);
	if (!in)
		return -EIO;
	char img[PATH_MAX];
	r = img_rootfs_path(ctx, img, sizeof img, "rootfs.ext4");
	if (r == 0 && img_up_to_date(ctx, in)) {
		h->note(ctx, "%s is up to date (same inputs as its build record); nothing to do", img);
	} else if (r == 0) {
		h->note(ctx, "fetch %s and check it against %s.sha256", a.url, a.url);
		h->note(ctx, "apk add %zu package(s) from %s v%s main+community", a.npkgs, a.mirror,
			a.version);
		if (a.nnpm)
			h->note(ctx, "npm install -g %zu package(s)", a.nnpm);
		h->note(ctx, "lay the overlay %s; hostname %s; %zu nameserver(s); ttyS0 getty",
			a.guest.overlay, a.guest.hostname, a.guest.ndns);
		h->note(ctx, "write %s (%lld MiB, sparse) with mkfs.ext4 -d, check with e2fsck -fn", img,
			(long long)a.guest.size_mib);
	}
	json_decref(in);
	return r;
}

static int image_undo(struct lia_ctx *ctx, void *state)
{
	(void)state;
	int r = img_build_undo(ctx);
	return r < 0 ? r : alpine_cache_remove(ctx);
}

static const struct lia_option options[] = {
	{ .name = "version", .type = LIA_OPT_STRING, .default_value = "3.19", .help = "Alpine release" },
	{ .name = "mirror",
	  .type = LIA_OPT_STRING,
	  .default_value = "https://dl-cdn.alpinelinux.org/alpine",
	  .help = "Alpine mirror: http(s):// URL, file:// URL or a local folder" },
	{ .name = "arch",
	  .type = LIA_OPT_STRING,
	  .default_value = "x86_64",
	  .kind = LIA_KIND_CHOICE,
	  .choices = "x86_64|aarch64",
	  .help = "guest architecture" },
	{ .name = "minirootfs",
	  .type = LIA_OPT_STRING,
	  .default_value = "alpine-minirootfs-3.19.1-x86_64.tar.gz",
	  .help = "minirootfs tarball: a file name under <mirror>/v<version>/releases/<arch>/, a path or a URL" },
	IMG_SIZE_OPTION("2048", 16),
	{ .name = "packages",
	  .type = LIA_OPT_STRINGS,
	  .default_value =
		  "alpine-base,openrc,busybox-initscripts,nodejs,npm,git,curl,wget,bash,python3,py3-pip,"
		  "build-base,linux-headers,ca-certificates,tzdata,sudo,openssh-server,openssh-client",
	  .help = "apk packages installed into the image" },
	{ .name = "npm_packages",
	  .type = LIA_OPT_STRINGS,
	  .default_value = "@anthropic-ai/claude-code",
	  .help = "npm packages installed globally into the image" },
	IMG_GUEST_OPTIONS,
	{ 0 },
};

static const struct lia_hook hooks[] = {
	{ .phase = LIA_PHASE_IMAGE,
	  .run = image_run,
	  .undo = image_undo,
	  .plan = image_plan,
	  .summary = "build the Alpine template image rootfs.ext4" },
	IMG_VM_HOOKS,
	{ 0 },
};

static const char *const needs[] = { IMG_NEEDS, NULL };

LIA_PLUGIN_DEFINE(image_alpine) = {
	LIA_PLUGIN_HEADER,
	.name = "image-alpine",
	.version = PACKAGE_VERSION,
	.provides = "image",
	.description = "Alpine guest image (minirootfs + apk + npm + overlay) and per-VM disks",
	.options = options,
	.hooks = hooks,
	.needs = needs,
};
