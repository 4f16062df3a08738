/* kernel-debian: the guest kernel from a Debian kernel package, never installed on the
 * host (role "kernel").
 *   setup/kernel  resolve the package (default linux-image-cloud-amd64 -> the image
 *                 package it depends on) and its version with the host's apt; fetch it
 *                 into the cache with `apt-get download` (or take `deb`, a path or URL);
 *                 unpack it with dpkg-deb; write state_dir/kernel/vmlinux (uncompressed
 *                 PVH ELF) and state_dir/kernel/initrd atomically.  Nothing is done when
 *                 the memo says the same package file made the files that are there.
 *   undo          remove what it wrote (and its own cache). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lia/plugin.h>

#include "kdeb.h"

/* snprintf that may cut (paths in messages and scratch names are checked elsewhere) */
__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

struct kdeb {
	char cache[4096];
	char kdir[4096], vmlinux[4096], initrd[4096];
	char deb[4096];  /* the package file */
	char ident[512]; /* what decides a rebuild: file name_version_arch.deb or sha256 */
	char url[4096], sha256[65];
	int64_t size;
	int cache_is_ours;
};

static int is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8) || !strncmp(s, "file://", 7);
}

static int valid_pkg(const char *s)
{
	return s && *s && *s != '-' && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789+-.") == strlen(s);
}

static int paths(struct lia_ctx *ctx, struct kdeb *k)
{
	const char *c = ctx->host->cfg_str(ctx, "cache_dir");
	memset(k, 0, sizeof(*k));
	k->cache_is_ours = !(c && *c);
	if ((c && *c ? (size_t)snprintf(k->cache, sizeof(k->cache), "%s", c) >= sizeof(k->cache)
		     : ctx->host->path(ctx, k->cache, sizeof(k->cache), "cache/kernel-debian") != 0) ||
	    ctx->host->path(ctx, k->kdir, sizeof(k->kdir), "kernel") ||
	    ctx->host->path(ctx, k->vmlinux, sizeof(k->vmlinux), "kernel/vmlinux") ||
	    ctx->host->path(ctx, k->initrd, sizeof(k->initrd), "kernel/initrd"))
		return ctx->host->error(ctx, -ENAMETOOLONG, "the state directory path %s is too long",
					ctx->host->state_dir(ctx));
	return 0;
}

static int mkdirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	return (type == FTW_DP ? rmdir(p) : unlink(p)) < 0 && errno != ENOENT ? -1 : 0;
}

static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* run argv, keep the output; a failure is a recorded error naming what */
static int run(struct lia_ctx *ctx, const char *what, const char *const argv[], char *out, size_t outlen)
{
	int st = 0;
	int r = ctx->host->run(ctx, argv, out, outlen, &st);
	if (r < 0)
		return r;
	if (st != 0) {
		size_t n = strlen(out);
		while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
			out[--n] = '\0';
		const char *tail = n > 400 ? out + n - 400 : out;
		return ctx->host->error(ctx, -EIO, "%s failed (exit status %d): %s", what, st, tail);
	}
	return 0;
}

/* the package actually holding the kernel: a meta package's linux-image-* dependency */
static int resolve_package(struct lia_ctx *ctx, const char *pkg, char *out, size_t outlen)
{
	static char buf[65536];
	const char *argv[] = { "apt-cache",
			       "depends",
			       "--no-recommends",
			       "--no-suggests",
			       "--no-conflicts",
			       "--no-breaks",
			       "--no-replaces",
			       "--no-enhances",
			       pkg,
			       NULL };
	char what[600];
	snprintf(what, sizeof(what),
		 "`apt-cache depends %s` (is the package known to apt? run apt-get update)", pkg);
	int r = run(ctx, what, argv, buf, sizeof(buf));
	if (r < 0)
		return r;
	snprintf(out, outlen, "%s", pkg);
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char name[256];
		if (sscanf(l, " Depends: %255s", name) == 1 && !strncmp(name, "linux-image-", 12) &&
		    valid_pkg(name)) {
			snprintf(out, outlen, "%s", name);
			break;
		}
	}
	return 0;
}

/* `apt-get download --print-uris PKG`: URL, file name, size, SHA256 - nothing fetched */
static int package_uri(struct lia_ctx *ctx, const char *pkg, struct kdeb *k)
{
	static char buf[16384];
	const char *argv[] = { "apt-get", "download", "--print-uris", pkg, NULL };
	char what[600];
	snprintf(what, sizeof(what), "`apt-get download --print-uris %s`", pkg);
	int r = run(ctx, what, argv, buf, sizeof(buf));
	if (r < 0)
		return r;
	char url[4096], file[512], sum[128];
	long long size;
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (*l != '\'' || sscanf(l, "'%4095[^']' %511s %lld %127s", url, file, &size, sum) != 4)
			continue;
		if (strchr(file, '/') || file[0] == '.' || strlen(file) < 5 ||
		    strcmp(file + strlen(file) - 4, ".deb"))
			continue;
		snprintf(k->url, sizeof(k->url), "%s", url);
		snprintf(k->ident, sizeof(k->ident), "%s", file);
		k->size = size;
		if (!strncmp(sum, "SHA256:", 7) && strlen(sum + 7) == 64 && sizeof(k->sha256) > 64) {
			memcpy(k->sha256, sum + 7, 64); /* (snprintf: gcc -O1 cannot see the length check) */
			k->sha256[64] = '\0';
		}
		return 0;
	}
	return ctx->host->error(
		ctx, -ENOENT,
		"apt knows no downloadable package %s (apt-get download --print-uris printed no .deb)", pkg);
}

static int sha256_of(struct lia_ctx *ctx, const char *path, char hex[65])
{
	return ctx->host->sha256_file(ctx, path, hex);
}

/* the .deb in the cache (fetched by apt-get download when missing or wrong) */
static int fetch_with_apt(struct lia_ctx *ctx, struct kdeb *k, const char *pkg)
{
	char hex[65];
	int r;
	if ((size_t)snprintf(k->deb, sizeof(k->deb), "%s/%s", k->cache, k->ident) >= sizeof(k->deb))
		return ctx->host->error(ctx, -ENAMETOOLONG, "the cache path %s is too long", k->cache);
	if (access(k->deb, R_OK) == 0 &&
	    (!k->sha256[0] || (sha256_of(ctx, k->deb, hex) == 0 && !strcmp(hex, k->sha256))))
		return 0;
	unlink(k->deb);
	if ((r = mkdirs(k->cache)) < 0)
		return ctx->host->error(ctx, r, "cannot create the cache folder %s: %s", k->cache,
					strerror(-r));
	/* apt-get download writes into its working directory: env -C sets it, no shell */
	static char out[16384];
	const char *argv[] = { "env", "-C", k->cache, "apt-get", "download", pkg, NULL };
	char what[600];
	say(what, sizeof(what), "`apt-get download %s` into %s", pkg, k->cache);
	ctx->host->note(ctx, "apt-get download %s (%s)", pkg, k->ident);
	if ((r = run(ctx, what, argv, out, sizeof(out))) < 0)
		return r;
	if (access(k->deb, R_OK) < 0)
		return ctx->host->error(ctx, -ENOENT, "apt-get download %s did not leave %s", pkg, k->deb);
	if (k->sha256[0] && ((r = sha256_of(ctx, k->deb, hex)) < 0 || strcmp(hex, k->sha256))) {
		unlink(k->deb);
		return r < 0 ? r
			     : ctx->host->error(ctx, -EBADMSG,
						"%s does not have the SHA256 apt announced (%s)", k->deb,
						k->sha256);
	}
	return 0;
}

/* the `deb` setting: a local file, or a URL downloaded into the cache */
static int fetch_deb_setting(struct lia_ctx *ctx, struct kdeb *k, const char *deb)
{
	int r;
	if (!is_url(deb)) {
		if (access(deb, R_OK) < 0)
			return ctx->host->error(ctx, -errno, "kernel-debian.deb = \"%s\" cannot be read: %s",
						deb, strerror(errno));
		snprintf(k->deb, sizeof(k->deb), "%s", deb);
	} else {
		const char *base = strrchr(deb, '/') + 1;
		if (!*base || *base == '.' || strlen(base) > 200)
			return ctx->host->error(
				ctx, -EINVAL, "kernel-debian.deb = \"%s\" does not end in a file name", deb);
		if ((r = mkdirs(k->cache)) < 0)
			return ctx->host->error(ctx, r, "cannot create the cache folder %s: %s", k->cache,
						strerror(-r));
		say(k->deb, sizeof(k->deb), "%s/%s", k->cache, base);
		struct lia_download d = {
			.size = sizeof(d), .url = deb, .dest = k->deb, .expect_size = -1, .mode = 0644
		};
		if ((r = ctx->host->download(ctx, &d)) < 0)
			return r;
	}
	char hex[65];
	if ((r = sha256_of(ctx, k->deb, hex)) < 0)
		return r;
	snprintf(k->ident, sizeof(k->ident), "sha256:%s", hex);
	return 0;
}

static int read_file(const char *path, unsigned char **data, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	if (!f)
		return -errno;
	struct stat st;
	if (fstat(fileno(f), &st) < 0 || !(*data = malloc((size_t)st.st_size + 1))) {
		fclose(f);
		return -ENOMEM;
	}
	*len = fread(*data, 1, (size_t)st.st_size, f);
	fclose(f);
	return *len == (size_t)st.st_size ? 0 : -EIO;
}

static int write_atomic(const char *path, const void *data, size_t len)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	const unsigned char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return -e;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return -e;
	}
	return 0;
}

/* the single boot/vmlinuz-* and lib/modules/VERSION of the unpacked package */
static int find_kernel(struct lia_ctx *ctx, const char *root, char *vmlinuz, char *modroot, size_t len)
{
	char dir[4096];
	say(dir, sizeof(dir), "%s/boot", root);
	DIR *d = opendir(dir);
	struct dirent *e;
	const char *ver = NULL;
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "vmlinuz-", 8)) {
			say(vmlinuz, len, "%s/%s", dir, e->d_name);
			ver = strdup(e->d_name + 8);
			break;
		}
	if (d)
		closedir(d);
	if (!ver)
		return ctx->host->error(
			ctx, -ENOENT,
			"the package has no boot/vmlinuz-*: is it a kernel image package (linux-image-*)?");
	say(modroot, len, "%s/lib/modules/%s", root, ver);
	if (access(modroot, F_OK) < 0)
		say(modroot, len, "%s/usr/lib/modules/%s", root, ver);
	free((void *)ver);
	return 0;
}

static int busybox_path(struct lia_ctx *ctx, char *out, size_t len)
{
	const char *b = ctx->host->cfg_str(ctx, "busybox");
	snprintf(out, len, "%s", b && *b ? b : "/bin/busybox");
	unsigned char *data;
	size_t n;
	if (read_file(out, &data, &n) < 0)
		return ctx->host->error(
			ctx, -ENOENT,
			"no busybox at %s: install the Debian package busybox-static (apt-get "
			"install busybox-static) or set kernel-debian.busybox",
			out);
	int st = kdeb_elf_static(data, n);
	free(data);
	if (!st)
		return ctx->host->error(ctx, -ENOEXEC,
					"%s is not a statically linked ELF program; the initramfs has no "
					"libraries (install busybox-static)",
					out);
	return 0;
}

/* vmlinux + initrd from the unpacked package */
static int build(struct lia_ctx *ctx, struct kdeb *k, const char *root, char *summary, size_t slen)
{
	char vmlinuz[4096], modroot[4096], busybox[4096], err[1024], tmp[4200];
	unsigned char *bz = NULL, *elf = NULL;
	size_t bzlen, elflen;
	const char *method = "?";
	int r;
	if ((r = busybox_path(ctx, busybox, sizeof(busybox))) < 0)
		return r;
	if ((r = find_kernel(ctx, root, vmlinuz, modroot, sizeof(vmlinuz))) < 0)
		return r;
	if ((r = read_file(vmlinuz, &bz, &bzlen)) < 0)
		return ctx->host->error(ctx, r, "cannot read %s: %s", vmlinuz, strerror(-r));
	r = kdeb_extract_vmlinux(bz, bzlen, &elf, &elflen, &method, err, sizeof(err));
	free(bz);
	if (r < 0)
		return ctx->host->error(ctx, r, "cannot extract the vmlinux from %s of %s: %s",
					strrchr(vmlinuz, '/') + 1, k->deb, err);
	if (!kdeb_has_pvh_note(elf, elflen)) {
		free(elf);
		return ctx->host->error(ctx, -ENOEXEC,
					"the kernel of %s has no PVH entry note (CONFIG_PVH): neither QEMU's "
					"microvm nor Firecracker can boot its vmlinux directly",
					k->deb);
	}
	char *order = NULL;
	if (ctx->host->cfg_bool(ctx, "initrd")) {
		const char *const *mods = NULL;
		size_t nm = ctx->host->cfg_strings(ctx, "modules", &mods);
		snprintf(tmp, sizeof(tmp), "%s.tmp", k->initrd);
		struct kdeb_initramfs in = { modroot, mods, nm, busybox, tmp };
		if ((r = kdeb_build_initramfs(&in, &order, err, sizeof(err))) < 0) {
			unlink(tmp);
			free(elf);
			return ctx->host->error(ctx, r, "cannot build the initramfs from %s: %s", k->deb,
						err);
		}
	}
	r = write_atomic(k->vmlinux, elf, elflen);
	free(elf);
	if (r < 0) {
		free(order);
		unlink(tmp);
		return ctx->host->error(ctx, r, "cannot write %s: %s", k->vmlinux, strerror(-r));
	}
	if (order) {
		int fd = open(tmp, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0 || rename(tmp, k->initrd) < 0) {
			r = -errno;
			if (fd >= 0)
				close(fd);
			free(order);
			unlink(tmp);
			return ctx->host->error(ctx, r, "cannot write %s: %s", k->initrd, strerror(-r));
		}
		close(fd);
	} else {
		unlink(k->initrd);
	}
	snprintf(summary, slen, "%s kernel %s (%s-compressed, %zu MiB unpacked)%s%s",
		 strrchr(vmlinuz, '/') + 1, k->ident, method, elflen >> 20,
		 order ? "; initramfs modules: " : "", order ? order : "");
	free(order);
	return 0;
}

/* the package's identity and, unless up to date, the package file itself */
static int locate(struct lia_ctx *ctx, struct kdeb *k, char *pkg, size_t pkglen)
{
	const char *deb = ctx->host->cfg_str(ctx, "deb");
	int r;
	if (deb && *deb)
		return fetch_deb_setting(ctx, k, deb);
	const char *want = ctx->host->cfg_str(ctx, "package");
	if (!valid_pkg(want))
		return ctx->host->error(ctx, -EINVAL,
					"kernel-debian.package = \"%s\" is not a Debian package name",
					want ? want : "");
	if ((r = resolve_package(ctx, want, pkg, pkglen)) < 0)
		return r;
	return package_uri(ctx, pkg, k);
}

/* what else decides the initramfs: its modules and busybox ("" without one) */
static void initrd_inputs(struct lia_ctx *ctx, char *out, size_t len)
{
	const char *const *mods = NULL;
	size_t n = ctx->host->cfg_strings(ctx, "modules", &mods), o = 0;
	out[0] = '\0';
	if (!ctx->host->cfg_bool(ctx, "initrd"))
		return;
	o += (size_t)snprintf(out, len, "busybox=%s modules=", ctx->host->cfg_str(ctx, "busybox"));
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "," : "", mods[i]);
}

static int up_to_date(struct lia_ctx *ctx, const struct kdeb *k)
{
	char want[2048];
	const char *made = ctx->host->memo_get(ctx, "package");
	const char *initrd = ctx->host->memo_get(ctx, "initrd");
	initrd_inputs(ctx, want, sizeof(want));
	return made && !strcmp(made, k->ident) && initrd && !strcmp(initrd, want) &&
	       access(k->vmlinux, R_OK) == 0 &&
	       (want[0] ? access(k->initrd, R_OK) == 0 : access(k->initrd, F_OK) < 0);
}

static int kernel_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	static struct kdeb k;
	char pkg[256] = "", root[4200], summary[2048];
	int r;
	if ((r = paths(ctx, &k)) < 0)
		return r;
	const char *deb = ctx->host->cfg_str(ctx, "deb");
	if (deb && *deb && !is_url(deb)) {
		/* a local file: its checksum is its identity */
		if ((r = fetch_deb_setting(ctx, &k, deb)) < 0)
			return r;
	} else if (deb && *deb) {
		if ((r = fetch_deb_setting(ctx, &k, deb)) < 0)
			return r;
	} else if ((r = locate(ctx, &k, pkg, sizeof(pkg))) < 0) {
		return r;
	}
	if (up_to_date(ctx, &k))
		return LIA_OK;
	if (pkg[0]) {
		/* the cache may be shared (parallel tests, several state_dirs): one fetch at a time */
		char lock[4200];
		if ((r = mkdirs(k.cache)) < 0)
			return ctx->host->error(ctx, r, "cannot create the cache folder %s: %s", k.cache,
						strerror(-r));
		say(lock, sizeof(lock), "%s/.lock", k.cache);
		int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0 || flock(fd, LOCK_EX) < 0) {
			r = -errno;
			if (fd >= 0)
				close(fd);
			return ctx->host->error(ctx, r, "cannot lock the cache %s: %s", lock, strerror(-r));
		}
		r = fetch_with_apt(ctx, &k, pkg);
		close(fd);
		if (r < 0)
			return r;
	}
	if ((r = mkdirs(k.kdir)) < 0)
		return ctx->host->error(ctx, r, "cannot create %s: %s", k.kdir, strerror(-r));
	snprintf(root, sizeof(root), "%s/.unpack-XXXXXX", k.kdir);
	if (!mkdtemp(root))
		return ctx->host->error(ctx, -errno, "cannot create a scratch folder in %s: %s", k.kdir,
					strerror(errno));
	static char out[8192];
	const char *argv[] = { "dpkg-deb", "-x", k.deb, root, NULL };
	char what[4300];
	snprintf(what, sizeof(what), "Unpacking %s with dpkg-deb", k.deb);
	r = run(ctx, what, argv, out, sizeof(out));
	if (r == 0)
		r = build(ctx, &k, root, summary, sizeof(summary));
	rm_rf(root);
	if (r < 0)
		return r;
	ctx->host->memo_set(ctx, "package", k.ident);
	char ins[2048];
	initrd_inputs(ctx, ins, sizeof(ins));
	ctx->host->memo_set(ctx, "initrd", ins);
	ctx->host->memo_set(ctx, "made", "yes");
	ctx->host->note(ctx, "wrote %s%s from %s", k.vmlinux,
			ctx->host->cfg_bool(ctx, "initrd") ? " and initrd" : "", summary);
	return LIA_OK;
}

static int kernel_undo(struct lia_ctx *ctx, void *state)
{
	(void)state;
	static struct kdeb k;
	int r;
	if ((r = paths(ctx, &k)) < 0)
		return r;
	const char *made = ctx->host->memo_get(ctx, "made");
	if (!made || strcmp(made, "yes"))
		return LIA_HOOK_SKIP;
	unlink(k.vmlinux);
	unlink(k.initrd);
	if (k.cache_is_ours)
		rm_rf(k.cache);
	ctx->host->memo_set(ctx, "package", NULL);
	ctx->host->memo_set(ctx, "initrd", NULL);
	ctx->host->memo_set(ctx, "made", NULL);
	return LIA_OK;
}

static int kernel_plan(struct lia_ctx *ctx, void *state)
{
	(void)state;
	const char *deb = ctx->host->cfg_str(ctx, "deb");
	if (deb && *deb)
		ctx->host->note(ctx, "unpack %s; write state_dir/kernel/vmlinux and initrd", deb);
	else
		ctx->host->note(
			ctx,
			"apt-get download %s (its linux-image-* dependency); unpack it; write "
			"state_dir/kernel/vmlinux and initrd (nothing when the memo has the same version)",
			ctx->host->cfg_str(ctx, "package"));
	return 0;
}

static int preflight_run(struct lia_ctx *ctx, void *state)
{
	(void)state;
	char bb[4096];
	return ctx->host->cfg_bool(ctx, "initrd") ? busybox_path(ctx, bb, sizeof(bb)) : LIA_OK;
}

static const struct lia_option options[] = {
	{ .name = "package",
	  .type = LIA_OPT_STRING,
	  .default_value = "linux-image-cloud-amd64",
	  .help = "Debian kernel package (a meta package resolves to its linux-image-* dependency)" },
	{ .name = "deb", .type = LIA_OPT_STRING, .help = "a .deb path or http(s)/file URL instead of apt" },
	{ .name = "cache_dir",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .help = "where packages are kept (default state_dir/cache/kernel-debian)" },
	{ .name = "initrd",
	  .type = LIA_OPT_BOOL,
	  .default_value = "true",
	  .help = "build state_dir/kernel/initrd (needed: virtio is modular in Debian's kernels)" },
	{ .name = "modules",
	  .type = LIA_OPT_STRINGS,
	  .default_value =
		  "virtio_mmio,virtio_blk,virtio_net,vmw_vsock_virtio_transport,virtio-rng,button,evdev",
	  .help = "modules put in the initramfs and loaded at boot (their dependencies are added)" },
	{ .name = "busybox",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_ABSPATH,
	  .default_value = "/bin/busybox",
	  .help = "static busybox for the initramfs (Debian: busybox-static)" },
	{ 0 },
};

static const struct lia_hook hooks[] = {
	{ .phase = LIA_PHASE_PREFLIGHT, .run = preflight_run, .summary = "check busybox-static" },
	{ .phase = LIA_PHASE_KERNEL,
	  .run = kernel_run,
	  .undo = kernel_undo,
	  .plan = kernel_plan,
	  .summary = "guest kernel and initramfs from a Debian kernel package" },
	{ 0 },
};

static const char *const needs[] = { "prog:apt-get=apt", "prog:apt-cache=apt", "prog:dpkg-deb=dpkg",
				     "prog:env=coreutils", NULL };

LIA_PLUGIN_DEFINE(kernel_debian) = {
	LIA_PLUGIN_HEADER,
	.name = "kernel-debian",
	.version = "0.1.0",
	.provides = "kernel",
	.description = "guest kernel (PVH vmlinux) and initramfs from a Debian kernel package",
	.options = options,
	.hooks = hooks,
	.needs = needs,
};
