/* Walk a folder in name order, to copy it into a staging root (the overlay, an
 * image-dir source folder) and to checksum it (the build record). */
#ifdef HAVE_CONFIG_H
#include "config.h" /* LIA_LIBCRYPTO_SONAME */
#endif
#include "image-common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <dlfcn.h>
#include <openssl/evp.h>

/* libcrypto opened on first use (dlopen), not linked: only a build checksums a tree, and
 * every lia-core run that loads an image plugin paid for mapping it (issue 13).  Pointers
 * of its own types, resolved once, file-local (image-common is in several plugins). */
/* clang-format off */
#define IMG_MD_FUNCS(X) \
	X(EVP_MD_CTX_new) X(EVP_MD_CTX_free) X(EVP_DigestInit_ex) X(EVP_DigestUpdate) \
	X(EVP_DigestFinal_ex) X(EVP_sha256)
#define IMG_MD_DEFINE(f) static typeof(f) *imgx_##f;
IMG_MD_FUNCS(IMG_MD_DEFINE)
#undef IMG_MD_DEFINE
/* clang-format on */
#define EVP_MD_CTX_new imgx_EVP_MD_CTX_new
#define EVP_MD_CTX_free imgx_EVP_MD_CTX_free
#define EVP_DigestInit_ex imgx_EVP_DigestInit_ex
#define EVP_DigestUpdate imgx_EVP_DigestUpdate
#define EVP_DigestFinal_ex imgx_EVP_DigestFinal_ex
#define EVP_sha256 imgx_EVP_sha256

/* OpenSSL's major version (configure's LIA_LIBCRYPTO_SONAME, which lia-core uses too) */
#ifndef LIA_LIBCRYPTO_SONAME
#define LIA_LIBCRYPTO_SONAME "libcrypto.so.3"
#endif

/* open libcrypto once per process: NULL, or why not */
static const char *crypto_lib(void)
{
	static int state; /* 0: not tried, 1: loaded, -1: failed */
	static char why[512];
	if (state == 0) {
		void *h = dlopen(LIA_LIBCRYPTO_SONAME, RTLD_NOW | RTLD_NODELETE);
		state = 1;
		if (!h) {
			snprintf(why, sizeof why, "cannot load %s (%s): apt-get install libssl3",
				 LIA_LIBCRYPTO_SONAME, dlerror());
			state = -1;
		}
#define IMG_MD_RESOLVE(f)                                                                           \
	if (state == 1 && !(*(void **)&imgx_##f = dlsym(h, #f))) {                                  \
		snprintf(why, sizeof why, "%s has no %s: it is too old", LIA_LIBCRYPTO_SONAME, #f); \
		state = -1;                                                                         \
	}
		IMG_MD_FUNCS(IMG_MD_RESOLVE)
#undef IMG_MD_RESOLVE
	}
	return state > 0 ? NULL : why;
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static int walk_dir(struct lia_ctx *ctx, int dfd, const char *rel, const char *top, img_tree_fn fn, void *arg)
{
	struct dirent **names;
	int n = scandirat(dfd, ".", &names, skip_dots, alphasort);
	if (n < 0)
		return IMG_ERR(ctx, -errno, "cannot list the folder '%s/%s': %s", top, rel, strerror(errno));
	int r = 0;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char sub[PATH_MAX];
		struct stat st;
		if (r < 0)
			goto next;
		if (snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", name) >= (int)sizeof sub) {
			r = IMG_ERR(ctx, -ENAMETOOLONG, "the path '%s/%s/%s' is too long", top, rel, name);
			goto next;
		}
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = IMG_ERR(ctx, -errno, "cannot stat '%s/%s': %s", top, sub, strerror(errno));
			goto next;
		}
		struct img_tree_entry e = { .rel = sub, .dirfd = dfd, .name = name, .st = &st };
		r = fn(ctx, &e, arg);
		if (r < 0 || !S_ISDIR(st.st_mode))
			goto next;
		int cfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0) {
			r = IMG_ERR(ctx, -errno, "cannot open the folder '%s/%s': %s", top, sub,
				    strerror(errno));
			goto next;
		}
		r = walk_dir(ctx, cfd, sub, top, fn, arg);
		close(cfd);
	next:
		free(names[i]);
	}
	free(names);
	return r;
}

int img_tree_walk(struct lia_ctx *ctx, const char *dir, img_tree_fn fn, void *arg)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return IMG_ERR(ctx, -errno, "cannot open the folder '%s': %s", dir, strerror(errno));
	struct stat st;
	int r = fstat(dfd, &st) < 0 ? -errno : 0;
	if (r == 0) {
		struct img_tree_entry e = { .rel = "", .dirfd = dfd, .name = ".", .st = &st };
		r = fn(ctx, &e, arg);
	}
	if (r == 0)
		r = walk_dir(ctx, dfd, "", dir, fn, arg);
	close(dfd);
	return r;
}

/* The source tree's rootfs/ overlay holds its own build fragment; it is no guest file. */
static int overlay_build_file(const struct img_tree_entry *e)
{
	return strcmp(e->rel, "local.mk") == 0;
}

/* ---- checksum ---- */
struct sum {
	EVP_MD_CTX *md;
	int with_owners;
	const char *top;
};

static int sum_file(struct lia_ctx *ctx, struct sum *s, const struct img_tree_entry *e)
{
	int fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return IMG_ERR(ctx, -errno, "cannot read '%s/%s': %s", s->top, e->rel, strerror(errno));
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		EVP_DigestUpdate(s->md, buf, (size_t)n);
	int r = n < 0 ? IMG_ERR(ctx, -errno, "cannot read '%s/%s': %s", s->top, e->rel, strerror(errno)) : 0;
	close(fd);
	return r;
}

static int sum_one(struct lia_ctx *ctx, const struct img_tree_entry *e, void *arg)
{
	struct sum *s = arg;
	const struct stat *st = e->st;
	if (!s->with_owners && overlay_build_file(e))
		return 0;
	char head[PATH_MAX + 96];
	int n = snprintf(head, sizeof head, "%s%c%o", e->rel, 0, (unsigned)st->st_mode);
	if (s->with_owners)
		n += snprintf(head + n, sizeof head - (size_t)n, " %u:%u", (unsigned)st->st_uid,
			      (unsigned)st->st_gid);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		n += snprintf(head + n, sizeof head - (size_t)n, " %u:%u", major(st->st_rdev),
			      minor(st->st_rdev));
	EVP_DigestUpdate(s->md, head, (size_t)n + 1);
	if (S_ISLNK(st->st_mode)) {
		char t[PATH_MAX];
		ssize_t l = readlinkat(e->dirfd, e->name, t, sizeof t);
		if (l < 0)
			return IMG_ERR(ctx, -errno, "cannot read the link '%s/%s': %s", s->top, e->rel,
				       strerror(errno));
		EVP_DigestUpdate(s->md, t, (size_t)l);
	} else if (S_ISREG(st->st_mode)) {
		char size[32];
		int k = snprintf(size, sizeof size, "%lld", (long long)st->st_size);
		EVP_DigestUpdate(s->md, size, (size_t)k + 1);
		return sum_file(ctx, s, e);
	}
	return 0;
}

int img_tree_checksum(struct lia_ctx *ctx, const char *dir, int with_owners, char hex[65])
{
	const char *why = crypto_lib();
	if (why)
		return IMG_ERR(ctx, -ELIBACC, "cannot checksum '%s': %s", dir, why);
	struct sum s = { .md = EVP_MD_CTX_new(), .with_owners = with_owners, .top = dir };
	if (!s.md || !EVP_DigestInit_ex(s.md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(s.md);
		return IMG_ERR(ctx, -ENOMEM, "cannot start a checksum of '%s'", dir);
	}
	int r = img_tree_walk(ctx, dir, sum_one, &s);
	unsigned char d[32];
	if (r == 0 && !EVP_DigestFinal_ex(s.md, d, NULL))
		r = IMG_ERR(ctx, -EIO, "cannot finish the checksum of '%s'", dir);
	if (r == 0)
		img_sha256_hex(d, hex);
	EVP_MD_CTX_free(s.md);
	return r;
}

/* ---- copy into a staging root ---- */
struct copy {
	int rootfd;
	int root_owned;
	const char *top;
};

static int copy_reg(struct lia_ctx *ctx, struct copy *c, const struct img_tree_entry *e, int dfd,
		    const char *last)
{
	int in = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return IMG_ERR(ctx, -errno, "cannot read '%s/%s': %s", c->top, e->rel, strerror(errno));
	int out = openat(dfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int r = out < 0 ? -errno : 0;
	char buf[1 << 16];
	while (r == 0) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		for (ssize_t off = 0; off < n && r == 0;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno != EINTR)
				r = -errno;
			if (w > 0)
				off += w;
		}
	}
	if (out >= 0 && close(out) < 0 && r == 0)
		r = -errno;
	close(in);
	if (r < 0)
		return IMG_ERR(ctx, r, "cannot copy '%s/%s' into the image tree: %s", c->top, e->rel,
			       strerror(-r));
	return 0;
}

static int copy_one(struct lia_ctx *ctx, const struct img_tree_entry *e, void *arg)
{
	struct copy *c = arg;
	const struct stat *st = e->st;
	if (c->root_owned && overlay_build_file(e))
		return 0;
	mode_t mode = st->st_mode & 07777;
	/* an overlay may be installed read-only (a package, `make distcheck`): in the guest
	 * root owns its files and may write them, other bits are kept */
	if (c->root_owned && !S_ISLNK(st->st_mode))
		mode |= S_IWUSR;
	uid_t uid = c->root_owned ? 0 : st->st_uid;
	gid_t gid = c->root_owned ? 0 : st->st_gid;
	int r = 0;
	if (!*e->rel) { /* the top folder: its mode and owner go to the root itself */
		if (!c->root_owned && (fchmod(c->rootfd, mode) < 0 || fchown(c->rootfd, uid, gid) < 0))
			return IMG_ERR(ctx, -errno, "cannot set the mode of the image root");
		return 0;
	}
	if (S_ISDIR(st->st_mode)) {
		r = img_root_mkdir(c->rootfd, e->rel, mode);
		int fd = r < 0 ? r : img_root_open(c->rootfd, e->rel, O_DIRECTORY | O_RDONLY, 0);
		if (fd < 0)
			return IMG_ERR(ctx, fd, "cannot make the folder '%s' in the image tree: %s", e->rel,
				       strerror(-fd));
		if (fchmod(fd, mode) < 0 || fchown(fd, uid, gid) < 0)
			r = -errno;
		close(fd);
		return r < 0 ? IMG_ERR(ctx, r, "cannot set the mode of '%s' in the image tree", e->rel) : 0;
	}
	const char *last;
	int dfd = img_root_parent(c->rootfd, e->rel, &last);
	if (dfd < 0)
		return IMG_ERR(ctx, dfd, "cannot open the folder of '%s' in the image tree: %s", e->rel,
			       strerror(-dfd));
	struct stat old;
	if (fstatat(dfd, last, &old, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(old.st_mode))
			r = IMG_ERR(ctx, -EISDIR, "'%s/%s' is a file but the image tree has a folder there",
				    c->top, e->rel);
		else if (unlinkat(dfd, last, 0) < 0)
			r = IMG_ERR(ctx, -errno, "cannot replace '%s' in the image tree: %s", e->rel,
				    strerror(errno));
	}
	if (r == 0 && S_ISREG(st->st_mode)) {
		r = copy_reg(ctx, c, e, dfd, last);
	} else if (r == 0 && S_ISLNK(st->st_mode)) {
		char t[PATH_MAX];
		ssize_t l = readlinkat(e->dirfd, e->name, t, sizeof t - 1);
		if (l < 0 || (t[l] = '\0', symlinkat(t, dfd, last) < 0))
			r = IMG_ERR(ctx, -errno, "cannot copy the link '%s/%s': %s", c->top, e->rel,
				    strerror(errno));
	} else if (r == 0 && (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) || S_ISFIFO(st->st_mode))) {
		if (mknodat(dfd, last, st->st_mode, st->st_rdev) < 0)
			r = IMG_ERR(ctx, -errno, "cannot copy the special file '%s/%s': %s", c->top, e->rel,
				    strerror(errno));
	} else if (r == 0) {
		/* sockets and the like mean nothing in an image */
		ctx->host->log(ctx, LIA_LOG_DEBUG, "skipping the socket '%s/%s'", c->top, e->rel);
		close(dfd);
		return 0;
	}
	if (r == 0 && fchownat(dfd, last, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		r = IMG_ERR(ctx, -errno, "cannot set the owner of '%s' in the image tree: %s", e->rel,
			    strerror(errno));
	/* after chown: chown clears setuid bits */
	if (r == 0 && !S_ISLNK(st->st_mode) && fchmodat(dfd, last, mode, 0) < 0)
		r = IMG_ERR(ctx, -errno, "cannot set the mode of '%s' in the image tree: %s", e->rel,
			    strerror(errno));
	close(dfd);
	return r;
}

int img_tree_copy(struct lia_ctx *ctx, const char *dir, int rootfd, int root_owned)
{
	struct copy c = { .rootfd = rootfd, .root_owned = root_owned, .top = dir };
	return img_tree_walk(ctx, dir, copy_one, &c);
}
