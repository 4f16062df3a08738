/* image-alpine: internal interface between its files. */
#ifndef LIA_IMAGE_ALPINE_H
#define LIA_IMAGE_ALPINE_H

#include <limits.h>
#include "../image-common/image-common.h"

struct alpine {
	const char *version, *arch, *mirror;
	char mirror_dir[PATH_MAX]; /* the mirror as a local folder, or "" when remote */
	char url[PATH_MAX];        /* the minirootfs tarball */
	const char *const *pkgs;
	size_t npkgs;
	const char *const *npm;
	size_t nnpm;
	struct img_guest guest;
};

/* fetch.c: read and check the settings; fill url and mirror_dir */
int alpine_cfg(struct lia_ctx *ctx, struct alpine *a);
/* download (or read from a local mirror) the minirootfs and its .sha256, verify;
 * *tarball is the verified file (a cache file or the mirror's own) */
int alpine_fetch(struct lia_ctx *ctx, const struct alpine *a, char tarball[PATH_MAX], char sha[65]);
/* remove the download cache state_dir/rootfs/cache */
int alpine_cache_remove(struct lia_ctx *ctx);

/* packages.c: apk add PACKAGES, npm install -g NPM_PACKAGES, chrooted in the tree */
int alpine_packages(struct lia_ctx *ctx, const struct alpine *a, const char *staging, int rootfd);

#endif
