/* image-debian: builds state_dir/rootfs/rootfs.ext4 from Debian packages with mmdebstrap
 * (no loop mounts: a tarball, extracted into the staging tree, then `mkfs.ext4 -d`), lays
 * lia's rootfs/ overlay over it as image-alpine does (plugins/image-common), and gives
 * each VM its disks.  The guest runs Debian's OpenRC on sysvinit with its runlevels
 * trimmed to what a VM needs, so it answers ssh within seconds even under TCG.
 *
 * setup/image   build unless the build record says the same inputs made the image
 * vm create     per-VM root disk (clone) + data volume; undo = destroy
 * vm destroy    remove both
 * gc            remove disks no VM owns, and leftovers of killed builds
 *
 * The mmdebstrap tarball is kept in cache_dir under a name made from what decides its
 * content (suite, mirror, variant, packages), so a rebuild for an overlay change or a
 * fresh state_dir with the same cache_dir does not download Debian again. */
#include "../image-common/image-common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#ifndef LIA_ROOTFS_DIR
#define LIA_ROOTFS_DIR "/usr/share/lia/rootfs"
#endif

struct debian {
	const char *suite, *mirror, *variant;
	const char *const *pkgs;
	size_t npkgs;
	char cache[PATH_MAX];
	int cache_is_ours;
	char tarball[PATH_MAX];
	char key[65]; /* sha256 of the mmdebstrap inputs */
	struct img_guest guest;
};

/* What the guest runs, by runlevel; everything else in sysinit/boot/default is unlinked.
 * Debian's LSB sysinit scripts cost ~20 s under TCG; these are what a VM needs: /proc,
 * /sys, /run, /dev/pts, the host name; lia-init (address, key, host keys, /workspace)
 * before ssh; acpid turns QEMU's ACPI power button (vm stop) into a clean poweroff. */
static const struct {
	const char *level, *name;
} runlevels[] = {
	{ "sysinit", "mountkernfs.sh" },
	{ "sysinit", "mountdevsubfs.sh" },
	{ "sysinit", "hostname.sh" },
	{ "boot", "lia-init" },
	{ "default", "ssh" },
	{ "default", "acpid" },
	{ "default", "agent-sidecar" },
	{ "default", "rmnologin" },
};

static const char powerbtn_event[] =
	"# written by lia (image-debian): the ACPI power button (QEMU's system_powerdown,\n"
	"# `lia-core vm stop`) powers the guest off cleanly\n"
	"event=button[ /]power\n"
	"action=/sbin/poweroff\n";

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static int debian_cfg(struct lia_ctx *ctx, struct debian *d)
{
	int r;
	memset(d, 0, sizeof(*d));
	d->suite = ctx->host->cfg_str(ctx, "suite");
	d->mirror = ctx->host->cfg_str(ctx, "mirror");
	d->variant = ctx->host->cfg_str(ctx, "variant");
	d->npkgs = ctx->host->cfg_strings(ctx, "packages", &d->pkgs);
	if (!img_check_name(d->suite))
		return IMG_ERR(ctx, -EINVAL, "image-debian.suite = \"%s\" is not a suite name",
			       d->suite ? d->suite : "");
	if (!img_check_name(d->variant))
		return IMG_ERR(ctx, -EINVAL, "image-debian.variant = \"%s\" is not an mmdebstrap variant",
			       d->variant ? d->variant : "");
	if (d->mirror && *d->mirror && (d->mirror[0] == '-' || strchr(d->mirror, '\n')))
		return IMG_ERR(ctx, -EINVAL,
			       "image-debian.mirror = \"%s\" is not a mirror URL or sources file", d->mirror);
	for (size_t i = 0; i < d->npkgs; i++)
		if (!img_check_name(d->pkgs[i]) || strchr(d->pkgs[i], ','))
			return IMG_ERR(ctx, -EINVAL, "image-debian.packages: '%s' is not a package name",
				       d->pkgs[i]);
	const char *c = ctx->host->cfg_str(ctx, "cache_dir");
	d->cache_is_ours = !(c && *c);
	if (c && *c)
		snprintf(d->cache, sizeof(d->cache), "%s", c);
	else if (ctx->host->path(ctx, d->cache, sizeof(d->cache), "cache/image-debian"))
		return IMG_ERR(ctx, -ENAMETOOLONG, "the state directory path is too long");
	if ((r = img_guest_from_cfg(ctx, &d->guest)) < 0)
		return r;
	/* sysinit's inittab: id T0, all multi-user runlevels */
	d->guest.ttys0_line = "T0:2345:respawn:/sbin/getty -L 115200 ttyS0 vt100";
	d->guest.ttys0_prefix = "T0:";
	/* the tarball's name: everything that decides what mmdebstrap makes */
	json_t *in =
		json_pack("{s:s,s:s,s:s,s:o,s:i}", "suite", d->suite, "mirror", d->mirror ? d->mirror : "",
			  "variant", d->variant, "packages", strings(d->pkgs, d->npkgs), "format", 1);
	char *s = in ? json_dumps(in, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(in);
	if (!s)
		return IMG_ERR(ctx, -ENOMEM, "out of memory");
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)s, strlen(s), md);
	free(s);
	img_sha256_hex(md, d->key);
	if ((size_t)snprintf(d->tarball, sizeof(d->tarball), "%s/debian-%s-%.16s.tar", d->cache, d->suite,
			     d->key) >= sizeof(d->tarball))
		return IMG_ERR(ctx, -ENAMETOOLONG, "the cache path %s is too long", d->cache);
	return 0;
}

static json_t *inputs(struct lia_ctx *ctx, const struct debian *d)
{
	json_t *in = json_object();
	json_object_set_new(in, "plugin", json_string("image-debian"));
	json_object_set_new(in, "suite", json_string(d->suite));
	json_object_set_new(in, "mirror", json_string(d->mirror ? d->mirror : ""));
	json_object_set_new(in, "variant", json_string(d->variant));
	json_object_set_new(in, "packages", strings(d->pkgs, d->npkgs));
	json_object_set_new(in, "runlevels", json_integer(2)); /* bump when finish() changes */
	if (img_guest_inputs(ctx, &d->guest, in) < 0) {
		json_decref(in);
		return NULL;
	}
	return in;
}

static int make_tarball(struct lia_ctx *ctx, struct debian *d);

/* mmdebstrap into cache_dir, unless the tarball for these inputs is there.  The cache may
 * be shared (several state_dirs, parallel tests): one builder at a time, under a lock. */
static int debootstrap(struct lia_ctx *ctx, struct debian *d)
{
	if (access(d->tarball, R_OK) == 0)
		return 0;
	int r = ctx->host->mkdirs(ctx, d->cache, 0755);
	if (r < 0)
		return r;
	char lock[PATH_MAX + 8];
	snprintf(lock, sizeof(lock), "%s/.lock", d->cache);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return IMG_ERR(ctx, r, "cannot lock the cache %s: %s", lock, strerror(-r));
	}
	r = access(d->tarball, R_OK) == 0 ? 0 : make_tarball(ctx, d); /* made while we waited? */
	close(fd);
	return r;
}

static int make_tarball(struct lia_ctx *ctx, struct debian *d)
{
	int r;
	char tmp[PATH_MAX + 8], include[8192];
	snprintf(tmp, sizeof(tmp), "%s.part", d->tarball);
	size_t o = 0;
	include[0] = '\0';
	for (size_t i = 0; i < d->npkgs && o < sizeof(include) - 1; i++)
		o += (size_t)snprintf(include + o, sizeof(include) - o, "%s%s", i ? "," : "", d->pkgs[i]);
	char incl_opt[8300], variant_opt[128];
	snprintf(incl_opt, sizeof(incl_opt), "--include=%s", include);
	snprintf(variant_opt, sizeof(variant_opt), "--variant=%s", d->variant);
	const char *argv[16];
	int n = 0;
	argv[n++] = "mmdebstrap";
	argv[n++] = "--quiet";
	argv[n++] = variant_opt;
	argv[n++] = "--format=tar";
	if (d->npkgs)
		argv[n++] = incl_opt;
	/* no manuals, documentation or translations in a VM image: a third smaller */
	argv[n++] = "--dpkgopt=path-exclude=/usr/share/man/*";
	argv[n++] = "--dpkgopt=path-exclude=/usr/share/doc/*";
	argv[n++] = "--dpkgopt=path-exclude=/usr/share/locale/*";
	argv[n++] = "--dpkgopt=path-exclude=/usr/share/info/*";
	argv[n++] = d->suite;
	argv[n++] = tmp;
	if (d->mirror && *d->mirror)
		argv[n++] = d->mirror;
	argv[n] = NULL;
	ctx->host->note(ctx, "mmdebstrap --variant=%s %s with %zu package(s) into %s", d->variant, d->suite,
			d->npkgs, d->tarball);
	unlink(tmp);
	char what[600];
	snprintf(what, sizeof(what), "mmdebstrap %s (see its output above)", d->suite);
	r = img_run(ctx, what, argv);
	if (r == 0 && rename(tmp, d->tarball) < 0)
		r = IMG_ERR(ctx, -errno, "cannot rename %s: %s", tmp, strerror(errno));
	if (r < 0)
		unlink(tmp);
	return r;
}

static int populate(struct lia_ctx *ctx, void *arg, const char *staging, int rootfd, json_t *info)
{
	(void)staging;
	struct debian *d = arg;
	int r = debootstrap(ctx, d);
	if (r < 0)
		return r;
	json_object_set_new(info, "tarball", json_string(d->tarball));
	return img_extract(ctx, d->tarball, rootfd, "The mmdebstrap tarball");
}

/* getty lines for tty1-6 respawn for ever on a VM without a screen: comment them out */
static int quiet_vts(struct lia_ctx *ctx, int rootfd)
{
	char *old = NULL;
	size_t len = 0;
	int r = img_root_read(rootfd, "etc/inittab", &old, &len);
	if (r < 0)
		return IMG_ERR(
			ctx, r,
			"cannot read etc/inittab of the Debian tree: %s (is sysvinit-core in packages?)",
			strerror(-r));
	char *out = malloc(len * 2 + 1);
	size_t n = 0;
	if (!out) {
		free(old);
		return -ENOMEM;
	}
	for (char *line = old; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) + 1 : strlen(line);
		if (line[0] >= '1' && line[0] <= '6' && line[1] == ':')
			out[n++] = '#';
		memcpy(out + n, line, l);
		n += l;
		line = nl ? nl + 1 : NULL;
	}
	r = img_root_write(rootfd, "etc/inittab", out, n, 0644);
	free(old);
	free(out);
	return r < 0 ? IMG_ERR(ctx, r, "cannot write etc/inittab: %s", strerror(-r)) : 0;
}

static int clear_level(struct lia_ctx *ctx, int rootfd, const char *level)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "etc/runlevels/%s", level);
	int r = img_root_mkdir(rootfd, rel, 0755);
	int fd = r < 0 ? r : img_root_open(rootfd, rel, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return IMG_ERR(ctx, fd, "cannot open /%s in the image tree: %s", rel, strerror(-fd));
	DIR *dir = fdopendir(fd);
	struct dirent *e;
	while (dir && (e = readdir(dir)))
		if (e->d_name[0] != '.' && unlinkat(fd, e->d_name, 0) < 0 && errno != ENOENT) {
			r = IMG_ERR(ctx, -errno, "cannot remove /%s/%s: %s", rel, e->d_name, strerror(errno));
			break;
		}
	if (dir)
		closedir(dir);
	else
		close(fd);
	return r < 0 ? r : 0;
}

static int finish(struct lia_ctx *ctx, void *arg, int rootfd)
{
	(void)arg;
	int r;
	if ((r = quiet_vts(ctx, rootfd)) < 0)
		return r;
	static const char *const levels[] = { "sysinit", "boot", "default" };
	for (size_t i = 0; i < 3; i++)
		if ((r = clear_level(ctx, rootfd, levels[i])) < 0)
			return r;
	for (size_t i = 0; i < sizeof(runlevels) / sizeof(runlevels[0]); i++) {
		char script[128], link[160], target[128];
		snprintf(script, sizeof(script), "etc/init.d/%s", runlevels[i].name);
		int fd = img_root_open(rootfd, script, O_RDONLY, 0);
		if (fd < 0) {
			ctx->host->log(ctx, LIA_LOG_WARN, "no /%s in the Debian tree: not enabled", script);
			continue;
		}
		close(fd);
		snprintf(link, sizeof(link), "etc/runlevels/%s/%s", runlevels[i].level, runlevels[i].name);
		snprintf(target, sizeof(target), "/etc/init.d/%s", runlevels[i].name);
		if ((r = img_root_symlink(rootfd, link, target)) < 0)
			return IMG_ERR(ctx, r, "cannot enable %s in runlevel %s: %s", runlevels[i].name,
				       runlevels[i].level, strerror(-r));
	}
	/* every VM makes its own identity at first boot */
	if ((r = img_root_unlink(rootfd, "etc/machine-id")) < 0 ||
	    (r = img_root_unlink(rootfd, "var/lib/dbus/machine-id")) < 0)
		return IMG_ERR(ctx, r, "cannot remove the machine-id from the image tree: %s", strerror(-r));
	if ((r = img_root_mkdir(rootfd, "etc/acpi/events", 0755)) < 0 ||
	    (r = img_root_write(rootfd, "etc/acpi/events/lia-powerbtn", powerbtn_event,
				sizeof(powerbtn_event) - 1, 0644)) < 0)
		return IMG_ERR(ctx, r, "cannot write /etc/acpi/events/lia-powerbtn: %s", strerror(-r));
	return 0;
}

static int image_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	static struct debian d;
	int r = debian_cfg(ctx, &d);
	if (r < 0)
		return r;
	json_t *in = inputs(ctx, &d);
	if (!in)
		return -EIO;
	struct img_build b = {
		.inputs = in, .populate = populate, .arg = &d, .guest = &d.guest, .finish = finish
	};
	r = img_build_run(ctx, &b);
	json_decref(in);
	return r;
}

static int image_plan(struct lia_ctx *ctx, void *state)
{
	(void)state;
	static struct debian d;
	int r = debian_cfg(ctx, &d);
	if (r < 0)
		return r;
	json_t *in = inputs(ctx, &d);
	if (!in)
		return -EIO;
	char img[PATH_MAX];
	r = img_rootfs_path(ctx, img, sizeof img, "rootfs.ext4");
	if (r == 0 && img_up_to_date(ctx, in)) {
		ctx->host->note(ctx, "%s is up to date (same inputs as its build record); nothing to do",
				img);
	} else if (r == 0) {
		if (access(d.tarball, R_OK) == 0)
			ctx->host->note(ctx, "use the cached mmdebstrap tarball %s", d.tarball);
		else
			ctx->host->note(ctx, "mmdebstrap --variant=%s %s with %zu package(s) into %s",
					d.variant, d.suite, d.npkgs, d.tarball);
		ctx->host->note(ctx, "lay the overlay %s; hostname %s; trim the OpenRC runlevels",
				d.guest.overlay, d.guest.hostname);
		ctx->host->note(ctx, "write %s (%lld MiB, sparse) with mkfs.ext4 -d", img,
				(long long)d.guest.size_mib);
	}
	json_decref(in);
	return r;
}

static int image_undo(struct lia_ctx *ctx, void *state)
{
	(void)state;
	static struct debian d;
	int r = img_build_undo(ctx);
	if (r < 0)
		return r;
	/* the default cache lives in state_dir and goes with it; a cache_dir the
	 * configuration names is the owner's */
	if (debian_cfg(ctx, &d) == 0 && d.cache_is_ours)
		img_rm_rf(d.cache);
	return 0;
}

static int preflight_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	static struct debian d;
	int r = debian_cfg(ctx, &d);
	if (r < 0)
		return r;
	if (access(d.tarball, R_OK) == 0)
		return LIA_OK;
	const char *argv[] = { "mmdebstrap", "--version", NULL };
	char out[256];
	int st = 0;
	r = ctx->host->run(ctx, argv, out, sizeof(out), &st);
	if (r < 0 || st != 0)
		return IMG_ERR(ctx, -ENOENT,
			       "mmdebstrap is not installed: install the Debian package mmdebstrap "
			       "(apt-get install mmdebstrap)");
	return LIA_OK;
}

static const struct lia_option options[] = {
	{ .name = "suite", .type = LIA_OPT_STRING, .default_value = "bookworm", .help = "Debian suite" },
	{ .name = "mirror",
	  .type = LIA_OPT_STRING,
	  .default_value = "",
	  .flags = LIA_OPT_EMPTY_OK,
	  .help = "mmdebstrap mirror: a URL, a sources file (e.g. /etc/apt/sources.list.d/debian.sources), "
		  "or empty for mmdebstrap's default" },
	{ .name = "variant",
	  .type = LIA_OPT_STRING,
	  .default_value = "minbase",
	  .help = "mmdebstrap variant" },
	{ .name = "packages",
	  .type = LIA_OPT_STRINGS,
	  .default_value = "openssh-server,iproute2,iputils-ping,openrc,sysvinit-core,initscripts,acpid",
	  .help = "packages installed into the image (lia-init needs iproute2, openrc and sysvinit-core)" },
	{ .name = "cache_dir",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .help = "where mmdebstrap tarballs are kept (default state_dir/cache/image-debian)" },
	IMG_SIZE_OPTION("1024", 64),
	IMG_GUEST_OPTIONS,
	{ 0 },
};

static const struct lia_hook hooks[] = {
	{ .phase = LIA_PHASE_PREFLIGHT, .run = preflight_run, .summary = "check mmdebstrap" },
	{ .phase = LIA_PHASE_IMAGE,
	  .run = image_run,
	  .undo = image_undo,
	  .plan = image_plan,
	  .summary = "build the Debian template image rootfs.ext4 with mmdebstrap" },
	IMG_VM_HOOKS,
	{ 0 },
};

static const char *const needs[] = { IMG_NEEDS, NULL };

LIA_PLUGIN_DEFINE(image_debian) = {
	LIA_PLUGIN_HEADER,
	.name = "image-debian",
	.version = "0.1.0",
	.provides = "image",
	.description = "Debian guest image (mmdebstrap + overlay, trimmed OpenRC) and per-VM disks",
	.options = options,
	.hooks = hooks,
	.needs = needs,
};
