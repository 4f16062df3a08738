/* Placeholder until the artifacts issue lands verified downloads. */
#include <errno.h>
#include "download.h"

int lia_download_global_init(void) { return 0; }

int lia_download_service(struct lia_ctx *ctx, struct lia_download *req)
{
	return ctx->host->error(ctx, -ENOSYS, "downloading '%s' is not implemented yet", req->url);
}
