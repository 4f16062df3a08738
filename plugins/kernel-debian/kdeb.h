/* kernel-debian: the guest kernel from a Debian kernel package (role "kernel").
 *   vmlinux.c    the uncompressed PVH vmlinux out of the package's bzImage (boot/vmlinuz-VERSION)
 *   initramfs.c  the modules a virtio-mmio guest needs, in dependency order, and the
 *                busybox initramfs that loads them, mounts the root and switch_roots
 *   kernel-debian.c  the hooks: fetch (apt-get download, or a .deb path/URL), unpack
 *                with dpkg-deb, write state_dir/kernel/vmlinux and initrd atomically */
#ifndef LIA_KDEB_H
#define LIA_KDEB_H
#include <stddef.h>
#include <stdint.h>

/* Find the compressed kernel inside a bzImage (by the magic bytes of gzip, xz, zstd,
 * lz4, bzip2 or lzma, as the kernel's scripts/extract-vmlinux does) and decompress it.
 * Returns 0 and *out and *outlen (malloc'd ELF image) or -errno with err set. */
int kdeb_extract_vmlinux(const unsigned char *bz, size_t len, unsigned char **out, size_t *outlen,
			 const char **method, char *err, size_t errlen);

/* 1 when the ELF image has a PVH entry note (Xen note type 18, XEN_ELFNOTE_PHYS32_ENTRY):
 * QEMU and Firecracker enter such a vmlinux directly. */
int kdeb_has_pvh_note(const unsigned char *elf, size_t len);

/* 1 when the ELF file has no program interpreter (statically linked) */
int kdeb_elf_static(const unsigned char *elf, size_t len);

/* The "depends=" value of a .ko's .modinfo section ("" when none); NULL when the file
 * is not an ELF64 module.  Points into elf. */
const char *kdeb_modinfo_depends(const unsigned char *elf, size_t len, size_t *vlen);

/* initramfs */
struct kdeb_initramfs {
	const char *modroot;        /* unpacked lib/modules/VERSION */
	const char *const *modules; /* wanted module names ("virtio_blk", "virtio-rng") */
	size_t nmodules;
	const char *busybox; /* static busybox on the host */
	const char *out;     /* gzip'd newc cpio to write */
};
/* Resolve the modules and their dependencies (modules built into the kernel are left
 * out), write the archive.  *order gets the load order, comma-separated (malloc'd).
 * 0 or -errno with err set. */
int kdeb_build_initramfs(const struct kdeb_initramfs *in, char **order, char *err, size_t errlen);

/* the /init of the initramfs (busybox sh) */
extern const char kdeb_init_script[];

#endif
