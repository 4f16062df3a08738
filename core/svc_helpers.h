/* The host services that need nothing of the core but ctx->host->error: running programs,
 * downloads, mkdir -p, file hashes, process liveness.  lia-core's table and every test host
 * (tests/download/fakehost.c, tests/image-alpine/img-drive.c) take them from one list,
 * LIA_HOST_HELPERS, so a new helper service is added in one place. */
#ifndef LIA_CORE_SVC_HELPERS_H
#define LIA_CORE_SVC_HELPERS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <lia/plugin.h>

int svc_run(struct lia_ctx *ctx, const char *const argv[], char *out, size_t outlen, int *status);
int svc_download(struct lia_ctx *ctx, struct lia_download *req);
int svc_mkdirs(struct lia_ctx *ctx, const char *path, uint32_t mode);
int svc_sha256_file(struct lia_ctx *ctx, const char *path, char hex[65]);
uint64_t svc_proc_start_time(struct lia_ctx *ctx, pid_t pid);
int svc_pid_alive(struct lia_ctx *ctx, const char *pid_id);

/* designated initializers for a struct lia_host */
#define LIA_HOST_HELPERS                                                                                \
	.run = svc_run, .download = svc_download, .mkdirs = svc_mkdirs, .sha256_file = svc_sha256_file, \
	.proc_start_time = svc_proc_start_time, .pid_alive = svc_pid_alive

#endif
