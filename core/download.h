/* Verified downloads, the host->download service.  Written only against the public
 * host services (ctx->host->error/progress/global/quiet) so it can be tested with a fake host. */
#ifndef LIA_CORE_DOWNLOAD_H
#define LIA_CORE_DOWNLOAD_H
#include <lia/plugin.h>

int lia_download_service(struct lia_ctx *ctx, struct lia_download *req);
/* once per process, before threads: curl_global_init */
int lia_download_global_init(void);

#endif
