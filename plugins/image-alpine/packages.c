/* The package step of image-alpine: `apk add` and `npm install -g`, run by argv
 * chrooted in the staging tree (see image-common/chroot.c).  A local mirror folder is
 * bound read-only at /mnt/lia-mirror for apk, only for the time of the step. */
#include "alpine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIRROR_IN "mnt/lia-mirror"
#define REPOS_TMP "tmp/lia-apk-repositories"
#define NPM_CACHE "/tmp/lia-npm-cache"

static const char *const chroot_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	"LANG=C.UTF-8",
	"npm_config_cache=" NPM_CACHE,
	"npm_config_update_notifier=false",
	NULL,
};

static int step(struct lia_ctx *ctx, const struct img_chroot *c, const char *what, const char *const argv[])
{
	char out[4096];
	int status = 0;
	ctx->host->log(ctx, LIA_LOG_INFO, "%s", what);
	int r = img_chroot_run(ctx, c, argv, out, sizeof out, &status);
	if (r < 0)
		return r;
	if (status != 0) {
		size_t n = strlen(out);
		while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
			out[--n] = '\0';
		return IMG_ERR(ctx, -EIO, "%s failed in the image tree (exit status %d)%s%s", what, status,
			       *out ? ": " : ".", out);
	}
	return 0;
}

/* apk and npm may need DNS while they run: lend them the host's resolv.conf
 * (the guest's own is written after, by img_guest_finish) */
static int lend_resolv_conf(int rootfd)
{
	char *text = NULL;
	size_t len = 0;
	if (img_read_file("/etc/resolv.conf", &text, &len, 1 << 16) < 0)
		return 0;
	int r = img_root_mkdir(rootfd, "etc", 0755);
	if (r == 0)
		r = img_root_write(rootfd, "etc/resolv.conf", text, len, 0644);
	free(text);
	return r;
}

int alpine_packages(struct lia_ctx *ctx, const struct alpine *a, const char *staging, int rootfd)
{
	int r;
	if (a->npkgs == 0 && a->nnpm == 0)
		return 0;
	if ((r = lend_resolv_conf(rootfd)) < 0)
		return IMG_ERR(ctx, r, "cannot write etc/resolv.conf in the image tree: %s", strerror(-r));
	struct img_chroot c = { .root = staging, .rootfd = rootfd, .envp = chroot_env };
	if (a->npkgs) {
		/* the repositories apk reads during the build; the image keeps its own
		 * /etc/apk/repositories, pointed at the mirror when the guest can reach it */
		char repos[2 * PATH_MAX + 64];
		const char *base = a->mirror_dir[0] ? "/" MIRROR_IN : a->mirror;
		size_t bl = strlen(base);
		while (bl > 1 && base[bl - 1] == '/')
			bl--;
		int n = snprintf(repos, sizeof repos, "%.*s/v%s/main\n%.*s/v%s/community\n", (int)bl, base,
				 a->version, (int)bl, base, a->version);
		if ((r = img_root_mkdir(rootfd, "tmp", 01777)) < 0 ||
		    (r = img_root_write(rootfd, REPOS_TMP, repos, (size_t)n, 0644)) < 0)
			return IMG_ERR(ctx, r, "cannot write /%s in the image tree: %s", REPOS_TMP,
				       strerror(-r));
		if (!a->mirror_dir[0] &&
		    ((r = img_root_mkdir(rootfd, "etc/apk", 0755)) < 0 ||
		     (r = img_root_write(rootfd, "etc/apk/repositories", repos, (size_t)n, 0644)) < 0))
			return IMG_ERR(ctx, r, "cannot write /etc/apk/repositories in the image tree: %s",
				       strerror(-r));
		if (a->mirror_dir[0]) {
			c.bind_src = a->mirror_dir;
			c.bind_dst = MIRROR_IN;
		}
		const char **argv = calloc(a->npkgs + 6, sizeof *argv);
		if (!argv)
			return -ENOMEM;
		size_t k = 0;
		argv[k++] = "/sbin/apk";
		argv[k++] = "add";
		argv[k++] = "--no-cache";
		argv[k++] = "--repositories-file";
		argv[k++] = "/" REPOS_TMP;
		for (size_t i = 0; i < a->npkgs; i++)
			argv[k++] = a->pkgs[i];
		argv[k] = NULL;
		char what[128];
		snprintf(what, sizeof what, "apk add (%zu packages)", a->npkgs);
		r = step(ctx, &c, what, argv);
		free(argv);
		img_root_unlink(rootfd, REPOS_TMP);
		if (c.bind_dst) {
			int d = img_root_open(rootfd, "mnt", O_DIRECTORY | O_RDONLY, 0);
			if (d >= 0) {
				unlinkat(d, "lia-mirror", AT_REMOVEDIR);
				close(d);
			}
			c.bind_src = c.bind_dst = NULL;
		}
		if (r < 0)
			return r;
	}
	if (a->nnpm) {
		const char **argv = calloc(a->nnpm + 6, sizeof *argv);
		if (!argv)
			return -ENOMEM;
		size_t k = 0;
		argv[k++] = "/usr/bin/npm";
		argv[k++] = "install";
		argv[k++] = "-g";
		argv[k++] = "--no-audit";
		argv[k++] = "--no-fund";
		for (size_t i = 0; i < a->nnpm; i++)
			argv[k++] = a->npm[i];
		argv[k] = NULL;
		char what[128];
		snprintf(what, sizeof what, "npm install -g (%zu packages)", a->nnpm);
		r = step(ctx, &c, what, argv);
		free(argv);
		if (r < 0)
			return r;
		/* the npm cache has no place in the image; removed from inside the root */
		const char *rm[] = { "/bin/rm", "-rf", NPM_CACHE, NULL };
		if ((r = step(ctx, &c, "removing the npm cache", rm)) < 0)
			return r;
	}
	return 0;
}
