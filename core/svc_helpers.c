/* Helper services in the pam_modutil spirit: downloads, mkdir -p, file hashes, process
 * liveness.  They use nothing of the core but ctx->host->error, so test hosts link this
 * file too (tests/hostkit) and plugins never carry copies. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "crypto_dl.h"
#include "download.h"
#include "svc_helpers.h"
#include "util.h"

int svc_download(struct lia_ctx *ctx, struct lia_download *req)
{
	/* a plugin built against another minor may have a shorter or longer request: work on
	 * a full copy, hand back only the fields inside the size the plugin declared */
	if (!req || req->size < offsetof(struct lia_download, expect_size) + sizeof(req->expect_size))
		return ctx->host->error(ctx, -EINVAL,
					"a download was requested with a malformed request (size %u)",
					req ? req->size : 0);
	struct lia_download full;
	memset(&full, 0, sizeof(full));
	memcpy(&full, req, req->size < sizeof(full) ? req->size : sizeof(full));
	full.size = sizeof(full);
	int r = lia_download_service(ctx, &full);
	size_t n = req->size < sizeof(full) ? req->size : sizeof(full);
	if (n > offsetof(struct lia_download, got_sha256))
		memcpy((char *)req + offsetof(struct lia_download, got_sha256),
		       (char *)&full + offsetof(struct lia_download, got_sha256),
		       n - offsetof(struct lia_download, got_sha256));
	return r;
}

int svc_mkdirs(struct lia_ctx *ctx, const char *path, uint32_t mode)
{
	if (!path || path[0] != '/')
		return ctx->host->error(ctx, -EINVAL, "cannot create folder '%s': not an absolute path",
					path ? path : "(null)");
	int r = mkdir_p(path, (mode_t)mode);
	if (r < 0)
		return ctx->host->error(ctx, r, "cannot create folder %s: %s", path, strerror(-r));
	return r;
}

int svc_sha256_file(struct lia_ctx *ctx, const char *path, char hex[65])
{
	hex[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ctx->host->error(ctx, -errno, "cannot read %s: %s", path, strerror(errno));
	char why[512];
	if (crypto_dl_open(why, sizeof why) < 0) {
		close(fd);
		return ctx->host->error(ctx, -ELIBACC, "cannot hash %s: %s", path, why);
	}
	EVP_MD_CTX *md = sym_EVP_MD_CTX_new();
	int r = md && sym_EVP_DigestInit_ex(md, sym_EVP_sha256(), NULL) ? 0 : -ENOMEM;
	static __thread unsigned char buf[1 << 16];
	while (r == 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		sym_EVP_DigestUpdate(md, buf, (size_t)n);
	}
	unsigned char d[32];
	unsigned int dl = 0;
	if (r == 0 && sym_EVP_DigestFinal_ex(md, d, &dl) == 1)
		for (unsigned i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
	sym_EVP_MD_CTX_free(md);
	close(fd);
	if (r < 0)
		return ctx->host->error(ctx, r, "cannot read %s: %s", path, strerror(-r));
	return 0;
}

uint64_t svc_proc_start_time(struct lia_ctx *ctx, pid_t pid)
{
	(void)ctx;
	char path[64], buf[1024];
	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* the command name may hold spaces and ')': fields start after the LAST ')' */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	/* field 3 is the state: a zombie has finished, whatever its start time */
	if (p[2] == 'Z' || p[2] == 'X')
		return 0;
	int field = 2;
	char *save = NULL;
	for (char *tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (++field == 22)
			return strtoull(tok, NULL, 10);
	return 0;
}

int svc_pid_alive(struct lia_ctx *ctx, const char *id)
{
	char *end;
	long pid = strtol(id ? id : "", &end, 10);
	if (pid <= 0 || *end != ':')
		return 0;
	unsigned long long want = strtoull(end + 1, NULL, 10);
	uint64_t got = svc_proc_start_time(ctx, (pid_t)pid);
	return got != 0 && got == want;
}
