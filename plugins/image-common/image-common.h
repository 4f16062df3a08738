/* image-common: code shared by the image plugins (image-alpine, image-dir, image-debian).
 *
 * Compiled into each plugin (listed in both _SOURCES), so it reaches the core only
 * through ctx->host like the plugins themselves.  What it does:
 *   fsutil.c   writes inside a staging root that never follow links out of it (openat2
 *              RESOLVE_IN_ROOT), rm -rf that does not cross mounts, sha256 helpers
 *   extract.c  safe tarball extraction with libarchive
 *   tree.c     walk a folder in name order: overlay/source copy and tree checksums
 *   guest.c    the guest settings laid on every image: overlay, hostname, resolv.conf,
 *              ttyS0 getty, services, /workspace, no baked host keys
 *   chroot.c   run a program chrooted in the staging root, in a private mount namespace
 *   build.c    staging -> mkfs.ext4 -d -> e2fsck -fn -> atomic replace + build record
 *   bulk.c     the large files' data written around mkfs.ext4 -d (debugfs + big copies)
 *   vmdisk.c   per-VM root disk clone and data volume (vm create/destroy, gc)
 */
#ifndef LIA_IMAGE_COMMON_H
#define LIA_IMAGE_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* openat2, scandirat, unshare, O_PATH */
#endif

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <jansson.h>
#include <lia/plugin.h>

#define IMG_ERR(ctx, code, ...) ((ctx)->host->error((ctx), (code), __VA_ARGS__))

/* ---- fsutil.c ---- */
/* rm -rf that never follows symlinks nor crosses into another mount; ENOENT is 0 */
int img_rm_rf(const char *path);
/* Open REL (relative, may be "") inside the root ROOTFD, resolving every component as if
 * ROOTFD were "/" (absolute links and ".." stay inside).  flags as for openat. */
int img_root_open(int rootfd, const char *rel, int flags, mode_t mode);
/* mkdir -p REL inside the root; new directories get MODE, owner root */
int img_root_mkdir(int rootfd, const char *rel, mode_t mode);
/* replace REL (never writing through an existing link) with DATA; owner root */
int img_root_write(int rootfd, const char *rel, const void *data, size_t len, mode_t mode);
int img_root_symlink(int rootfd, const char *rel, const char *target);
/* read REL (resolved inside the root); *data is NUL-terminated, free() it. -errno */
int img_root_read(int rootfd, const char *rel, char **data, size_t *len);
int img_root_unlink(int rootfd, const char *rel); /* ENOENT is 0 */
/* the parent directory of REL, opened inside the root; *last points into REL */
int img_root_parent(int rootfd, const char *rel, const char **last);
void img_sha256_hex(const unsigned char digest[32], char hex[65]);
int img_read_file(const char *path, char **data, size_t *len, size_t max); /* -errno */
/* write PATH atomically (PATH.tmp, fsync, rename, fsync dir) */
int img_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);
int img_fsync_dir_of(const char *path);

/* ---- extract.c ---- */
/* Extract the tarball PATH into the root ROOTFD: refuses absolute names, "..", hard
 * links outside the tree and relative symlinks that climb above the root.  Owners and
 * modes are kept (numeric ids).  Errors are recorded; WHAT names the source and starts
 * a sentence ("The minirootfs"). */
int img_extract(struct lia_ctx *ctx, const char *path, int rootfd, const char *What);

/* ---- tree.c ---- */
struct img_tree_entry {
	const char *rel;  /* "" for the top folder, else "etc/ssh/sshd_config" */
	int dirfd;        /* the parent folder (the top folder itself for rel "") */
	const char *name; /* name in dirfd ("." for the top folder) */
	const struct stat *st;
};
typedef int (*img_tree_fn)(struct lia_ctx *ctx, const struct img_tree_entry *e, void *arg);
/* Walk DIR depth-first in name order (directories before their contents). */
int img_tree_walk(struct lia_ctx *ctx, const char *dir, img_tree_fn fn, void *arg);
/* sha256 over names, types, modes, (owners when WITH_OWNERS), link targets and contents.
 * Without owners (the overlay) a top-level local.mk is left out, as img_tree_copy with
 * ROOT_OWNED leaves it out: the source tree's rootfs/ holds its build fragment. */
int img_tree_checksum(struct lia_ctx *ctx, const char *dir, int with_owners, char hex[65]);
/* Copy DIR into the root ROOTFD. ROOT_OWNED: every object becomes 0:0 (the overlay);
 * else owners are kept (a source folder).  Modes are kept. */
int img_tree_copy(struct lia_ctx *ctx, const char *dir, int rootfd, int root_owned);

/* ---- guest.c ---- */
struct img_guest {
	const char *overlay; /* folder laid over the tree */
	const char *hostname;
	const char *const *dns;
	size_t ndns;
	int64_t size_mib;
	/* the serial console line of etc/inittab, and the prefix that marks any other line
	 * for ttyS0 (dropped); NULL: busybox init's "ttyS0::respawn:/sbin/getty ..." */
	const char *ttys0_line, *ttys0_prefix;
};
/* read overlay/hostname/dns/size_mib from this plugin's settings (same names in
 * every image plugin) and check them; the overlay falls back to LIA_ROOTFS_OVERLAY */
int img_guest_from_cfg(struct lia_ctx *ctx, struct img_guest *g);
int img_check_name(const char *s); /* 1 when s is a package-ish name (no leading '-') */
/* lay overlay, hostname, resolv.conf, inittab, services, /workspace; drop host keys */
int img_guest_finish(struct lia_ctx *ctx, const struct img_guest *g, int rootfd);
/* the guest part of the build inputs (overlay checksum, hostname, dns, size_mib) */
int img_guest_inputs(struct lia_ctx *ctx, const struct img_guest *g, json_t *inputs);

/* ---- chroot.c ---- */
struct img_chroot {
	const char *root; /* staging folder */
	int rootfd;
	const char *bind_src; /* host folder bound read-only at bind_dst inside, or NULL */
	const char *bind_dst; /* relative to the root: "mnt/lia-mirror" */
	const char *const *envp;
};
/* Run ARGV (argv[0] absolute inside the root) chrooted, with /proc, a minimal /dev and
 * the optional bind, in a private mount namespace that vanishes with the program.
 * Output tail goes to OUT.  Returns 0 and *status, or a recorded -errno. */
int img_chroot_run(struct lia_ctx *ctx, const struct img_chroot *c, const char *const argv[], char *out,
		   size_t outlen, int *status);

/* ---- build.c ---- */
struct img_build {
	json_t *inputs; /* what decides a rebuild; owned by the caller */
	/* fill the staging root; may add facts to INFO (source_sha256...) */
	int (*populate)(struct lia_ctx *ctx, void *arg, const char *staging, int rootfd, json_t *info);
	void *arg;
	const struct img_guest *guest;
	/* optional: last touches after the guest settings (a distribution's runlevels) */
	int (*finish)(struct lia_ctx *ctx, void *arg, int rootfd);
};
/* 1 when state_dir/rootfs/rootfs.ext4 exists and its record has the same inputs */
int img_up_to_date(struct lia_ctx *ctx, json_t *inputs);
int img_build_run(struct lia_ctx *ctx, const struct img_build *b);
/* write the folder STAGING as a SIZE_MIB ext4 image into the new empty file TMP (open as
 * TMPFD): mkfs.ext4 -d, the large files' data around it (bulk.c; they leave STAGING),
 * then fsync.  The side folder STAGING-bulk is made and removed here. */
int img_write_image(struct lia_ctx *ctx, const char *staging, const char *tmp, int tmpfd, int64_t size_mib);
/* remove rootfs.ext4, rootfs.json and build leftovers */
int img_build_undo(struct lia_ctx *ctx);
/* remove .staging-*(-bulk) and .rootfs.ext4.tmp-* left by a killed build; count removed */
int img_build_sweep(struct lia_ctx *ctx);
int img_rootfs_path(struct lia_ctx *ctx, char *buf, size_t len, const char *name);
/* run argv by host->run; non-zero exit is a recorded error naming WHAT */
int img_run(struct lia_ctx *ctx, const char *what, const char *const argv[]);

/* ---- bulk.c ---- */
/* the large files' data written around mkfs.ext4 -d, not 4 KiB at a time by it */
struct img_bulk;
/* 0 when LIA_IMAGE_WRITE=mkfs or debugfs is not on PATH (mkfs -d writes everything) */
int img_bulk_enabled(struct lia_ctx *ctx);
/* move the large plain files of STAGING into the empty folder SIDE, leaving empty
 * stand-ins; *err is 0 or a recorded error.  Free the result with img_bulk_free. */
struct img_bulk *img_bulk_set_aside(struct lia_ctx *ctx, const char *staging, const char *side, int *err);
size_t img_bulk_count(const struct img_bulk *b);
/* after mkfs.ext4 -d made IMG (open as IMGFD) from STAGING: give each stand-in its blocks
 * and size (debugfs) and copy the data into those blocks */
int img_bulk_write(struct lia_ctx *ctx, struct img_bulk *b, const char *img, int imgfd);
void img_bulk_free(struct img_bulk *b);
/* ---- vmdisk.c ---- */
/* copy SRC to DST (created 0600): FICLONE, else copy_file_range over data extents */
int img_clone_file(struct lia_ctx *ctx, const char *src, const char *dst, int *reflinked);
/* LEN bytes at OFF of IN to TO in OUT: copy_file_range, or pread/pwrite where the file
 * systems refuse it.  0 or -errno (-EIO: IN ended early). */
int img_copy_range(int in, off_t off, int out, off_t to, off_t len);
int img_vm_create(struct lia_ctx *ctx, void *state);
int img_vm_destroy(struct lia_ctx *ctx, void *state);
int img_gc(struct lia_ctx *ctx, void *state);

/* ---- what every image plugin declares alike ---- */
#define IMG_DEFAULT_OVERLAY_ENV "LIA_ROOTFS_OVERLAY"

/* The settings img_guest_from_cfg reads (same names in every image plugin): the image
 * size, with the plugin's own default and lower bound, then overlay, dns and hostname. */
/* one setting or hook per block, as in the plugins' own tables */
/* clang-format off */
#define IMG_SIZE_OPTION(dflt, min_mib)                                          \
	{ .name = "size_mib",                                                   \
	  .type = LIA_OPT_INT,                                                  \
	  .default_value = dflt,                                                \
	  LIA_RANGE(min_mib, 1048576),                                          \
	  .help = "size of the sparse template image" }
#define IMG_GUEST_OPTIONS                                                       \
	{ .name = "overlay",                                                    \
	  .type = LIA_OPT_STRING,                                               \
	  .default_value = LIA_ROOTFS_DIR,                                      \
	  .kind = LIA_KIND_ABSPATH,                                             \
	  .help = "folder laid over the image (env LIA_ROOTFS_OVERLAY when unset)" }, \
	{ .name = "dns",                                                        \
	  .type = LIA_OPT_STRINGS,                                              \
	  .default_value = "8.8.8.8,8.8.4.4",                                   \
	  .kind = LIA_KIND_IPV4,                                                \
	  .help = "guest nameservers" },                                        \
	{ .name = "hostname",                                                   \
	  .type = LIA_OPT_STRING,                                               \
	  .default_value = "lia-agent",                                         \
	  .help = "guest host name" }

/* The per-VM hooks (vmdisk.c): clone the root disk and make the data volume at create,
 * remove them at destroy, remove what no VM owns at gc. */
#define IMG_VM_HOOKS                                                            \
	{ .phase = LIA_PHASE_CREATE,                                            \
	  .run = img_vm_create,                                                 \
	  .undo = img_vm_destroy,                                               \
	  .summary = "clone the root disk and make the data volume" },          \
	{ .phase = LIA_PHASE_DESTROY,                                           \
	  .run = img_vm_destroy,                                                \
	  .summary = "remove the VM's root disk and data volume" },             \
	{ .phase = LIA_PHASE_GC,                                                \
	  .run = img_gc,                                                        \
	  .summary = "remove disks no VM owns and leftovers of interrupted builds" }
/* clang-format on */

/* the programs every image build runs (mkfs.ext4 -d, e2fsck -fn) */
#define IMG_NEEDS "prog:mkfs.ext4=e2fsprogs", "prog:e2fsck=e2fsprogs"

#endif
