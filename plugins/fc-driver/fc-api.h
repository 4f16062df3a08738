/* fc-driver: the Firecracker API client (libcurl over the Unix socket, one reused handle
 * so every call after the first goes over the same keep-alive connection). */
#ifndef LIA_FC_API_H
#define LIA_FC_API_H
#include <stddef.h>
#include <jansson.h>

struct fc_api;

/* NULL on allocation failure, or when libcurl (opened on first use) cannot be loaded:
 * fc_api_load_error() then says why.  timeout_ms bounds each request. */
struct fc_api *fc_api_open(const char *socket_path, long timeout_ms);
const char *fc_api_load_error(void); /* NULL: libcurl is loaded (or was never tried) */
void fc_api_close(struct fc_api *api);

/* PUT body to path ("/boot-source").  Returns the HTTP status (2xx on success), or -1
 * when no HTTP answer came (connection refused, timeout...).  On anything but 2xx, err
 * gets a sentence: Firecracker's fault_message, or curl's error text. */
int fc_api_put(struct fc_api *api, const char *path, json_t *body, char *err, size_t errlen);

#endif
