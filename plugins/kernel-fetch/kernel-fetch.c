/* kernel-fetch: setup phase "kernel" - install state_dir/kernel/vmlinux (0644) from a
 * URL, verified.
 *
 * Checksum, in this order: the configured sha256; else the sha256 recorded the first
 * time (trust on first use, said loudly); verify = false turns checking off (warned
 * every run).  The file is fetched to vmlinux.new, checked to be an x86_64 ELF, and
 * only then renamed over vmlinux, so a bad download never replaces a good kernel. */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <lia/plugin.h>

#include "elfcheck.h"

#define DEFAULT_URL "https://s3.amazonaws.com/spec.ccfc.min/img/quickstart_guide/x86_64/kernels/vmlinux.bin"

struct paths {
	char dir[4096], file[4096], tmp[4096], tmp_part[4096];
};

static int mk_paths(struct lia_ctx *ctx, struct paths *p)
{
	const struct lia_host *h = ctx->host;
	if (h->path(ctx, p->dir, sizeof p->dir, "kernel") < 0 ||
	    h->path(ctx, p->file, sizeof p->file, "kernel/vmlinux") < 0 ||
	    h->path(ctx, p->tmp, sizeof p->tmp, "kernel/vmlinux.new") < 0 ||
	    h->path(ctx, p->tmp_part, sizeof p->tmp_part, "kernel/vmlinux.new.part") < 0)
		return h->error(ctx, -ENAMETOOLONG, "the state_dir %s is too long a path", h->state_dir(ctx));
	return 0;
}

/* What the kernel must hash to, and why. */
struct want {
	const char *url;
	const char *sha; /* NULL: nothing to check against */
	int tofu;        /* 1: first use, nothing recorded yet for this url */
	int verify;
	int recorded; /* sha comes from the record */
};

static void get_want(struct lia_ctx *ctx, struct want *w)
{
	const struct lia_host *h = ctx->host;
	const char *rurl = h->memo_get(ctx, "url"), *rsha = h->memo_get(ctx, "sha256");
	const char *sha = h->cfg_str(ctx, "sha256");

	memset(w, 0, sizeof *w);
	w->url = h->cfg_str(ctx, "url");
	w->verify = h->cfg_bool(ctx, "verify");
	if (!w->verify)
		return;
	if (sha && *sha) {
		w->sha = sha;
	} else if (rurl && rsha && !strcmp(rurl, w->url)) {
		w->sha = rsha;
		w->recorded = 1;
	} else {
		w->tofu = 1;
	}
}

/* Is vmlinux already the wanted kernel?  1 yes, 0 no. */
static int up_to_date(struct lia_ctx *ctx, const struct paths *p, const struct want *w, char sum[65])
{
	const struct lia_host *h = ctx->host;
	const char *rurl = h->memo_get(ctx, "url");
	char why[512];

	sum[0] = 0;
	if (access(p->file, F_OK) < 0)
		return 0;
	if (kf_check_vmlinux(p->file, why, sizeof why) < 0)
		return 0;
	if (w->sha)
		return h->sha256_file(ctx, p->file, sum) == 0 && !strcasecmp(sum, w->sha);
	/* verify = false: keep what was fetched from this url before */
	return !w->verify && rurl && !strcmp(rurl, w->url);
}

static int kf_run(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	struct lia_download req = { .size = sizeof req, .expect_size = -1, .mode = 0644 };
	struct paths p;
	struct want w;
	char sum[65], why[512];
	int rc;
	(void)state;

	if ((rc = mk_paths(ctx, &p)) < 0)
		return rc;
	get_want(ctx, &w);
	if (!w.verify)
		h->log(ctx, LIA_LOG_WARN,
		       "verify = false: the kernel from %s is NOT checked against any checksum", w.url);
	if (up_to_date(ctx, &p, &w, sum)) {
		h->log(ctx, LIA_LOG_INFO, "%s is up to date%s%s", p.file, sum[0] ? ", sha256 " : "", sum);
		return LIA_OK;
	}
	if (w.tofu)
		h->log(ctx, LIA_LOG_WARN,
		       "NO CHECKSUM is configured for the kernel %s (upstream publishes none): trusting it on "
		       "first use; lia records the sha256 of what it fetches now and refuses a different file "
		       "later. Set kernel-fetch's sha256 to pin a known value",
		       w.url);
	/* --only kernel may run before the host plugin made state_dir */
	if ((rc = h->mkdirs(ctx, p.dir, 0755)) < 0)
		return rc;

	/* fetch beside it, check, then replace: a bad file never lands at vmlinux */
	req.url = w.url;
	req.dest = p.tmp;
	req.sha256 = w.sha;
	rc = h->download(ctx, &req);
	if (rc < 0) {
		if (w.recorded && rc == -EBADMSG)
			h->log(ctx, LIA_LOG_ERROR,
			       "the kernel at %s is not the file lia recorded on first use (sha256 %s); if the "
			       "change is expected, set kernel-fetch's sha256, or run `lia-core run teardown --only "
			       "kernel` to forget the record",
			       w.url, w.sha);
		return rc;
	}
	if (kf_check_vmlinux(p.tmp, why, sizeof why) < 0) {
		unlink(p.tmp);
		return h->error(ctx, -EINVAL, "the kernel downloaded from %s %s", w.url, why);
	}
	if (rename(p.tmp, p.file) < 0) {
		rc = -errno;
		unlink(p.tmp);
		return h->error(ctx, rc, "cannot rename %s to %s: %s", p.tmp, p.file, strerror(-rc));
	}
	if (h->memo_set(ctx, "url", w.url) < 0 || h->memo_set(ctx, "sha256", req.got_sha256) < 0)
		return h->error(ctx, -EIO, "cannot record the checksum of %s", p.file);
	if (w.tofu)
		h->log(ctx, LIA_LOG_WARN, "recorded sha256 %s for %s (trust on first use)", req.got_sha256,
		       w.url);
	h->note(ctx, "installed %s from %s (sha256 %s)", p.file, w.url, req.got_sha256);
	return LIA_OK;
}

static int kf_plan(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	struct paths p;
	struct want w;
	char sum[65];
	int rc;
	(void)state;

	if ((rc = mk_paths(ctx, &p)) < 0)
		return rc;
	get_want(ctx, &w);
	if (up_to_date(ctx, &p, &w, sum))
		return LIA_OK; /* nothing would change */
	h->note(ctx, "download %s to %s and check it is an x86_64 ELF vmlinux", w.url, p.file);
	if (!w.verify)
		h->note(ctx, "verify = false: no checksum check");
	else if (w.tofu)
		h->note(ctx, "no sha256 configured: trust on first use and record the checksum");
	else
		h->note(ctx, "require sha256 %s%s", w.sha, w.recorded ? " (recorded on first use)" : "");
	return LIA_OK;
}

static int kf_undo(struct lia_ctx *ctx, void *state)
{
	const struct lia_host *h = ctx->host;
	const char *files[4];
	struct paths p;
	int rc;
	(void)state;

	if ((rc = mk_paths(ctx, &p)) < 0)
		return rc;
	files[0] = p.file;
	files[1] = p.tmp;
	files[2] = p.tmp_part;
	files[3] = NULL;
	for (int i = 0; files[i]; i++) {
		if (unlink(files[i]) == 0) {
			if (i == 0)
				h->note(ctx, "removed %s", files[i]);
		} else if (errno != ENOENT) {
			return h->error(ctx, -errno, "cannot remove %s: %s", files[i], strerror(errno));
		}
	}
	if (h->memo_set(ctx, "url", NULL) < 0 || h->memo_set(ctx, "sha256", NULL) < 0)
		return h->error(ctx, -EIO, "cannot forget the recorded checksum of %s", p.file);
	return LIA_OK;
}

static const struct lia_option kf_options[] = {
	{ .name = "url",
	  .type = LIA_OPT_STRING,
	  .default_value = DEFAULT_URL,
	  .kind = LIA_KIND_URL,
	  .choices = "http|https|file",
	  .help = "where the guest kernel (an uncompressed x86_64 ELF vmlinux) comes from" },
	{ .name = "sha256",
	  .type = LIA_OPT_STRING,
	  .kind = LIA_KIND_SHA256,
	  .help = "expected SHA-256 (default: trust on first use and record it)" },
	{ .name = "verify",
	  .type = LIA_OPT_BOOL,
	  .default_value = "true",
	  .help = "false: do not check any checksum (warned on every run)" },
	{ 0 },
};

static const struct lia_hook kf_hooks[] = {
	{ LIA_PHASE_KERNEL, 0, kf_run, kf_undo, kf_plan, "download and verify the guest kernel (vmlinux)" },
	{ 0 },
};

LIA_PLUGIN_DEFINE(kernel_fetch) = {
	LIA_PLUGIN_HEADER,
	.name = "kernel-fetch",
	.version = PACKAGE_VERSION,
	.provides = "kernel",
	.description = "downloads and verifies the guest kernel to state_dir/kernel/vmlinux",
	.options = kf_options,
	.hooks = kf_hooks,
};
