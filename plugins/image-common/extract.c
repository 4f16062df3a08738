/* Safe tarball extraction into a staging root with libarchive.
 *
 * libarchive writes relative to the current directory, so we fchdir into the root
 * for the duration (and back).  Our own checks refuse, with a clear message, what its
 * SECURE_* flags would refuse silently or not at all: absolute names, "..", hard links
 * out of the tree, relative symlinks that climb above the root.  Absolute symlink
 * targets are allowed: they are resolved in the guest (and by our in-root writes). */
#include "image-common.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <dlfcn.h>

/* libarchive opened on first use (dlopen), not linked: it maps libxml2, libicu, libstdc++
 * and six compression libraries, and every lia-core run that loads an image plugin (each
 * per-VM `vm start`/`vm stop` of a shipped configuration) paid for them (issue 13).  The
 * pattern of fc-driver's install.c: pointers of the library's own types, resolved once,
 * file-local (image-common is compiled into several plugins); the Debian package names
 * libarchive13, which dpkg-shlibdeps cannot see. */
/* clang-format off */
#define IMG_AR_FUNCS(X) \
	X(archive_read_new) X(archive_read_free) X(archive_read_support_filter_all) \
	X(archive_read_support_format_all) X(archive_read_open_filename) X(archive_read_next_header) \
	X(archive_read_data_block) X(archive_error_string) X(archive_write_disk_new) \
	X(archive_write_disk_set_options) X(archive_write_header) X(archive_write_data_block) \
	X(archive_write_finish_entry) X(archive_write_close) X(archive_write_free) \
	X(archive_entry_pathname) X(archive_entry_copy_pathname) X(archive_entry_hardlink) \
	X(archive_entry_copy_hardlink) X(archive_entry_symlink) X(archive_entry_filetype) \
	X(archive_entry_size)
#define IMG_AR_DEFINE(f) static typeof(f) *imgx_##f;
IMG_AR_FUNCS(IMG_AR_DEFINE)
#undef IMG_AR_DEFINE
/* clang-format on */
#define archive_read_new imgx_archive_read_new
#define archive_read_free imgx_archive_read_free
#define archive_read_support_filter_all imgx_archive_read_support_filter_all
#define archive_read_support_format_all imgx_archive_read_support_format_all
#define archive_read_open_filename imgx_archive_read_open_filename
#define archive_read_next_header imgx_archive_read_next_header
#define archive_read_data_block imgx_archive_read_data_block
#define archive_error_string imgx_archive_error_string
#define archive_write_disk_new imgx_archive_write_disk_new
#define archive_write_disk_set_options imgx_archive_write_disk_set_options
#define archive_write_header imgx_archive_write_header
#define archive_write_data_block imgx_archive_write_data_block
#define archive_write_finish_entry imgx_archive_write_finish_entry
#define archive_write_close imgx_archive_write_close
#define archive_write_free imgx_archive_write_free
#define archive_entry_pathname imgx_archive_entry_pathname
#define archive_entry_copy_pathname imgx_archive_entry_copy_pathname
#define archive_entry_hardlink imgx_archive_entry_hardlink
#define archive_entry_copy_hardlink imgx_archive_entry_copy_hardlink
#define archive_entry_symlink imgx_archive_entry_symlink
#define archive_entry_filetype imgx_archive_entry_filetype
#define archive_entry_size imgx_archive_entry_size

/* open libarchive once per process: NULL, or why not */
static const char *archive_lib(void)
{
	static int state; /* 0: not tried, 1: loaded, -1: failed */
	static char why[512];
	if (state == 0) {
		void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_NODELETE);
		state = 1;
		if (!h) {
			snprintf(why, sizeof why,
				 "cannot load libarchive.so.13 (%s): apt-get install libarchive13",
				 dlerror());
			state = -1;
		}
#define IMG_AR_RESOLVE(f)                                                                   \
	if (state == 1 && !(*(void **)&imgx_##f = dlsym(h, #f))) {                          \
		snprintf(why, sizeof why, "libarchive.so.13 has no %s: it is too old", #f); \
		state = -1;                                                                 \
	}
		IMG_AR_FUNCS(IMG_AR_RESOLVE)
#undef IMG_AR_RESOLVE
	}
	return state > 0 ? NULL : why;
}

/* "./a/b" -> "a/b"; NULL when absolute or holding a ".." component */
static const char *clean_name(const char *name)
{
	if (!name || name[0] == '/')
		return NULL;
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	for (const char *p = name; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return NULL;
		if (!e)
			break;
		p = e + 1;
	}
	return name;
}

/* 1 when a relative TARGET of a link at NAME climbs above the root */
static int link_escapes(const char *name, const char *target)
{
	if (target[0] == '/')
		return 0;
	int depth = 0;
	for (const char *p = name; (p = strchr(p, '/')); p++)
		if (p[1] && p[1] != '/')
			depth++;
	for (const char *p = target; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 1;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

static int copy_data(struct archive *in, struct archive *out)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	for (;;) {
		int r = archive_read_data_block(in, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			return ARCHIVE_OK;
		if (r < ARCHIVE_WARN)
			return r;
		if (archive_write_data_block(out, buf, size, off) < ARCHIVE_WARN)
			return ARCHIVE_FATAL;
	}
}

int img_extract(struct lia_ctx *ctx, const char *path, int rootfd, const char *What)
{
	/* What starts a sentence ("The minirootfs"); what is for the middle of one */
	char what[64];
	snprintf(what, sizeof what, "%s", What);
	what[0] = (char)tolower((unsigned char)what[0]);
	const char *why = archive_lib();
	if (why)
		return IMG_ERR(ctx, -ELIBACC, "cannot extract %s '%s': %s", what, path, why);
	struct archive *in = archive_read_new();
	struct archive *out = archive_write_disk_new();
	int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;
	if (!in || !out || cwd < 0) {
		r = IMG_ERR(ctx, -ENOMEM, "cannot start extracting %s '%s'", what, path);
		goto out;
	}
	archive_read_support_filter_all(in);
	archive_read_support_format_all(in);
	/* numeric owners (no name lookup on the host), modes, times, xattrs */
	archive_write_disk_set_options(
		out, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
			     ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
			     ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
			     ARCHIVE_EXTRACT_UNLINK);
	if (archive_read_open_filename(in, path, 1 << 16) != ARCHIVE_OK) {
		r = IMG_ERR(ctx, -EIO, "cannot read %s '%s': %s", what, path, archive_error_string(in));
		goto out;
	}
	if (fchdir(rootfd) < 0) {
		r = IMG_ERR(ctx, -errno, "cannot enter the staging folder to extract '%s': %s", path,
			    strerror(errno));
		goto out;
	}
	struct archive_entry *e;
	unsigned long count = 0;
	for (;;) {
		int h = archive_read_next_header(in, &e);
		if (h == ARCHIVE_EOF)
			break;
		if (h < ARCHIVE_WARN) {
			r = IMG_ERR(ctx, -EIO, "%s '%s' is damaged: %s", What, path,
				    archive_error_string(in));
			break;
		}
		const char *raw = archive_entry_pathname(e);
		const char *name = clean_name(raw);
		if (!name) {
			r = IMG_ERR(ctx, -EPERM,
				    "%s '%s' holds the unsafe name '%s' (absolute or with '..'); refused",
				    What, path, raw ? raw : "(none)");
			break;
		}
		if (!*name || strcmp(name, ".") == 0 || strcmp(name, "./") == 0)
			name = ".";
		archive_entry_copy_pathname(e, name);
		const char *hl = archive_entry_hardlink(e);
		if (hl) {
			const char *h2 = clean_name(hl);
			if (!h2 || !*h2) {
				r = IMG_ERR(
					ctx, -EPERM,
					"%s '%s': the hard link '%s' points outside the tree ('%s'); refused",
					What, path, name, hl);
				break;
			}
			archive_entry_copy_hardlink(e, h2);
		}
		const char *sl = archive_entry_symlink(e);
		if (sl && archive_entry_filetype(e) == AE_IFLNK && link_escapes(name, sl)) {
			r = IMG_ERR(ctx, -EPERM,
				    "%s '%s': the link '%s' -> '%s' climbs above the root; refused", What,
				    path, name, sl);
			break;
		}
		if (archive_write_header(out, e) < ARCHIVE_WARN ||
		    (archive_entry_size(e) > 0 && copy_data(in, out) != ARCHIVE_OK) ||
		    archive_write_finish_entry(out) < ARCHIVE_WARN) {
			r = IMG_ERR(ctx, -EIO, "cannot extract '%s' from %s '%s': %s", name, what, path,
				    archive_error_string(out));
			break;
		}
		count++;
	}
	/* directory modes and times are fixed up at close, by relative path: close while
	 * still inside the root, never after returning to the host folder */
	if (archive_write_close(out) < ARCHIVE_WARN && r == 0)
		r = IMG_ERR(ctx, -EIO, "cannot finish extracting %s '%s': %s", what, path,
			    archive_error_string(out));
	if (r == 0 && count == 0)
		r = IMG_ERR(ctx, -EINVAL, "%s '%s' holds no files", What, path);
out:
	if (cwd >= 0) {
		if (fchdir(cwd) < 0 && r == 0)
			r = IMG_ERR(ctx, -errno, "cannot return to the working folder");
		close(cwd);
	}
	if (out)
		archive_write_free(out); /* closed above, inside the root */
	if (in)
		archive_read_free(in);
	return r;
}
