/* image-alpine settings and the minirootfs download.
 *
 * The tarball is <mirror>/v<version>/releases/<arch>/<minirootfs>, checked against the
 * <tarball>.sha256 published next to it.  Downloads go through host->download into
 * state_dir/rootfs/cache/.  A mirror that is a local folder (or file:// URL) is read in
 * place when the core cannot download file:// (host->download returns -ENOSYS); the
 * checksum is then verified here, the same way. */
#include "alpine.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int all_of(const char *s, const char *set)
{
	return s && *s && strspn(s, set) == strlen(s);
}

int alpine_cfg(struct lia_ctx *ctx, struct alpine *a)
{
	const struct lia_host *h = ctx->host;
	memset(a, 0, sizeof *a);
	a->version = h->cfg_str(ctx, "version");
	a->arch = h->cfg_str(ctx, "arch");
	a->mirror = h->cfg_str(ctx, "mirror");
	const char *mini = h->cfg_str(ctx, "minirootfs");
	a->npkgs = h->cfg_strings(ctx, "packages", &a->pkgs);
	a->nnpm = h->cfg_strings(ctx, "npm_packages", &a->npm);
	int r = img_guest_from_cfg(ctx, &a->guest);
	if (r < 0)
		return r;
	if (!all_of(a->version, "0123456789.") || a->version[0] == '.')
		return IMG_ERR(ctx, -EINVAL, "version '%s' is not an Alpine release like \"3.19\"",
			       a->version ? a->version : "");
	if (!all_of(a->arch, "abcdefghijklmnopqrstuvwxyz0123456789_"))
		return IMG_ERR(ctx, -EINVAL, "arch '%s' is not an architecture name like \"x86_64\"",
			       a->arch ? a->arch : "");
	for (size_t i = 0; i < a->npkgs; i++)
		if (!img_check_name(a->pkgs[i]))
			return IMG_ERR(
				ctx, -EINVAL,
				"the package name '%s' is not valid (empty, blank or starting with '-')",
				a->pkgs[i]);
	for (size_t i = 0; i < a->nnpm; i++)
		if (!img_check_name(a->npm[i]))
			return IMG_ERR(
				ctx, -EINVAL,
				"the npm package name '%s' is not valid (empty, blank or starting with '-')",
				a->npm[i]);
	if (!a->mirror || !*a->mirror)
		return IMG_ERR(ctx, -EINVAL, "mirror is empty");
	/* the mirror: http(s)://, file:///folder or /folder */
	char base[PATH_MAX + 16];
	if (strncmp(a->mirror, "file://", 7) == 0 || a->mirror[0] == '/') {
		const char *dir = a->mirror[0] == '/' ? a->mirror : a->mirror + 7;
		if (dir[0] != '/')
			return IMG_ERR(ctx, -EINVAL, "the mirror '%s' is not an absolute folder", a->mirror);
		snprintf(a->mirror_dir, sizeof a->mirror_dir, "%s", dir);
		size_t n = strlen(a->mirror_dir);
		while (n > 1 && a->mirror_dir[n - 1] == '/')
			a->mirror_dir[--n] = '\0';
		snprintf(base, sizeof base, "file://%s", a->mirror_dir);
	} else if (strncmp(a->mirror, "http://", 7) == 0 || strncmp(a->mirror, "https://", 8) == 0) {
		snprintf(base, sizeof base, "%s", a->mirror);
		size_t n = strlen(base);
		while (n && base[n - 1] == '/')
			base[--n] = '\0';
	} else {
		return IMG_ERR(
			ctx, -EINVAL,
			"the mirror '%s' is neither an http(s):// or file:// URL nor an absolute folder",
			a->mirror);
	}
	if (!mini || !*mini)
		return IMG_ERR(ctx, -EINVAL, "minirootfs is empty");
	if (strstr(mini, "://")) {
		snprintf(a->url, sizeof a->url, "%s", mini);
	} else if (mini[0] == '/') {
		snprintf(a->url, sizeof a->url, "file://%s", mini);
	} else {
		if (strchr(mini, '/'))
			return IMG_ERR(ctx, -EINVAL,
				       "minirootfs '%s' must be a file name, an absolute path or a URL",
				       mini);
		/* the default name carries 3.19.1: a changed version needs its own file name */
		char want[64];
		snprintf(want, sizeof want, "alpine-minirootfs-%s.", a->version);
		if (!h->cfg_is_set(ctx, "minirootfs") && strncmp(mini, want, strlen(want)) != 0)
			return IMG_ERR(
				ctx, -EINVAL,
				"version is \"%s\" but minirootfs is the default '%s'; set minirootfs to the release's tarball name",
				a->version, mini);
		if (snprintf(a->url, sizeof a->url, "%s/v%s/releases/%s/%s", base, a->version, a->arch,
			     mini) >= (int)sizeof a->url)
			return IMG_ERR(ctx, -ENAMETOOLONG, "the minirootfs URL is too long");
	}
	return 0;
}

static const char *local_path(const char *url)
{
	return strncmp(url, "file:///", 8) == 0 ? url + 7 : NULL;
}

static int cache_path(struct lia_ctx *ctx, char *buf, const char *url, const char *suffix)
{
	char dir[PATH_MAX];
	const char *base = strrchr(url, '/');
	base = base ? base + 1 : url;
	int r = img_rootfs_path(ctx, dir, sizeof dir, "cache");
	if (r < 0)
		return r;
	if ((r = ctx->host->mkdirs(ctx, dir, 0755)) < 0)
		return r;
	if (!*base || snprintf(buf, PATH_MAX, "%s/%s%s", dir, base, suffix) >= PATH_MAX)
		return IMG_ERR(ctx, -EINVAL, "cannot name a cache file for '%s'", url);
	return 0;
}

/* one download; *used is the file that holds the bytes (dest, or the local source) */
static int get(struct lia_ctx *ctx, const char *url, const char *dest, const char *sha, const char **used)
{
	struct lia_download d = {
		.size = sizeof d, .url = url, .dest = dest, .sha256 = sha, .expect_size = -1, .mode = 0644
	};
	int r = ctx->host->download(ctx, &d);
	*used = dest;
	if (r == -ENOSYS && local_path(url)) {
		ctx->host->log(ctx, LIA_LOG_INFO, "the core cannot download yet; reading %s in place", url);
		*used = local_path(url);
		return access(*used, R_OK) == 0
			       ? 0
			       : IMG_ERR(ctx, -errno, "cannot read '%s': %s", *used, strerror(errno));
	}
	return r;
}

int alpine_fetch(struct lia_ctx *ctx, const struct alpine *a, char tarball[PATH_MAX], char sha[65])
{
	char sha_url[PATH_MAX + 8], sha_dest[PATH_MAX], dest[PATH_MAX];
	const char *used;
	snprintf(sha_url, sizeof sha_url, "%s.sha256", a->url);
	int r;
	if ((r = cache_path(ctx, sha_dest, a->url, ".sha256")) < 0 ||
	    (r = cache_path(ctx, dest, a->url, "")) < 0)
		return r;
	/* the published checksum: "<64 hex>  <name>" */
	if ((r = get(ctx, sha_url, sha_dest, NULL, &used)) < 0)
		return r;
	char *text = NULL;
	if ((r = img_read_file(used, &text, NULL, 1 << 16)) < 0)
		return IMG_ERR(ctx, r, "cannot read the checksum file '%s': %s", used, strerror(-r));
	size_t n = strspn(text, "0123456789abcdefABCDEF");
	if (n != 64 || (text[64] && !isspace((unsigned char)text[64]))) {
		free(text);
		return IMG_ERR(ctx, -EINVAL, "the checksum file '%s' does not start with a sha256", sha_url);
	}
	for (int i = 0; i < 64; i++)
		sha[i] = (char)tolower((unsigned char)text[i]);
	sha[64] = '\0';
	free(text);
	if ((r = get(ctx, a->url, dest, sha, &used)) < 0)
		return r;
	/* verify here too: the in-place path did no check, and a cached file may have rotted */
	char got[65];
	if ((r = ctx->host->sha256_file(ctx, used, got)) < 0)
		return r;
	if (strcmp(got, sha) != 0) {
		if (used == dest)
			unlink(dest);
		return IMG_ERR(
			ctx, -EBADMSG,
			"the minirootfs '%s' has sha256 %s but its published checksum '%s' says %s; refused",
			a->url, got, sha_url, sha);
	}
	snprintf(tarball, PATH_MAX, "%s", used);
	return 0;
}

int alpine_cache_remove(struct lia_ctx *ctx)
{
	char dir[PATH_MAX];
	int r = img_rootfs_path(ctx, dir, sizeof dir, "cache");
	if (r < 0)
		return r;
	if (access(dir, F_OK) == 0) {
		if ((r = img_rm_rf(dir)) < 0)
			return IMG_ERR(ctx, r, "cannot remove the download cache '%s': %s", dir,
				       strerror(-r));
		ctx->host->note(ctx, "removed %s", dir);
	}
	return 0;
}
