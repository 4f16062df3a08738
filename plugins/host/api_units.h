/* api_units.h - lia-vm-api.service and .socket, installed by the host plugin's services phase */
#ifndef LIA_HOST_API_UNITS_H
#define LIA_HOST_API_UNITS_H
#include <lia/plugin.h>
int host_api_units_install(struct lia_ctx *ctx, int dry); /* 0, LIA_HOOK_SKIP or -errno */
int host_api_units_remove(struct lia_ctx *ctx);
#endif
