/* kernel-debian: the initramfs.  Debian's cloud kernel has ext4 built in but virtio-mmio,
 * virtio-blk, virtio-net, vsock and virtio-rng as modules, so the guest needs them before
 * it can see its root disk.  The package ships no modules.dep (depmod runs at install),
 * so the order comes from each module's own "depends=" (.modinfo), as depmod reads it. */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "kdeb.h"

const char kdeb_init_script[] =
	"#!/bin/busybox sh\n"
	"# /init of lia's initramfs (kernel-debian): load the virtio modules, mount the root\n"
	"# device named by root= (default /dev/vda) and switch_root to init= (/sbin/init).\n"
	"export PATH=/bin\n"
	"/bin/busybox mount -t proc proc /proc\n"
	"/bin/busybox mount -t sysfs sysfs /sys\n"
	"/bin/busybox mount -t devtmpfs devtmpfs /dev\n"
	"for m in $(/bin/busybox cat /lib/modules/load); do\n"
	"\t/bin/busybox insmod /lib/modules/$m.ko || echo \"lia initramfs: cannot load $m\"\n"
	"done\n"
	"root=/dev/vda init=/sbin/init mode=rw fstype=ext4\n"
	"for a in $(/bin/busybox cat /proc/cmdline); do\n"
	"\tcase $a in\n"
	"\troot=*) root=${a#root=} ;;\n"
	"\tinit=*) init=${a#init=} ;;\n"
	"\trootfstype=*) fstype=${a#rootfstype=} ;;\n"
	"\tro) mode=ro ;;\n"
	"\trw) mode=rw ;;\n"
	"\tesac\n"
	"done\n"
	"i=0\n"
	"while [ ! -b \"$root\" ] && [ $i -lt 200 ]; do /bin/busybox usleep 25000; i=$((i + 1)); done\n"
	"if ! /bin/busybox mount -t \"$fstype\" -o \"$mode\" \"$root\" /newroot; then\n"
	"\techo \"lia initramfs: cannot mount $root ($fstype); a shell follows\"\n"
	"\texec /bin/busybox sh\n"
	"fi\n"
	"/bin/busybox umount /sys /proc\n"
	"/bin/busybox mount --move /dev /newroot/dev\n"
	"exec /bin/busybox switch_root /newroot \"$init\"\n";

/* ---- the module index: name -> path, built-in names -------------------------------- */

struct mod {
	char name[64]; /* normalized: '-' -> '_' */
	char *path;
};
static struct mod *mods;
static size_t nmods, capmods;
static const char *walk_root;

static void norm(char *dst, size_t len, const char *src, size_t n)
{
	size_t i;
	for (i = 0; i < n && i + 1 < len; i++)
		dst[i] = src[i] == '-' ? '_' : src[i];
	dst[i] = '\0';
}

static int index_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	size_t l = strlen(path);
	if (type != FTW_F || l < 4 || strcmp(path + l - 3, ".ko"))
		return 0;
	if (nmods == capmods) {
		struct mod *m = realloc(mods, (capmods = capmods * 2 + 64) * sizeof(*m));
		if (!m)
			return -1;
		mods = m;
	}
	const char *base = path + f->base;
	norm(mods[nmods].name, sizeof(mods[nmods].name), base, strlen(base) - 3);
	if (!(mods[nmods].path = strdup(path)))
		return -1;
	nmods++;
	return 0;
}

static struct mod *find_mod(const char *name, size_t n)
{
	char want[64];
	norm(want, sizeof(want), name, n);
	for (size_t i = 0; i < nmods; i++)
		if (!strcmp(mods[i].name, want))
			return &mods[i];
	return NULL;
}

static void free_index(void)
{
	for (size_t i = 0; i < nmods; i++)
		free(mods[i].path);
	free(mods);
	mods = NULL;
	nmods = capmods = 0;
}

/* 1 when modules.builtin lists the module (built into the kernel: nothing to load) */
static int builtin(const char *modroot, const char *name)
{
	char path[4096], want[80], line[512];
	snprintf(path, sizeof(path), "%s/modules.builtin", modroot);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	norm(want, sizeof(want), name, strlen(name));
	int found = 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *b = strrchr(line, '/');
		b = b ? b + 1 : line;
		size_t l = strcspn(b, ".\n");
		char got[80];
		norm(got, sizeof(got), b, l);
		found = !strcmp(got, want);
	}
	fclose(f);
	return found;
}

static int read_all(const char *path, unsigned char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return -e;
	}
	*data = malloc((size_t)st.st_size + 1);
	if (!*data) {
		close(fd);
		return -ENOMEM;
	}
	size_t n = 0;
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, *data + n, (size_t)st.st_size - n);
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;
			close(fd);
			free(*data);
			return -e;
		}
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return 0;
}

/* depth-first: dependencies before the module; order holds indexes into mods */
struct order {
	size_t *v, n;
	char *state; /* 0 new, 1 visiting, 2 done */
};

static int visit(const char *modroot, struct mod *m, struct order *o, char *err, size_t errlen)
{
	size_t i = (size_t)(m - mods);
	if (o->state[i] == 2)
		return 0;
	if (o->state[i] == 1) {
		snprintf(err, errlen, "the module %s depends on itself through its dependencies", m->name);
		return -ELOOP;
	}
	o->state[i] = 1;
	unsigned char *data;
	size_t len, dl;
	int r = read_all(m->path, &data, &len);
	if (r < 0) {
		snprintf(err, errlen, "cannot read %s: %s", m->path, strerror(-r));
		return r;
	}
	const char *deps = kdeb_modinfo_depends(data, len, &dl);
	if (!deps) {
		snprintf(err, errlen, "%s is not an ELF64 kernel module", m->path);
		free(data);
		return -ENOEXEC;
	}
	char list[1024];
	snprintf(list, sizeof(list), "%.*s", (int)dl, deps);
	free(data);
	for (char *save = NULL, *d = strtok_r(list, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
		struct mod *dep = find_mod(d, strlen(d));
		if (!dep) {
			if (builtin(modroot, d))
				continue;
			snprintf(err, errlen, "the module %s needs %s, which the package does not have",
				 m->name, d);
			return -ENOENT;
		}
		if ((r = visit(modroot, dep, o, err, errlen)) < 0)
			return r;
	}
	o->state[i] = 2;
	o->v[o->n++] = i;
	return 0;
}

/* ---- the archive ---------------------------------------------------------------------- */

static int add_entry(struct archive *a, const char *name, mode_t type, mode_t perm, const void *data,
		     size_t len, dev_t rdev)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, 0, 0); /* the same inputs give the same bytes */
	archive_entry_set_nlink(e, type == AE_IFDIR ? 2 : 1);
	if (type == AE_IFCHR)
		archive_entry_set_rdev(e, rdev);
	archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t)len : 0);
	int r = archive_write_header(a, e);
	if (r == ARCHIVE_OK && type == AE_IFREG && len && archive_write_data(a, data, len) != (la_ssize_t)len)
		r = ARCHIVE_FATAL;
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : -EIO;
}

static int add_file(struct archive *a, const char *name, const char *src, mode_t perm, char *err,
		    size_t errlen)
{
	unsigned char *data;
	size_t len;
	int r = read_all(src, &data, &len);
	if (r < 0) {
		snprintf(err, errlen, "cannot read %s: %s", src, strerror(-r));
		return r;
	}
	r = add_entry(a, name, AE_IFREG, perm, data, len, 0);
	free(data);
	if (r < 0)
		snprintf(err, errlen, "cannot add %s to the initramfs: %s", name, archive_error_string(a));
	return r;
}

int kdeb_build_initramfs(const struct kdeb_initramfs *in, char **order_out, char *err, size_t errlen)
{
	struct order o = { 0 };
	struct archive *a = NULL;
	char *load = NULL;
	size_t loadlen = 0;
	int r = 0;

	*order_out = NULL;
	walk_root = in->modroot;
	if (nftw(in->modroot, index_one, 16, FTW_PHYS) != 0) {
		snprintf(err, errlen, "cannot list the modules under %s", in->modroot);
		r = -EIO;
		goto out;
	}
	o.v = calloc(nmods + 1, sizeof(*o.v));
	o.state = calloc(nmods + 1, 1);
	load = calloc(1, nmods * 65 + 1);
	if (!o.v || !o.state || !load) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < in->nmodules; i++) {
		struct mod *m = find_mod(in->modules[i], strlen(in->modules[i]));
		if (!m) {
			if (builtin(in->modroot, in->modules[i]))
				continue;
			snprintf(err, errlen, "the package has no module %s (not built in either)",
				 in->modules[i]);
			r = -ENOENT;
			goto out;
		}
		if ((r = visit(in->modroot, m, &o, err, errlen)) < 0)
			goto out;
	}
	a = archive_write_new();
	if (!a || archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, in->out) != ARCHIVE_OK) {
		snprintf(err, errlen, "cannot write %s: %s", in->out,
			 a ? archive_error_string(a) : "out of memory");
		r = -EIO;
		goto out;
	}
	static const char *const dirs[] = { "bin", "dev", "proc", "sys", "newroot", "lib", "lib/modules" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && r == 0; i++)
		r = add_entry(a, dirs[i], AE_IFDIR, 0755, NULL, 0, 0);
	/* the kernel opens /dev/console before /init runs (devtmpfs comes later) */
	if (r == 0)
		r = add_entry(a, "dev/console", AE_IFCHR, 0600, NULL, 0, makedev(5, 1));
	if (r == 0)
		r = add_entry(a, "init", AE_IFREG, 0755, kdeb_init_script, strlen(kdeb_init_script), 0);
	if (r < 0) {
		snprintf(err, errlen, "cannot write %s: %s", in->out, archive_error_string(a));
		goto out;
	}
	if ((r = add_file(a, "bin/busybox", in->busybox, 0755, err, errlen)) < 0)
		goto out;
	for (size_t i = 0; i < o.n; i++) {
		struct mod *m = &mods[o.v[i]];
		char name[128];
		snprintf(name, sizeof(name), "lib/modules/%s.ko", m->name);
		if ((r = add_file(a, name, m->path, 0644, err, errlen)) < 0)
			goto out;
		loadlen += (size_t)sprintf(load + loadlen, "%s\n", m->name);
	}
	if ((r = add_entry(a, "lib/modules/load", AE_IFREG, 0644, load, loadlen, 0)) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", in->out, archive_error_string(a));
		goto out;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		snprintf(err, errlen, "cannot finish %s: %s", in->out, archive_error_string(a));
		r = -EIO;
		goto out;
	}
	for (size_t i = 0; i < loadlen; i++)
		if (load[i] == '\n')
			load[i] = i + 1 == loadlen ? '\0' : ',';
	*order_out = load;
	load = NULL;
out:
	if (a)
		archive_write_free(a);
	free(load);
	free(o.v);
	free(o.state);
	free_index();
	return r;
}
